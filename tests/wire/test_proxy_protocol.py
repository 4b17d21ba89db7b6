"""The PROXY protocol on the TCP listener (nginx `stream` or HAProxy in front): the real client's
address from v1 and v2 headers, believed only from trusted proxies; a spoofed header from anyone
else, a malformed one or a stalled one costs only its own connection."""
import re
import socket
import struct
import time

import pytest

import mqtt_raw
from conftest import wait_for

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v2_ipv4(src, sport, dst="10.0.0.1", dport=1883):
    addrs = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!HH", sport, dport)
    return V2_SIG + bytes([0x21, 0x11]) + struct.pack("!H", len(addrs)) + addrs


@pytest.fixture
def proxied(start_broker):
    return start_broker(listener__tcp__proxy_protocol="true", listener__tcp__handshake_timeout="1s")


def connack(c):
    p = c.recv_packet()
    return p is not None and p.type == mqtt_raw.CONNACK and p.body[1] == 0


def test_v1_header_then_connect_in_one_segment(proxied):
    c = mqtt_raw.Client(proxied.port)
    c.send(b"PROXY TCP4 203.0.113.7 10.0.0.1 51234 1883\r\n" + mqtt_raw.connect("via-v1"))
    assert connack(c)
    wait_for(lambda: re.search(r"connected client=via-v1 .*addr=203\.0\.113\.7:51234 via=tcp", proxied.log()),
             what="v1 address in the log")


def test_v2_header_in_pieces(proxied):
    c = mqtt_raw.Client(proxied.port)
    header = v2_ipv4("198.51.100.23", 40001)
    for cut in (header[:5], header[5:14], header[14:20]):
        c.send(cut)
        time.sleep(0.05)  # separate segments on purpose: the reader must wait for the rest
    c.send(header[20:] + mqtt_raw.connect("via-v2"))
    assert connack(c)
    wait_for(lambda: re.search(r"connected client=via-v2 .*addr=198\.51\.100\.23:40001 via=tcp", proxied.log()),
             what="v2 address in the log")


def test_v2_local_and_no_header_keep_the_socket_address(proxied):
    local = mqtt_raw.Client(proxied.port)
    local.send(V2_SIG + bytes([0x20, 0x00, 0x00, 0x00]) + mqtt_raw.connect("health-check"))
    assert connack(local)
    direct = mqtt_raw.Client(proxied.port)
    direct.connect("direct")
    for cid in ("health-check", "direct"):
        wait_for(lambda: re.search(rf"connected client={cid} .*addr=127\.0\.0\.1:\d+ via=tcp", proxied.log()),
                 what=f"{cid} with the socket address")


def test_spoofed_header_from_untrusted_peer_is_refused(start_broker):
    b = start_broker(listener__tcp__proxy_protocol="true", listener__tcp__trusted_proxies="10.0.0.0/8")
    spoof = mqtt_raw.Client(b.port)
    spoof.send(b"PROXY TCP4 1.1.1.1 10.0.0.1 1 1883\r\n" + mqtt_raw.connect("spoofer"))
    assert spoof.closed()
    honest = mqtt_raw.Client(b.port)
    honest.connect("honest")  # a peer outside the list may still connect without a header
    log = b.log()
    assert "not a trusted proxy" in log and "client=spoofer" not in log


def test_malformed_and_stalled_headers_cost_only_their_connection(proxied):
    bystander = mqtt_raw.Client(proxied.port)
    bystander.connect("bystander")
    bad = mqtt_raw.Client(proxied.port)
    bad.send(b"PROXY TCP4 999.1.1.1 10.0.0.1 1 1883\r\n")
    assert bad.closed()
    stalled = mqtt_raw.Client(proxied.port)
    stalled.send(b"PROXY TCP4 1.2.3.4")  # never finished
    assert stalled.closed(timeout=5)
    wait_for(lambda: "timed out" in proxied.log(), what="timeout logged")
    bystander.send(mqtt_raw.PINGREQ)
    assert bystander.expect(mqtt_raw.PINGRESP)
    log = proxied.log()
    assert len(re.findall(r"proxy protocol: closed", log)) == 2, log[-2000:]
