"""Auth cases that need a Redis of their own: every hash scheme against hashes computed here with
Python's hashlib/crypt, Redis going down and coming back, credentials deleted or expiring behind
the broker's back, and the exact commands the broker sends (redis-cli MONITOR)."""
import crypt
import hashlib
import shlex
import subprocess
import time

import pytest

import mqtt_raw
from auth_support import Redis, code_of, login_acl, new_key, new_lockno
from conftest import BROKER_BIN, wait_for


@pytest.fixture
def redis(tmp_path):
    r = Redis(tmp_path).start()
    yield r
    r.stop()


def start(start_broker, redis, **settings):
    return start_broker(auth__backend="redis", redis__server=redis.address,
                        auth__allow_anonymous="false", **settings)


def put(redis, user, **fields):
    redis.cli("DEL", f"mqtt_user:{user}")
    redis.cli("HSET", f"mqtt_user:{user}", *[x for kv in fields.items() for x in kv])


PW, SALT = "p@ss w0rd", "s4lt"


def digest(name, data):
    return hashlib.new(name, data.encode()).hexdigest()


SCHEMES = {
    "plain": lambda: {"password": PW},
    "md5": lambda: {"password": digest("md5", PW)},
    "sha": lambda: {"password": digest("sha1", PW)},
    "sha256": lambda: {"password": digest("sha256", PW)},
    "sha512": lambda: {"password": digest("sha512", PW)},
    "salt,md5": lambda: {"password": digest("md5", SALT + PW), "salt": SALT},
    "sha256,salt": lambda: {"password": digest("sha256", PW + SALT), "salt": SALT},
    "salt,sha512": lambda: {"password": digest("sha512", SALT + PW), "salt": SALT},
    "pbkdf2,sha256,1000,20": lambda: {
        "password": hashlib.pbkdf2_hmac("sha256", PW.encode(), SALT.encode(), 1000, 20).hex(), "salt": SALT},
    "bcrypt": lambda: {"password": crypt.crypt(PW, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))},
}


@pytest.mark.parametrize("scheme", SCHEMES)
def test_hash_scheme(start_broker, redis, scheme):
    user = "u-" + new_lockno()
    put(redis, user, **SCHEMES[scheme]())
    b = start(start_broker, redis, auth__password_hash=scheme, auth__acl_nomatch="allow")
    assert code_of(b, user, PW) == 0
    assert code_of(b, user, PW + " ") == 5
    assert code_of(b, user, PW.upper()) == 5


def test_bad_auth_settings_name_the_key(tmp_path):
    for key, value in [("auth.password_hash", "sha3"), ("auth.password_hash", "pbkdf2,sha256,0,20"),
                       ("auth.auth_cmd", "GET mqtt_user:%u"), ("auth.acl_file", str(tmp_path / "none"))]:
        r = subprocess.run([str(BROKER_BIN), "--set", "listener.tcp.bind=127.0.0.1:0", "--set",
                            "listener.ws.bind=off", "--set", "http.bind=off", "--set",
                            f"node.data_dir={tmp_path}", "--set", f"{key}={value}"],
                           capture_output=True, text=True, timeout=20)
        assert r.returncode != 0
        assert key in r.stdout + r.stderr


def test_redis_down_refuses_then_recovers(start_broker, redis):
    key, pwd = new_key()
    put(redis, key, password=pwd)
    b = start(start_broker, redis, limits__connect_timeout="3s")
    assert code_of(b, key, pwd) == 0
    redis.stop()
    t0 = time.monotonic()
    assert code_of(b, key, pwd, "while-down") == 5
    assert time.monotonic() - t0 < 5.5, "refusal took longer than the connect timeout (3 s) and a sweep"
    # Store errors are not counted as failed logins: no throttling afterwards.
    for i in range(8):
        assert code_of(b, key, pwd, f"down{i}") == 5
    assert b.alive()
    redis.start()  # same port, empty: the credentials come back the way a restore would
    put(redis, key, password=pwd)
    wait_for(lambda: code_of(b, key, pwd, "after") == 0, timeout=20, interval=0.2,
             what="logins accepted again after Redis returned")


def test_deleted_credentials_disconnect(start_broker, redis):
    """An operator's DEL (not through revoke) still ends the session within one check interval."""
    key, pwd = new_key()
    put(redis, key, password=pwd)
    b = start(start_broker, redis, auth__credential_check="300ms", auth__acl_nomatch="allow")
    c = mqtt_raw.Client(b.port)
    c.connect("victim", username=key, password=pwd)
    other_key, other_pwd = new_key()
    put(redis, other_key, password=other_pwd)
    other = mqtt_raw.Client(b.port)
    other.connect("bystander", username=other_key, password=other_pwd)
    redis.cli("DEL", f"mqtt_user:{key}", f"mqtt_acl:{key}")
    assert c.closed(timeout=5)
    wait_for(lambda: f"credentials of user={key} are gone" in b.log(), what="revocation logged")
    other.send(mqtt_raw.PINGREQ)
    other.expect(mqtt_raw.PINGRESP)  # the bystander stays
    assert code_of(b, key, pwd, "again") == 5


