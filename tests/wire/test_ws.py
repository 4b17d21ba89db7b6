"""MQTT over WebSocket against a real broker: MQTT.js end to end, then raw frames (a CONNECT in
single-byte frames, two packets in one frame, ping, text and oversized frames) and the upgrade's
answers to requests that are not ours. Each bad request must cost only its own connection."""
import json
import pathlib
import re
import shutil
import socket
import subprocess

import pytest

import mqtt_raw
from conftest import ROOT, wait_for
from ws_raw import WsClient, frame, handshake_request

HERE = pathlib.Path(__file__).resolve().parent


def run_mqttjs(url, ca=None):
    if not shutil.which("node") or not (ROOT / "node_modules" / "mqtt").exists():
        pytest.skip("node and the mqtt package (npm ci) are needed")
    args = ["node", str(HERE / "ws_mqttjs.js"), url] + ([str(ca)] if ca else [])
    r = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 0, r.stderr + r.stdout
    return json.loads(r.stdout.strip().splitlines()[-1])


def check_mqttjs_result(out):
    assert out["granted"] == [2]
    assert out["connack_session_present"] is False
    assert [(m["payload"], m["qos"]) for m in out["messages"]] == [("m0", 0), ("m1", 1), ("m2", 2)]
    assert out["retained"]["payload"] == "kept" and out["retained"]["retain"] is True
    assert out["will"]["payload"] == "gone" and out["will"]["qos"] == 1


@pytest.fixture
def ws_broker(start_broker):
    return start_broker(listener__ws__bind="127.0.0.1:0", listener__ws__handshake_timeout="1s",
                        listener__ws__max_message_size="4KiB")


def test_mqttjs_over_ws(ws_broker):
    check_mqttjs_result(run_mqttjs(f"ws://127.0.0.1:{ws_broker.ports['ws']}/mqtt"))
    log = ws_broker.log()
    assert re.search(r"connected client=dying-\S+ .*via=ws", log), log[-2000:]


def ws_connect(port, client_id, **request):
    c = WsClient(port, **request)
    assert c.status == 101, (c.status, c.headers)
    c.send_binary(mqtt_raw.connect(client_id))
    p = c.recv_mqtt()
    assert p is not None and p.type == mqtt_raw.CONNACK and p.body[1] == 0, p
    return c


def test_connect_split_into_single_byte_frames(ws_broker):
    packet = mqtt_raw.connect("bytewise", keepalive=30)
    c = WsClient(ws_broker.ports["ws"])
    assert c.status == 101
    c.send(b"".join(frame(packet[i:i + 1]) for i in range(len(packet))))  # one message per byte
    p = c.recv_mqtt()
    assert p.type == mqtt_raw.CONNACK and p.body[1] == 0

    # The same split as fragments of one message (continuation frames).
    d = WsClient(ws_broker.ports["ws"])
    parts = [frame(packet[i:i + 1], opcode=0x2 if i == 0 else 0x0, fin=i == len(packet) - 1)
             for i in range(len(packet))]
    d.send(b"".join(parts))
    p = d.recv_mqtt()
    assert p.type == mqtt_raw.CONNACK and p.body[1] == 0


def test_two_packets_in_one_frame_and_a_packet_across_frames(ws_broker):
    c = ws_connect(ws_broker.ports["ws"], "packed")
    both = mqtt_raw.subscribe(1, ("/packed/t", 1)) + mqtt_raw.publish("/packed/t", "hello", qos=1, packet_id=7)
    c.send_binary(both)
    got = {p.type: p for p in (c.recv_mqtt(), c.recv_mqtt(), c.recv_mqtt())}
    assert set(got) == {mqtt_raw.SUBACK, mqtt_raw.PUBACK, mqtt_raw.PUBLISH}
    assert got[mqtt_raw.PUBLISH].payload == b"hello"
    # A PUBLISH cut in three frames at awkward places.
    pub = mqtt_raw.publish("/packed/t", "x" * 300, qos=0)
    for part in (pub[:1], pub[1:150], pub[150:]):
        c.send_binary(part)
    p = c.recv_mqtt()
    assert p.type == mqtt_raw.PUBLISH and p.payload == b"x" * 300


def test_subprotocols(ws_broker):
    """What EMQX 3 accepted: none, or any mqtt* token (echoed); anything else is a 400."""
    port = ws_broker.ports["ws"]
    for offered in ["mqtt", "mqttv3.1", "mqttv3.1.1", "mqttv5"]:
        c = WsClient(port, protocols=offered)
        assert c.status == 101 and c.headers.get("sec-websocket-protocol") == offered
    assert WsClient(port, protocols="foo, mqttv3.1").headers.get("sec-websocket-protocol") == "mqttv3.1"
    assert WsClient(port, protocols="mqttv3.1.1, mqtt").headers.get("sec-websocket-protocol") == "mqttv3.1.1"
    none = WsClient(port, protocols=None)
    assert none.status == 101 and "sec-websocket-protocol" not in none.headers
    ok = ws_connect(port, "after-odd-ones", protocols="mqttv3.1.1")  # MQTT works on it
    for odd in ["wamp", "MQTT", "xmqtt", "mqtt v3", "mqtt, a b", '"mqtt"', "mqtt/3.1",
                "mqtt" + "x" * 29, "chat, " * 1000 + "chat"]:
        c = WsClient(port, protocols=odd)
        assert c.status == 400 and c.closed(), odd
    # The refusal logs the header escaped, and costs only that connection.
    c = WsClient(port, protocols="wamp\\evil")
    assert c.status == 400
    wait_for(lambda: "subprotocol wamp\\x5cevil" in ws_broker.log(), what="the escaped refusal")
    ok.send_binary(mqtt_raw.PINGREQ)
    assert ok.recv_mqtt().type == mqtt_raw.PINGRESP


