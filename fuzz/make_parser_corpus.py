#!/usr/bin/env python3
"""Writes the seed corpora of the smaller parsers' fuzzers (fuzz/corpus/<target>/): a few valid
inputs of each shape and a few near misses, one per file, named for what they hold. Rerun after
changing it; the files are committed so the fuzzers need no Python. The packet decoder's and the
journal's seeds come from make_corpus.py and make_journal_corpus.py."""
import pathlib
import shutil
import struct

ROOT = pathlib.Path(__file__).resolve().parent / "corpus"
LOCK = b"/12345678901"


def u16(v):
    return struct.pack(">H", v)


def s(raw):
    return u16(len(raw)) + raw


def packet(first, body):
    n, length = len(body), bytearray()
    while True:
        b, n = n % 128, n // 128
        length.append(b | (0x80 if n else 0))
        if not n:
            break
    return bytes([first]) + bytes(length) + body


def publish(topic, payload, qos=0, pid=1, flags=0):
    return packet(0x30 | qos << 1 | flags, s(topic) + (u16(pid) if qos else b"") + payload)


CONNACK = packet(0x20, b"\x00\x00")
OFFER = (b'{"version":"1.2.4","url":"http://fw.example:8080/firmware/1.2.4","size":4096,'
         b'"sha256":"' + b"ab" * 32 + b'"}')
HTTP_206 = (b"HTTP/1.1 206 Partial Content\r\nContent-Length: 16\r\n"
            b"Content-Range: bytes 0-15/4096\r\nConnection: keep-alive\r\n\r\n" + b"\x7fELF" * 4)


def proxy():
    v2 = b"\r\n\r\n\x00\r\nQUIT\n"
    ipv4 = bytes([192, 0, 2, 1, 198, 51, 100, 7]) + u16(40000) + u16(1883)
    ipv6 = bytes(range(16)) + bytes(range(16, 32)) + u16(40000) + u16(1883)
    tlv = b"\x04" + u16(3) + b"abc"  # PP2_TYPE_NOOP
    connect = packet(0x10, s(b"MQTT") + b"\x04\x02\x00\x3c" + s(b"lock"))
    return {
        "v1-tcp4": b"PROXY TCP4 192.0.2.1 198.51.100.7 40000 1883\r\n" + connect,
        "v1-tcp6": b"PROXY TCP6 2001:db8::1 2001:db8::2 40000 1883\r\n",
        "v1-unknown": b"PROXY UNKNOWN whatever follows\r\n",
        "v1-bad-port": b"PROXY TCP4 192.0.2.1 198.51.100.7 065536 1883\r\n",
        "v1-no-crlf": b"PROXY TCP4 192.0.2.1 198.51.100.7 40000 1883" + b" " * 70,
        "v2-tcp4": v2 + b"\x21\x11" + u16(len(ipv4)) + ipv4 + connect,
        "v2-tcp6-tlv": v2 + b"\x21\x21" + u16(len(ipv6 + tlv)) + ipv6 + tlv,
        "v2-local": v2 + b"\x20\x00" + u16(0),
        "v2-unix": v2 + b"\x21\x31" + u16(216) + bytes(216),
        "v2-short-ipv4": v2 + b"\x21\x11" + u16(4) + bytes(4),
        "v2-too-long": v2 + b"\x21\x11" + u16(2000),
        "trusted-list": b"127.0.0.1, 10.0.0.0/8 ::1 fe80::/10",
        "mqtt-connect": connect,
    }


def range_():
    # FuzzedDataProvider takes the numbers from the end and the header from the front.
    def seed(header, image, first, last):
        return header + struct.pack("<Q", last) + b"\x01" + struct.pack("<Q", first) + \
            struct.pack("<Q", image) + b"\x01"
    return {
        "resume": seed(b"bytes=5000-", 21384, 5000, 21383),
        "range": seed(b"bytes=0-16383", 70000, 0, 16383),
        "suffix": seed(b"bytes=-500", 70000, 69500, 69999),
        "past-end": seed(b"bytes=70000-70001", 70000, 70000, 70001),
        "several": seed(b"bytes=0-1,5-9", 70000, 0, 1),
        "other-unit": seed(b"items=0-1", 1, 0, 0),
        "huge": seed(b"bytes=18446744073709551615-", 2**64 - 1, 2**63, 2**64 - 2),
    }


