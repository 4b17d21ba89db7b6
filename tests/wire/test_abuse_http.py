"""The HTTP API under attack (issue 16): hostile JSON, the /history password oracle, forwarded
addresses behind nginx, bodies sent before authentication, routes the internet must not reach,
concurrent firmware uploads. Each test sends the hostile value to the real sakura-broker and
checks both what the attacker gets and that the broker keeps serving everyone else."""
import socket

import pytest

import mqtt_raw as m
from conftest import built_with_sanitizers, rss_kib, wait_for
from http_support import ADMIN, curl, metric, random_lockno, start_api


@pytest.fixture
def api(start_broker):
    a = start_api(start_broker, {})
    yield a
    a.stub.stop()


def lock_client(api, lockno, password):
    c = m.Client(api.broker.port)
    c.connect(lockno, username=lockno, password=password)  # registration pins the client id
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


# --- Item 3: GET /history as a password oracle ---------------------------------------------------

def test_history_is_no_password_oracle_and_failures_are_throttled(start_broker):
    """A wrong password and a right password without the lock's ACL were 401 and 403: the answer
    confirmed a guessed password, without limit. Now both are the same 401, and the check is the
    MQTT authenticator's: after auth.max_failures_per_user wrong guesses from one address even
    the right password is refused there, as it would be over MQTT."""
    api = start_api(start_broker, {}, auth__max_failures_per_user="3", auth__lockout_base="30s")
    try:
        mine, other = random_lockno(), random_lockno()
        dev = api.register(mine)
        api.register(other)
        creds = api.bind("owner-" + mine, mine, dev["bindcode_m"]).json()
        key, pwd = creds["key"], creds["pwd"]
        ok = curl(api.url(f"/history?lockno={mine}"), user=(key, pwd))
        assert ok.status == 200, ok
        wrong = curl(api.url(f"/history?lockno={mine}"), user=(key, "wrong-password"))
        no_acl = curl(api.url(f"/history?lockno={other}"), user=(key, pwd))
        unknown = curl(api.url(f"/history?lockno={mine}"), user=("no-such-key", "x"))
        admin = curl(api.url(f"/history?lockno={mine}"), admin=True)  # no credential here
        assert wrong.status == no_acl.status == unknown.status == admin.status == 401
        assert wrong.body == no_acl.body == unknown.body == admin.body
        # Four wrong guesses from this address: the right password no longer gets through.
        for _ in range(4):
            assert curl(api.url(f"/history?lockno={mine}"), user=(key, "guess")).status == 401
        r = curl(api.url(f"/history?lockno={mine}"), user=(key, pwd))
        assert r.status == 401 and r.body == wrong.body, r
        text = curl(api.ops_url("/metrics")).body.decode()
        assert 'sakura_history_auth_total{result="ok"} 1' in text, text
        assert 'sakura_history_auth_total{result="refused"} 9' in text
        assert 'sakura_auth_logins_total{result="throttled"} 1' in text
        # Over MQTT from the same address, the same block.
        c = m.Client(api.broker.port)
        c.connect("mini-" + key, username=key, password=pwd, expect_code=5)
        c.close()
    finally:
        api.stub.stop()


# --- Item 4: every phone behind nginx in one rate-limit bucket ------------------------------------

def test_logins_through_a_loopback_proxy_are_limited_per_phone(start_broker):
    """nginx on loopback forwards every phone: with http.trusted_proxies empty by default they all
    shared 127.0.0.1's bucket and the 11th login got 429. Loopback is trusted by default now."""
    api = start_api(start_broker, {})
    try:
        for i in range(12):
            r = curl(api.url("/wx/login"), "POST", {"code": api.code(f"phone{i}")},
                     headers={"X-Forwarded-For": f"203.0.113.{i}, 2001:db8::{i + 1}",
                              "X-Real-IP": f"2001:db8::{i + 1}"})
            assert r.status == 200, (i, r)
        # One phone is still one bucket (http.rate_burst = 10), IPv6 without brackets included.
        codes = [curl(api.url("/wx/login"), "POST", {"code": api.code("same")},
                      headers={"X-Forwarded-For": "2001:db8::77"}).status for _ in range(11)]
        assert codes[:10] == [200] * 10 and codes[10] == 429, codes
        # A peer that is not a trusted proxy (127.0.0.2 is loopback, but not listed) cannot pick
        # its address by header.
        codes = [curl(api.url("/wx/login"), "POST", {"code": api.code("spoof")},
                      headers={"X-Forwarded-For": f"198.51.100.{i}"},
                      extra=("--interface", "127.0.0.2")).status for i in range(11)]
        assert codes[10] == 429, codes
    finally:
        api.stub.stop()


# --- Item 5: bodies read before authentication ---------------------------------------------------

