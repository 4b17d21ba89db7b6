"""The HTTP API against a running sakura-broker and the code2Session stub, with curl as the
client: login, binding, history, unbinding, devices, errors and limits (docs/api.md)."""
import base64
import socket
import time

import pytest

import mqtt_raw as m
from conftest import wait_for
from ws_raw import WsClient
from http_support import ADMIN, Api, backends, curl, random_lockno, start_api  # noqa: F401


@pytest.fixture(params=backends())
def api(request, start_broker):
    a = start_api(start_broker, request.param)
    yield a
    a.stub.stop()


def mqtt_auth_enforced(port):
    """Whether the broker checks credentials (auth/ wired), not just accepts anyone."""
    c = m.Client(port)
    c.send(m.connect("probe", username="no-such-user", password="x"))
    code = c.expect(m.CONNACK).body[1]
    c.close()
    return code != 0


def test_unknown_user_gets_exists_0(api):
    r = api.login("nobody-" + random_lockno())
    assert r.status == 200, r
    assert r.json() == {"exists": 0}
    assert r.headers["content-type"] == "application/json"
    # The old services' prefixes, as nginx forwards them, reach the same routes.
    r = curl(api.url("/wx/login"), "POST", {"code": api.code("nobody-wx")})
    assert r.status == 200 and r.json() == {"exists": 0}, r
    assert curl(api.ops_url("/lock/healthz")).status == 200, "the ops bind takes the prefixes too"


def test_bound_user_gets_credentials_with_exactly_the_lock_acl(api):
    lockno, openid = random_lockno(), "alice-" + random_lockno()
    dev = api.register(lockno)
    assert dev["username"] == lockno and len(dev["bindcode_m"]) == 12
    b = api.bind(openid, lockno, dev["bindcode_m"])
    assert b.status == 200, b
    r = api.login(openid)
    assert r.status == 200, r
    body = r.json()
    assert body["exists"] == 1 and body["lockno"] == lockno and body["morf"] == "m"
    assert len(body["adate"]) == 10
    assert len(base64.b64decode(body["key"])) == 16 and len(base64.b64decode(body["pwd"])) == 8
    assert body["key"] != b.json()["key"], "every login issues fresh credentials"

    port = api.broker.port
    assert mqtt_auth_enforced(port), "auth/ checks credentials"
    # Over TCP: exactly the lock's subscriptions.
    c = m.Client(port)
    c.connect("mini-" + openid, username=body["key"], password=body["pwd"])
    assert c.subscribe(1, (f"/{lockno}/#", 1)) == [1]
    assert c.subscribe(2, ("/other/#", 0), ("/unauth", 0), ("#", 0)) == [0x80, 0x80, 0x80]
    c.close()
    c = m.Client(port)
    c.connect("mini2-" + openid, username=body["key"], password="wrong", expect_code=5)
    c.close()

    # Over WebSocket, as the mini-program connects: publishing to its own role topic works,
    # to the other owner's is dropped (still acknowledged).
    ws = WsClient(api.broker.ports["ws"])
    assert ws.status == 101
    ws.send_binary(m.connect("ws-" + openid, username=body["key"], password=body["pwd"]))
    p = ws.recv_mqtt()
    assert p.type == m.CONNACK and p.body[1] == 0
    ws.send_binary(m.subscribe(1, (f"/{lockno}/#", 1), ("/other/#", 0)))
    p = ws.recv_mqtt()
    assert p.type == m.SUBACK and list(p.body[2:]) == [1, 0x80]
    ws.send_binary(m.publish(f"/{lockno}/f", b"not mine", qos=1, packet_id=3))
    ws.send_binary(m.publish(f"/{lockno}/m", b"mine", qos=1, packet_id=4))
    seen, acks = [], 0
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and ((f"/{lockno}/m", b"mine") not in seen or acks < 2):
        p = ws.recv_mqtt(timeout=5)
        if p.type == m.PUBACK:
            acks += 1
        elif p.type == m.PUBLISH:
            seen.append((p.topic, p.payload))
            if p.qos:
                ws.send_binary(m.ack("puback", p.publish_id))
    assert acks == 2 and (f"/{lockno}/m", b"mine") in seen
    assert all(t != f"/{lockno}/f" for t, _ in seen)
    ws.close()


