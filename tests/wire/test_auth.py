"""Authentication and ACL against a running broker, on both credential backends: the keys the old
Python login wrote (mqtt_user / mqtt_acl) must let real clients do what the mini-program and the
locks did, and nothing more. Redis-only cases (hash schemes, Redis down, deletion behind the
broker's back, renewal) are in test_auth_redis.py."""
import os
import subprocess
import time

import pytest

import mqtt_raw
from auth_support import backend  # noqa: F401 (a fixture)
from auth_support import (device_acl, login_acl, mosquitto_pub, mosquitto_sub, new_key, new_lockno,
                          start_with_backend as start, wait_subscribed)
from conftest import ROOT, wait_for

GRANTED_QOS1, DENIED = 1, 0x80


def raw(broker, user, password, client_id, code=0):
    c = mqtt_raw.Client(broker.port)
    c.connect(client_id, expect_code=code, username=user, password=password)
    return c


@pytest.fixture
def site(start_broker, backend):
    """One lock with its device credentials, its two owners logged in, a superuser watcher."""
    s = type("Site", (), {})()
    s.lock = new_lockno()
    s.other = new_lockno()
    s.lock_pwd = "dev-" + new_key()[1]
    s.m, s.m_pwd = new_key()
    s.f, s.f_pwd = new_key()
    s.root, s.root_pwd = "root-" + new_lockno(), "rootpw"
    backend.put_user(s.lock, {"password": s.lock_pwd}, device_acl(s.lock))
    backend.put_user(s.m, {"password": s.m_pwd}, login_acl(s.lock, "m"))
    backend.put_user(s.f, {"password": s.f_pwd}, login_acl(s.lock, "f"))
    backend.put_user(s.root, {"password": s.root_pwd, "is_superuser": "1"})
    s.broker = start(start_broker, backend)
    return s


def watch(site, filter_="#"):
    """A superuser that sees everything routed, to prove what did and did not get through."""
    w = raw(site.broker, site.root, site.root_pwd, "watch-" + new_lockno())
    assert w.subscribe(1, (filter_, 1)) == [GRANTED_QOS1]
    return w


def next_publish(client, timeout=5):
    while True:
        p = client.expect(mqtt_raw.PUBLISH, timeout=timeout)
        if p.qos:
            client.send(mqtt_raw.ack("puback", p.publish_id))
        return p


def test_refusals(site):
    b = site.broker
    raw(b, site.m, site.m_pwd + "x", "c1", code=5).close()
    raw(b, site.m, None, "c2", code=5).close()
    raw(b, "nobody-" + new_lockno(), "pw", "c3", code=5).close()
    raw(b, None, None, "c4", code=5).close()  # anonymous refused by default
    raw(b, site.m, site.f_pwd, "c5", code=5).close()  # another user's password
    assert b.alive()


def test_owner_with_mosquitto_clients(site):
    """mosquitto_sub/pub as the mini-program: status of its own lock in, its own role out."""
    b, w = site.broker, watch(site)
    sub = mosquitto_sub(b.port, site.m, site.m_pwd, f"/{site.lock}/#", "owner-m-sub", count=2)
    try:
        wait_subscribed(b, "owner-m-sub", f"/{site.lock}/#")
        r = mosquitto_pub(b.port, site.lock, site.lock_pwd, f"/{site.lock}/statu", "1")
        assert r.returncode == 0, r.stderr
        r = mosquitto_pub(b.port, site.m, site.m_pwd, f"/{site.lock}/m", "open")
        assert r.returncode == 0, r.stderr
        out, err = sub.communicate(timeout=20)
    finally:
        sub.kill()
    assert out.splitlines() == [f"/{site.lock}/statu 1", f"/{site.lock}/m open"], err
    seen = [(p.topic, p.payload) for p in (next_publish(w), next_publish(w))]
    assert seen == [(f"/{site.lock}/statu", b"1"), (f"/{site.lock}/m", b"open")]


