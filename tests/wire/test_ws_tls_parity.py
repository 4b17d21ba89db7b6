"""The same MQTT behaviour on all four listeners: each scenario runs over tcp, ws, tls and wss
with the raw client of mqtt_raw.py, only the socket under it differs (a WebSocket adapter sends
each write as one binary frame and reads frames back as a byte stream)."""
import ssl
import time

import pytest

import mqtt_raw
from conftest import wait_for
from tls_pki import Pki
from ws_raw import WsClient

KINDS = ["tcp", "ws", "tls", "wss"]


class WsSocket:
    """Enough of a socket for mqtt_raw.Client over a WebSocket."""

    def __init__(self, ws):
        self.ws = ws
        self.timeout = 5.0

    def sendall(self, data):
        self.ws.send_binary(data)

    def settimeout(self, t):
        self.timeout = t

    def recv(self, _n):
        while True:
            f = self.ws.recv_frame(timeout=self.timeout)  # TimeoutError is socket.timeout
            if f is None or f[0] == 0x8:
                return b""
            if f[0] in (0x0, 0x2):
                return f[1]

    def close(self):
        self.ws.close()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    p = Pki(tmp_path_factory.mktemp("pki"))
    p.server = p.issue("server", "127.0.0.1", "ecdsa")
    return p


@pytest.fixture(params=KINDS)
def net(request, start_broker, pki):
    """(connect(client_id, **connect_kw) -> Client, broker) for one transport."""
    kind = request.param
    cert = {"certfile": str(pki.server[0]), "keyfile": str(pki.server[1])}
    b = start_broker(listener__ws__bind="127.0.0.1:0", listener__tls__bind="127.0.0.1:0",
                     listener__wss__bind="127.0.0.1:0",
                     **{f"listener__{l}__{k}": v for l in ("tls", "wss") for k, v in cert.items()})
    ctx = ssl.create_default_context(cafile=str(pki.ca_crt))

    def client():
        c = mqtt_raw.Client.__new__(mqtt_raw.Client)
        c.buf, c.timeout = b"", 5.0
        port = b.ports[kind]
        if kind in ("ws", "wss"):
            wrap = (lambda s: ctx.wrap_socket(s, server_hostname="127.0.0.1")) if kind == "wss" else None
            ws = WsClient(port, wrap=wrap)
            assert ws.status == 101
            c.sock = WsSocket(ws)
        else:
            c.sock = mqtt_raw.Client(port).sock
            if kind == "tls":
                c.sock = ctx.wrap_socket(c.sock, server_hostname="127.0.0.1")
        return c

    def connect(client_id, expect_code=0, **kw):
        c = client()
        c.connect(client_id, expect_code=expect_code, **kw)
        return c

    connect.kind = kind
    return connect, b


def test_qos_flows(net):
    connect, _ = net
    sub = connect("q-sub")
    assert sub.subscribe(1, ("/p/#", 2)) == [2]
    pub = connect("q-pub")
    pub.send(mqtt_raw.publish("/p/0", "zero", qos=0))
    p = sub.expect(mqtt_raw.PUBLISH)
    assert (p.topic, p.payload, p.qos) == ("/p/0", b"zero", 0)

    pub.send(mqtt_raw.publish("/p/1", "one", qos=1, packet_id=11))
    assert pub.expect(mqtt_raw.PUBACK).packet_id == 11
    p = sub.expect(mqtt_raw.PUBLISH)
    assert (p.payload, p.qos) == (b"one", 1)
    sub.send(mqtt_raw.ack("puback", p.packet_id))

    pub.send(mqtt_raw.publish("/p/2", "two", qos=2, packet_id=12))
    assert pub.expect(mqtt_raw.PUBREC).packet_id == 12
    pub.send(mqtt_raw.ack("pubrel", 12))
    assert pub.expect(mqtt_raw.PUBCOMP).packet_id == 12
    p = sub.expect(mqtt_raw.PUBLISH)
    assert (p.payload, p.qos) == (b"two", 2)
    sub.send(mqtt_raw.ack("pubrec", p.packet_id))
    assert sub.expect(mqtt_raw.PUBREL).packet_id == p.packet_id
    sub.send(mqtt_raw.ack("pubcomp", p.packet_id))

    big = bytes(range(256)) * 400  # 100 KiB: many frames / TLS records
    pub.send(mqtt_raw.publish("/p/big", big, qos=0))
    assert sub.expect(mqtt_raw.PUBLISH).payload == big


def test_retained_and_will(net):
    connect, _ = net
    pub = connect("r-pub")
    pub.send(mqtt_raw.publish("/r/kept", "state", qos=1, retain=True, packet_id=3))
    pub.expect(mqtt_raw.PUBACK)
    watcher = connect("r-watch")
    watcher.subscribe(1, ("/r/#", 1))
    p = watcher.expect(mqtt_raw.PUBLISH)
    assert (p.topic, p.payload, p.retain) == ("/r/kept", b"state", True)
    if p.qos:
        watcher.send(mqtt_raw.ack("puback", p.packet_id))

    polite = connect("r-polite", will=("/r/will", "polite", 0, False))
    polite.send(mqtt_raw.DISCONNECT)
    assert polite.closed()
    dying = connect("r-dying", will=("/r/will", "dying", 0, False))
    dying.close()  # no DISCONNECT: the will goes out
    p = watcher.expect(mqtt_raw.PUBLISH)
    assert (p.topic, p.payload) == ("/r/will", b"dying")


def test_persistent_session_takeover_and_keepalive(net):
    connect, b = net
    s = connect("persist", clean=False)
    s.subscribe(1, ("/s/t", 1))
    s.send(mqtt_raw.DISCONNECT)
    assert s.closed()
    pub = connect("s-pub")
    pub.send(mqtt_raw.publish("/s/t", "while away", qos=1, packet_id=5))
    pub.expect(mqtt_raw.PUBACK)
    back = connect("persist", clean=False)
    p = back.expect(mqtt_raw.PUBLISH)
    assert p.payload == b"while away"

    again = connect("persist", clean=False)  # takes the session over
    assert back.closed()
    p = again.expect(mqtt_raw.PUBLISH)  # never acknowledged: sent again, marked DUP
    assert p.payload == b"while away" and p.dup
    again.send(mqtt_raw.ack("puback", p.packet_id))
    again.send(mqtt_raw.PINGREQ)
    again.expect(mqtt_raw.PINGRESP)

    start = time.monotonic()
    quiet = connect("quiet", keepalive=1)
    assert quiet.closed(timeout=5)
    assert time.monotonic() - start < 4  # 1.5 x 1 s, swept once a second
    wait_for(lambda: f"client=quiet " in b.log() and "keepalive" in b.log(), what="keepalive logged")
