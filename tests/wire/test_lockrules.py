"""Lock rules end to end on a running sakura-broker with real clients (INTERFACES.md, Topics):
mosquitto_sub plays the lock on /<lockno>/call, mosquitto_pub the two owners.

Credentials are written into the embedded store exactly as POST /login writes them
(mqtt_user:<key> with a password, mqtt_acl:<key> = {/<lockno>/#: 1, /<lockno>/<morf>: 2,
/unauth: 2}) by seeding the broker's SQLite file between a first start (which creates the schema)
and the real one. Every client logs in with those credentials; a broker that refuses them fails
the rig (there is no anonymous fallback).
"""
import base64
import os
import random
import sqlite3
import string
import subprocess
import threading
import time
import urllib.request

import pytest

import mqtt_raw
from conftest import BROKER_BIN, require_services, wait_for

def key():
    return base64.b64encode(os.urandom(16)).decode()


def pwd():
    return base64.b64encode(os.urandom(8)).decode()


class EmbeddedStore:
    """The embedded store's SQLite file, read and seeded from outside the broker. Seeding is done
    while the broker is stopped (it loads the key-value data at start)."""

    name = "embedded"

    def __init__(self, data_dir):
        self.path = str(data_dir / "sakura.db")

    def settings(self):
        return {}

    def _con(self):
        con = sqlite3.connect(self.path, timeout=10)
        con.execute("PRAGMA busy_timeout = 10000")
        return con

    def put_hash(self, db, key, fields):
        with self._con() as con:
            con.execute("DELETE FROM kv_fields WHERE db = ? AND key = ?", (db, key))
            con.execute("INSERT OR REPLACE INTO kv_keys (db, key, is_hash, value, expires_ms)"
                        " VALUES (?, ?, 1, NULL, 0)", (db, key))
            con.executemany("INSERT INTO kv_fields (db, key, field, value) VALUES (?, ?, ?, ?)",
                            [(db, key, f, v) for f, v in fields.items()])

    def hash(self, db, key):
        with self._con() as con:
            rows = con.execute("SELECT field, value FROM kv_fields WHERE db = ? AND key = ?",
                               (db, key)).fetchall()
        return dict(rows)

    def exists(self, db, key):
        with self._con() as con:
            row = con.execute("SELECT expires_ms FROM kv_keys WHERE db = ? AND key = ?",
                              (db, key)).fetchone()
        return row is not None and (row[0] == 0 or row[0] > time.time() * 1000)

    def ttl_ms(self, db, key):
        """Milliseconds left before the key expires (None: absent or no expiry)."""
        with self._con() as con:
            row = con.execute("SELECT expires_ms FROM kv_keys WHERE db = ? AND key = ?",
                              (db, key)).fetchone()
        return row[0] - time.time() * 1000 if row and row[0] else None

    def history(self, lockno):
        with self._con() as con:
            return con.execute("SELECT event, message FROM lockhistory WHERE lockno = ? ORDER BY id",
                               (lockno,)).fetchall()


class ServerStore:
    """Redis + MariaDB from scripts/services.sh, through their command-line clients."""

    name = "redis+mariadb"

    def __init__(self, data_dir):
        self.redis_host, self.redis_port = os.environ["SAKURA_TEST_REDIS"].split(":")
        self.sql = {k: os.environ[f"SAKURA_TEST_MARIADB_{k.upper()}"]
                    for k in ("host", "port", "user", "password", "database")}

    def settings(self):
        return {"auth.backend": "redis", "redis.server": f"{self.redis_host}:{self.redis_port}",
                "sql.backend": "mariadb", **{f"sql.{k}": v for k, v in self.sql.items()}}

    def _redis(self, db, *args):
        return subprocess.run(["redis-cli", "-h", self.redis_host, "-p", self.redis_port, "-n",
                               str(db), *args], check=True, capture_output=True, text=True,
                              timeout=10).stdout

    def put_hash(self, db, key, fields):
        self._redis(db, "DEL", key)
        self._redis(db, "HSET", key, *[x for kv in fields.items() for x in kv])

    def hash(self, db, key):
        lines = self._redis(db, "HGETALL", key).splitlines()
        return dict(zip(lines[0::2], lines[1::2]))

    def exists(self, db, key):
        return self._redis(db, "EXISTS", key).strip() == "1"

    def ttl_ms(self, db, key):
        ms = int(self._redis(db, "PTTL", key))
        return ms if ms >= 0 else None

    def history(self, lockno):
        assert lockno.isalnum()
        out = subprocess.run(
            ["mariadb", "--no-defaults", "-h", self.sql["host"], "-P", self.sql["port"], "-u",
             self.sql["user"], f"-p{self.sql['password']}", self.sql["database"], "-N", "-B", "-e",
             f"SELECT event, message FROM lockhistory WHERE lockno = '{lockno}' ORDER BY id"],
            capture_output=True, text=True, timeout=10)
        if out.returncode != 0:  # the broker has not created the table yet
            return []
        return [tuple(line.split("\t")) for line in out.stdout.splitlines()]