def test_owner_cannot_act_as_other_owner_or_other_lock(site):
    b, w = site.broker, watch(site)
    # Denied publishes are still acknowledged (mosquitto_pub -q 1 succeeds) but never routed: the
    # watcher's next message is the allowed one sent after them.
    for topic in (f"/{site.lock}/f", f"/{site.lock}/call", f"/{site.lock}/statu", f"/{site.other}/m",
                  "/unauth/x", "other"):
        r = mosquitto_pub(b.port, site.m, site.m_pwd, topic, "forged")
        assert r.returncode == 0, r.stderr
    r = mosquitto_pub(b.port, site.m, site.m_pwd, f"/{site.lock}/m", "real")
    assert r.returncode == 0
    p = next_publish(w)
    assert (p.topic, p.payload) == (f"/{site.lock}/m", b"real")

    c = raw(b, site.m, site.m_pwd, "owner-m-raw")
    codes = c.subscribe(7, (f"/{site.lock}/#", 1), (f"/{site.lock}/statu", 1), (f"/{site.other}/#", 1),
                        ("#", 1), ("/#", 1), ("/+/statu", 1), ("/unauth", 1), (f"/{site.lock}/+", 1))
    assert codes == [GRANTED_QOS1, GRANTED_QOS1, DENIED, DENIED, DENIED, DENIED, DENIED, GRANTED_QOS1]
    c.close()


def test_lock_device_acl(site):
    b, w = site.broker, watch(site)
    c = raw(b, site.lock, site.lock_pwd, site.lock)
    assert c.subscribe(1, (f"/{site.lock}/call", 1), (f"/{site.lock}/ota", 1), (f"/{site.lock}/m", 1),
                       (f"/{site.lock}/#", 1), (f"/{site.other}/call", 1)) == [
        GRANTED_QOS1, GRANTED_QOS1, DENIED, DENIED, DENIED]
    c.send(mqtt_raw.publish(f"/{site.lock}/call", "unlock", qos=1, packet_id=5))
    assert c.expect(mqtt_raw.PUBACK).packet_id == 5  # acknowledged although denied
    c.send(mqtt_raw.publish(f"/{site.other}/statu", "0", qos=1, packet_id=6))
    assert c.expect(mqtt_raw.PUBACK).packet_id == 6
    c.send(mqtt_raw.publish(f"/{site.lock}/fw", '{"v":"1.0"}', qos=1, packet_id=7))
    assert c.expect(mqtt_raw.PUBACK).packet_id == 7
    p = next_publish(w)
    assert (p.topic, p.payload) == (f"/{site.lock}/fw", b'{"v":"1.0"}')
    c.close()


def test_will_is_checked(site):
    """The lock's Last Will (/L/statu -2) gets out; a will on a topic the user may not publish does
    not. The two differ in payload, so a leaked denied will cannot pass for the allowed one."""
    b, w = site.broker, watch(site)
    topic = f"/{site.lock}/statu"
    bad = mqtt_raw.Client(b.port)
    bad.connect("will-bad", username=site.m, password=site.m_pwd, will=(topic, "-2 denied (m)", 1, False))
    good = mqtt_raw.Client(b.port)
    good.connect("will-good", username=site.lock, password=site.lock_pwd, will=(topic, "-2", 1, False))
    bad.close()
    wait_for(lambda: "will denied client=will-bad" in b.log(), what="will denied")
    good.close()
    p = next_publish(w)
    assert (p.topic, p.payload) == (topic, b"-2")
    # Both wills have been decided (the denial is logged, the allowed one arrived): a marker from
    # the watcher, routed after both, proves the denied one is not on its way either.
    rest = w.until_marker(acknowledge=True)
    assert [(q.topic, q.payload) for q in rest if q.type == mqtt_raw.PUBLISH] == []


