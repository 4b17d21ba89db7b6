"""The broker with its Redis or its MariaDB down, end to end: the real servers, private instances
(tests/storage/private_server.sh, so the shared ones of scripts/services.sh stay up) stopped with
SIGKILL and started again on the same port under a running broker with its HTTP API, a
registered lock and its two bound owners, all real clients.

MariaDB down: lock status changes are still acknowledged (the history spool keeps them), the
history route answers 503, /healthz says degraded; once MariaDB is back the spool drains in order.
Redis down: new logins are refused, both owners' unlock requests are dropped (never an unlock),
/login answers 503 and /healthz says degraded; once Redis is back pairing works again."""
import secrets
import subprocess
import time

import pytest

import mqtt_raw as m
from conftest import ROOT, wait_for
import http_support
from http_support import curl, random_lockno, start_api

PRIVATE = ROOT / "tests" / "storage" / "private_server.sh"


class PrivateServer:
    """One private redis-server or mariadbd; a restart keeps its port (and MariaDB its data)."""

    def __init__(self, kind, directory):
        self.kind, self.dir, self.port, self.up = kind, directory, None, False

    def start(self):
        args = [str(PRIVATE), self.kind, "start", str(self.dir)] + ([str(self.port)] if self.port else [])
        r = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, f"{self.kind} did not start: {r.stderr}"
        self.port, self.up = int(r.stdout.strip().splitlines()[-1]), True
        return self

    def stop(self):
        subprocess.run([str(PRIVATE), self.kind, "stop", str(self.dir)], check=True, timeout=60)
        self.up = False


@pytest.fixture(scope="module")
def mariadb(tmp_path_factory):
    db = PrivateServer("mariadb", tmp_path_factory.mktemp("mariadb")).start()
    yield db
    db.stop()


@pytest.fixture
def site(start_broker, tmp_path, mariadb):
    redis = PrivateServer("redis", tmp_path / "redis").start()
    s = type("Site", (), {})()
    s.redis, s.mariadb = redis, mariadb
    try:
        s.api = start_api(start_broker, {
            "auth.backend": "redis", "redis.server": f"127.0.0.1:{redis.port}",
            "sql.backend": "mariadb", "sql.host": "127.0.0.1", "sql.port": str(mariadb.port),
            "sql.user": "lockadmin", "sql.password": "private",
            "sql.database": f"sakura_test_down_{secrets.token_hex(4)}"})
        s.lockno = random_lockno()
        dev = s.api.register(s.lockno)
        s.lock_password = dev["password"]
        s.owners = {}
        for role in ("m", "f"):
            r = s.api.bind(f"{role}-{s.lockno}", s.lockno, dev[f"bindcode_{role}"])
            assert r.status == 200, r
            s.owners[role] = (r.json()["key"], r.json()["pwd"])
        # An operator (superuser) connected before anything goes down: it publishes the markers.
        op_pw = secrets.token_hex(8)
        subprocess.run(["redis-cli", "-p", str(redis.port), "HSET", "mqtt_user:down-operator",
                        "password", op_pw, "is_superuser", "1"], check=True, capture_output=True)
        s.operator = client(s, "down-operator", ("down-operator", op_pw))
        yield s
    finally:
        if not mariadb.up:  # the module's other tests need it back
            mariadb.start()
        redis.stop()
        if getattr(s, "api", None):
            s.api.stub.stop()


def client(site, client_id, user, subscribe=None):
    c = m.Client(site.api.broker.port)
    c.connect(client_id, username=user[0], password=user[1])
    if subscribe:
        assert c.subscribe(1, (subscribe, 1)) == [1]
    return c


def lock_client(site):
    return client(site, site.lockno, (site.lockno, site.lock_password), subscribe=f"/{site.lockno}/call")


def report(lock, lockno, status, packet_id):
    lock.send(m.publish(f"/{lockno}/statu", status, qos=1, packet_id=packet_id))
    assert lock.expect(m.PUBACK).packet_id == packet_id  # acknowledged: the rules took it


def healthz(site):
    r = curl(site.api.ops_url("/healthz"))
    return r.status, r.json()


def metric(site, name):
    return http_support.metric(site.api, name)


def history(site):
    return curl(site.api.url(f"/history?lockno={site.lockno}"), user=site.owners["m"])


def events(site):
    """The lock's history events, newest first, or None while the route cannot answer."""
    r = history(site)
    return [i["event"] for i in r.json()["items"]] if r.status == 200 else None


