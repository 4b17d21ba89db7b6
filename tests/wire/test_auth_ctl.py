"""sakura-ctl user / device commands against the broker's stores: the embedded file while the
broker is stopped (and a refusal while it runs without an ops bind), and Redis while the broker
runs. The other groups, and the online mode, are in test_ctl.py."""
import crypt
import hashlib
import json

import pytest

import mqtt_raw
from auth_support import Redis, code_of, new_lockno
from ctl_support import run_ctl

def ctl(*args, settings=None, check=True):
    return run_ctl(*args, settings=settings, check=check, timeout=30)


def users(settings):
    return [u["username"] for u in json.loads(ctl("--json", "user", "list", settings=settings).stdout)["items"]]


def password_of(output):
    return next(l.split(": ", 1)[1] for l in output.splitlines() if l.startswith("password: "))


@pytest.fixture
def redis(tmp_path):
    r = Redis(tmp_path).start()
    yield r
    r.stop()


def test_embedded_offline_then_broker(start_broker, tmp_path):
    data = tmp_path / "data"
    s = {"node.data_dir": str(data), "auth.backend": "embedded"}
    lock = new_lockno()
    pwd = password_of(ctl("device", "add", lock, settings=s).stdout)
    ctl("user", "add", "alice", "--password", "alice-pw", settings=s)
    ctl("user", "acl", "alice", "/a/#", "3", settings=s)
    shown = ctl("user", "show", "alice", settings=s).stdout
    assert "alice-pw" not in shown and "password" not in shown and "  /a/#: 3" in shown, shown
    assert ctl("user", "show", "nobody", settings=s, check=False).returncode == 1
    assert users(s) == sorted([lock, "alice"])

    b = start_broker(data_dir=data, auth__backend="embedded", auth__allow_anonymous="false")
    c = mqtt_raw.Client(b.port)
    c.connect(lock, username=lock, password=pwd)
    assert c.subscribe(1, (f"/{lock}/call", 1), (f"/{lock}/ota", 1), (f"/{lock}/statu", 1), ("#", 1)) == [
        1, 1, 0x80, 0x80]
    c.close()
    assert code_of(b, lock, pwd + "x", "x") == 5
    assert code_of(b, "alice", "alice-pw", "alice") == 0

    # While the broker owns the embedded store and no ops bind reaches it, sakura-ctl refuses
    # rather than read or write behind it.
    for cmd in (("user", "add", "bob"), ("user", "list")):
        r = ctl(*cmd, settings=s, check=False)
        assert r.returncode == 1 and "owns the embedded store" in r.stderr, r.stderr
    b.stop()
    ctl("user", "del", "alice", settings=s)
    b.start()
    assert code_of(b, "alice", "alice-pw", "alice2") == 5
    assert code_of(b, lock, pwd, lock) == 0  # a lock connects as its lockno (pinned)


def test_redis_while_running(start_broker, redis, tmp_path):
    s = {"node.data_dir": str(tmp_path / "ctl"), "auth.backend": "redis", "redis.server": redis.address, "auth.password_hash": "bcrypt",
         "auth.issued_password_hash": "bcrypt"}
    b = start_broker(auth__backend="redis", redis__server=redis.address, auth__password_hash="bcrypt",
                     auth__allow_anonymous="false", auth__credential_check="300ms")
    lock = new_lockno()
    pwd = password_of(ctl("device", "add", lock, settings=s).stdout)
    stored = redis.cli("HGET", f"mqtt_user:{lock}", "password")
    assert crypt.crypt(pwd, stored) == stored  # Python's crypt agrees with what sakura-ctl wrote
    assert redis.cli("HGET", f"mqtt_user:{lock}", "hash") == "bcrypt"
    assert redis.cli("HGET", f"mqtt_acl:{lock}", f"/{lock}/statu") == "2"
    assert redis.cli("PTTL", f"mqtt_user:{lock}") == "-1"
    ctl("user", "add", "we*ird [name]", "--password", "x", settings=s)
    redis.cli("SET", "mqtt_user_not_a_user", "1")
    assert users(s) == sorted([lock, "we*ird [name]"])
    c = mqtt_raw.Client(b.port)
    c.connect(lock, username=lock, password=pwd)
    ctl("user", "del", lock, settings=s)
    assert c.closed(timeout=5)  # gone within a credential check
    assert code_of(b, lock, pwd, lock) == 5


def test_salted_slow_hash_and_session_ttl(redis, tmp_path):
    """Whatever auth.password_hash says (it reads the old system's records), what sakura-ctl writes
    is auth.issued_password_hash, named in the record's `hash` field."""
    s = {"node.data_dir": str(tmp_path / "ctl"), "auth.backend": "redis", "redis.server": redis.address,
         "auth.password_hash": "salt,sha256"}
    ctl("user", "add", "sess", "--password", "pw", "--ttl", "10m", settings=s)
    salt = redis.cli("HGET", "mqtt_user:sess", "salt")
    assert redis.cli("HGET", "mqtt_user:sess", "hash") == "pbkdf2,sha256,4096,32"
    assert redis.cli("HGET", "mqtt_user:sess", "password") == \
        hashlib.pbkdf2_hmac("sha256", b"pw", salt.encode(), 4096, 32).hex()
    assert redis.cli("HGET", "mqtt_user:sess", "ttl") == "600"
    assert 590000 < int(redis.cli("PTTL", "mqtt_user:sess")) <= 600000


def test_usage_errors(tmp_path):
    s = {"node.data_dir": str(tmp_path / "data")}
    assert ctl("device", "add", "short", settings=s, check=False).returncode == 2
    assert ctl("device", "add", "has/slash11", settings=s, check=False).returncode == 2
    assert ctl("user", "acl", "a", "/t", "9", settings=s, check=False).returncode == 2
    assert ctl("user", "add", settings=s, check=False).returncode == 2
    assert ctl("nope", settings=s, check=False).returncode == 2