def upload_without_token(port, target, size=30 << 20):
    """Sends a POST of `size` bytes without a token as fast as the server takes it; returns
    (bytes the client managed to send, the status line the server answered with)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(f"POST {target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
              f"Content-Length: {size}\r\n\r\n".encode())
    chunk, sent = b"\0" * 65536, 0
    try:
        while sent < size:
            sent += s.send(chunk[:min(len(chunk), size - sent)])
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass
    answer = b""
    try:
        while b"\r\n" not in answer:
            part = s.recv(4096)
            if not part:
                break
            answer += part
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    return sent, answer.split(b"\r\n")[0].decode(errors="replace")


def test_unauthenticated_upload_is_refused_on_its_header(api):
    """A 30 MB POST /firmware without the token was read whole (the route's 32 MiB limit applied
    to anyone), then answered 401; /firmwareXYZ likewise, then 404. Now the answer comes from the
    header and the body is never read: the sender gets to push only what the sockets buffer."""
    size = 30 << 20
    for port, target, status in ((api.broker.ports["http_ops"], "/firmware?version=9.9.9", "401"),
                                 (api.broker.ports["http_ops"], "/firmwareXYZ", "404"),
                                 (api.broker.ports["http"], "/firmware?version=9.9.9", "404"),
                                 (api.broker.ports["http"], "/lock/firmware?version=9.9.9", "404")):
        sent, line = upload_without_token(port, target, size)
        assert line.startswith("HTTP/1.1 " + status), (target, line)
        assert sent < size // 3, f"{target}: the client pushed {sent} of {size} bytes"
    still_serving(api)


def test_firmware_upload_under_the_lock_prefix_takes_a_real_image(api):
    """POST /lock/firmware got the 64 KiB JSON limit (the limit looked at the raw target), so a
    real image failed with 413. The limit now follows the route the path names."""
    import hashlib
    import os
    image = os.urandom(1_500_000)
    r = curl(api.ops_url("/lock/firmware?version=2.0.0"), "POST", image,
             headers={"Content-Type": "application/octet-stream"}, admin=True)
    assert r.status == 201, r
    assert r.json()["sha256"] == hashlib.sha256(image).hexdigest()
    got = curl(api.url("/lock/firmware/2.0.0"))
    assert got.status == 200 and got.body == image


# --- Item 5: firmware images held whole in memory, per download and per upload ---------------------

IMAGE_MIB = 16


def upload_with_expect(port, version, image, piece=256 * 1024):
    """POST /firmware the way curl sends a large body: "Expect: 100-continue", the body only after
    the 100, in pieces. Returns the final answer's status line and body."""
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    s.sendall((f"POST /firmware?version={version} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN}\r\n"
               f"Content-Type: application/octet-stream\r\nContent-Length: {len(image)}\r\n"
               "Expect: 100-continue\r\n\r\n").encode())
    got = b""
    while b"\r\n\r\n" not in got:
        part = s.recv(4096)
        assert part, f"closed before 100 Continue: {got!r}"
        got += part
    assert got.startswith(b"HTTP/1.1 100 Continue\r\n"), got
    got = got.split(b"\r\n\r\n", 1)[1]
    for i in range(0, len(image), piece):
        s.sendall(image[i:i + piece])
    while b"\r\n\r\n" not in got:
        got += s.recv(65536)
    head, body = got.split(b"\r\n\r\n", 1)
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
    while len(body) < length:
        body += s.recv(65536)
    s.close()
    return head.split(b"\r\n")[0].decode(), body