def test_unauth_revokes_and_disconnects(start_broker, redis):
    """The mini-program's Last Will on /unauth: its own keys go, its other sessions are dropped."""
    key, pwd = new_key()
    lock = new_lockno()
    put(redis, key, password=pwd)
    redis.cli("HMSET", f"mqtt_acl:{key}", *[x for kv in login_acl(lock, "m").items() for x in kv])
    b = start(start_broker, redis)
    other = mqtt_raw.Client(b.port)
    other.connect("second-tab", username=key, password=pwd)
    c = mqtt_raw.Client(b.port)
    c.connect("mini", username=key, password=pwd, will=("/unauth", key, 1, False))
    c.close()  # no DISCONNECT: the will goes out
    wait_for(lambda: redis.cli("EXISTS", f"mqtt_user:{key}") == "0", what="mqtt_user deleted")
    assert redis.cli("EXISTS", f"mqtt_acl:{key}") == "0"
    assert other.closed(timeout=5)
    assert code_of(b, key, pwd, "again") == 5


def test_expiring_credentials_renewed_while_connected(start_broker, redis):
    """/login credentials carry a ttl field and an expiry; a connected client keeps them alive."""
    b = start(start_broker, redis, auth__credential_check="200ms")
    key, pwd = new_key()
    lock = new_lockno()
    put(redis, key, password=pwd, ttl="30")
    redis.cli("HMSET", f"mqtt_acl:{key}", *[x for kv in login_acl(lock, "m").items() for x in kv])
    # Written after the broker is up, so a slow start cannot let them expire before the login.
    redis.cli("PEXPIRE", f"mqtt_user:{key}", "3000")
    redis.cli("PEXPIRE", f"mqtt_acl:{key}", "3000")
    permanent, ppwd = new_key()
    put(redis, permanent, password=ppwd)
    c = mqtt_raw.Client(b.port)
    c.connect("renewed", username=key, password=pwd)
    p = mqtt_raw.Client(b.port)
    p.connect("permanent", username=permanent, password=ppwd)
    # Renewed to the ttl field (30 s), far past the original 3 s.
    wait_for(lambda: int(redis.cli("PTTL", f"mqtt_user:{key}")) > 10000, what="mqtt_user renewed")
    wait_for(lambda: int(redis.cli("PTTL", f"mqtt_acl:{key}")) > 10000, what="mqtt_acl renewed")
    assert redis.cli("PTTL", f"mqtt_user:{permanent}") == "-1", "a permanent credential got an expiry"
    c.send(mqtt_raw.PINGREQ)
    c.expect(mqtt_raw.PINGRESP)


def test_commands_are_well_formed(start_broker, redis):
    """MONITOR shows each lookup as one command whose key is the username, whatever it contains."""
    names = ["plain", "with space", 'quote"and\\slash', "crlf\r\nFLUSHALL\r\n", "%u%c", "x" * 5000]
    for n in names:
        put(redis, n, password="pw")
    b = start(start_broker, redis)
    mon = subprocess.Popen(["redis-cli", "-p", str(redis.port), "monitor"], stdout=subprocess.PIPE,
                           text=True, errors="replace")
    try:
        assert mon.stdout.readline().strip() == "OK"
        for i, n in enumerate(names):
            assert code_of(b, n, "pw", f"m{i}") == 0
        redis.cli("SET", "monitor-end", "1")
        lines = []
        for line in mon.stdout:
            if '"SET" "monitor-end"' in line:
                break
            lines.append(line)
    finally:
        mon.kill()
    keys, reserved = [], []
    for line in lines:
        argv = shlex.split(line.split("]", 1)[1])  # after the "[db addr]" prefix
        if argv[0] == "HMGET" and argv[2:] == ["clientid"]:
            reserved.append(argv[1])  # is the client id another account's pinned id? (docs/auth.md)
        elif argv[0] == "HMGET":
            assert argv[2:] == ["password", "salt", "is_superuser", "ttl", "hash", "clientid"], argv
            keys.append(argv[1])
        elif argv[0] == "HGETALL":
            assert len(argv) == 2, argv
    # MONITOR shows CR and LF as backslash escapes; shlex has already undone its quoting.
    shown = ["mqtt_user:" + n.replace("\r", "\\r").replace("\n", "\\n") for n in names]
    assert keys == shown
    assert reserved == [f"mqtt_user:m{i}" for i in range(len(names))]
    assert redis.cli("DBSIZE") != "0"  # nothing flushed
