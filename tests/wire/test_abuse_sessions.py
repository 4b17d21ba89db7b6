"""Sessions under abuse (issue 15 items 1-2, issue 16 item 7), against the real sakura-broker:
a persistent session whose unacknowledged window is larger than the write cap (before: SIGSEGV on
reconnect, and again after every restart since the journal kept the session), another user's
client id (takeover, resumption), a lock account on another lockno, a revoked user's persistent
session, and an unlock that must not wait for a lock that is offline."""
import mqtt_raw as m
from conftest import built_with_sanitizers, wait_for

MB = 1_000_000  # under limits.max_packet_size (1 MiB) with the topic


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def log_count(broker, text):
    return broker.log().count(text)


def receive_publishes(client, count, timeout=20.0):
    """The next `count` PUBLISH packets, not acknowledged; other packets are skipped."""
    got = []
    while len(got) < count:
        p = client.recv_packet(timeout)
        assert p is not None, f"connection closed after {len(got)} of {count} messages"
        if p.type == m.PUBLISH:
            got.append(p)
    return got


def ping_ok(client):
    client.send(bytes([0xC0, 0]))
    return client.expect(m.PINGRESP, timeout=10) is not None


def leave_unacknowledged(broker, client_id, topic, count=8, **login):
    """A persistent client subscribes to `topic` at QoS 1, publishes `count` messages of 1 MB there
    itself, receives them and acknowledges none, then drops its connection."""
    c = m.Client(broker.port, timeout=20)
    c.connect(client_id, clean=False, **login)
    assert c.subscribe(1, (topic, 1)) == [1]
    for i in range(count):  # one at a time: a client that reads is no slow consumer
        c.send(m.publish(topic, bytes([65 + i]) * MB, qos=1, packet_id=100 + i))
        receive_publishes(c, 1)
    before = log_count(broker, f"disconnected client={client_id} ")
    c.close()
    wait_for(lambda: log_count(broker, f"disconnected client={client_id} ") > before,
             what=f"{client_id} disconnected")


def resume_without_reading(broker, client_id, bystander):
    """Resumes the persistent session and reads nothing: the broker stays up, `bystander` is
    served, and RSS grows by what the write cap allows, not by the window (the bodies are shared
    with the session)."""
    rss_before = rss_kib(broker.proc.pid)
    before = log_count(broker, f" connected client={client_id} ")
    c = m.Client(broker.port, timeout=20)
    c.send(m.connect(client_id, clean=False))
    wait_for(lambda: log_count(broker, f" connected client={client_id} ") > before or not broker.alive(),
             what=f"{client_id} reconnected")
    assert broker.alive(), broker.log()[-3000:]
    assert ping_ok(bystander)
    if not built_with_sanitizers():
        assert rss_kib(broker.proc.pid) - rss_before < 32 * 1024
    c.close()


def reconnect_and_read_window(broker, client_id, count=8, **login):
    c = m.Client(broker.port, timeout=20)
    p = c.connect(client_id, clean=False, **login)
    assert p.body[0] == 1, "session not present"
    got = receive_publishes(c, count)
    assert [p.dup for p in got] == [True] * count
    assert [p.payload[:1] for p in got] == [bytes([65 + i]) for i in range(count)]
    assert all(len(p.payload) == MB for p in got)
    return c


def test_resending_a_window_over_the_write_cap_survives_reconnect_and_restart(start_broker):
    b = start_broker()
    bystander = m.Client(b.port)
    bystander.connect("bystander", clean=False)
    assert bystander.subscribe(1, ("by/t", 1)) == [1]

    leave_unacknowledged(b, "hoarder", "hoard/t")  # 8 MB unacknowledged against a 4 MiB cap
    # Before the fix the broker died here (SIGSEGV in attach).
    resume_without_reading(b, "hoarder", bystander)
    reconnect_and_read_window(b, "hoarder").close()

    # The session is in the journal: the next start restores it, and the reconnect after the
    # restart must not take the broker down either.
    bystander.close()
    b.restart()
    again = reconnect_and_read_window(b, "hoarder")
    assert b.alive()
    by = m.Client(b.port)
    assert by.connect("bystander", clean=False).body[0] == 1
    pub = m.Client(b.port)
    pub.connect("pub")
    pub.send(m.publish("by/t", b"still served", qos=1, packet_id=1))
    got = receive_publishes(by, 1)
    assert got[0].payload == b"still served"
    again.close()


def test_a_window_restored_from_the_journal_is_resent_without_a_crash(start_broker):
    """The crash that survived restarts: the journal brings the oversized window back and the first
    reconnect after the start resends it (before: SIGSEGV at every start's first reconnect)."""
    b = start_broker()
    leave_unacknowledged(b, "hoarder", "hoard/t")
    b.restart()
    bystander = m.Client(b.port)
    bystander.connect("bystander")
    resume_without_reading(b, "hoarder", bystander)
    reconnect_and_read_window(b, "hoarder").close()
    assert b.alive()