def test_mqttjs_with_each_subprotocol_a_client_may_offer(ws_broker):
    """MQTT.js (the mini-program's library) offering mqtt, mqttv3.1, mqttv3.1.1 or nothing: it
    connects, subscribes and gets its QoS 1 message back, and sees the one it offered echoed."""
    assert shutil.which("node") and (ROOT / "node_modules" / "mqtt").exists(), \
        "node and the mqtt package are needed (npm ci)"
    url = f"ws://127.0.0.1:{ws_broker.ports['ws']}/mqtt"
    r = subprocess.run(["node", str(HERE / "ws_subprotocols.js"), url, "mqtt", "mqttv3.1", "mqttv3.1.1", "-"],
                       capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 0, r.stderr + r.stdout
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out == {"mqtt": {"echoed": "mqtt", "received": "hello"},
                   "mqttv3.1": {"echoed": "mqttv3.1", "received": "hello"},
                   "mqttv3.1.1": {"echoed": "mqttv3.1.1", "received": "hello"},
                   "-": {"echoed": "", "received": "hello"}}


def test_ping_is_answered_and_text_frame_closes(ws_broker):
    c = ws_connect(ws_broker.ports["ws"], "pinger")
    c.send(frame(b"abc", opcode=0x9))
    assert c.recv_frame() == (0xA, b"abc")
    c.send(frame(b"hello", opcode=0x1))  # text, valid UTF-8 (invalid UTF-8 Beast refuses itself)
    assert c.closed()
    wait_for(lambda: re.search(r"disconnected client=pinger .*text frame", ws_broker.log()),
             what="text frame logged")


def test_bad_requests_cost_only_their_connection(ws_broker):
    port = ws_broker.ports["ws"]
    healthy = ws_connect(port, "bystander")

    wrong_path = WsClient(port, path="/other")
    assert wrong_path.status == 404 and wrong_path.closed()

    plain = WsClient(port, upgrade=False)
    plain.send(b"GET /mqtt HTTP/1.1\r\nHost: x\r\n\r\n")
    assert plain.read_response() == 426 and plain.closed()

    garbage = WsClient(port, upgrade=False)
    garbage.send(b"\x16\x03\x01 this is not http\r\n\r\n")
    assert garbage.read_response() == 400 and garbage.closed()

    bad_key = WsClient(port, upgrade=False)
    bad_key.send(handshake_request().replace(b"Sec-WebSocket-Version: 13", b"Sec-WebSocket-Version: 8"))
    assert bad_key.read_response() in (400, 426) and bad_key.closed()

    big = ws_connect(port, "big")
    big.send_binary(b"\x00" * 5000)  # over listener.ws.max_message_size (4 KiB)
    assert big.closed()

    # A client that connects and says nothing is dropped after the handshake timeout (1 s).
    silent = socket.create_connection(("127.0.0.1", port))
    silent.settimeout(5)
    assert silent.recv(10) == b""
    wait_for(lambda: "upgrade failed" in ws_broker.log() and "timed out" in ws_broker.log(),
             what="timeout logged")

    healthy.send_binary(mqtt_raw.PINGREQ)
    assert healthy.recv_mqtt().type == mqtt_raw.PINGRESP
    log = ws_broker.log()
    for reason in ("path /other", "not a WebSocket upgrade", "malformed request"):
        assert len(re.findall(re.escape(reason), log)) == 1, (reason, log[-3000:])
    assert ws_broker.alive()


def test_forwarded_address_believed_only_from_trusted_proxies(start_broker):
    b = start_broker(listener__ws__bind="127.0.0.1:0")  # default trusted: loopback
    ws_connect(b.ports["ws"], "behind-nginx", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9",
                                                      "X-Real-IP": "203.0.113.9"})
    wait_for(lambda: re.search(r"connected client=behind-nginx .*addr=203\.0\.113\.9 via=ws", b.log()),
             what="forwarded address in the log")

    u = start_broker(listener__ws__bind="127.0.0.1:0", listener__ws__trusted_proxies="10.0.0.0/8")
    ws_connect(u.ports["ws"], "spoofer", headers={"X-Forwarded-For": "203.0.113.9"})
    wait_for(lambda: re.search(r"connected client=spoofer .*addr=127\.0\.0\.1:\d+ via=ws", u.log()),
             what="socket address in the log")