BACKENDS = [EmbeddedStore, ServerStore]


def lockno(prefix="LR"):
    """A lockno of 11 characters nobody else uses (the server stores outlive one test)."""
    return prefix + "".join(random.choice(string.digits) for _ in range(11 - len(prefix)))


class User:
    def __init__(self, name, password):
        self.name, self.password = name, password

    def args(self):
        return ["-u", self.name, "-P", self.password]



class Rig:
    """A broker with a lock L, its owners m and f, and a stranger bound to another lock."""

    def __init__(self, start_broker, tmp_path, backend, **settings):
        data = tmp_path / "lockrules"
        self.L = lockno()
        self.store = backend(data)
        settings = {"auth__allow_anonymous": "false",
                    **{k.replace(".", "__"): v for k, v in self.store.settings().items()}, **settings}
        if isinstance(self.store, EmbeddedStore):
            # A first start creates the schema the seeding writes into.
            start_broker(data_dir=data, **settings).stop()
        self.lock = User("lock-" + self.L, pwd())
        self.store.put_hash(0, "mqtt_user:" + self.lock.name,
                            {"password": self.lock.password, "is_superuser": "1"})
        self.m, self.f, self.stranger = (self.login(self.L, "m"), self.login(self.L, "f"),
                                         self.login(lockno(), "m"))
        # Operators' tools for the many-locks test: allowed everything.
        self.bulk = [User(f"bulk-{i}-{self.L}", pwd()) for i in range(4)]
        for u in self.bulk:
            self.store.put_hash(0, "mqtt_user:" + u.name, {"password": u.password, "is_superuser": "1"})
        self.broker = start_broker(data_dir=data, **settings)
        self.check_credentials()

    def login(self, lockno, morf):
        """What POST /login writes for a bound user."""
        u = User(key(), pwd())
        self.store.put_hash(0, "mqtt_user:" + u.name, {"password": u.password})
        self.store.put_hash(0, "mqtt_acl:" + u.name, {f"/{lockno}/#": "1", f"/{lockno}/{morf}": "2",
                                                      "/unauth": "2"})
        return u

    def check_credentials(self):
        """The seeded credentials let m in and a wrong password does not: the store is the one
        the broker reads, so every test below runs with real logins."""
        for password, code in ((self.m.password, 0), ("wrong-" + self.m.password, 5)):
            c = mqtt_raw.Client(self.broker.port)
            try:
                c.connect("probe", expect_code=code, username=self.m.name, password=password)
            finally:
                c.close()

    def pub(self, user, topic, payload, qos=1, client_id=None):
        args = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.broker.port), "-q", str(qos),
                "-t", topic, "-m", payload, *user.args()]
        if client_id:
            args += ["-i", client_id]
        subprocess.run(args, check=True, timeout=10, capture_output=True)

    def store_has_window(self, role):
        """Whether <lockno>_<role> is in the store and not past its expiry."""
        return self.store.exists(1, f"{self.L}_{role}")

    def lock_listener(self):
        return Listener(self, self.L)


