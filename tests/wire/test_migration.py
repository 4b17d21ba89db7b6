"""The switch from the old deployment (docs/migration.md), end to end: the old system's state is
built as it left it (Redis db 0 credentials and ACL rows as the old /login and provisioning wrote
them, db 1 `monitor` and a pending `<lockno>_m`, MariaDB `lockdata` with the old `user2lock` and
`lockhistory` layouts and rows), then Sakura starts on it behind a real nginx, and an old lock,
an old mini-program key and a new login must all work, with every old history row readable.

Needs scripts/services.sh's MariaDB (SAKURA_TEST_MARIADB_*); Redis is a private redis-server, so
its db 0 and db 1 are exactly the old system's."""
import base64
import json
import os
import shutil
import ssl
import subprocess
import time

import pytest

import mqtt_raw
from auth_support import Redis
from conftest import ROOT, require_services, wait_for
from http_support import curl, start_api
from lock_sim import LockSim
from test_nginx import free_port, running_nginx, site_config, site_main_conf
from tls_pki import Pki
from ws_raw import WsClient

LOCK_A = "20210300001"   # an old lock provisioned with ACL rows
LOCK_B = "20210300002"   # an old lock with only mqtt_user (EMQX's acl.conf let it through)
PW_A, PW_B = "lockpw-a", "lockpw-b"
M_A, F_A, M_B = "oOldOpenId-m-A", "oOldOpenId-f-A", "oOldOpenId-m-B"
# The old rows (text, ms): as the old monitor wrote them, in its time order.
OLD_ROWS = [("设备上线", 1614816000100), ("开锁", 1614816000200), ("上锁", 1614816000300)]


def mariadb_env():
    require_services()
    return {"host": os.environ["SAKURA_TEST_MARIADB_HOST"], "port": os.environ.get("SAKURA_TEST_MARIADB_PORT", "3306"),
            "user": os.environ.get("SAKURA_TEST_MARIADB_USER", "lockadmin"),
            "password": os.environ.get("SAKURA_TEST_MARIADB_PASSWORD", "")}


