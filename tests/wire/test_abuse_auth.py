"""Abuse of authentication and of data at rest, against the real binary (issue 16):
who can lock a lock out, who can widen an ACL rule through %u/%c, who can read the data dir, and
how Sakura-issued credentials are stored. The HTTP-backed cases run on the embedded store and on
Redis + MariaDB (scripts/services.sh), as the rest of the HTTP suite does."""
import hashlib
import os
import pathlib
import sqlite3
import stat

import pytest

import mqtt_raw as m
from auth_support import backend  # noqa: F401 (a fixture)
from auth_support import SharedRedis, new_key, new_lockno, start_with_backend as start_mqtt
from conftest import built_with_sanitizers, rss_kib, wait_for
from http_support import backends, curl, random_lockno, start_api

GRANTED, DENIED = 1, 0x80


@pytest.fixture(params=backends())
def api(request, start_broker):
    a = start_api(start_broker, request.param)
    a.backend = request.param
    yield a
    a.stub.stop()


def modes(root):
    """{relative path: permission bits} of the directory and everything under it."""
    root = pathlib.Path(root)
    out = {".": stat.S_IMODE(root.stat().st_mode)}
    for p in root.rglob("*"):
        if not p.is_symlink():
            out[str(p.relative_to(root))] = stat.S_IMODE(p.stat().st_mode)
    return out


# The harness keeps its own files in the data dir: the broker's output (written by the test) and
# the --port-file, which holds no secret and stays 0644 for monitoring under another user.
NOT_SAKURAS = {"broker.log": 0o644, "ports": 0o644}


def assert_owner_only(root):
    found = modes(root)
    for name, mode in NOT_SAKURAS.items():
        assert found.pop(name, mode) == mode or name == "broker.log"
    wide = {p: oct(mode) for p, mode in found.items()
            if mode & 0o077 or mode != (0o700 if (pathlib.Path(root) / p).is_dir() else 0o600)}
    assert not wide, f"group/other access in {root}: {wide}"
    return found


# --- data at rest: file modes -------------------------------------------------------------------

def exercise(api):
    """Writes every kind of file the broker keeps: the store (a registered lock, a login),
    the journal (a persistent session with a queued QoS 1 message), the history spool (a lock
    status), a firmware image."""
    lockno = random_lockno()
    dev = api.register(lockno)
    lock = m.Client(api.broker.port)
    lock.connect(lockno, username=lockno, password=dev["password"])
    lock.send(m.publish(f"/{lockno}/statu", b"1", qos=1, packet_id=1))
    lock.expect(m.PUBACK)
    lock.close()
    sub = m.Client(api.broker.port)
    sub.connect(lockno, clean=False, username=lockno, password=dev["password"])
    assert sub.subscribe(1, (f"/{lockno}/call", 1)) == [1]
    sub.close()
    up = curl(api.ops_url(f"/firmware?version=9.{lockno}"), "POST", os.urandom(2048), admin=True)
    assert up.status in (200, 201), up
    return lockno, dev


def test_data_dir_and_every_file_are_owner_only(api):
    exercise(api)
    data = api.broker.data_dir
    while_running = assert_owner_only(data)
    assert "firmware" in while_running and "admin_token" not in while_running, while_running
    if not api.backend:  # embedded: the store, SQLite's WAL and shared memory
        assert {"sakura.db", "sakura.db-wal", "sakura.db-shm"} <= set(while_running), while_running
    api.broker.stop()
    after = assert_owner_only(data)
    assert "sessions.journal" in after and "history.spool" in after, after
    assert any(p.startswith("firmware/") for p in after), after


def test_existing_wide_data_dir_is_tightened(start_broker, tmp_path):
    data = tmp_path / "old-data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    # An older version's files: a firmware image and a file left beside it, 0644 in 0755.
    (data / "firmware").mkdir()
    (data / "firmware" / "1.0.bin").write_bytes(b"x")
    (data / "notes.txt").write_text("left by an operator")
    for p in (data / "firmware" / "1.0.bin", data / "notes.txt"):
        os.chmod(p, 0o644)
    os.chmod(data / "firmware", 0o755)
    b = start_broker(data_dir=data)
    assert_owner_only(data)
    log = b.log()
    assert f"data dir: {data} was mode 755, now 700" in log, log
    assert f"{data}/notes.txt was mode 644, now 600" in log, log
    assert f"{data}/firmware was mode 755, now 700" in log, log


# --- brute force: nobody locks a lock out -------------------------------------------------------

def attempt(b, user, password, source="127.0.0.1", client_id=None):
    """The CONNACK code of one login from `source`."""
    c = m.Client(b.port, source=source)
    try:
        c.send(m.connect(client_id or user, username=user, password=password))
        p = c.expect(m.CONNACK, timeout=15)
        return p.body[1]
    finally:
        c.close()


