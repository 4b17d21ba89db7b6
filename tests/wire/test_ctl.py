"""sakura-ctl's groups against the real broker and stores, online (through the running broker's
ops bind) and offline (the same admin routes run inside sakura-ctl on the stores), on the
embedded store and on Redis + MariaDB: devices, bindings, credentials, firmware, clients,
sessions, locks, check, and --help covering every group."""
import json
import os
import stat

import pytest

import mqtt_raw
from conftest import wait_for
from ctl_support import run_ctl
from auth_support import code_of
from http_support import ADMIN, backends, random_lockno, start_api

run = run_ctl


class Ctl:
    """sakura-ctl on the stores of `settings`: online through `api`'s ops bind, or offline."""

    def __init__(self, settings, api=None):
        self.settings, self.api = settings, api

    def __call__(self, *args, check=True):
        mode = ["--url", self.api.ops_base, "--token", ADMIN] if self.api else ["--offline"]
        return run(*mode, *args, settings=self.settings, check=check)

    def json(self, *args):
        return json.loads(self("--json", *args).stdout)


def store_settings(backend, data_dir):
    s = {"node.data_dir": str(data_dir), "auth.issued_password_hash": "pbkdf2,sha256,1000,32"}
    s.update(backend)
    return s


def test_help_covers_every_group():
    out = run("--help").stdout
    for group in ("user", "device", "binding", "credential", "firmware", "client", "session", "lock", "check",
                  "migrate"):
        assert f"\n  {group} " in out, group
    for command in ("reissue", "bind", "unbind", "revoke", "upload", "offer", "progress", "kick", "status", "events"):
        assert command in out, command
    assert run("device", check=False).returncode == 2
    assert run("nope", check=False).returncode == 2


