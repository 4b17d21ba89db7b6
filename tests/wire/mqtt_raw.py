"""A minimal MQTT 3.1.1 client over a raw socket, for tests that need exact bytes on the wire
(malformed packets, packet ids, DUP flags) where a library client would hide them."""
import socket
import struct
import time


def _len(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _str(s):
    if isinstance(s, str):
        s = s.encode()
    return struct.pack("!H", len(s)) + s


def packet(first, body=b""):
    return bytes([first]) + _len(len(body)) + body


def connect(client_id="", clean=True, keepalive=60, username=None, password=None, will=None,
            level=4):
    """will = (topic, payload, qos, retain)"""
    flags = 0x02 if clean else 0
    payload = _str(client_id)
    if will:
        topic, msg, qos, retain = will
        flags |= 0x04 | (qos << 3) | (0x20 if retain else 0)
        payload += _str(topic) + _str(msg)
    if username is not None:
        flags |= 0x80
        payload += _str(username)
    if password is not None:
        flags |= 0x40
        payload += _str(password)
    name = b"MQTT" if level == 4 else b"MQIsdp"
    body = _str(name) + bytes([level, flags]) + struct.pack("!H", keepalive) + payload
    return packet(0x10, body)


def publish(topic, payload=b"", qos=0, retain=False, packet_id=1, dup=False):
    if isinstance(payload, str):
        payload = payload.encode()
    first = 0x30 | (0x08 if dup else 0) | (qos << 1) | (1 if retain else 0)
    body = _str(topic) + (struct.pack("!H", packet_id) if qos else b"") + payload
    return packet(first, body)


def subscribe(packet_id, *filters):
    """filters: (filter, qos) pairs"""
    body = struct.pack("!H", packet_id)
    for f, q in filters:
        body += _str(f) + bytes([q])
    return packet(0x82, body)


def unsubscribe(packet_id, *filters):
    body = struct.pack("!H", packet_id) + b"".join(_str(f) for f in filters)
    return packet(0xA2, body)


def ack(kind, packet_id):
    first = {"puback": 0x40, "pubrec": 0x50, "pubrel": 0x62, "pubcomp": 0x70}[kind]
    return packet(first, struct.pack("!H", packet_id))


PINGREQ = packet(0xC0)
DISCONNECT = packet(0xE0)


class Packet:
    def __init__(self, first, body):
        self.first, self.body = first, body
        self.type = first >> 4

    @property
    def packet_id(self):
        return struct.unpack("!H", self.body[:2])[0]

    # PUBLISH fields
    @property
    def qos(self):
        return (self.first >> 1) & 3

    @property
    def retain(self):
        return bool(self.first & 1)

    @property
    def dup(self):
        return bool(self.first & 8)

    @property
    def topic(self):
        n = struct.unpack("!H", self.body[:2])[0]
        return self.body[2:2 + n].decode()

    @property
    def payload(self):
        n = struct.unpack("!H", self.body[:2])[0]
        start = 2 + n + (2 if self.qos else 0)
        return self.body[start:]

    @property
    def publish_id(self):
        n = struct.unpack("!H", self.body[:2])[0]
        return struct.unpack("!H", self.body[2 + n:4 + n])[0]

    def __repr__(self):
        return f"Packet(type={self.type}, first={self.first:#x}, body={self.body!r})"


CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 2, 3, 4, 5, 6, 7
SUBACK, UNSUBACK, PINGRESP = 9, 11, 13
MARKER_ID = 0xFFFF  # the packet id of until_marker()'s SUBSCRIBE: tests use small ones


class Client:
    def __init__(self, port, host="127.0.0.1", timeout=5.0, source=None):
        # source: the local address to connect from (127.0.0.2 is another client on loopback)
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.buf = b""
        self.timeout = timeout

    def send(self, data):
        self.sock.sendall(data)

    def recv_packet(self, timeout=None):
        """The next packet, or None when the connection is closed."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            p = self._parse()
            if p:
                return p
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no packet from the broker")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                return None
            except socket.timeout:
                raise TimeoutError("no packet from the broker")
            if not chunk:
                return None
            self.buf += chunk

    def _parse(self):
        if len(self.buf) < 2:
            return None
        n, mult, i = 0, 1, 1
        while True:
            if i >= len(self.buf):
                return None
            b = self.buf[i]
            n += (b & 0x7F) * mult
            mult *= 128
            i += 1
            if not b & 0x80:
                break
        if len(self.buf) < i + n:
            return None
        p = Packet(self.buf[0], self.buf[i:i + n])
        self.buf = self.buf[i + n:]
        return p

    def expect(self, ptype, timeout=None):
        p = self.recv_packet(timeout)
        assert p is not None, f"connection closed while expecting packet type {ptype}"
        assert p.type == ptype, f"expected packet type {ptype}, got {p!r}"
        return p

    def connect(self, client_id="", expect_code=0, **kw):
        self.send(connect(client_id, **kw))
        p = self.expect(CONNACK)
        assert p.body[1] == expect_code, f"CONNACK code {p.body[1]} != {expect_code}"
        return p

    def subscribe(self, packet_id, *filters):
        self.send(subscribe(packet_id, *filters))
        p = self.expect(SUBACK)
        assert p.packet_id == packet_id
        return list(p.body[2:])

    def until_marker(self, publisher=None, topic=None, acknowledge=False, qos=0):
        """Every packet this client receives before a marker round trip, marker left out: the
        proof that nothing else is on its way, instead of waiting a fixed time for nothing.

        The marker is a PUBLISH that `publisher` (default: this client) sends on `topic` (default:
        a fresh topic this client subscribes to first). The broker handles one connection's
        packets in order, so whatever it had routed to this client before it routes the marker
        is ahead of it. A QoS 0 marker passes messages queued behind a full inflight window; one at
        `qos=1` queues behind them like any other (and `acknowledge` then lets them flow). With
        `acknowledge`, QoS 1/2 messages on the way are acknowledged; they are still returned."""
        marker = f"marker-{time.monotonic_ns()}".encode()
        got = []

        def take(p):
            assert p is not None, f"connection closed before the marker; received {got!r}"
            if acknowledge and p.type == PUBLISH and p.qos:
                self.send(ack("puback" if p.qos == 1 else "pubrec", p.publish_id))
            if acknowledge and p.type == PUBREL:
                self.send(ack("pubcomp", p.packet_id))
            got.append(p)

        if topic is None:
            topic = "marker/" + marker.decode()
            self.send(subscribe(MARKER_ID, (topic, qos)))
            while True:
                p = self.recv_packet()
                if p is not None and p.type == SUBACK and p.packet_id == MARKER_ID:
                    assert p.body[2:] == bytes([qos]), f"marker subscription refused: {p!r}"
                    break
                take(p)
        (publisher or self).send(publish(topic, marker, qos=qos, packet_id=MARKER_ID))
        while True:
            p = self.recv_packet()
            if p is not None and p.type == PUBLISH and p.topic == topic and p.payload == marker:
                if p.qos:
                    self.send(ack("puback", p.publish_id))
                return got
            if p is not None and p.type == PUBACK and p.packet_id == MARKER_ID and publisher is None:
                continue  # the broker's acknowledgement of our own marker
            take(p)

    def closed(self, timeout=None):
        """True once the broker has closed the connection (after draining what it sent)."""
        try:
            while True:
                if self.recv_packet(timeout) is None:
                    return True
        except TimeoutError:
            return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