class OldDatabase:
    """A fresh database standing for the old `lockdata`, reached with the mariadb client."""

    def __init__(self):
        self.env = mariadb_env()
        self.name = "sakura_test_old_" + os.urandom(5).hex()
        self.sql(f"CREATE DATABASE {self.name}", db=None)

    def sql(self, statement, db="self"):
        e = self.env
        args = ["mariadb", "--no-defaults", "-h", e["host"], "-P", e["port"], "-u", e["user"],
                f"-p{e['password']}", "--default-character-set=utf8mb4", "-N", "-B"]
        if db:
            args.append(self.name)
        r = subprocess.run(args + ["-e", statement], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, f"{statement}: {r.stderr}"
        return [line.split("\t") for line in r.stdout.splitlines()]

    def settings(self):
        e = self.env
        return {"sql.backend": "mariadb", "sql.host": e["host"], "sql.port": e["port"], "sql.user": e["user"],
                "sql.password": e["password"], "sql.database": self.name}

    def drop(self):
        self.sql(f"DROP DATABASE IF EXISTS {self.name}", db=None)


def old_tables(db, lockhistory="(lockno VARCHAR(20), message VARCHAR(20), time BIGINT)"):
    """The old Flask services' tables: utf8 (3-byte), a case-insensitive collation, no keys."""
    db.sql("CREATE TABLE user2lock (userno VARCHAR(64), lockno VARCHAR(20), morf VARCHAR(2), adate DATE)"
           " DEFAULT CHARSET=utf8")
    db.sql(f"CREATE TABLE lockhistory {lockhistory} DEFAULT CHARSET=utf8")
    db.sql(f"INSERT INTO user2lock VALUES ('{M_A}', '{LOCK_A}', 'm', '2021-03-04'),"
           f" ('{F_A}', '{LOCK_A}', 'f', '2021-03-05'), ('{M_B}', '{LOCK_B}', 'm', '2021-03-06')")


def old_login_keys(redis, lockno, morf):
    """mqtt_user/mqtt_acl exactly as the old /login wrote them: plain password, no ttl field."""
    key = base64.b64encode(os.urandom(16)).decode()
    pwd = base64.b64encode(os.urandom(8)).decode()
    redis.cli("HSET", f"mqtt_user:{key}", "password", pwd)
    redis.cli("HSET", f"mqtt_acl:{key}", f"/{lockno}/#", "1", f"/{lockno}/{morf}", "2", "/unauth", "2")
    return key, pwd


class OldSystem:
    """The old system's Redis (a private redis-server: db 0 and db 1 are all its own) and MariaDB
    database, and Sakura started on them with the HTTP API and the code2Session stub."""

    def __init__(self, tmp_path, start_broker):
        (tmp_path / "redis").mkdir()
        self.redis = Redis(tmp_path / "redis").start()
        self.db = OldDatabase()
        self._start_broker = start_broker
        self.apis = []

    def start_sakura(self):
        api = start_api(self._start_broker, {"auth.backend": "redis", "redis.server": self.redis.address,
                                             **self.db.settings()})
        self.apis.append(api)
        return api

    def lock_a_and_its_owner(self):
        """Lock A as provisioned (ACL rows), last seen offline, and owner m's old /login key."""
        self.redis.cli("HSET", f"mqtt_user:{LOCK_A}", "password", PW_A)
        self.redis.cli("HSET", f"mqtt_acl:{LOCK_A}", f"/{LOCK_A}/statu", "2", f"/{LOCK_A}/call", "1")
        self.redis.cli("HSET", "monitor", LOCK_A, "-2", db=1)
        return old_login_keys(self.redis, LOCK_A, "m")

    def close(self):
        for api in self.apis:
            api.stub.stop()
        self.redis.stop()
        self.db.drop()


@pytest.fixture
def old_system(tmp_path, start_broker):
    old = OldSystem(tmp_path, start_broker)
    yield old
    old.close()


def wss_client(https_port, pki, key, pwd, client_id):
    ctx = ssl.create_default_context(cafile=str(pki.ca_crt))
    c = WsClient(https_port, wrap=lambda s: ctx.wrap_socket(s, server_hostname="127.0.0.1"))
    assert c.status == 101, (c.status, c.headers)
    c.send_binary(mqtt_raw.connect(client_id, username=key, password=pwd, keepalive=60))
    p = c.recv_mqtt()
    assert p is not None and p.type == mqtt_raw.CONNACK and p.body[1] == 0, p
    return c


def wss_messages(c, want, timeout=10):
    """PUBLISH packets received on `c` until `want(list)` holds; acknowledges QoS 1."""
    got = []
    deadline = time.monotonic() + timeout
    while not want(got):
        left = deadline - time.monotonic()
        assert left > 0, f"timed out; received {got}"
        p = c.recv_mqtt(timeout=left)
        assert p is not None, f"connection closed; received {got}"
        if p.type == mqtt_raw.PUBLISH:
            got.append((p.topic, p.payload.decode()))
            if p.qos == 1:
                c.send_binary(mqtt_raw.ack("puback", p.packet_id))
    return got


def history(base, lockno, key, pwd, limit=50):
    r = curl(f"{base}/history?lockno={lockno}&limit={limit}", user=(key, pwd))
    assert r.status == 200, r
    return r.json()["items"]


def test_sakura_takes_over_the_old_state(old_system, tmp_path):
    redis, db = old_system.redis, old_system.db
    old_tables(db)
    db.sql("INSERT INTO lockhistory VALUES " + ", ".join(
        f"('{LOCK_A}', '{text}', {ts})" for text, ts in reversed(OLD_ROWS)))
    # Redis db 0: the locks' accounts (A with ACL rows, B without) and an old mini-program key.
    redis.cli("HSET", f"mqtt_user:{LOCK_A}", "password", PW_A)
    redis.cli("HSET", f"mqtt_acl:{LOCK_A}", f"/{LOCK_A}/statu", "2", f"/{LOCK_A}/call", "1")
    redis.cli("HSET", f"mqtt_user:{LOCK_B}", "password", PW_B)
    key_m, pwd_m = old_login_keys(redis, LOCK_A, "m")
    # Redis db 1: the old monitor's last statuses, and owner m's pending unlock request.
    redis.cli("HSET", "monitor", LOCK_A, "-2", LOCK_B, "1", db=1)
    redis.cli("SET", f"{LOCK_A}_m", "1", "EX", "35", db=1)
    pending_since = time.monotonic()

    pki = Pki(tmp_path / "pki")
    pki.rsa = pki.issue("site-rsa", "127.0.0.1", "rsa")
    pki.ecdsa = pki.issue("site-ecdsa", "127.0.0.1", "ecdsa")
    api = old_system.start_sakura()
    https, prefix = free_port(), tmp_path / "nginx"
    conf = site_config(api.broker.ports["ws"], api.broker.ports["http"], https, free_port(), pki)
    site = f"https://127.0.0.1:{https}"
    tls = ["--cacert", str(pki.ca_crt)]
    with running_nginx(prefix, site_main_conf(prefix), https, {"sakura.conf": conf}):
        # The conversion ran at start, with the backup hint first; the old tables are kept.
        wait_for(lambda: "schema 3 applied" in api.broker.log(), what="migration at start")
        log = api.broker.log()
        assert "mysqldump --single-transaction" in log and "lockhistory: copy 3 rows" in log, log[-3000:]
        assert db.sql("SELECT COUNT(*) FROM lockhistory_v0") == [["3"]]
        assert db.sql("SELECT COUNT(*) FROM user2lock_v0") == [["3"]]

        # An old mini-program key logs in over WSS through nginx and watches its lock.
        phone_m = wss_client(https, pki, key_m, pwd_m, "old-phone-m")
        phone_m.send_binary(mqtt_raw.subscribe(1, (f"/{LOCK_A}/#", 1)))
        p = phone_m.recv_mqtt()
        assert p.type == mqtt_raw.SUBACK and p.body[2:] == b"\x01", p
        # Old keys have no ttl field: they stay permanent, as the old system left them.
        assert redis.cli("TTL", f"mqtt_user:{key_m}") == "-1"

        # The old lock connects with its old credentials and reports; back from -2 is online.
        sim = LockSim(api.broker.port, "--bolt-ms", 10, "--relock-ms", 60000, lockno=LOCK_A, password=PW_A)
        try:
            sim.wait_event("status", LOCK_A, "1")
            wss_messages(phone_m, lambda got: (f"/{LOCK_A}/statu", "1") in got)
            wait_for(lambda: redis.cli("HGET", "monitor", LOCK_A, db=1) == "1", what="monitor updated")

            # /login answers the old JSON for the old binding of owner f, through nginx.
            r = curl(f"{site}/wx/login", "POST", {"code": api.code(F_A)}, extra=tls)
            assert r.status == 200, r
            answer = r.json()
            assert set(answer) == {"exists", "lockno", "morf", "adate", "key", "pwd"}, answer
            assert (answer["exists"], answer["lockno"], answer["morf"], answer["adate"]) == \
                (1, LOCK_A, "f", "2021-03-05")
            assert len(base64.b64decode(answer["key"])) == 16 and len(base64.b64decode(answer["pwd"])) == 8

            # The new f pairs with the old pending _m: the lock opens.
            assert time.monotonic() - pending_since < 30, "the old _m window would have expired"
            phone_f = wss_client(https, pki, answer["key"], answer["pwd"], "new-phone-f")
            phone_f.send_binary(mqtt_raw.publish(f"/{LOCK_A}/f", b"open", qos=1, packet_id=7))
            sim.wait_event("unlock", LOCK_A)
            sim.wait_event("status", LOCK_A, "0")
            got = wss_messages(phone_m, lambda got: (f"/{LOCK_A}/statu", "0") in got)
            assert (f"/{LOCK_A}/call", "unlock") in got, got
            assert redis.cli("EXISTS", f"{LOCK_A}_m", db=1) == "0"  # the window was consumed

            # /history: the new rows, then every old row, newest first; the same through nginx.
            items = wait_for(lambda: (lambda it: it if len(it) >= 5 else None)(
                history(api.base, LOCK_A, key_m, pwd_m)), what="new history rows")
            new, old = items[:-3], items[-3:]
            assert [(i["event"], i["text"]) for i in new] == [("unlocked", "开锁"), ("online", "设备上线")], items
            assert [(i["text"], i["ts"]) for i in old] == list(reversed(OLD_ROWS)), items
            assert [i["event"] for i in old] == ["locked", "unlocked", "online"]
            r = curl(f"{site}/wx/history?lockno={LOCK_A}&limit=50", user=(key_m, pwd_m), extra=tls)
            assert r.status == 200 and r.json()["items"] == items, r
            phone_f.close()
        finally:
            sim.stop()
        phone_m.close()

        h = curl(api.ops_url("/healthz"))
        assert h.status == 200 and h.json()["history"] == "ok", h


def test_lock_without_acl_rows_works_through_the_default_rules(old_system):
    """EMQX's acl.conf let an old lock with only mqtt_user through; Sakura's default rule file
    (compat, issue 17 item 1) gives it exactly its own topics."""
    redis, db = old_system.redis, old_system.db
    old_tables(db)
    redis.cli("HSET", f"mqtt_user:{LOCK_B}", "password", PW_B)
    redis.cli("HSET", "monitor", LOCK_B, "-2", db=1)
    api = old_system.start_sakura()
    key_m, pwd_m = old_login_keys(redis, LOCK_B, "m")
    sim = LockSim(api.broker.port, "--bolt-ms", 10, "--relock-ms", 60000, lockno=LOCK_B, password=PW_B)
    try:
        sim.wait_event("status", LOCK_B, "1")
        wait_for(lambda: redis.cli("HGET", "monitor", LOCK_B, db=1) == "1", timeout=5, what="B's status stored")
        r = curl(api.url("/login"), "POST", {"code": api.code(M_B)})
        assert r.status == 200 and r.json()["lockno"] == LOCK_B, r
        c = mqtt_raw.Client(api.broker.port)
        c.connect("phone-b", username=r.json()["key"], password=r.json()["pwd"])
        redis.cli("SET", f"{LOCK_B}_f", "1", "EX", "35", db=1)  # the other owner asked just now
        c.send(mqtt_raw.publish(f"/{LOCK_B}/m", b"open", qos=1, packet_id=3))
        sim.wait_event("unlock", LOCK_B)
        items = wait_for(lambda: (lambda it: it if len(it) >= 2 else None)(
            history(api.base, LOCK_B, key_m, pwd_m)), what="B's history")
        assert [i["event"] for i in items[:2]] == ["unlocked", "online"], items
    finally:
        sim.stop()


def test_healthz_is_degraded_while_history_cannot_be_written(old_system):
    """A lockhistory this migration cannot convert: the broker runs, says why in its log, and
    /healthz and /metrics say history is failing until the table is fixed and Sakura restarts."""
    redis, db = old_system.redis, old_system.db
    old_tables(db, lockhistory="(lockno VARCHAR(20), what VARCHAR(20), stamp BIGINT)")
    db.sql(f"INSERT INTO lockhistory VALUES ('{LOCK_A}', '上锁', 1614816000300)")
    key_m, pwd_m = old_system.lock_a_and_its_owner()
    api = old_system.start_sakura()
    wait_for(lambda: "the old tables could not be converted" in api.broker.log(), what="conversion refused")
    assert "lockhistory has columns (lockno, what, stamp)" in api.broker.log()

    sim = LockSim(api.broker.port, "--bolt-ms", 10, lockno=LOCK_A, password=PW_A)
    try:
        sim.wait_event("status", LOCK_A, "1")

        def degraded():
            h = curl(api.ops_url("/healthz"))
            return h if h.status == 503 else None
        h = wait_for(degraded, what="/healthz degraded")
        assert h.json()["status"] == "degraded" and h.json()["history"] == "failing", h
        assert h.json()["sql"] == "ok", h  # the database answers; it refuses the rows
        metrics = curl(api.ops_url("/metrics")).body.decode()
        assert "sakura_history_write_failing 1" in metrics
        assert "sakura_history_pending 0" not in metrics

        # The operator names the columns as docs/migration.md says, and restarts Sakura.
        db.sql("ALTER TABLE lockhistory CHANGE what message VARCHAR(20), CHANGE stamp time BIGINT")
    finally:
        sim.stop()
    api.broker.restart()
    wait_for(lambda: curl(f"http://127.0.0.1:{api.broker.ports['http_ops']}/healthz").status == 200,
             what="/healthz ok after the fix")
    base = f"http://127.0.0.1:{api.broker.ports['http']}"
    items = wait_for(lambda: (lambda it: it if len(it) >= 2 else None)(history(base, LOCK_A, key_m, pwd_m)),
                     what="spooled rows written")
    # The event that waited in the spool, then the old row, converted at the restart.
    assert "online" in [i["event"] for i in items[:-1]], items
    assert (items[-1]["event"], items[-1]["text"], items[-1]["ts"]) == ("locked", "上锁", 1614816000300), items
    h = curl(f"http://127.0.0.1:{api.broker.ports['http_ops']}/healthz").json()
    assert h["history"] == "ok", h


def rollback_sql():
    """The SQL block of docs/migration.md's rollback section, as an operator would paste it."""
    text = (ROOT / "docs" / "migration.md").read_text()
    section = text[text.index("## 4. Rollback"):]
    return section[section.index("```sql") + len("```sql"):section.index("```", section.index("```sql") + 6)]


def test_rollback_as_documented_then_forward_again(old_system):
    """docs/migration.md's rollback puts the old tables back with the rows Sakura wrote meanwhile,
    in the old layout; starting Sakura again converts them again and loses nothing."""
    redis, db = old_system.redis, old_system.db
    old_tables(db)
    db.sql("INSERT INTO lockhistory VALUES " + ", ".join(f"('{LOCK_A}', '{t}', {ts})" for t, ts in OLD_ROWS))
    key_m, pwd_m = old_system.lock_a_and_its_owner()
    api = old_system.start_sakura()
    wait_for(lambda: "schema 3 applied" in api.broker.log(), what="migration at start")
    # Under Sakura: a new binding, and the lock's return (an online row).
    r = curl(api.url("/login"), "POST", {"code": api.code(M_B)})
    assert r.json()["exists"] == 1, r
    db.sql("INSERT INTO user2lock (userno, lockno, morf, adate) VALUES ('oNewUnderSakura', '20210300009', 'm', '2026-12-03')")
    sim = LockSim(api.broker.port, "--bolt-ms", 10, lockno=LOCK_A, password=PW_A)
    try:
        sim.wait_event("status", LOCK_A, "1")
        under_sakura = wait_for(lambda: (lambda it: it if len(it) == 4 else None)(
            history(api.base, LOCK_A, key_m, pwd_m)), what="the online row")
    finally:
        sim.stop()
    api.broker.stop()

    db.sql(rollback_sql())
    cols = [c[0] for c in db.sql("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA ="
                                 f" '{db.name}' AND TABLE_NAME = 'lockhistory' ORDER BY ORDINAL_POSITION")]
    assert cols == ["lockno", "message", "time"]
    rows = db.sql("SELECT message, time FROM lockhistory ORDER BY time")
    assert rows[:3] == [[t, str(ts)] for t, ts in OLD_ROWS] and rows[3][0] == "设备上线", rows
    assert db.sql("SELECT COUNT(*) FROM user2lock") == [["4"]]
    assert db.sql("SELECT MAX(version) FROM schema_version") == [["1"]]

    api.broker.start()
    wait_for(lambda: api.broker.log().count("schema 3 applied") == 2, what="converted again")
    base = f"http://127.0.0.1:{api.broker.ports['http']}"
    again = history(base, LOCK_A, key_m, pwd_m)
    assert [(i["event"], i["text"], i["ts"]) for i in again] == \
        [(i["event"], i["text"], i["ts"]) for i in under_sakura], again


def migration_doc_block(info, containing):
    """The first fenced block of docs/migration.md with this info string that contains `containing`."""
    from test_doc_examples import fenced_blocks
    for block_info, lines, _ in fenced_blocks(ROOT / "docs" / "migration.md"):
        if block_info == info and any(containing in line for line in lines):
            return lines
    raise AssertionError(f"docs/migration.md has no ```{info} block with {containing!r}")


def test_documented_backup_and_ctl_migrate_on_the_old_state(old_system, tmp_path):
    """Section 1 of docs/migration.md as an operator follows it, on the old state: the backup
    commands as written (their dumps restore what the old system had), the config as shown, then
    `sakura-ctl migrate --dry-run` (which writes nothing) and `sakura-ctl migrate` before the
    broker starts; the broker then finds nothing left to convert and serves the old history."""
    from ctl_support import CTL
    redis, db = old_system.redis, old_system.db
    old_tables(db)
    db.sql("INSERT INTO lockhistory VALUES " + ", ".join(f"('{LOCK_A}', '{t}', {ts})" for t, ts in OLD_ROWS))
    key_m, pwd_m = old_system.lock_a_and_its_owner()
    e = db.env

    # The backup block, with this test's addresses: mysqldump prompts for the password at -p, so
    # it is given inline here; everything else runs as printed.
    backup = "\n".join(migration_doc_block("sh", "mysqldump"))
    assert "-h 127.0.0.1 -P 3306 -u lockadmin -p lockdata" in backup and "redis-cli -n 0 BGSAVE" in backup
    backup = backup.replace("-h 127.0.0.1 -P 3306 -u lockadmin -p lockdata",
                            f"-h {e['host']} -P {e['port']} -u {e['user']} --password={e['password']} lockdata")
    backup = backup.replace("lockdata", db.name).replace("redis-cli ", f"redis-cli -p {redis.port} ")
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", backup], cwd=tmp_path, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    dump = tmp_path / f"{db.name}-before-sakura.sql"
    assert "INSERT INTO `lockhistory`" in dump.read_text(), dump.read_text()[:2000]
    wait_for(lambda: "rdb_bgsave_in_progress:0" in redis.cli("INFO", "persistence")
             and (redis.dir / "dump.rdb").exists(), what="BGSAVE finished")
    assert "rdb_last_bgsave_status:ok" in redis.cli("INFO", "persistence")

    # The config block as shown, with this test's servers.
    conf = "\n".join(migration_doc_block("ini", "[sql]"))
    for shown, real in {"server = 127.0.0.1:6379": f"server = {redis.address}",
                        "host = 127.0.0.1": f"host = {e['host']}\nport = {e['port']}",
                        "user = lockadmin": f"user = {e['user']}", "password = ...": f"password = {e['password']}",
                        "database = lockdata": f"database = {db.name}"}.items():
        assert shown in conf, f"the documented config no longer has {shown!r}"
        conf = conf.replace(shown, real)
    conf_path = tmp_path / "sakura.conf"
    conf_path.write_text(conf + f"\n[node]\ndata_dir = {tmp_path / 'data'}\n")
    conf_path.chmod(0o600)
    (tmp_path / "data").mkdir(mode=0o700)

    def ctl(*args):
        r = subprocess.run([str(CTL), "--config", str(conf_path), "--json", *args], capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 0, f"{args}: {r.stdout}{r.stderr}"
        return json.loads(r.stdout), r.stderr

    plan, _ = ctl("migrate", "--dry-run")
    assert plan["version_before"] == 0 and [s["version"] for s in plan["items"]] == [1, 2, 3], plan
    assert "lockhistory: copy 3 rows" in plan["items"][1]["summary"], plan
    assert "user2lock" in plan["items"][2]["summary"], plan
    assert db.sql("SHOW TABLES LIKE 'schema_version'") == [], "a dry run wrote schema_version"
    assert db.sql("SHOW TABLES LIKE 'lockhistory_v0'") == [], "a dry run converted lockhistory"

    done, progress = ctl("migrate")
    assert done["version_after"] == 3 and all(s["applied"] for s in done["items"]), done
    assert "back up first: mysqldump --single-transaction" in progress, progress
    assert db.sql("SELECT COUNT(*) FROM lockhistory_v0") == [["3"]]
    assert db.sql("SELECT MAX(version) FROM schema_version") == [["3"]]

    # The broker starts on the migrated database: nothing left to convert, the old rows readable.
    api = old_system.start_sakura()
    items = history(api.base, LOCK_A, key_m, pwd_m)
    assert [(i["text"], i["ts"]) for i in items] == list(reversed(OLD_ROWS)), items
    assert "schema 2" not in api.broker.log() and "schema 3 applied" not in api.broker.log()

    # The backups are backups: the dump restores the old tables into an empty database, and
    # Redis's dump.rdb, copied aside, starts a redis-server with db 0 and db 1 as they were.
    restored = OldDatabase()
    try:
        r = subprocess.run(["mariadb", "--no-defaults", "-h", e["host"], "-P", e["port"], "-u", e["user"],
                            f"-p{e['password']}", restored.name], stdin=dump.open(), capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert restored.sql("SELECT message, time FROM lockhistory ORDER BY time") == \
            [[t, str(ts)] for t, ts in OLD_ROWS]
        assert restored.sql("SELECT COUNT(*) FROM user2lock") == [["3"]]
    finally:
        restored.drop()
    aside = tmp_path / "redis-aside"
    aside.mkdir()
    shutil.copy(redis.dir / "dump.rdb", aside / "dump.rdb")
    copy = Redis(aside).start()
    try:
        assert copy.cli("HGET", f"mqtt_user:{LOCK_A}", "password") == PW_A
        assert copy.cli("HGET", f"mqtt_user:{key_m}", "password") == pwd_m
        assert copy.cli("HGET", "monitor", LOCK_A, db=1) == "-2"
    finally:
        copy.stop()


def test_documented_user2lock_queries_find_the_rows_that_block_step_3(old_system):
    """An old user2lock that binds one user twice stops step 3 with counts; the two queries
    docs/migration.md gives find exactly the offending rows; once one is removed, migrate runs."""
    from ctl_support import run_ctl
    db = old_system.db
    old_tables(db)
    db.sql(f"INSERT INTO user2lock VALUES ('{M_A}', '{LOCK_B}', 'f', '2021-03-07')")  # M_A twice
    settings = db.settings()
    r = run_ctl("migrate", settings=settings, check=False)
    assert r.returncode != 0 and "user2lock" in r.stdout + r.stderr, r
    queries = [q for q in "\n".join(migration_doc_block("sql", "GROUP BY BINARY")).split(";") if q.strip()]
    assert len(queries) == 2
    assert db.sql(queries[0]) == [[M_A, "2"]]
    assert db.sql(queries[1]) == []
    db.sql(f"DELETE FROM user2lock WHERE userno = '{M_A}' AND lockno = '{LOCK_B}'")
    done = json.loads(run_ctl("--json", "migrate", settings=settings).stdout)
    assert done["version_after"] == 3, done
    assert db.sql("SELECT COUNT(*) FROM user2lock") == [["3"]]


def test_documented_pinning_loop_pins_lock_accounts_only(old_system):
    """docs/migration.md's loop pins each old lock account to its lockno as client id and leaves
    the mini-program's keys alone; the pinned lock connects as before, its credentials under
    another client id are refused."""
    redis, db = old_system.redis, old_system.db
    old_tables(db)
    key_m, pwd_m = old_system.lock_a_and_its_owner()
    redis.cli("HSET", f"mqtt_user:{LOCK_B}", "password", PW_B)
    loop = "\n".join(migration_doc_block("sh", "--scan --pattern")).replace("redis-cli ", f"redis-cli -p {redis.port} ")
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", loop], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert redis.cli("HGET", f"mqtt_user:{LOCK_A}", "clientid") == LOCK_A
    assert redis.cli("HGET", f"mqtt_user:{LOCK_B}", "clientid") == LOCK_B
    assert redis.cli("HEXISTS", f"mqtt_user:{key_m}", "clientid") == "0"
    api = old_system.start_sakura()
    sim = LockSim(api.broker.port, "--bolt-ms", 10, lockno=LOCK_A, password=PW_A)
    try:
        sim.wait_event("status", LOCK_A, "1")
        thief = mqtt_raw.Client(api.broker.port)
        thief.connect("not-the-lock", expect_code=2, username=LOCK_A, password=PW_A)
        phone = mqtt_raw.Client(api.broker.port)
        phone.connect("old-phone-m", username=key_m, password=pwd_m)
    finally:
        sim.stop()