def test_mariadb_down_status_is_spooled_then_drained_in_order(site):
    lock = lock_client(site)
    report(lock, site.lockno, "1", 1)
    # A lock's first status is recorded as the old monitor wrote it: a first 1 is 上锁, "locked".
    wait_for(lambda: events(site) == ["locked"], what="the first status row")
    # /healthz also reports whether the last history write succeeded, which the writer notes
    # just after the row is visible: await it rather than read it once.
    wait_for(lambda: healthz(site)[0] == 200, what="/healthz ok")

    site.mariadb.stop()
    status, body = wait_for(lambda: (lambda h: h if h[0] == 503 else None)(healthz(site)), timeout=20,
                            what="/healthz to notice MariaDB is gone")
    assert body["status"] == "degraded" and body["kv"] == "ok" and body["sql"] != "ok", body
    report(lock, site.lockno, "0", 2)
    report(lock, site.lockno, "1", 3)
    wait_for(lambda: metric(site, "sakura_lockrules_history_events_total") == 3,
             what="both changes acknowledged by the spool")
    assert metric(site, "sakura_lockrules_history_failures_total") == 0
    r = history(site)
    assert (r.status, r.json()["error"]) == (503, "storage_unavailable"), r

    site.mariadb.start()
    drained = wait_for(lambda: (lambda e: e if e and len(e) >= 3 else None)(events(site)), timeout=30,
                       what="the spool to drain into MariaDB")
    assert drained == ["locked", "unlocked", "locked"]
    wait_for(lambda: healthz(site)[0] == 200, what="/healthz ok again")


def test_redis_down_refuses_logins_drops_pairings_and_recovers(site):
    lock = lock_client(site)
    owners = {role: client(site, f"owner-{role}-{site.lockno}", user) for role, user in site.owners.items()}
    wait_for(lambda: healthz(site)[0] == 200, what="/healthz ok")

    site.redis.stop()
    status, body = wait_for(lambda: (lambda h: h if h[0] == 503 else None)(healthz(site)), timeout=20,
                            what="/healthz to notice Redis is gone")
    assert body["status"] == "degraded" and body["kv"] != "ok" and body["sql"] == "ok", body
    # Authentication fails closed: code 5, as for a wrong password.
    refused = m.Client(site.api.broker.port)
    refused.connect("late-" + site.lockno, expect_code=5, username=site.owners["m"][0],
                    password=site.owners["m"][1])
    r = site.api.login(f"m-{site.lockno}")
    assert (r.status, r.json()["error"]) == (503, "storage_unavailable"), r

    # Both owners ask while the window's store is down: both requests are dropped, no unlock.
    errors = metric(site, "sakura_lockrules_store_errors_total") or 0
    for i, role in enumerate(("m", "f")):
        owners[role].send(m.publish(f"/{site.lockno}/{role}", b"", qos=1, packet_id=i + 1))
        owners[role].expect(m.PUBACK)
    wait_for(lambda: metric(site, "sakura_lockrules_store_errors_total") == errors + 2,
             what="both requests dropped")
    assert lock.until_marker(site.operator, f"/{site.lockno}/call", acknowledge=True) == []

    # Redis is back, empty (it kept nothing on disk): logging in again writes fresh credentials,
    # and a pairing opens the lock.
    site.redis.start()
    wait_for(lambda: healthz(site)[0] == 200, timeout=20, what="/healthz ok again")
    again = {}
    for role in ("m", "f"):
        r = site.api.login(f"{role}-{site.lockno}")
        assert r.status == 200 and r.json()["exists"] == 1, r
        again[role] = client(site, f"again-{role}-{site.lockno}", (r.json()["key"], r.json()["pwd"]))

    # /healthz probes the auth database; the lock database has its own connection, which may
    # still be in its reconnect backoff (up to 5 s): each request ends as exactly one of a store
    # error, an opened or renewed window, or an unlock, so ask until an unlock comes out.
    def outcomes():
        return [metric(site, f"sakura_lockrules_{n}_total") or 0
                for n in ("store_errors", "windows_opened", "windows_renewed", "unlocks")]

    deadline = time.monotonic() + 20
    for attempt in range(1, 100):
        before = outcomes()
        for role, c in again.items():
            c.send(m.publish(f"/{site.lockno}/{role}", b"", qos=1, packet_id=attempt))
            c.expect(m.PUBACK)
        after = wait_for(lambda: (lambda o: o if sum(o) >= sum(before) + 2 else None)(outcomes()),
                         what="both requests handled")
        if after[3] > before[3]:
            break
        assert time.monotonic() < deadline, f"no pairing within 20 s of Redis coming back: {after}"
    p = lock.expect(m.PUBLISH)
    assert (p.topic, p.payload) == (f"/{site.lockno}/call", b"unlock")
