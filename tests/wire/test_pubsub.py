"""SUBSCRIBE, UNSUBSCRIBE and routing: wildcards, $-topics, overlapping subscriptions."""
import mqtt_raw as m


def client(broker, cid):
    c = m.Client(broker.port)
    c.connect(cid)
    return c


def test_wildcards_route_as_specified(broker):
    sub = client(broker, "sub")
    # Topics shaped like the locks' but outside the lock rules (docs/lockrules.md), which take
    # /m, /f, /call and /statu only from their rightful publishers.
    assert sub.subscribe(1, ("/+/x", 0), ("a/#", 0)) == [0, 0]
    pub = client(broker, "pub")
    pub.send(m.publish("/12345678901/x", "m"))
    assert sub.expect(m.PUBLISH).topic == "/12345678901/x"
    pub.send(m.publish("a", "parent"))  # '#' matches the parent level
    assert sub.expect(m.PUBLISH).payload == b"parent"
    pub.send(m.publish("a/b/c", "deep"))
    assert sub.expect(m.PUBLISH).payload == b"deep"
    pub.send(m.publish("/12345678901/y", "f"))
    assert sub.until_marker(pub, "a/marker") == []


def test_overlapping_subscriptions_deliver_once_at_highest_qos(broker):
    sub = client(broker, "ov")
    assert sub.subscribe(1, ("o/#", 0), ("o/+", 1), ("o/x", 0)) == [0, 1, 0]
    pub = client(broker, "ovp")
    pub.send(m.publish("o/x", "one", qos=1, packet_id=7))
    pub.expect(m.PUBACK)
    p = sub.expect(m.PUBLISH)
    assert p.qos == 1 and p.payload == b"one"
    assert sub.until_marker(pub, "o/marker") == []  # o/x once, not once per matching filter


def test_qos_downgraded_to_granted(broker):
    sub = client(broker, "down")
    assert sub.subscribe(1, ("d/t", 0)) == [0]
    pub = client(broker, "downp")
    pub.send(m.publish("d/t", "x", qos=2, packet_id=3))
    pub.expect(m.PUBREC)
    assert sub.expect(m.PUBLISH).qos == 0


def test_dollar_topics_not_matched_by_leading_wildcard(broker):
    sub = client(broker, "dollar")
    assert sub.subscribe(1, ("#", 0)) == [0]
    # $SYS is published retained by the broker itself; '#' must not receive it.
    pub = client(broker, "dollarp")
    pub.send(m.publish("plain", "p"))
    assert sub.expect(m.PUBLISH).topic == "plain"
    assert sub.until_marker(pub, "plain") == []


def test_sys_topics_published(start_broker):
    b = start_broker(limits__sys_interval="1s")
    sub = client(b, "sys")
    assert sub.subscribe(1, ("$SYS/broker/version", 0), ("$SYS/broker/uptime", 0)) == [0, 0]
    topics = {sub.expect(m.PUBLISH).topic for _ in range(2)}
    assert topics == {"$SYS/broker/version", "$SYS/broker/uptime"}


def test_unsubscribe_stops_delivery(broker):
    sub = client(broker, "uns")
    sub.subscribe(1, ("u/t", 0))
    sub.send(m.unsubscribe(2, "u/t"))
    assert sub.expect(m.UNSUBACK).packet_id == 2
    pub = client(broker, "unsp")
    pub.send(m.publish("u/t", "x"))
    assert sub.until_marker(pub) == []


def test_invalid_filter_closes_connection(broker):
    c = client(broker, "badf")
    c.send(m.subscribe(1, ("a/#/b", 0)))
    assert c.closed()
    assert "invalid topic filter" in broker.log()


def test_wildcard_in_publish_topic_closes(broker):
    c = client(broker, "badp")
    c.send(m.publish("a/+", "x"))
    assert c.closed()


def test_packet_id_zero_closes(broker):
    c = client(broker, "pid0")
    c.send(m.publish("a", "x", qos=1, packet_id=0))
    assert c.closed()


def test_empty_first_level_topics(broker):
    sub = client(broker, "lvl")
    sub.subscribe(1, ("+/12345678901/x", 0))
    pub = client(broker, "lvlp")
    pub.send(m.publish("/12345678901/x", "unlock"))
    assert sub.expect(m.PUBLISH).payload == b"unlock"
