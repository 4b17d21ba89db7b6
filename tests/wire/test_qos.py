"""QoS 1 and 2 in both directions, resends with DUP, exactly-once on the receive side."""
import mqtt_raw as m


def client(broker, cid, clean=True):
    c = m.Client(broker.port)
    c.connect(cid, clean=clean)
    return c


def test_qos1_roundtrip(broker):
    sub = client(broker, "q1s")
    sub.subscribe(1, ("q1/t", 1))
    pub = client(broker, "q1p")
    pub.send(m.publish("q1/t", "hello", qos=1, packet_id=42))
    assert pub.expect(m.PUBACK).packet_id == 42
    p = sub.expect(m.PUBLISH)
    assert p.qos == 1 and p.payload == b"hello" and not p.dup
    sub.send(m.ack("puback", p.publish_id))


def test_qos2_receive_is_exactly_once(broker):
    sub = client(broker, "q2s")
    sub.subscribe(1, ("q2/t", 0))
    pub = client(broker, "q2p")
    pub.send(m.publish("q2/t", "once", qos=2, packet_id=9))
    assert pub.expect(m.PUBREC).packet_id == 9
    # The publisher did not see our PUBREC and resends with DUP: it must not be routed again.
    pub.send(m.publish("q2/t", "once", qos=2, packet_id=9, dup=True))
    assert pub.expect(m.PUBREC).packet_id == 9
    pub.send(m.ack("pubrel", 9))
    assert pub.expect(m.PUBCOMP).packet_id == 9
    assert sub.expect(m.PUBLISH).payload == b"once"
    assert sub.until_marker(pub, "q2/t") == []
    # After PUBCOMP the id is free: the same id carries a new message.
    pub.send(m.publish("q2/t", "again", qos=2, packet_id=9))
    pub.expect(m.PUBREC)
    assert sub.expect(m.PUBLISH).payload == b"again"


def test_qos2_send_side_flow(broker):
    sub = client(broker, "q2o")
    sub.subscribe(1, ("q2o/t", 2))
    pub = client(broker, "q2op")
    pub.send(m.publish("q2o/t", "x", qos=2, packet_id=1))
    pub.expect(m.PUBREC)
    p = sub.expect(m.PUBLISH)
    assert p.qos == 2
    sub.send(m.ack("pubrec", p.publish_id))
    assert sub.expect(m.PUBREL).packet_id == p.publish_id
    sub.send(m.ack("pubcomp", p.publish_id))
    assert sub.until_marker() == []


def test_unacked_qos1_resent_with_dup_on_reconnect(broker):
    sub = client(broker, "dup", clean=False)
    sub.subscribe(1, ("dup/t", 1))
    pub = client(broker, "dupp")
    pub.send(m.publish("dup/t", "important", qos=1, packet_id=5))
    pub.expect(m.PUBACK)
    first = sub.expect(m.PUBLISH)
    assert not first.dup
    sub.close()  # no PUBACK
    again = m.Client(broker.port)
    p = again.connect("dup", clean=False)
    assert p.body[0] == 1  # session present
    resent = again.expect(m.PUBLISH)
    assert resent.dup and resent.payload == b"important"
    assert resent.publish_id == first.publish_id
    again.send(m.ack("puback", resent.publish_id))
    assert again.until_marker() == []


def test_qos2_pubrel_resent_after_reconnect(broker):
    sub = client(broker, "rel", clean=False)
    sub.subscribe(1, ("rel/t", 2))
    pub = client(broker, "relp")
    pub.send(m.publish("rel/t", "x", qos=2, packet_id=1))
    pub.expect(m.PUBREC)
    p = sub.expect(m.PUBLISH)
    sub.send(m.ack("pubrec", p.publish_id))
    sub.expect(m.PUBREL)
    sub.close()  # no PUBCOMP
    again = m.Client(broker.port)
    again.connect("rel", clean=False)
    assert again.expect(m.PUBREL).packet_id == p.publish_id
    again.send(m.ack("pubcomp", p.publish_id))
    assert again.until_marker() == []


def test_inflight_window_queues_the_rest_in_order(start_broker):
    b = start_broker(limits__max_inflight="2")
    sub = client(b, "win")
    sub.subscribe(1, ("win/t", 1))
    pub = client(b, "winp")
    for i in range(5):
        pub.send(m.publish("win/t", str(i), qos=1, packet_id=i + 1))
        pub.expect(m.PUBACK)
    got = [sub.expect(m.PUBLISH), sub.expect(m.PUBLISH)]
    assert sub.until_marker(pub) == []  # window full: the QoS 0 marker passes, nothing else
    payloads = []
    for _ in range(5):
        p = got.pop(0) if got else sub.expect(m.PUBLISH)
        payloads.append(p.payload.decode())
        sub.send(m.ack("puback", p.publish_id))
    assert payloads == ["0", "1", "2", "3", "4"]
