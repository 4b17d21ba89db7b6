"""Retained messages: stored per topic, sent with RETAIN=1 on every SUBSCRIBE, cleared by an
empty payload, forwarded with RETAIN=0 to existing subscribers."""
import mqtt_raw as m


def client(broker, cid):
    c = m.Client(broker.port)
    c.connect(cid)
    return c


def test_retained_sent_on_subscribe_with_retain_flag(broker):
    pub = client(broker, "rp")
    pub.send(m.publish("r/a", "state", qos=1, retain=True, packet_id=1))
    pub.expect(m.PUBACK)
    sub = client(broker, "rs")
    assert sub.subscribe(1, ("r/+", 1)) == [1]
    p = sub.expect(m.PUBLISH)
    assert p.retain and p.payload == b"state" and p.qos == 1
    # a repeated SUBSCRIBE sends it again
    sub.send(m.ack("puback", p.publish_id))
    assert sub.subscribe(2, ("r/+", 1)) == [1]
    assert sub.expect(m.PUBLISH).retain


def test_live_subscribers_get_retain_zero(broker):
    sub = client(broker, "live")
    sub.subscribe(1, ("r2/t", 0))
    pub = client(broker, "livep")
    pub.send(m.publish("r2/t", "v", retain=True))
    p = sub.expect(m.PUBLISH)
    assert not p.retain


def test_empty_payload_clears_retained(broker):
    pub = client(broker, "clr")
    pub.send(m.publish("r3/t", "v", retain=True))
    pub.send(m.publish("r3/t", "", retain=True))
    pub.send(m.PINGREQ)
    pub.expect(m.PINGRESP)
    sub = client(broker, "clrs")
    sub.subscribe(1, ("r3/#", 0))
    assert sub.until_marker() == []


def test_retained_newest_wins_and_wildcards_find_it(broker):
    pub = client(broker, "nw")
    for v in ("1", "2", "3"):
        pub.send(m.publish("/12345678901/x", v, retain=True))  # no lock rule topic: anonymous
    pub.send(m.PINGREQ)
    pub.expect(m.PINGRESP)
    sub = client(broker, "nws")
    sub.subscribe(1, ("/+/x", 0))
    assert sub.expect(m.PUBLISH).payload == b"3"