@pytest.mark.parametrize("backend", backends())
def test_offline_then_online(start_broker, tmp_path, backend):
    """Offline on the stores, then the same commands online; what one wrote the other reads."""
    data = tmp_path / "data"
    s = store_settings(backend, data)
    off = Ctl(s)
    lock = random_lockno()
    added = off.json("device", "add", lock)
    assert added["username"] == lock and len(added["password"]) >= 16
    assert lock in [d["lockno"] for d in off.json("device", "list", "--limit", "1000")["items"]]
    off("binding", "bind", "openid-m-" + lock, lock, "m")
    assert off("binding", "bind", "openid-x-" + lock, lock, "m", check=False).returncode == 1  # role taken
    assert off.json("binding", "list", "--lock", lock)["items"] == [
        {"userno": "openid-m-" + lock, "lockno": lock, "morf": "m", "adate": off.json(
            "binding", "list", "--user", "openid-m-" + lock)["items"][0]["adate"]}]
    # A new password offline: printed once, the old one stops working.
    new = off.json("device", "reissue", lock)["password"]
    assert new != added["password"]
    if backend == {} or "sql.backend" not in backend:
        assert stat.S_IMODE(os.stat(data / "sakura.db").st_mode) == 0o600
    image = tmp_path / "fw.bin"
    image.write_bytes(os.urandom(3000))
    version = "2.0." + lock  # the shared MariaDB keeps other runs' images
    off("firmware", "upload", str(image), "--version", version)
    assert version in [f["version"] for f in off.json("firmware", "list")["items"]]
    assert stat.S_IMODE(os.stat(data / "firmware" / f"{version}.bin").st_mode) & 0o077 == 0
    # What needs a broker says so offline instead of pretending.
    for cmd in (("client", "list"), ("session", "list"), ("firmware", "offer", version, lock)):
        r = off(*cmd, check=False)
        assert r.returncode == 1 and "running broker" in r.stderr, r.stderr

    api = start_api(start_broker, backend, node__data_dir=str(data),
                    auth__issued_password_hash="pbkdf2,sha256,1000,32", http__public_url="http://127.0.0.1:1")
    on = Ctl(s, api)
    assert on.json("device", "show", lock)["lockno"] == lock
    assert code_of(api.broker, lock, added["password"], lock) == 5
    c = mqtt_raw.Client(api.broker.port)
    c.connect(lock, username=lock, password=new)
    assert c.subscribe(1, (f"/{lock}/ota", 1)) == [1]
    c.send(mqtt_raw.publish(f"/{lock}/statu", b"1", qos=1, packet_id=2))
    c.expect(mqtt_raw.PUBACK)
    # clients and sessions of the running broker
    clients = on.json("client", "list")["items"]
    assert [x["client_id"] for x in clients if x["username"] == lock] == [lock]
    shown = on.json("client", "show", lock)
    assert shown["connected"] is True and shown["session"]["username"] == lock
    assert lock in [x["client_id"] for x in on.json("session", "list")["items"]]
    # lock status from monitor, last events from history
    status = wait_for(lambda: (lambda st: st if st["status"] == "1" and st["events"] else None)(
        on.json("lock", "status", lock)), what="the lock's status")
    # The first status of a lock is recorded as it comes online (lockrules decides the text).
    assert status["connected"] is True and status["events"][0]["event"] in ("online", "locked")
    assert on.json("lock", "events", lock)["items"][0]["event"] == status["events"][0]["event"]
    # firmware offered to the lock arrives on its /ota topic; its /fw report is its progress
    on("firmware", "offer", version, lock)
    p = c.expect(mqtt_raw.PUBLISH)
    offer = json.loads(p.payload)
    assert p.topic == f"/{lock}/ota" and offer["version"] == version and offer["size"] == 3000, offer
    if p.qos:
        c.send(mqtt_raw.ack("puback", p.packet_id))
    c.send(mqtt_raw.publish(f"/{lock}/fw", json.dumps({"version": "2.0.0", "state": "downloading",
                                                       "progress": 40}).encode()))
    wait_for(lambda: (on.json("firmware", "progress", lock)["ota"] or {}).get("progress") == "40",
             what="the lock's progress")
    # kick: the connection goes (with its will), the account stays
    on("client", "kick", lock)
    assert c.closed(timeout=5)
    assert on("client", "show", lock + "x", check=False).returncode == 1
    c2 = mqtt_raw.Client(api.broker.port)
    c2.connect(lock, username=lock, password=new)
    # remove: credentials, bindings and the connection go
    on("device", "remove", lock)
    assert c2.closed(timeout=5)
    assert on.json("binding", "list", "--lock", lock)["items"] == []
    assert on("device", "show", lock, check=False).returncode == 1
    assert code_of(api.broker, lock, new, lock) == 5
    assert new not in api.broker.log() and added["password"] not in api.broker.log()


@pytest.mark.parametrize("backend", backends())
def test_users_and_credentials_online(start_broker, tmp_path, backend):
    """Keys /login issues are listed per WeChat user with their expiry, and revoked one by one;
    users and ACL rows through the running broker."""
    data = tmp_path / "data"
    s = store_settings(backend, data)
    api = start_api(start_broker, backend, node__data_dir=str(data),
                    auth__issued_password_hash="pbkdf2,sha256,1000,32", auth__credential_ttl="1h")
    on = Ctl(s, api)
    lock = random_lockno()
    on("device", "add", lock)
    openid = "wx-" + lock
    on("binding", "bind", openid, lock, "f")
    keys = []
    for _ in range(2):
        r = api.login(openid)
        assert r.status == 200 and r.json()["exists"] == 1, r
        keys.append((r.json()["key"], r.json()["pwd"]))
    issued = on.json("credential", "list", openid)["items"]
    assert sorted(k["key"] for k in issued) == sorted(k for k, _ in keys)
    assert all(3500_000 < k["expires_in_ms"] <= 3600_000 for k in issued)
    c = mqtt_raw.Client(api.broker.port)
    c.connect("phone-1", username=keys[0][0], password=keys[0][1])
    on("credential", "revoke", keys[0][0])
    assert c.closed(timeout=5)
    assert code_of(api.broker, keys[0][0], keys[0][1], "p") == 5
    assert code_of(api.broker, keys[1][0], keys[1][1], "p") == 0
    assert on("credential", "revoke", keys[0][0], check=False).returncode == 1
    # unbind revokes the rest
    on("binding", "unbind", openid)
    assert code_of(api.broker, keys[1][0], keys[1][1], "p") == 5
    assert on.json("credential", "list", openid)["items"] == []

    # users, ACL rows and a listing that pages through the scan
    name = "ops/" + lock + "+x"
    out = on("user", "add", name)
    pw = next(l.split(": ", 1)[1] for l in out.stdout.splitlines() if l.startswith("password: "))
    on("user", "acl", name, "/ops/#", "3")
    shown = on.json("user", "show", name)
    assert shown["acl"] == {"/ops/#": "3"} and "password" not in shown["fields"]
    assert pw not in api.broker.log()
    assert name in [u["username"] for u in on.json("user", "list")["items"]]
    c = mqtt_raw.Client(api.broker.port)
    c.connect("ops-client", username=name, password=pw)
    on("user", "del", name)
    assert c.closed(timeout=5)
    assert on("user", "show", name, check=False).returncode == 1


