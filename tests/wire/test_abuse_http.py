"""The HTTP API under attack (issue 16): hostile JSON, the /history password oracle, forwarded
addresses behind nginx, bodies sent before authentication, routes the internet must not reach,
concurrent firmware uploads. Each test sends the hostile value to the real sakura-broker and
checks both what the attacker gets and that the broker keeps serving everyone else."""
import socket

import pytest

import mqtt_raw as m
from http_support import curl, metric, random_lockno, start_api


@pytest.fixture
def api(start_broker):
    a = start_api(start_broker, {})
    yield a
    a.stub.stop()


def lock_client(api, lockno, password):
    c = m.Client(api.broker.port)
    c.connect("lock-" + lockno, username=lockno, password=password)
    return c


def still_serving(api):
    """The process is alive and answers both MQTT and HTTP."""
    assert api.broker.alive(), api.broker.log()[-3000:]
    c = m.Client(api.broker.port)
    c.send(m.connect("probe", username="nobody", password="x"))
    assert c.expect(m.CONNACK).body[1] == 5
    c.close()
    assert api.login("after-" + random_lockno()).status == 200


# --- Item 1: JSON nested deep enough to overflow a recursive parser's stack ----------------------

def test_json_bomb_from_a_lock_on_fw_is_dropped_not_fatal(api):
    """A lock's account (its flash can be read) publishes 300,000 '[' to /<lockno>/fw: the
    recursive parser overflowed the broker worker's stack and killed the process."""
    lockno = random_lockno()
    dev = api.register(lockno)
    c = lock_client(api, lockno, dev["password"])
    c.send(m.publish(f"/{lockno}/fw", b"[" * 300_000, qos=1, packet_id=1))
    assert c.expect(m.PUBACK).packet_id == 1
    # Under the size bound but nested past the depth limit: refused by the same parser.
    c.send(m.publish(f"/{lockno}/fw", b"[" * 4000, qos=1, packet_id=2))
    assert c.expect(m.PUBACK).packet_id == 2
    # A real report still lands after both.
    c.send(m.publish(f"/{lockno}/fw", b'{"version":"1.0.0","state":"running"}', qos=1, packet_id=3))
    assert c.expect(m.PUBACK).packet_id == 3
    c.close()
    still_serving(api)
    assert metric(api, "sakura_fw_reports_rejected_total") == 2
    assert metric(api, "sakura_fw_reports_total") == 1


def test_json_bomb_in_an_unauthenticated_body_is_a_400(start_broker):
    """POST /bind with 500,000 '[' (http.max_body raised to 1 MiB, as an operator might): the
    recursive parser crashed the process on the HTTP thread."""
    api = start_api(start_broker, {}, **{"http.max_body": "1MiB"})
    try:
        for body in (b'{"code":' + b"[" * 500_000, b"[" * 500_000 + b"]" * 500_000,
                     b'{"a":' * 100_000 + b"1" + b"}" * 100_000):
            r = curl(api.url("/bind"), "POST", body, headers={"Content-Type": "application/json"})
            assert (r.status, r.json()["error"]) == (400, "malformed_json"), r
        # Brackets inside strings are text, not nesting.
        r = curl(api.url("/bind"), "POST", {"code": "[" * 200, "lockno": "x", "bindcode": "{" * 40})
        assert r.status == 400 and r.json()["error"] == "invalid_field", r
        still_serving(api)
    finally:
        api.stub.stop()