def test_second_owner_binds_as_f_and_codes_are_checked(api):
    lockno = random_lockno()
    dev = api.register(lockno)
    assert api.bind("eve-" + lockno, lockno, "WRONGCODE234").status == 403
    assert api.bind("eve-" + lockno, lockno, dev["bindcode_m"].lower()).status == 403
    assert api.bind("m-" + lockno, lockno, dev["bindcode_m"]).json()["morf"] == "m"
    r = api.bind("m2-" + lockno, lockno, dev["bindcode_m"])
    assert r.status == 409 and r.json()["error"] == "role_taken"
    assert api.bind("f-" + lockno, lockno, dev["bindcode_f"]).json()["morf"] == "f"
    r = api.bind("f-" + lockno, lockno, dev["bindcode_f"])
    assert r.status == 409 and r.json()["error"] in ("already_bound", "role_taken")
    other = random_lockno()
    r = api.bind("x-" + other, other, dev["bindcode_m"])
    assert r.status == 403, "a code proves possession of its own lock only"


def test_wechat_errors_map_to_documented_answers(api):
    def login(code):
        return curl(api.url("/login"), "POST", {"code": code})

    r = login("reuse-me")
    assert r.status == 200
    r = login("reuse-me")
    assert (r.status, r.json()["error"]) == (400, "code_used")
    r = login("invalid-code")
    assert (r.status, r.json()["error"]) == (400, "invalid_code")
    r = login("ratelimited-1")
    assert (r.status, r.json()["error"]) == (429, "wechat_rate_limited")
    r = login("blocked-1")
    assert (r.status, r.json()["error"]) == (403, "user_blocked")
    before = api.stub.calls
    r = login("busy-1")
    assert (r.status, r.json()["error"]) == (503, "wechat_busy")
    assert api.stub.calls - before == 3, "one attempt and wechat.retries=2 retries"
    r = login("flaky2-x")
    assert r.status == 200 and r.json() == {"exists": 0}, "busy twice, then answered"
    for e in ("message",):
        assert e in login("invalid-again").json()


def test_sql_meta_characters_in_an_openid_are_just_an_unknown_user(api):
    lockno, openid = random_lockno(), "bob-" + random_lockno()
    dev = api.register(lockno)
    assert api.bind(openid, lockno, dev["bindcode_f"]).status == 200
    for evil in ["x' OR '1'='1", "\"; DROP TABLE user2lock; --", "' UNION SELECT userno FROM user2lock #",
                 "%' OR userno LIKE '%", "\\'; --"]:
        r = curl(api.url("/login"), "POST", {"code": f"{evil}.{random_lockno()}"})
        assert r.status == 200 and r.json() == {"exists": 0}, (evil, r)
    r = api.login(openid)
    assert r.json()["exists"] == 1 and r.json()["lockno"] == lockno, "the table is intact"


def test_malformed_requests_get_json_errors(api):
    u = api.url("/login")
    cases = [
        (curl(u, "POST", "{not json", headers={"Content-Type": "application/json"}), 400, "malformed_json"),
        (curl(u, "POST", "[1,2]", headers={"Content-Type": "application/json"}), 400, "malformed_json"),
        (curl(u, "POST", {"code": 42}), 400, "invalid_field"),
        (curl(u, "POST", {"code": ""}), 400, "invalid_field"),
        (curl(u, "POST", {}), 400, "missing_field"),
        (curl(u, "POST", {"code": "x" * 300}), 400, "invalid_field"),
        (curl(u, "POST", {"code": "x" * 70000}), 413, "body_too_large"),
        (curl(u, "GET"), 405, "method_not_allowed"),
        (curl(api.url("/nope")), 404, "not_found"),
        (curl(api.url("/devices")), 404, "not_found"),  # admin routes: ops bind only
        (curl(api.ops_url("/devices")), 401, "unauthorized"),
        (curl(api.ops_url("/devices"), headers={"Authorization": "Bearer wrong"}), 401, "unauthorized"),
        (curl(api.url("/history?lockno=12345678901")), 401, "unauthorized"),
        (curl(api.url("/history?lockno=bad")), 400, "invalid_field"),
    ]
    for r, status, error in cases:
        assert r.status == status, (error, r)
        body = r.json()
        assert body["error"] == error and body["message"], r
    assert "/login" in api.broker.log() and " 413 " in api.broker.log()


