"""Persistent sessions: subscriptions and offline queues kept across connections."""
import mqtt_raw as m


def test_offline_messages_delivered_on_return(broker):
    s = m.Client(broker.port)
    assert s.connect("persist", clean=False).body[0] == 0
    s.subscribe(1, ("p/t", 1))
    s.send(m.DISCONNECT)
    assert s.closed()
    pub = m.Client(broker.port)
    pub.connect("persistp")
    for i in range(3):
        pub.send(m.publish("p/t", f"m{i}", qos=1, packet_id=i + 1))
        pub.expect(m.PUBACK)
    pub.send(m.publish("p/t", "qos0-dropped", qos=0))
    back = m.Client(broker.port)
    assert back.connect("persist", clean=False).body[0] == 1
    got = []
    for _ in range(3):
        p = back.expect(m.PUBLISH)
        got.append(p.payload)
        back.send(m.ack("puback", p.publish_id))
    assert got == [b"m0", b"m1", b"m2"]


def test_clean_session_discards_state(broker):
    s = m.Client(broker.port)
    s.connect("wipe", clean=False)
    s.subscribe(1, ("wipe/t", 1))
    s.send(m.DISCONNECT)
    s.closed()
    c = m.Client(broker.port)
    assert c.connect("wipe", clean=True).body[0] == 0
    c.send(m.DISCONNECT)
    c.closed()
    pub = m.Client(broker.port)
    pub.connect("wipep")
    pub.send(m.publish("wipe/t", "x", qos=1, packet_id=1))
    pub.expect(m.PUBACK)
    again = m.Client(broker.port)
    assert again.connect("wipe", clean=False).body[0] == 0
    assert again.until_marker() == []


def test_takeover_of_persistent_session_keeps_subscriptions(broker):
    a = m.Client(broker.port)
    a.connect("move", clean=False)
    a.subscribe(1, ("move/t", 1))
    b = m.Client(broker.port)
    assert b.connect("move", clean=False).body[0] == 1
    assert a.closed()
    pub = m.Client(broker.port)
    pub.connect("movep")
    pub.send(m.publish("move/t", "after", qos=1, packet_id=1))
    p = b.expect(m.PUBLISH)
    assert p.payload == b"after"


def test_many_takeovers_across_threads(start_broker):
    # Spread, connections land on alternate workers; each takeover hands the session across threads.
    broker = start_broker(node__threads="2", node__placement="spread")
    clients = []
    for i in range(20):
        c = m.Client(broker.port)
        p = c.connect("hop", clean=False)
        assert p.body[0] == (1 if i else 0)
        if i == 0:
            c.subscribe(1, ("hop/t", 1))
        clients.append(c)
    for c in clients[:-1]:
        assert c.closed()
    pub = m.Client(broker.port)
    pub.connect("hopp")
    pub.send(m.publish("hop/t", "landed", qos=1, packet_id=1))
    assert clients[-1].expect(m.PUBLISH).payload == b"landed"