def test_large_upload_streams_to_disk(api):
    """POST /firmware read the whole image into the request's string, then wrote it: an upload
    cost its size in broker memory. Now the body goes to the temporary file in 64 KiB chunks as it
    arrives, hashed on the way; the peak RSS stays far below the image. The 100 Continue comes
    once the header is admitted."""
    import hashlib
    import json
    import os
    image = os.urandom(IMAGE_MIB << 20)
    pid = api.broker.proc.pid
    rss_before = rss_kib(pid)
    line, body = upload_with_expect(api.broker.ports["http_ops"], "5.0.0", image)
    peak = rss_kib(pid, "VmHWM") - rss_before
    assert line.startswith("HTTP/1.1 201"), (line, body)
    stored = json.loads(body)
    assert stored["sha256"] == hashlib.sha256(image).hexdigest() and stored["size"] == len(image)
    print(f"upload of {IMAGE_MIB} MiB: peak RSS {peak} KiB above the start")
    if not built_with_sanitizers():
        assert peak < 4 * 1024, f"a {IMAGE_MIB} MiB upload raised the peak RSS by {peak} KiB"
    assert (api.broker.data_dir / "firmware" / "5.0.0.bin").read_bytes() == image
    assert [p for p in (api.broker.data_dir / "firmware").iterdir() if ".upload" in p.name] == []

    # Served byte-exact, whole and ranged, and counted exactly.
    served = metric(api, "sakura_firmware_bytes_served_total")
    whole = curl(api.url("/firmware/5.0.0"))
    assert whole.status == 200 and whole.body == image
    assert whole.headers["etag"] == f'"{stored["sha256"]}"'
    first, last = (5 << 20) + 17, (9 << 20) + 3  # across chunk boundaries, not on one
    part = curl(api.url("/firmware/5.0.0"), headers={"Range": f"bytes={first}-{last}"})
    assert part.status == 206 and part.body == image[first:last + 1]
    assert part.headers["content-range"] == f"bytes {first}-{last}/{len(image)}"
    head = curl(api.url("/firmware/5.0.0"), "HEAD", extra=("-I",))
    assert head.status == 200 and head.headers["content-length"] == str(len(image))
    assert head.body.endswith(b"\r\n\r\n"), "HEAD answered with a body"  # -I: -o holds the header
    assert curl(api.url("/firmware/5.0.0"), headers={"Range": f"bytes={len(image)}-"}).status == 416
    assert metric(api, "sakura_firmware_bytes_served_total") - served == len(image) + (last - first + 1)

    # Over http.max_firmware_size: 413 on the header, nothing left behind.
    s = socket.create_connection(("127.0.0.1", api.broker.ports["http_ops"]), timeout=10)
    s.sendall((f"POST /firmware?version=5.0.1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN}\r\n"
               f"Content-Length: {(32 << 20) + 1}\r\n\r\n").encode() + b"x" * 65536)
    assert s.recv(4096).startswith(b"HTTP/1.1 413"), "over http.max_firmware_size"
    s.close()
    assert [p for p in (api.broker.data_dir / "firmware").iterdir() if ".upload" in p.name] == []


def test_slow_downloads_hold_chunks_not_images(api):
    """GET /firmware/<version> is public: each download read the whole image (up to 32 MiB) into a
    string before sending, so 20 clients that ask and never read held 20 images in the broker
    (a few hundred connections, gigabytes). Now each connection holds one 64 KiB chunk, read
    from the file on the file pool as the client takes the previous one."""
    import os
    image = os.urandom(IMAGE_MIB << 20)
    r = curl(api.ops_url("/firmware?version=6.0.0"), "POST", image,
             headers={"Content-Type": "application/octet-stream"}, admin=True)
    assert r.status == 201, r
    pid = api.broker.proc.pid
    rss_before = rss_kib(pid)
    served = metric(api, "sakura_firmware_bytes_served_total")
    slow = []
    for _ in range(20):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", api.broker.ports["http"]))
        s.sendall(b"GET /firmware/6.0.0 HTTP/1.1\r\nHost: x\r\n\r\n")
        slow.append(s)
    wait_for(lambda: metric(api, "sakura_firmware_bytes_served_total") - served >= 20 * 65536,
             what="every slow download started")
    grew = rss_kib(pid) - rss_before
    print(f"20 stalled downloads of a {IMAGE_MIB} MiB image: RSS +{grew} KiB")
    if not built_with_sanitizers():
        assert grew < IMAGE_MIB * 1024, f"20 stalled downloads cost {grew} KiB, more than one image"
    # Everyone else is still served, the image whole and exact.
    assert curl(api.url("/firmware/6.0.0")).body == image
    for s in slow:
        s.close()
    still_serving(api)


# --- Item 10: ops and admin routes reachable through the public prefixes -------------------------

def test_ops_and_admin_routes_do_not_exist_on_the_public_bind(api):
    """nginx forwards /wx/ and /lock/ to the public bind: /wx/metrics, /lock/healthz and the admin
    routes (with a valid token even) were reachable from the internet. Now they are 404 there
    and served on http.ops_bind only."""
    lockno = random_lockno()
    api.register(lockno)
    for prefix in ("", "/wx", "/lock"):
        for method, path, body in (("GET", "/metrics", None), ("GET", "/healthz", None),
                                   ("GET", "/devices", None), ("GET", f"/devices/{lockno}", None),
                                   ("DELETE", f"/devices/{lockno}", None), ("GET", "/firmware", None),
                                   ("POST", "/devices", {"lockno": random_lockno()}),
                                   ("POST", f"/devices/{lockno}/bindcodes", None),
                                   ("POST", "/ota", {"version": "1", "locknos": [lockno]})):
            r = curl(api.url(prefix + path), method, body, admin=True)
            assert r.status == 404 and r.json()["error"] == "not_found", (prefix + path, r)
    assert curl(api.ops_url("/metrics")).status == 200
    assert curl(api.ops_url("/healthz")).status == 200
    assert curl(api.ops_url(f"/devices/{lockno}"), admin=True).status == 200
    assert curl(api.ops_url(f"/devices/{lockno}")).status == 401


