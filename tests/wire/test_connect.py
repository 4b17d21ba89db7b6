"""CONNECT and CONNACK on the wire: protocol versions, client ids, ordering rules."""
import socket

import mqtt_raw as m


def test_mqtt311_connect_accepted(broker):
    c = m.Client(broker.port)
    p = c.connect("c311")
    assert p.body == b"\x00\x00"  # no session present, accepted


def test_mqtt31_connect_accepted(broker):
    c = m.Client(broker.port)
    p = c.connect("c31", level=3)
    assert p.body == b"\x00\x00"


def test_unsupported_level_gets_return_code_1(broker):
    c = m.Client(broker.port)
    body = m._str("MQTT") + bytes([5, 0x02]) + b"\x00\x3c" + m._str("v5")
    c.send(m.packet(0x10, body))
    p = c.expect(m.CONNACK)
    assert p.body[1] == 1
    assert c.closed()


def test_empty_client_id_with_clean_session_gets_generated_id(broker):
    c = m.Client(broker.port)
    c.connect("", clean=True)
    c.send(m.PINGREQ)
    c.expect(m.PINGRESP)


def test_empty_client_id_without_clean_session_is_rejected_with_2(broker):
    c = m.Client(broker.port)
    c.connect("", clean=False, expect_code=2)
    assert c.closed()


def test_empty_client_id_on_mqtt31_is_rejected(broker):
    c = m.Client(broker.port)
    c.connect("", level=3, expect_code=2)


def test_first_packet_must_be_connect(broker):
    c = m.Client(broker.port)
    c.send(m.PINGREQ)
    assert c.closed()
    assert "first packet is not CONNECT" in broker.log()


def test_second_connect_closes(broker):
    c = m.Client(broker.port)
    c.connect("twice")
    c.send(m.connect("twice"))
    assert c.closed()
    assert "second CONNECT" in broker.log()


def test_reserved_connect_flag_closes(broker):
    c = m.Client(broker.port)
    body = m._str("MQTT") + bytes([4, 0x03]) + b"\x00\x3c" + m._str("r")
    c.send(m.packet(0x10, body))
    assert c.closed()


def test_bad_protocol_name_closes_without_connack(broker):
    c = m.Client(broker.port)
    body = m._str("MQTX") + bytes([4, 0x02]) + b"\x00\x3c" + m._str("x")
    c.send(m.packet(0x10, body))
    assert c.recv_packet() is None


def test_connect_timeout_drops_silent_socket(start_broker):
    b = start_broker(limits__connect_timeout="1s")
    s = socket.create_connection(("127.0.0.1", b.port), timeout=6)
    s.settimeout(6)
    assert s.recv(10) == b""  # closed by the broker's connect timeout, not by us
    assert "connect timeout" in b.log()


def test_anonymous_refused_when_not_allowed(start_broker):
    b = start_broker(auth__allow_anonymous="false")
    c = m.Client(b.port)
    c.connect("anon", expect_code=5)
    assert c.closed()


def test_pipelined_packets_after_connect_are_processed(broker):
    c = m.Client(broker.port)
    c.send(m.connect("pipe") + m.subscribe(1, ("pipe/t", 0)) + m.publish("pipe/t", "x"))
    c.expect(m.CONNACK)
    c.expect(m.SUBACK)
    p = c.expect(m.PUBLISH)
    assert p.payload == b"x"


def test_takeover_closes_old_connection_without_will(broker):
    watcher = m.Client(broker.port)
    watcher.connect("watch")
    assert watcher.subscribe(1, ("will/t", 0)) == [0]
    old = m.Client(broker.port)
    old.connect("same", will=("will/t", b"gone", 0, False))
    new = m.Client(broker.port)
    new.connect("same")
    assert old.closed()
    assert watcher.until_marker(topic="will/t") == [], "a taken-over client's will must not be published"