def test_check(tmp_path):
    good = {"node.data_dir": str(tmp_path / "data")}
    r = run("check", settings=good)
    assert "schema version" in r.stdout and "reachable" in r.stdout, r.stdout
    assert [p["ok"] for p in json.loads(run("--json", "check", settings=good).stdout)["items"]] == [True] * 3
    down = dict(good, **{"auth.backend": "redis", "redis.server": "127.0.0.1:1"})
    r = run("check", "--timeout", "1", settings=down, check=False)
    assert r.returncode == 1 and "redis 127.0.0.1:1" in r.stdout, r.stdout
    bad = dict(good, **{"auth.auth_cmd": "DEL mqtt_user:%u"})
    r = run("--json", "check", settings=bad, check=False)
    assert r.returncode == 1 and json.loads(r.stdout)["items"][0]["ok"] is False
    assert run("check", settings={"no.such": "x"}, check=False).returncode == 2


def test_migrate_dry_run_then_apply(tmp_path):
    """sakura-ctl migrate runs the SQL schema's steps the broker runs at start (docs/migration.md):
    --dry-run lists them and writes nothing, then they are applied once."""
    import sqlite3
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    # A database that exists without Sakura's schema, as one an operator migrates does.
    with sqlite3.connect(data / "sakura.db") as db:
        db.execute("CREATE TABLE unrelated (x INTEGER)")
    settings = {"node.data_dir": str(data)}
    plan = json.loads(run("--json", "migrate", "--dry-run", settings=settings).stdout)
    assert plan["dry_run"] is True and plan["version_before"] == 0 and plan["version_after"] == 0
    assert plan["latest"] >= 3 and [s["version"] for s in plan["items"]] == list(range(1, plan["latest"] + 1))
    assert not any(s["applied"] for s in plan["items"])
    again = json.loads(run("--json", "migrate", "--dry-run", settings=settings).stdout)
    assert again["version_before"] == 0, "a dry run wrote schema_version"
    done = json.loads(run("--json", "migrate", settings=settings).stdout)
    assert done["version_after"] == done["latest"] == plan["latest"]
    assert all(s["applied"] for s in done["items"]) and len(done["items"]) == len(plan["items"])
    after = json.loads(run("--json", "migrate", settings=settings).stdout)
    assert after["version_before"] == after["latest"] and after["items"] == []
    r = run("migrate", "--nope", settings=settings, check=False)
    assert r.returncode == 2


def test_migrate_dry_run_on_a_new_data_dir_plans_the_first_start(tmp_path):
    """No sakura.db yet: the dry run plans what the broker's first start will do (every step from
    an empty database) and still creates no file."""
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    plan = json.loads(run("--json", "migrate", "--dry-run", settings={"node.data_dir": str(data)}).stdout)
    assert plan["version_before"] == 0 and plan["latest"] >= 3, plan
    assert [s["version"] for s in plan["items"]] == list(range(1, plan["latest"] + 1)), plan
    assert plan["items"][0]["summary"].startswith("create Sakura's tables"), plan
    assert not any(s["applied"] for s in plan["items"])
    assert list(data.iterdir()) == [], "a dry run created files"