def metric(b, name):
    r = curl(f"http://127.0.0.1:{b.ports['http_ops']}/metrics", admin=True)
    assert r.status == 200, r
    for line in r.body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def test_wrong_passwords_from_another_address_do_not_lock_the_lock_out(start_broker, backend):
    lockno, pwd = new_lockno(), "dev-" + new_lockno()
    backend.put_user(lockno, {"password": pwd}, {f"/{lockno}/statu": "2"})
    b = start_mqtt(start_broker, backend)
    for _ in range(12):  # past every per-user and per-address threshold of the old limiter
        assert attempt(b, lockno, "guess", source="127.0.0.2") == 5
    # The lock, from its own address, still logs in...
    assert attempt(b, lockno, pwd, source="127.0.0.1") == 0
    # ...while the guessing address is blocked for it, even with the right password.
    assert attempt(b, lockno, pwd, source="127.0.0.2") == 5
    assert "throttled after failed logins for this user from this address" in b.log()


def test_sustained_guessing_raises_the_alert_and_spares_known_addresses(start_broker, backend):
    lockno, pwd = new_lockno(), "dev-" + new_lockno()
    backend.put_user(lockno, {"password": pwd}, {f"/{lockno}/statu": "2"})
    b = start_mqtt(start_broker, backend, auth__max_failures_per_user_total="10",
                   auth__lockout_base="60s", http__ops_bind="127.0.0.1:0",
                   http__admin_token="test-admin-token-0123456789")
    assert attempt(b, lockno, pwd, source="127.0.0.1") == 0  # the lock's own address
    assert metric(b, 'sakura_auth_lockouts_total{scope="user"}') == 0
    for host in range(3, 9):  # a distributed guess: two tries from each of six addresses
        for _ in range(2):
            assert attempt(b, lockno, "guess", source=f"127.0.0.{host}") == 5
    assert metric(b, 'sakura_auth_lockouts_total{scope="user"}') >= 1
    assert "auth alert: sustained failed logins, user blocked" in b.log()
    # A new address waits, even with the right password; the lock's own address does not.
    assert attempt(b, lockno, pwd, source="127.0.0.20") == 5
    assert attempt(b, lockno, pwd, source="127.0.0.1") == 0
    assert metric(b, "sakura_auth_throttle_entries") >= 8


def test_throttle_keys_on_a_hash_of_the_username(start_broker, backend):
    """64 KiB usernames, 300 of them: the throttle's tables hold fixed-size keys (16 bytes for the
    username), and the broker's memory grows by far less than the names' bytes."""
    b = start_mqtt(start_broker, backend, auth__max_failures_per_address="100000",
                   http__ops_bind="127.0.0.1:0", http__admin_token="test-admin-token-0123456789")
    def rss():
        return rss_kib(b.proc.pid) * 1024
    before = rss()
    for i in range(300):
        name = f"{i:05d}" + "x" * 65000
        assert attempt(b, name, "guess", client_id=f"c{i}") == 5
    grown = rss() - before
    print(f"RSS growth for 300 failed 64 KB usernames: {grown} bytes")
    assert metric(b, "sakura_auth_throttle_entries") >= 300
    if not built_with_sanitizers():
        assert grown < 300 * 65000 / 4, f"RSS grew {grown} bytes for 300 failed 64 KB usernames"


# --- ACL placeholders: a client id or username must not widen a rule ----------------------------

def test_client_id_wildcards_do_not_widen_acl(start_broker, backend, tmp_path):
    """`allow ... /lan/%u/%c` (an acl_file rule) and a mqtt_acl row `/row/%u/%c` (Redis or the
    embedded store): client id `#` or `+` gets its own literal topic at most, never the level."""
    user, pwd = "u" + new_lockno(), "pw-" + new_lockno()
    rowless, rpwd = "r" + new_lockno(), "pw-" + new_lockno()
    backend.put_user(user, {"password": pwd}, {"/row/%u/%c": "3"})
    backend.put_user(rowless, {"password": rpwd})  # no rows: the global rules decide
    acl = tmp_path / "acl.conf"
    acl.write_text("allow all pubsub /lan/%u/%c\n")
    b = start_mqtt(start_broker, backend, auth__acl_file=str(acl), auth__acl_nomatch="deny")

    root_topic = {user: f"/row/{user}", rowless: f"/lan/{rowless}"}
    for name, password in ((user, pwd), (rowless, rpwd)):
        base = root_topic[name]
        honest = m.Client(b.port)
        honest.connect("c1", username=name, password=password)
        assert honest.subscribe(1, (f"{base}/c1", 1)) == [GRANTED]  # the rule works
        for cid in ("#", "+", "x/#"):
            c = m.Client(b.port)
            c.connect(cid, username=name, password=password)
            got = c.subscribe(1, (f"{base}/#", 1), (f"{base}/+", 1), (f"{base}/c1", 1), ("#", 1))
            assert got == [DENIED] * 4, (name, cid, got)
            # Publishing into another client's topic is dropped (still acknowledged).
            c.send(m.publish(f"{base}/c1", b"forged", qos=1, packet_id=7))
            c.expect(m.PUBACK)
            c.close()
        # The first message the honest client gets is its own marker, sent after every forgery.
        honest.send(m.publish(f"{base}/c1", b"marker", qos=1, packet_id=2))
        first = None
        while first is None:
            p = honest.recv_packet()
            assert p is not None
            if p.type == m.PUBLISH:
                first = p
        assert first.payload == b"marker", first
        honest.close()


