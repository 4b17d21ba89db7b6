"""Wills: published on every close other than DISCONNECT or takeover."""
import socket
import struct

import mqtt_raw as m


def watcher(broker, topic):
    w = m.Client(broker.port)
    w.connect("watcher-" + topic.replace("/", "_"))
    assert w.subscribe(1, (topic, 1)) == [1]
    return w


def test_will_on_dropped_socket(broker):
    # (A lock's own `statu` will is in test_lockrules.py: the lock rules take it only from the
    # lock's account, which this anonymous broker has none of.)
    w = watcher(broker, "w/dropped")
    lock = m.Client(broker.port)
    lock.connect("lock", will=("w/dropped", b"-2", 1, False))
    lock.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    lock.close()  # RST, as a lock losing power would look after the fact
    p = w.expect(m.PUBLISH)
    assert p.payload == b"-2" and p.qos == 1 and not p.retain


def test_no_will_after_disconnect(broker):
    w = watcher(broker, "w/clean")
    c = m.Client(broker.port)
    c.connect("polite", will=("w/clean", b"bye", 0, False))
    c.send(m.DISCONNECT)
    assert c.closed()
    assert w.until_marker(topic="w/clean") == [], "a will after DISCONNECT"


def test_will_on_keepalive_expiry(broker):
    w = watcher(broker, "w/ka")
    c = m.Client(broker.port)
    c.connect("sleepy", keepalive=1, will=("w/ka", b"timeout", 0, False))
    # Say nothing: the broker must close after 1.5 x keepalive and publish the will.
    p = w.expect(m.PUBLISH, timeout=5)
    assert p.payload == b"timeout"
    assert c.closed()
    assert "keepalive timeout" in broker.log()


def test_will_on_protocol_error(broker):
    w = watcher(broker, "w/bad")
    c = m.Client(broker.port)
    c.connect("bad", will=("w/bad", b"malformed", 0, False))
    c.send(b"\xf0\x00")  # reserved packet type 15
    assert w.expect(m.PUBLISH).payload == b"malformed"


def test_retained_will(broker):
    live = watcher(broker, "w/retained")
    c = m.Client(broker.port)
    c.connect("rw", will=("w/retained", b"last", 0, True))
    c.close()
    assert live.expect(m.PUBLISH).payload == b"last"  # the will is out, so it is stored
    sub = m.Client(broker.port)
    sub.connect("rws")
    sub.send(m.subscribe(1, ("w/retained", 0)))
    sub.expect(m.SUBACK)
    p = sub.expect(m.PUBLISH)
    assert p.retain and p.payload == b"last"