def test_mqttjs_client(site):
    """MQTT.js, the library the mini-program's client is built from, over TCP."""
    if not (ROOT / "node_modules" / "mqtt").exists():
        pytest.skip("node_modules/mqtt not installed (npm ci)")
    r = subprocess.run(["node", str(ROOT / "tests" / "wire" / "auth_mqttjs.js"),
                        f"mqtt://127.0.0.1:{site.broker.port}", site.lock, site.m, site.m_pwd,
                        site.lock_pwd], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "mqttjs: ok" in r.stdout, r.stdout


def test_brute_force_throttled(start_broker, backend):
    user, pwd = new_key()
    backend.put_user(user, {"password": pwd}, login_acl(new_lockno(), "m"))
    b = start(start_broker, backend, auth__max_failures_per_user="2", auth__lockout_base="30s")
    for i in range(3):
        raw(b, user, "guess", f"g{i}", code=5).close()
    raw(b, user, pwd, "right-but-blocked", code=5).close()
    wait_for(lambda: "throttled after failed logins" in b.log(), what="throttling logged")


def test_hostile_usernames(start_broker, backend):
    """Each name stays one key: it neither reaches another user's hash nor breaks the protocol."""
    names = ["with space", "per%cent%u%c", "crlf\r\nDEL mqtt_user:victim\r\n", "x" * 60000,
             "*1\r\n$4\r\nPING\r\n", "ctl\x01\x7f", "victim ", "VICTIM"]
    # The users file is whitespace-separated, so the embedded run stores only the others.
    stored = [n for n in names if backend.name == "redis" or not any(ch.isspace() for ch in n)]
    backend.put_user("victim", {"password": "victim-pw"})
    for n in stored:
        backend.put_user(n, {"password": "own"})
    b = start(start_broker, backend)
    for i, n in enumerate(names):
        raw(b, n, "own", f"h{i}", code=0 if n in stored else 5).close()
        raw(b, n, "victim-pw", f"hv{i}", code=5).close()
    raw(b, "victim", "victim-pw", "victim").close()  # nothing deleted, nothing confused
    # A username that is not UTF-8 is a protocol error: the connection closes without a session.
    c = mqtt_raw.Client(b.port)
    body = mqtt_raw._str(b"MQTT") + bytes([4, 0xC2]) + b"\x00\x3c" + mqtt_raw._str("nonutf8") + \
        mqtt_raw._str(b"\xff\xfe") + mqtt_raw._str("pw")
    c.send(mqtt_raw.packet(0x10, body))
    assert c.closed(timeout=5)
    assert b.alive()


def test_global_rules(start_broker, backend, tmp_path):
    """auth.acl_file decides for anonymous clients and users without rows, before acl_nomatch."""
    rules = tmp_path / "acl.conf"
    rules.write_text("# global rules\n"
                     "allow anonymous   subscribe /public/#\n"
                     "deny  all         publish   /public/#\n"
                     "allow user:ops    pubsub    /ops/%u/# /ops/%c\n"
                     "allow all         subscribe eq:/lobby/+\n")
    backend.put_user("ops", {"password": "ops-pw"})  # no rows: global rules apply
    backend.put_user("rowed", {"password": "r"}, {"/mine": "3"})  # rows: whitelist only
    b = start(start_broker, backend, auth__allow_anonymous="true", auth__acl_file=str(rules))
    anon = raw(b, None, None, "anon")
    assert anon.subscribe(1, ("/public/#", 1), ("/ops/ops/#", 1), ("/lobby/+", 1), ("/lobby/x", 1)) == [
        GRANTED_QOS1, DENIED, GRANTED_QOS1, DENIED]
    ops = raw(b, "ops", "ops-pw", "console")
    assert ops.subscribe(2, ("/ops/ops/#", 1), ("/ops/console", 1), ("/ops/other/#", 1), ("/public/#", 1)) == [
        GRANTED_QOS1, GRANTED_QOS1, DENIED, DENIED]
    rowed = raw(b, "rowed", "r", "rowed")
    assert rowed.subscribe(3, ("/mine", 1), ("/lobby/+", 1)) == [GRANTED_QOS1, DENIED]
    # A publish denied by a rule is not routed: the subscribers' next message is the allowed one.
    pub = raw(b, "ops", "ops-pw", "ops-pub")
    pub.send(mqtt_raw.publish("/public/news", "forged", qos=1, packet_id=9))
    pub.expect(mqtt_raw.PUBACK)
    pub.send(mqtt_raw.publish("/ops/ops/y", "seen", qos=1, packet_id=11))
    pub.expect(mqtt_raw.PUBACK)
    p = next_publish(ops)
    assert (p.topic, p.payload) == ("/ops/ops/y", b"seen")
    anon.send(mqtt_raw.PINGREQ)
    assert anon.expect(mqtt_raw.PINGRESP)  # nothing was delivered to it before the ping answer


def test_login_outcomes_in_metrics(start_broker, backend):
    """Failed and throttled logins are counted on /metrics (Prometheus text)."""
    import re
    import urllib.request
    user, pwd = new_key()
    backend.put_user(user, {"password": pwd})
    b = start(start_broker, backend, http__ops_bind="127.0.0.1:0", auth__max_failures_per_user="1",
              auth__lockout_base="30s")
    raw(b, user, "guess-1", "g1", code=5).close()
    raw(b, user, "guess-2", "g2", code=5).close()
    raw(b, user, pwd, "blocked", code=5).close()
    raw(b, "nobody-" + new_lockno(), "x", "g3", code=5).close()

    def counts():
        text = urllib.request.urlopen(f"http://127.0.0.1:{b.ports['http_ops']}/metrics", timeout=10).read().decode()
        return {m.group(1): int(m.group(2))
                for m in re.finditer(r'^sakura_auth_logins_total\{result="(\w+)"\} (\d+)$', text, re.M)}

    c = counts()
    assert c["bad_password"] == 2 and c["throttled"] == 1 and c["unknown_user"] == 1, c
    assert c["accepted"] == 0