# --- Sakura-issued credentials are stored salted and slow ---------------------------------------

def stored_user(api, user):
    """The mqtt_user hash as the store holds it: Redis (HGETALL), or sakura.db read with sqlite3."""
    redis = api.backend.get("redis.server")
    if redis:  # redis-cli prints one field or value a line (none of these holds a newline)
        values = SharedRedis(redis).cli("HGETALL", f"mqtt_user:{user}").splitlines()
        return dict(zip(values[::2], values[1::2]))
    db = sqlite3.connect(f"file:{api.broker.data_dir / 'sakura.db'}?mode=ro", uri=True)
    try:
        return dict(db.execute("SELECT field, value FROM kv_fields WHERE db = 0 AND key = ?",
                               (f"mqtt_user:{user}",)).fetchall())
    finally:
        db.close()


def test_issued_credentials_are_stored_hashed_and_work(api):
    lockno, openid = random_lockno(), "issued-" + random_lockno()
    dev = api.register(lockno)
    bound = api.bind(openid, lockno, dev["bindcode_m"])
    assert bound.status == 200, bound
    user = bound.json()
    for name, password in ((lockno, dev["password"]), (user["key"], user["pwd"])):
        rec = stored_user(api, name)
        assert rec.get("hash") == "pbkdf2,sha256,4096,32", rec
        assert password not in rec.values(), rec
        assert len(rec["salt"]) == 32 and len(rec["password"]) == 64, rec
        # What the store holds is derived from the password the client got, with that salt.
        assert rec["password"] == hashlib.pbkdf2_hmac("sha256", password.encode(), rec["salt"].encode(),
                                                      4096, 32).hex()
        c = m.Client(api.broker.port)
        c.connect(name, username=name, password=password)
        c.close()
        # The stored hash is no password.
        assert attempt(api.broker, name, rec["password"], client_id=name) == 5


def test_legacy_plain_credentials_still_work(start_broker, backend):
    """Records the old system wrote (no `hash` field) keep auth.password_hash (plain by default)."""
    lockno, pwd = new_lockno(), "dev-" + new_lockno()
    key, kpwd = new_key()
    backend.put_user(lockno, {"password": pwd}, {f"/{lockno}/statu": "2"})
    backend.put_user(key, {"password": kpwd}, {f"/{lockno}/#": "1"})
    b = start_mqtt(start_broker, backend)
    assert attempt(b, lockno, pwd) == 0
    assert attempt(b, key, kpwd, client_id="mini") == 0
    assert attempt(b, key, "wrong", client_id="mini") == 5


# --- a lock's account connects as that lock only -------------------------------------------------

def test_lock_account_only_uses_its_own_lockno_as_client_id(api):
    """A lock's credentials (in every lock's flash) under another lock's client id would take
    that lock's session over and publish its will (offline). Registration pins the account to
    its lockno: another client id gets CONNACK 2 and the victim stays connected."""
    thief, victim = random_lockno(), random_lockno()
    t, v = api.register(thief), api.register(victim)
    assert stored_user(api, thief).get("clientid") == thief
    lock = m.Client(api.broker.port)
    lock.connect(victim, username=victim, password=v["password"])
    assert attempt(api.broker, thief, t["password"], client_id=victim) == 2
    assert attempt(api.broker, thief, t["password"], client_id="anything") == 2
    assert attempt(api.broker, thief, t["password"], client_id=thief) == 0
    lock.send(m.packet(0xC0))  # PINGREQ: the victim's connection is still there
    assert lock.expect(m.PINGRESP).type == m.PINGRESP
    lock.close()
    assert "client id not allowed for this account" in api.broker.log()


def test_data_dir_behind_a_symlink_is_tightened(start_broker, tmp_path):
    """node.data_dir = /var/lib/sakura -> /data/sakura is common: the real directory is fixed."""
    real = tmp_path / "real"
    real.mkdir()
    os.chmod(real, 0o755)
    link = tmp_path / "link"
    link.symlink_to(real)
    start_broker(data_dir=link)
    assert stat.S_IMODE(real.stat().st_mode) == 0o700
    assert_owner_only(real)