class Listener:
    """mosquitto_sub as the lock: collects every message on /<lockno>/call."""

    def __init__(self, rig, lockno):
        self.rig, self.lockno = rig, lockno
        self.client_id = f"lock-sub-{lockno}-{os.getpid()}-{time.monotonic_ns()}"
        self.proc = subprocess.Popen(
            ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(rig.broker.port), "-q", "1",
             "-t", f"/{lockno}/call", "-i", self.client_id, *rig.lock.args()],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        wait_for(lambda: f"subscribed client={self.client_id} " in rig.broker.log(),
                 what="the lock's subscription")

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def drained(self):
        """Everything received up to a marker published after it (so nothing is still in flight
        from before), marker excluded."""
        marker = f"marker-{time.monotonic_ns()}"
        self.rig.pub(self.rig.lock, f"/{self.lockno}/call", marker)
        wait_for(lambda: marker in self.lines, what="the marker")
        return [l for l in self.lines if l != marker and not l.startswith("marker-")]

    def close(self):
        self.proc.kill()
        self.proc.wait()


@pytest.fixture(params=BACKENDS, ids=lambda b: b.name)
def backend(request):
    if request.param is ServerStore:
        require_services()
    return request.param


@pytest.fixture
def rig(start_broker, tmp_path, backend):
    return Rig(start_broker, tmp_path, backend)


def test_m_then_f_within_the_window_gives_exactly_one_unlock(rig):
    lock = rig.lock_listener()
    try:
        rig.pub(rig.m, f"/{rig.L}/m", "open please")
        rig.pub(rig.f, f"/{rig.L}/f", "")
        wait_for(lambda: "unlock" in lock.lines, what="unlock")
        assert lock.drained() == ["unlock"]
        assert rig.broker.log().count(f"both owners of {rig.L} asked") == 1
    finally:
        lock.close()


def test_f_alone_gives_nothing_and_the_same_owner_twice_only_renews(rig):
    lock = rig.lock_listener()
    try:
        rig.pub(rig.f, f"/{rig.L}/f", "")
        rig.pub(rig.f, f"/{rig.L}/f", "")
        assert lock.drained() == []
        rig.pub(rig.m, f"/{rig.L}/m", "")
        wait_for(lambda: "unlock" in lock.lines, what="unlock")
        assert lock.drained() == ["unlock"]
    finally:
        lock.close()


def test_a_window_runs_out(start_broker, tmp_path, backend):
    rig = Rig(start_broker, tmp_path, backend, lock__pair_window="1s")
    lock = rig.lock_listener()
    try:
        rig.pub(rig.m, f"/{rig.L}/m", "")
        wait_for(lambda: rig.store_has_window("m"), what="the window to open")
        # The store's own expiry is what closes the window; wait for it rather than for a time.
        wait_for(lambda: not rig.store_has_window("m"), timeout=10, what="the window to expire")
        rig.pub(rig.f, f"/{rig.L}/f", "")
        assert lock.drained() == []
    finally:
        lock.close()