def lock_wire():
    return {
        "connack": CONNACK,
        "suback": packet(0x90, u16(1) + b"\x01\x00\x80"),
        "call": publish(LOCK + b"/call", b"1", qos=1, pid=7),
        "ota-qos2": publish(LOCK + b"/ota", OFFER, qos=2, pid=9, flags=0x08),
        "retained": publish(LOCK + b"/call", b"0", flags=0x01),
        "acks": packet(0x40, u16(1)) + packet(0x50, u16(2)) + packet(0x62, u16(2)) +
        packet(0x70, u16(3)) + packet(0xB0, u16(4)) + packet(0xD0, b""),
        "long-length": publish(b"t", bytes(200)),
        "non-minimal-length": b"\x30\x80\x00",
        "five-length-bytes": b"\x30\xff\xff\xff\xff\x01",
    }


def lock_core():
    # The first byte picks the input: 0 the MQTT stream after CONNACK, 1 an OTA offer's payload,
    # 2 the HTTP response to the first range request of a valid offer.
    return {
        "mqtt-call": b"\x00" + publish(LOCK + b"/call", b"1", qos=1, pid=3),
        "mqtt-stream": b"\x00" + packet(0x90, u16(1) + b"\x01\x01") + publish(LOCK + b"/call", b"0") +
        packet(0xD0, b"") + publish(LOCK + b"/ota", OFFER, qos=2, pid=4),
        "mqtt-oversize": b"\x00" + publish(LOCK + b"/call", bytes(900)),
        "offer": b"\x01" + OFFER,
        "offer-nested": b"\x01" + OFFER[:-1] + b',"x":[{"y":"\\"}"}],"z":null}',
        "offer-escapes": b"\x01" + OFFER.replace(b"1.2.4", b"1.2\\u0034"),
        "http-206": b"\x02" + HTTP_206,
        "http-404": b"\x02HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
        "http-chunked": b"\x02HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n",
    }


def json():
    deep = b'{"code":' + b"[" * 200 + b"]" * 200 + b"}"
    return {
        "login": b'{"code":"0a1b2c3d4e5f"}',
        "bind": b'{"lockno":"12345678901","bindcode":"483920"}',
        "version": b'{"version":"1.2.4","extra":{"a":[1,2.5e3,-0,true,false,null]}}',
        "escapes": b'{"code":"\\u00e9\\ud83d\\ude00\\"\\\\\\/\\b\\f\\n\\r\\t"}',
        "nul": b'{"code":"a\\u0000b"}',
        "empty-field": b'{"code":""}',
        "wrong-type": b'{"code":12345,"lockno":null}',
        "duplicate": b'{"code":"a","code":"b"}',
        "array": b'["code"]',
        "deep": deep,
        "truncated": b'{"code":"abc',
        "trailing": b'{"code":"abc"} x',
    }