def raw_request(port, data, read_timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=read_timeout)
    s.sendall(data)
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except socket.timeout:
        pass
    s.close()
    return out


def test_slow_body_times_out_with_408_and_keep_alive_works(start_broker):
    a = start_api(start_broker, {}, http__read_timeout="1s")
    try:
        port = a.broker.ports["http"]
        t0 = time.monotonic()
        out = raw_request(port, b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                b"Content-Length: 100\r\n\r\n{\"code\":")
        assert out.startswith(b"HTTP/1.1 408"), out
        assert b'"error":"timeout"' in out
        assert time.monotonic() - t0 < 5
        # Keep-alive: three requests on one connection, answered in order.
        req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        s = socket.create_connection(("127.0.0.1", a.broker.ports["http_ops"]), timeout=5)
        got = b""
        for _ in range(3):
            s.sendall(req)
            while got.count(b"HTTP/1.1 200") < _ + 1 or not got.endswith(b"}"):
                got += s.recv(65536)
        s.close()
        assert got.count(b"HTTP/1.1 200") == 3
    finally:
        a.stub.stop()


def test_rate_limit_per_address_and_forwarded_for_only_from_a_trusted_proxy(start_broker):
    a = start_api(start_broker, {}, http__rate_burst="3", http__rate_per_minute="1",
                  http__trusted_proxies="")
    try:
        codes = [curl(a.url("/login"), "POST", {"code": a.code("rl")}).status for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = curl(a.url("/login"), "POST", {"code": a.code("rl")}, headers={"X-Forwarded-For": "10.0.0.9"})
        assert r.status == 429 and int(r.headers["retry-after"]) >= 1, "untrusted peers cannot pick an address"
        assert r.json()["error"] == "rate_limited"
        assert curl(a.ops_url("/healthz")).status == 200, "other routes are not limited"
    finally:
        a.stub.stop()
    b = start_api(start_broker, {}, http__rate_burst="1", http__rate_per_minute="1",
                  http__trusted_proxies="127.0.0.1")
    try:
        for i in range(3):
            r = curl(b.url("/login"), "POST", {"code": b.code("p")},
                     headers={"X-Forwarded-For": f"1.2.3.4, 10.0.0.{i}"})
            assert r.status == 200, r
        r = curl(b.url("/login"), "POST", {"code": b.code("p")}, headers={"X-Forwarded-For": "10.0.0.1"})
        assert r.status == 429
    finally:
        b.stub.stop()


def test_admin_token_is_generated_into_the_data_dir(start_broker, tmp_path):
    from wechat_stub import WechatStub
    stub = WechatStub().start()
    try:
        b = start_broker(http__bind="127.0.0.1:0", http__ops_bind="127.0.0.1:0", wechat__code2session_url=stub.url,
                         data_dir=tmp_path / "gen")
        token_file = tmp_path / "gen" / "admin_token"
        token = token_file.read_text().strip()
        assert len(token) >= 32 and oct(token_file.stat().st_mode & 0o777) == "0o600"
        assert token not in b.log()
        url = f"http://127.0.0.1:{b.ports['http_ops']}/devices"
        assert curl(url).status == 401
        assert curl(url, headers={"Authorization": f"Bearer {token}"}).status == 200
    finally:
        stub.stop()


def test_healthz_and_metrics(api):
    r = curl(api.ops_url("/healthz"))
    assert r.status == 200, r
    body = r.json()
    assert body["status"] == "ok" and body["kv"] == "ok" and body["sql"] == "ok"
    assert body["listeners"]["tcp"] == api.broker.port
    api.login("metrics-user")
    text = curl(api.ops_url("/metrics")).body.decode()
    assert "sakura_clients_connected " in text
    assert 'sakura_login_total{result="unknown"} 1' in text
    assert 'sakura_http_responses_total{code="2xx"}' in text


def test_devices_list_get_and_delete(api):
    a, b = sorted([random_lockno(), random_lockno()])
    da = api.register(a)
    api.register(b)
    r = curl(api.ops_url("/devices"), "POST", {"lockno": a}, admin=True)
    assert r.status == 409 and r.json()["error"] == "exists"
    assert curl(api.ops_url("/devices"), "POST", {"lockno": "short"}, admin=True).status == 400
    items = curl(api.ops_url("/devices?limit=1000"), admin=True).json()["items"]
    mine = {d["lockno"]: d for d in items if d["lockno"] in (a, b)}
    assert set(mine) == {a, b} and mine[a]["online"] is False and mine[a]["firmware"] == ""
    page = curl(api.ops_url(f"/devices?limit=1&after={a}"), admin=True).json()
    assert page["items"][0]["lockno"] > a
    openid = "owner-" + a
    assert api.bind(openid, a, da["bindcode_m"]).status == 200
    assert curl(api.ops_url(f"/devices/{a}"), "DELETE", admin=True).json() == {"deleted": 1}
    assert curl(api.ops_url(f"/devices/{a}"), admin=True).status == 404
    assert curl(api.ops_url(f"/devices/{a}"), "DELETE", admin=True).status == 404
    assert api.login(openid).json() == {"exists": 0}, "deleting a lock unbinds its owners"


def test_code2session_over_https_verifies_the_certificate_and_host_name(start_broker, tmp_path):
    import ssl

    from tls_pki import Pki
    from wechat_stub import WechatStub
    pki = Pki(tmp_path / "pki")
    crt, key = pki.issue("wechat", "localhost")
    foreign_crt, foreign_key = pki.issue("foreign", "localhost", ca=(pki.other_ca_crt, pki.other_ca_key))

    def stub_with(cert, key, host="127.0.0.1"):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        return WechatStub(tls=ctx, host=host).start()

    def login_through(stub, **settings):
        b = start_broker(http__bind="127.0.0.1:0", http__ops_bind="127.0.0.1:0", wechat__code2session_url=stub.url,
                         wechat__appid=stub.appid, wechat__secret=stub.secret, **settings)
        r = curl(f"http://127.0.0.1:{b.ports['http']}/login", "POST", {"code": "tls-user.1"})
        b.stop()
        return r

    good = stub_with(crt, key)
    try:
        r = login_through(good, wechat__cafile=str(pki.ca_crt))
        assert r.status == 200 and r.json() == {"exists": 0}, r
        r = login_through(good)  # the system store does not know the test CA
        assert (r.status, r.json()["error"]) == (502, "wechat_unavailable")
    finally:
        good.stop()
    foreign = stub_with(foreign_crt, foreign_key)
    try:
        r = login_through(foreign, wechat__cafile=str(pki.ca_crt))
        assert r.status == 502, "a certificate from another CA is refused"
    finally:
        foreign.stop()
    # Issued for 127.0.0.1 and localhost, served on 127.0.0.2: the name check refuses it.
    wrong_name = stub_with(crt, key, host="127.0.0.2")
    try:
        r = login_through(wrong_name, wechat__cafile=str(pki.ca_crt))
        assert r.status == 502, "a certificate for another host is refused"
    finally:
        wrong_name.stop()


def test_credentials_expire_unless_the_client_stays_connected(start_broker):
    a = start_api(start_broker, {}, auth__credential_ttl="2s", auth__credential_check="300ms")
    try:
        lockno, openid = random_lockno(), "ttl-" + random_lockno()
        dev = a.register(lockno)
        assert a.bind(openid, lockno, dev["bindcode_m"]).status == 200
        kept, abandoned = a.login(openid).json(), a.login(openid).json()
        c = m.Client(a.broker.port)
        c.connect("kept-" + openid, username=kept["key"], password=kept["pwd"], keepalive=60)
        t0 = time.monotonic()

        def refused(creds):
            probe = m.Client(a.broker.port)
            probe.send(m.connect(f"probe-{time.monotonic_ns()}", username=creds["key"], password=creds["pwd"]))
            code = probe.expect(m.CONNACK).body[1]
            probe.close()
            return code == 5
        wait_for(lambda: refused(abandoned), timeout=10, what="the abandoned credential expiring")
        assert time.monotonic() - t0 >= 1.5
        # Issued at the same moment, the kept one lives on: renewed while its client is connected.
        assert not refused(kept)
        c.close()
    finally:
        a.stub.stop()
