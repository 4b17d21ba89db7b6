"""Drop-in compatibility with the old deployment (issue 17): what the old EMQX 3 and Python
monitor did with data they left behind, checked on the real broker with a real Redis.

- A lock provisioned with only `mqtt_user:<lockno>` (no `mqtt_acl` rows) works through the default
  global rules that ship with Sakura (deploy/acl.conf), and through nothing wider.
"""
import subprocess

import pytest

import mqtt_raw
from auth_support import Redis, login_acl, new_key, new_lockno
from conftest import wait_for


@pytest.fixture
def redis(tmp_path):
    r = Redis(tmp_path)
    r.start()
    yield r
    r.stop()


def start(start_broker, redis, **settings):
    """auth.acl_file and auth.acl_nomatch left at their defaults: the shipped rules, deny."""
    return start_broker(auth__backend="redis", redis__server=redis.address,
                        auth__allow_anonymous="false", **settings)


def monitor(redis, lockno):
    return redis.cli("HGET", "monitor", lockno, db=1).strip()


def lock_client(broker, lockno, password):
    c = mqtt_raw.Client(broker.port)
    c.connect(lockno, username=lockno, password=password)
    return c


def test_a_lock_with_only_mqtt_user_reports_and_opens_and_nobody_else_uses_its_topics(start_broker, redis):
    L, other = new_lockno(), new_lockno()
    lock_pw, other_pw = "lock-pw-1", "lock-pw-2"
    redis.cli("HSET", f"mqtt_user:{L}", "password", lock_pw)  # as the old provisioning left it
    redis.cli("HSET", f"mqtt_user:{other}", "password", other_pw)
    owners = {}
    for morf in "mf":
        key, pwd = new_key()
        redis.cli("HSET", f"mqtt_user:{key}", "password", pwd)
        redis.cli("HSET", f"mqtt_acl:{key}", *[x for kv in login_acl(L, morf).items() for x in kv])
        owners[morf] = (key, pwd)
    b = start(start_broker, redis)
    assert "global rules=6 from " in b.log() and "/share/sakura/acl.conf" in b.log()

    lock = lock_client(b, L, lock_pw)
    assert lock.subscribe(1, (f"/{L}/call", 1), (f"/{L}/ota", 1)) == [1, 1]
    lock.send(mqtt_raw.publish(f"/{L}/statu", "1", qos=1))
    lock.expect(mqtt_raw.PUBACK)
    wait_for(lambda: monitor(redis, L) == "1", what="the lock's status in monitor")

    for morf in "mf":
        key, pwd = owners[morf]
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(b.port), "-u", key, "-P", pwd,
                        "-i", f"owner-{morf}-{L}", "-q", "1", "-t", f"/{L}/{morf}", "-m", "x"],
                       check=True, capture_output=True, timeout=15)
    p = lock.expect(mqtt_raw.PUBLISH, timeout=10)
    assert (p.topic, p.payload) == (f"/{L}/call", b"unlock")

    # Another lock's account: its own topics only.
    o = lock_client(b, other, other_pw)
    assert o.subscribe(1, (f"/{L}/call", 0), (f"/{L}/ota", 0), ("/+/call", 0), ("#", 0),
                       (f"/{other}/statu", 0), (f"/{other}/#", 0)) == [0x80] * 6
    o.send(mqtt_raw.publish(f"/{L}/statu", "0", qos=1))
    o.expect(mqtt_raw.PUBACK)  # dropped, still acknowledged (3.1.1 has no negative ack)
    o.send(mqtt_raw.publish(f"/{L}/call", "unlock", qos=1))
    o.expect(mqtt_raw.PUBACK)
    o.send(mqtt_raw.publish(f"/{other}/statu", "0", qos=1))  # its own: stored
    o.expect(mqtt_raw.PUBACK)
    wait_for(lambda: monitor(redis, other) == "0", what="the other lock's own status")
    assert monitor(redis, L) == "1"
    # The forged unlock never reached the lock (the monitor write above came after it).
    with pytest.raises(TimeoutError):
        lock.recv_packet(timeout=1)

    # A user without rows that is not named like a lock gets none of it (deny by default).
    redis.cli("HSET", "mqtt_user:operator-1", "password", "op")
    s = mqtt_raw.Client(b.port)
    s.connect("op", username="operator-1", password="op")
    assert s.subscribe(1, (f"/{L}/call", 0), (f"/{L}/statu", 0)) == [0x80, 0x80]
    # $SYS as EMQX's default acl.conf: local clients read it (this test runs on loopback).
    assert o.subscribe(2, ("$SYS/broker/uptime", 0)) == [0]
    for c in (lock, o, s):
        c.send(mqtt_raw.DISCONNECT)
        c.close()