def auth_files():
    # The first three fields are the username, the client id and the topic, each ended by a
    # backslash and one other byte (FuzzedDataProvider's random-length string); the last byte says
    # whether the client is anonymous; the rest is the file text.
    def seed(user, client_id, topic, text, anonymous=False):
        return user + b"\\;" + client_id + b"\\;" + topic + b"\\;" + text + (b"\x01" if anonymous else b"\x00")
    acl = (b"# rules\n"
           b"allow user:alice pubsub /u/%u/# eq:/lan/%c\n"
           b"allow clientid:lock-1 publish /12345678901/statu\n"
           b"deny ipaddr:10.0.0.0/8 subscribe #\n"
           b"allow anonymous subscribe /public/+\n"
           b"deny all pubsub eq:#\n")
    users = (b"user alice 5e884898 salt=ab superuser\n"
             b"user 12345678901 pw\n"
             b"acl alice /u/alice/# 3\n")
    return {
        "acl": seed(b"alice", b"lock-1", b"/u/alice/x", acl),
        "acl-anonymous": seed(b"", b"c", b"/public/a", acl, anonymous=True),
        "acl-v6": seed(b"bob", b"c", b"/x", b"allow ipaddr:fe80::/10 pubsub /%c/%%u\n"),
        "acl-bad-prefix": seed(b"bob", b"c", b"/x", b"allow ipaddr:10.0.0.0/33 pubsub #\n"),
        "users": seed(b"alice", b"c", b"/u/alice", users),
        "users-acl-only": seed(b"alice", b"c", b"/u/alice", b"acl bob /x 1\n"),
        "wildcard-client-id": seed(b"alice", b"+", b"/c/bob/x", acl),
        "wildcard-username": seed(b"#", b"c", b"/u/bob", acl),
    }


def ws():
    # The first byte is the size of each read (0: 4096); then the request and the frames.
    def frame(opcode, payload, mask=b"\x11\x22\x33\x44", fin=True):
        head = bytes([(0x80 if fin else 0) | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        else:
            head += bytes([0x80 | 126]) + u16(n)
        return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))

    def request(extra=b"", path=b"/mqtt", proto=b"mqtt"):
        return (b"GET " + path + b" HTTP/1.1\r\nHost: broker\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: " + proto + b"\r\n" + extra + b"\r\n")

    connect = packet(0x10, s(b"MQTT") + b"\x04\x02\x00\x3c" + s(b"lock"))
    return {
        "connect": b"\x00" + request() + frame(2, connect),
        "split-reads": b"\x07" + request(b"X-Forwarded-For: 203.0.113.9, 10.0.0.2\r\n") +
        frame(2, connect[:5], fin=False) + frame(0, connect[5:]),
        "ping-close": b"\x00" + request(b"X-Real-IP: [::1]:80\r\n", proto=b"mqttv3.1, mqtt") +
        frame(9, b"hi") + frame(2, connect) + frame(8, u16(1000) + b"bye"),
        "text-frame": b"\x00" + request(proto=b"") + frame(1, b"hello"),
        "big-frame": b"\x00" + request() + frame(2, bytes(1500)),
        "unmasked": b"\x00" + request() + b"\x82\x02\x00\x00",
        "bad-path": b"\x00" + request(path=b"/other?x=1"),
        "bad-proto": b"\x00" + request(proto=b"chat"),
        "not-upgrade": b"\x00GET /mqtt HTTP/1.1\r\nHost: b\r\n\r\n",
        "body": b"\x00" + request(b"Content-Length: 5\r\n") + b"hello",
    }


def http_query():
    # The name and the value, each ended by a backslash and one other byte; then the query.
    def seed(name, value, query):
        return name + b"\\;" + value + b"\\;" + query
    return {
        "history": seed(b"lockno", b"12345678901", b"lockno=12345678901&before=1700000000000&limit=20"),
        "escaped": seed(b"after", b"a b&c=d", b"after=a%20b%26c%3Dd&limit=+10"),
        "repeated": seed(b"version", b"1.2.4", b"version=1.2.3&version=1.2.4"),
        "bad-escapes": seed(b"x", b"%", b"%zz=%4&%=%%&=&&x"),
    }


TARGETS = {"proxy": proxy, "range": range_, "lock_wire": lock_wire, "lock_core": lock_core,
           "json": json, "auth_files": auth_files, "ws": ws, "http_query": http_query}


def main():
    for name, seeds in TARGETS.items():
        out = ROOT / name
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        for file, data in seeds().items():
            (out / file).write_bytes(data)
        print(f"{out}: {len(seeds())} seeds")


if __name__ == "__main__":
    main()
