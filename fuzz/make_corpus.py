#!/usr/bin/env python3
"""Writes the decoder fuzzer's seed corpus (fuzz/corpus/decode/): one valid packet of each type,
a few multi-packet streams, and a few malformed packets, for MQTT 3.1/3.1.1 and (v5-*) 5.0. Rerun after changing it; the files are
committed so the fuzzer needs no Python."""
import pathlib
import struct

OUT = pathlib.Path(__file__).resolve().parent / "corpus" / "decode"


def remaining_length(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def packet(first, body):
    return bytes([first]) + remaining_length(len(body)) + body


def s(text):
    raw = text if isinstance(text, bytes) else text.encode()
    return struct.pack(">H", len(raw)) + raw


def u16(v):
    return struct.pack(">H", v)


def connect(name=b"MQTT", level=4, flags=0x02, keepalive=60, fields=(b"lock-1",)):
    body = s(name) + bytes([level, flags]) + u16(keepalive)
    for f in fields:
        body += s(f)
    return packet(0x10, body)


def publish(topic, payload, qos=0, retain=False, dup=False, pid=1):
    flags = (0x08 if dup else 0) | qos << 1 | (1 if retain else 0)
    body = s(topic) + (u16(pid) if qos else b"") + payload
    return packet(0x30 | flags, body)


def subscribe(pid, filters, first=0x82):
    return packet(first, u16(pid) + b"".join(s(f) + bytes([q]) for f, q in filters))


def unsubscribe(pid, filters, first=0xA2):
    return packet(first, u16(pid) + b"".join(s(f) for f in filters))


LOCK = "/12345678901"
SEEDS = {
    # one valid packet of each type
    "connect-311-minimal": connect(),
    "connect-311-full": connect(flags=0xEE, fields=(b"cid", LOCK + "/statu", b"-2", b"u", b"\x00\xff")),
    "connect-31": connect(b"MQIsdp", 3, 0xC2, 10, (b"c1", b"u1", b"p1")),
    "connect-empty-id": connect(flags=0x80, keepalive=0, fields=(b"", b"u")),
    "connack": packet(0x20, b"\x00\x00"),
    "connack-refused": packet(0x20, b"\x00\x05"),
    "publish-qos0": publish(LOCK + "/statu", b"1"),
    "publish-qos1": publish(LOCK + "/m", b"open", qos=1, pid=0x1234),
    "publish-qos2-dup-retain": publish("/f", b"\x00\xff", qos=2, retain=True, dup=True, pid=0xFFFE),
    "publish-utf8-topic": publish("/锁/🔒", b""),
    "publish-200": publish("/a", b"x" * 200, qos=1),
    "puback": packet(0x40, u16(1)),
    "pubrec": packet(0x50, u16(2)),
    "pubrel": packet(0x62, u16(3)),
    "pubcomp": packet(0x70, u16(4)),
    "subscribe": subscribe(1, [(LOCK + "/#", 1)]),
    "subscribe-three": subscribe(0xABCD, [("#", 0), ("/+/", 1), ("a/b", 2)]),
    "suback": packet(0x90, u16(1) + b"\x00\x80\x02\x01"),
    "unsubscribe": unsubscribe(2, ["/+/m", "#"]),
    "unsuback": packet(0xB0, u16(2)),
    "pingreq": packet(0xC0, b""),
    "pingresp": packet(0xD0, b""),
    "disconnect": packet(0xE0, b""),
    # 3.1-only forms
    "pubrel-31-dup": packet(0x6A, u16(3)),
    "subscribe-31-dup": subscribe(5, [("a", 0)], first=0x8A),
    "publish-dup-qos0": publish("a", b"x", dup=True),
    "padded-length": b"\x40\x82\x80\x00\x00\x09",
    # malformed
    "bad-type-15": b"\xf0\x00",
    "bad-flags-subscribe": subscribe(1, [("a", 0)], first=0x80),
    "bad-qos3": b"\x36\x05\x00\x01a\x00\x01",
    "bad-five-byte-length": b"\x30\xff\xff\xff\xff\x7f",
    "bad-protocol-name": connect(name=b"MQTX"),
    "bad-connect-reserved-flag": connect(flags=0x03),
    "bad-utf8-surrogate": publish(b"/\xed\xa0\x80", b"p"),
    "bad-wildcard-topic": publish("/+/m", b"p"),
    "bad-filter": subscribe(1, [("a/#/b", 0)]),
    "bad-zero-packet-id": packet(0x40, u16(0)),
    "bad-empty-subscribe": packet(0x82, u16(1)),
    "truncated-connect": connect()[:-3],
}
SEEDS.update({
    # multi-packet streams as a socket delivers them
    "stream-lock-session": connect(fields=(b"lock-1",)) + subscribe(1, [(LOCK + "/call", 1)])
    + publish(LOCK + "/statu", b"1", qos=1, retain=True, pid=2) + packet(0xC0, b"")
    + packet(0xE0, b""),
    "stream-qos2-flow": publish("/q", b"2", qos=2, pid=7) + packet(0x50, u16(7))
    + packet(0x62, u16(7)) + packet(0x70, u16(7)),
    "stream-broker-replies": packet(0x20, b"\x01\x00") + packet(0x90, u16(1) + b"\x01")
    + publish(LOCK + "/call", b"unlock", qos=1, pid=9) + packet(0xD0, b""),
    "stream-then-garbage": packet(0xC0, b"") + packet(0x40, u16(1)) + b"\x00\x00\xff",
})


def props(*items):
    """An MQTT 5.0 property block: its length, then the (identifier, value bytes) items."""
    body = b"".join(bytes([i]) + v for i, v in items)
    return remaining_length(len(body)) + body


def u32(v):
    return struct.pack(">I", v)


def connect5(flags=0x02, properties=props(), fields=(b"lock-5",), will=None):
    """fields: client id, then user name / password as the flags say; will: (props, topic, payload)."""
    body = s(b"MQTT") + bytes([5, flags]) + u16(60) + properties + s(fields[0])
    if will:
        body += will[0] + s(will[1]) + s(will[2])
    for f in fields[1:]:
        body += s(f)
    return packet(0x10, body)


USER = (0x26, s("k") + s("v"))
SEEDS.update({
    # MQTT 5.0: every packet type with properties, the short forms, and rule breakers
    "v5-connect-minimal": connect5(),
    "v5-connect-full": connect5(
        0xEE,
        props((0x11, u32(120)), (0x21, u16(10)), (0x22, u16(8)), (0x27, u32(65536)), (0x17, b"\x01"),
              (0x19, b"\x00"), USER, (0x15, s("SCRAM")), (0x16, s(b"\x00\x01"))),
        (b"cid", b"u", b"p"),
        will=(props((0x18, u32(5)), (0x01, b"\x01"), (0x02, u32(35)), (0x03, s("text")),
                    (0x08, s("/r")), (0x09, s(b"\x01")), USER), LOCK + "/will", b"gone")),
    "v5-connect-password-only": connect5(0x42, fields=(b"c", b"pw")),
    "v5-connack": packet(0x20, b"\x01\x00" + props((0x13, u16(30)), (0x21, u16(20)), (0x24, b"\x01"),
                                                 (0x25, b"\x01"), (0x28, b"\x00"), (0x29, b"\x01"),
                                                 (0x2A, b"\x00"), (0x12, s("auto-1")),
                                                 (0x1A, s("resp")), (0x1C, s("srv2")))),
    "v5-connack-refused": packet(0x20, b"\x00\x87" + props((0x1F, s("acl")))),
    "v5-publish-props": packet(0x33, s(LOCK + "/m") + u16(7) + props(
        (0x01, b"\x01"), (0x02, u32(35)), (0x03, s("json")), (0x08, s("/r")), (0x09, s(b"\xff")),
        (0x23, u16(4)), (0x0B, b"\x81\x01"), (0x0B, b"\x02"), USER, USER) + b"open"),
    "v5-publish-alias-only": packet(0x30, s("") + props((0x23, u16(4))) + b"x"),
    "v5-puback-short": packet(0x40, u16(1)),
    "v5-puback-reason": packet(0x40, u16(1) + b"\x10"),
    "v5-pubrec-props": packet(0x50, u16(2) + b"\x80" + props((0x1F, s("no")), USER)),
    "v5-pubrel-notfound": packet(0x62, u16(3) + b"\x92"),
    "v5-pubcomp-long": packet(0x70, u16(4) + b"\x00\x00"),
    "v5-subscribe": packet(0x82, u16(1) + props((0x0B, b"\x07"), USER)
                           + s("/#") + b"\x2d" + s("a/+") + b"\x00" + s("b") + b"\x1a"),
    "v5-suback": packet(0x90, u16(1) + props((0x1F, s("ok"))) + b"\x01\x00\x02\x87\xa2"),
    "v5-unsubscribe": packet(0xA2, u16(2) + props(USER) + s("/#") + s("x")),
    "v5-unsuback": packet(0xB0, u16(2) + props() + b"\x00\x11"),
    "v5-disconnect-short": packet(0xE0, b""),
    "v5-disconnect-reason": packet(0xE0, b"\x04"),
    "v5-disconnect-props": packet(0xE0, b"\x8e" + props((0x11, u32(0)), (0x1C, s("s2")), (0x1F, s("x")))),
    "v5-auth": packet(0xF0, b"\x18" + props((0x15, s("SCRAM")), (0x16, s(b"\x2a")))),
    "v5-auth-short": packet(0xF0, b""),
    "v5-bad-duplicate": packet(0xE0, b"\x00" + props((0x11, u32(1)), (0x11, u32(2)))),
    "v5-bad-placement": packet(0x30, s("t") + props((0x11, u32(1)))),
    "v5-bad-padded-vbi": packet(0x30, s("t") + b"\x80\x00"),
    "v5-bad-options": packet(0x82, u16(1) + props() + s("t") + b"\xc0"),
    "v5-bad-retain-handling": packet(0x82, u16(1) + props() + s("t") + b"\x30"),
    "v5-stream": connect5() + packet(0x82, u16(1) + props() + s(LOCK + "/call") + b"\x01")
    + packet(0x32, s(LOCK + "/statu") + u16(2) + props((0x02, u32(60))) + b"1")
    + packet(0x40, u16(9)) + packet(0xC0, b"") + packet(0xE0, b"\x00"),
})


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    for name, data in SEEDS.items():
        (OUT / name).write_bytes(data)
    print(f"{len(SEEDS)} seeds in {OUT}")


if __name__ == "__main__":
    main()