# --- Item 10: two uploads of one version shared a temporary file ----------------------------------

def test_concurrent_uploads_of_one_version_stay_intact(api):
    import concurrent.futures
    import hashlib
    import os
    for round_ in range(4):
        version = f"3.0.{round_}"
        images = [os.urandom(3_000_000), os.urandom(3_000_000)]
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(
                lambda img: curl(api.ops_url(f"/firmware?version={version}"), "POST", img,
                                 headers={"Content-Type": "application/octet-stream"}, admin=True),
                images))
        assert sorted(a.status for a in answers) == [201, 409], answers
        winner = next(a for a in answers if a.status == 201).json()
        got = curl(api.url(f"/firmware/{version}")).body
        assert hashlib.sha256(got).hexdigest() == winner["sha256"], f"round {round_}: image differs from its row"
        assert got in images
    leftovers = [p for p in (api.broker.data_dir / "firmware").iterdir() if ".upload" in p.name]
    assert leftovers == []


# --- Item 10: the keep-alive wait used the idle timeout for a request already begun ---------------

def test_a_begun_keep_alive_request_has_the_read_timeout(start_broker):
    import time
    api = start_api(start_broker, {}, http__read_timeout="1s", http__idle_timeout="30s")
    try:
        s = socket.create_connection(("127.0.0.1", api.broker.ports["http"]), timeout=10)
        s.sendall(b"GET /history HTTP/1.1\r\nHost: x\r\n\r\n")
        first = s.recv(65536)
        assert first.startswith(b"HTTP/1.1 400"), first
        t0 = time.monotonic()
        s.sendall(b"GET /history HTTP/1.1\r\nHost: x\r\n")  # the header never ends
        out = b""
        while b"\r\n\r\n" not in out:
            part = s.recv(65536)
            if not part:
                break
            out += part
        took = time.monotonic() - t0
        assert out.startswith(b"HTTP/1.1 408"), out
        assert took < 5, f"a begun request waited {took:.1f}s (the idle timeout is 30 s)"
        s.close()
    finally:
        api.stub.stop()


# --- Item 10: binding codes never rotated ----------------------------------------------------------

def test_binding_code_rotates_on_unbind_and_can_be_regenerated(api):
    lockno = random_lockno()
    dev = api.register(lockno)
    openid = "tenant-" + lockno
    assert api.bind(openid, lockno, dev["bindcode_m"]).status == 200
    r = curl(api.url("/wx/unbind"), "POST", {"code": api.code(openid)})
    assert r.status == 200, r
    # The former tenant kept the code: it no longer binds.
    r = api.bind("former-" + lockno, lockno, dev["bindcode_m"])
    assert r.status == 403 and r.json()["error"] == "bad_bindcode", r
    # The other owner's code was not touched.
    assert api.bind("f-" + lockno, lockno, dev["bindcode_f"]).status == 200
    r = curl(api.ops_url(f"/devices/{lockno}/bindcodes"), "POST", {"morf": "m"}, admin=True)
    assert r.status == 200, r
    fresh = r.json()
    assert set(fresh) == {"lockno", "bindcode_m"} and len(fresh["bindcode_m"]) == 12
    assert api.bind("new-" + lockno, lockno, fresh["bindcode_m"]).json()["morf"] == "m"
    assert curl(api.ops_url(f"/devices/{random_lockno()}/bindcodes"), "POST", admin=True).status == 404


# --- The ops bind keeps its own connection cap ------------------------------------------------------

def test_a_full_public_bind_does_not_lock_operators_out(start_broker):
    """Before: both binds admitted on one http.max_connections, so idle sockets filling the public
    bind also refused /metrics, /healthz and the admin routes on the ops bind."""
    api = start_api(start_broker, {}, http__max_connections="4")
    held = []
    try:
        # An address_exempt (loopback) flood: only the bind's own cap applies to it.
        for _ in range(4):
            s = socket.create_connection(("127.0.0.1", api.broker.ports["http"]), timeout=10)
            held.append(s)
        wait_for(lambda: metric(api, 'sakura_listener_connections{listener="http"}') == 4,
                 what="the four idle sockets admitted")
        fifth = socket.create_connection(("127.0.0.1", api.broker.ports["http"]), timeout=10)
        assert fifth.recv(1) == b"", "a fifth connection on the full public bind must be closed"
        fifth.close()
        # The ops bind answers all the while, and counts apart.
        assert metric(api, 'sakura_connections_refused_total{listener="http",reason="max_connections"}') >= 1
        assert metric(api, 'sakura_connections_limit{scope="http"}') == 4
        assert metric(api, 'sakura_connections_limit{scope="http_ops"}') == 64
        assert curl(api.ops_url("/healthz")).status == 200
    finally:
        for s in held:
            s.close()
        api.stub.stop()