def test_the_default_pair_window_is_35_s(rig):
    """The app's own default (no lock.pair_window set), read from the running binary twice: its
    effective configuration, and the expiry the window's key gets in the store (the store's
    expiry is what closes the window; 35 s are not waited for)."""
    assert "lock.pair_window" not in rig.broker.settings
    out = subprocess.run([str(BROKER_BIN), "--print-config", *sum((["--set", f"{k}={v}"] for k, v in
                          rig.broker.settings.items()), [])], capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    assert "lock.pair_window = 35s" in out.stdout.splitlines()
    before = time.monotonic()
    rig.pub(rig.m, f"/{rig.L}/m", "")
    ttl = wait_for(lambda: rig.store.ttl_ms(1, f"{rig.L}_m"), what="the window's key")
    elapsed_ms = (time.monotonic() - before) * 1000
    assert 35_000 - elapsed_ms - 1_000 <= ttl <= 35_000, ttl


def test_a_client_without_the_acl_cannot_trigger_an_unlock(rig):
    lock = rig.lock_listener()
    try:
        rig.pub(rig.m, f"/{rig.L}/m", "")
        rig.pub(rig.stranger, f"/{rig.L}/f", "")  # denied by ACL: dropped, still acknowledged
        rig.pub(rig.m, f"/{rig.L}/f", "")         # m may not act as f either
        assert lock.drained() == []
    finally:
        lock.close()


def test_a_lock_will_is_an_offline_row_and_its_return_an_online_row(rig):
    def lock_client():
        c = mqtt_raw.Client(rig.broker.port)
        c.connect(rig.L, username=rig.lock.name, password=rig.lock.password,
                  will=(f"/{rig.L}/statu", b"-2", 1, False))
        return c

    c = lock_client()
    c.send(mqtt_raw.publish(f"/{rig.L}/statu", "1", qos=1))
    c.expect(mqtt_raw.PUBACK)
    wait_for(lambda: len(rig.store.history(rig.L)) == 1, what="the first history row")
    c.sock.close()  # no DISCONNECT: the will fires
    wait_for(lambda: len(rig.store.history(rig.L)) == 2, what="the offline row")
    assert rig.store.hash(1, "monitor").get(rig.L) == "-2"
    c = lock_client()
    c.send(mqtt_raw.publish(f"/{rig.L}/statu", "1", qos=1))
    c.expect(mqtt_raw.PUBACK)
    c.send(mqtt_raw.publish(f"/{rig.L}/statu", "1", qos=1))  # unchanged: no row
    c.expect(mqtt_raw.PUBACK)
    c.send(mqtt_raw.publish(f"/{rig.L}/statu", "0", qos=1))
    c.expect(mqtt_raw.PUBACK)
    wait_for(lambda: len(rig.store.history(rig.L)) == 4, what="the online and unlocked rows")
    c.send(mqtt_raw.DISCONNECT)
    assert rig.store.history(rig.L) == [("locked", "上锁"), ("offline", "设备离线"),
                                       ("online", "设备上线"), ("unlocked", "开锁")]
    assert rig.store.hash(1, "monitor").get(rig.L) == "0"


def test_other_status_payloads_go_to_monitor_without_history(rig):
    for payload in ["2", "open", "-1"]:
        rig.pub(rig.lock, f"/{rig.L}/statu", payload)
        wait_for(lambda: rig.store.hash(1, "monitor").get(rig.L) == payload, what=f"monitor = {payload}")
    rig.pub(rig.lock, f"/{rig.L}/statu", "1")
    wait_for(lambda: rig.store.history(rig.L), what="the valid report's row")
    assert rig.store.history(rig.L) == [("locked", "上锁")]


def test_a_forged_unauth_deletes_nothing(rig):
    victim = rig.m
    rig.pub(rig.stranger, "/unauth", victim.name)
    # The stranger's own /unauth afterwards goes the same way after the forged one, so once the
    # stranger's credentials are gone the forged request has had every chance to act.
    rig.pub(rig.stranger, "/unauth", rig.stranger.name)
    wait_for(lambda: not rig.store.hash(0, "mqtt_user:" + rig.stranger.name),
             what="the stranger's own credentials to go")
    assert rig.store.hash(0, "mqtt_user:" + victim.name) == {"password": victim.password}
    assert "/unauth" in rig.store.hash(0, "mqtt_acl:" + victim.name)
    assert "names another user" in rig.broker.log()


def test_killing_the_mini_program_socket_deletes_its_credentials(rig):
    u = rig.f
    c = mqtt_raw.Client(rig.broker.port)
    c.connect("mini-program", username=u.name, password=u.password, keepalive=2,
              will=("/unauth", u.name.encode(), 1, False))
    c.sock.close()
    wait_for(lambda: not rig.store.hash(0, "mqtt_user:" + u.name), timeout=2 * 1.5 + 5,
             what="the credentials to be deleted")
    assert not rig.store.hash(0, "mqtt_acl:" + u.name)
    refused = mqtt_raw.Client(rig.broker.port)
    refused.connect("again", username=u.name, password=u.password, expect_code=5)


def test_a_thousand_pairs_at_once_give_one_unlock_each(start_broker, tmp_path, backend):
    """Both owners of 1,000 locks ask at the same moment from four connections on four threads,
    so m and f of one lock race through different broker threads into the store (spread: the
    connections alternate between the two workers)."""
    rig = Rig(start_broker, tmp_path, backend, node__threads="2", node__placement="spread")
    prefix = lockno("LB")[:5]
    locks = [f"{prefix}{i:06d}" for i in range(1000)]
    watcher = mqtt_raw.Client(rig.broker.port, timeout=30)
    watcher.connect("bulk-watcher", username=rig.lock.name, password=rig.lock.password)
    assert watcher.subscribe(1, ("/+/call", 1)) == [1]

    def owner(user, role, share):
        c = mqtt_raw.Client(rig.broker.port, timeout=30)
        c.connect(f"{user.name}-{role}-{share}", username=user.name, password=user.password)
        mine = locks[share::2]
        start.wait()
        c.send(b"".join(mqtt_raw.publish(f"/{l}/{role}", "", qos=1, packet_id=i + 1)
                        for i, l in enumerate(mine)))
        for _ in mine:
            c.expect(mqtt_raw.PUBACK)
        c.send(mqtt_raw.DISCONNECT)

    start = threading.Barrier(4)
    threads = [threading.Thread(target=owner, args=(rig.bulk[i], role, share))
               for i, (role, share) in enumerate([("m", 0), ("f", 0), ("m", 1), ("f", 1)])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    unlocks = {}
    while sum(unlocks.values()) < len(locks):
        p = watcher.expect(mqtt_raw.PUBLISH)
        if p.qos:
            watcher.send(mqtt_raw.ack("puback", p.publish_id))
        assert p.payload == b"unlock"
        no = p.topic.split("/")[1]
        unlocks[no] = unlocks.get(no, 0) + 1
    # Anything extra would be right behind: a marker through the same path closes the count.
    rig.pub(rig.lock, f"/{prefix}999999/call", "marker")
    while True:
        p = watcher.expect(mqtt_raw.PUBLISH)
        if p.qos:
            watcher.send(mqtt_raw.ack("puback", p.publish_id))
        if p.payload == b"marker":
            break
        no = p.topic.split("/")[1]
        unlocks[no] = unlocks.get(no, 0) + 1
    assert sorted(unlocks) == locks
    assert set(unlocks.values()) == {1}


def test_a_mini_program_that_goes_silent_loses_its_credentials_within_the_keepalive_bound(rig):
    """No FIN, no DISCONNECT: the socket stays open and says nothing, as when the phone drops off
    the network. The broker gives up after 1.5 x keepalive and publishes the will."""
    u = rig.m
    c = mqtt_raw.Client(rig.broker.port)
    c.connect("silent-mini-program", username=u.name, password=u.password, keepalive=1,
              will=("/unauth", u.name.encode(), 1, False))
    started = time.monotonic()
    wait_for(lambda: not rig.store.hash(0, "mqtt_user:" + u.name), timeout=10,
             what="the credentials to be deleted")
    # 1.5 s keepalive bound, plus the broker's once-a-second sweep and the store round trip.
    assert time.monotonic() - started < 1.5 + 1.0 + 1.0
    c.close()


def test_what_the_rules_did_shows_in_metrics(start_broker, tmp_path, backend):
    rig = Rig(start_broker, tmp_path, backend, http__ops_bind="127.0.0.1:0")
    lock = rig.lock_listener()
    try:
        rig.pub(rig.m, f"/{rig.L}/m", "")
        rig.pub(rig.f, f"/{rig.L}/f", "")
        wait_for(lambda: "unlock" in lock.lines, what="unlock")
    finally:
        lock.close()
    url = f"http://127.0.0.1:{rig.broker.ports['http_ops']}/metrics"
    body = urllib.request.urlopen(url, timeout=10).read().decode()
    assert "sakura_lockrules_unlocks_total 1\n" in body
    assert "sakura_lockrules_windows_opened_total 1\n" in body
    assert "# TYPE sakura_lockrules_pending gauge" in body


def test_a_zero_pair_window_stops_the_start_naming_the_key(tmp_path):
    r = subprocess.run([str(BROKER_BIN), "--set", "lock.pair_window=0s", "--set",
                        f"node.data_dir={tmp_path}", "--set", "listener.tcp.bind=127.0.0.1:0",
                        "--set", "listener.ws.bind=off", "--set", "http.bind=off"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode != 0
    assert "lock.pair_window" in r.stdout + r.stderr
