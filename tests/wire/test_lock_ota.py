"""OTA through sakura-lock: a good image, a corrupted one, an interrupted download resumed, and a
missing file; offers go to /<lockno>/ota over a real broker, reports come back on /<lockno>/fw.
The HTTP side is an in-test server with Range support, and Sakura's own firmware routes."""
import hashlib
import json
import os
import urllib.request

import pytest

from lock_sim import FirmwareServer, LockSim, Watcher, lock_broker, publish  # noqa: F401 (fixture)

LOCK = "20000000001"
RANGE = 16384


@pytest.fixture
def fw_server():
    s = FirmwareServer()
    yield s
    s.stop()


@pytest.fixture
def lock(lock_broker):
    lock_broker.add_lock(LOCK)
    sim = LockSim(lock_broker.port, "--ota-range", RANGE, "--ota-timeout-ms", 3000, lockno=LOCK)
    sim.wait_event("status", LOCK, "1")
    yield sim
    sim.stop()


def offer(port, version, url, image, sha=None):
    body = {"version": version, "url": url, "size": len(image),
            "sha256": sha or hashlib.sha256(image).hexdigest()}
    publish(port, f"/{LOCK}/ota", json.dumps(body))


def reports(w):
    return [json.loads(v) for _, v in w.received(f"/{LOCK}/fw")]


def test_a_good_image_is_installed_and_the_new_version_reported(lock_broker, fw_server, lock):
    image = os.urandom(100_000)
    fw_server.images["/fw/1.1.0.bin"] = image
    w = Watcher(lock_broker.port, f"/{LOCK}/fw")
    offer(lock_broker.port, "1.1.0", fw_server.url("/fw/1.1.0.bin"), image)
    lock.wait_event("booted", LOCK, "1.1.0", timeout=20)
    w.wait_for(f"/{LOCK}/fw", '{"version":"1.1.0","state":"running","previous":"1.0.0"}')
    states = [r["state"] for r in reports(w)]
    assert states[0] == "downloading" and states[-2:] == ["verified", "running"]
    progress = [r["progress"] for r in reports(w) if r["state"] == "downloading"]
    assert progress == sorted(progress) and progress[-1] == 100
    # Every byte came by Range, in RANGE-sized pieces from 0 up.
    ranges = [r for p, r in fw_server.requests if p == "/fw/1.1.0.bin"]
    assert ranges == [f"bytes={o}-{min(o + RANGE, len(image)) - 1}" for o in range(0, len(image), RANGE)]


def test_a_corrupted_image_is_refused_and_the_old_version_keeps_running(lock_broker, fw_server, lock):
    image = bytearray(os.urandom(50_000))
    sha = hashlib.sha256(image).hexdigest()
    image[30_000] ^= 0xFF
    fw_server.images["/fw/bad.bin"] = bytes(image)
    w = Watcher(lock_broker.port, f"/{LOCK}/fw")
    offer(lock_broker.port, "1.2.0", fw_server.url("/fw/bad.bin"), image, sha=sha)
    w.wait_for(f"/{LOCK}/fw", '{"version":"1.2.0","state":"failed","reason":"sha256_mismatch"}')
    # The lock prints its event line around its report, not necessarily before it: await it.
    lock.wait_event("ota-failed", LOCK, "sha256_mismatch")
    assert lock.events(LOCK, "booted") == []
    assert lock.events(LOCK, "ota-failed") == [(LOCK, "ota-failed", "sha256_mismatch")]
    # Still the old firmware, still a working lock.
    publish(lock_broker.port, f"/{LOCK}/call", "unlock")
    lock.wait_event("status", LOCK, "0")


def test_an_interrupted_download_resumes_where_it_stopped(lock_broker, fw_server, lock):
    image = os.urandom(80_000)
    fw_server.images["/fw/1.3.0.bin"] = image
    fw_server.cut_once["/fw/1.3.0.bin"] = 5000  # the first response dies after 5000 bytes
    w = Watcher(lock_broker.port, f"/{LOCK}/fw")
    offer(lock_broker.port, "1.3.0", fw_server.url("/fw/1.3.0.bin"), image)
    lock.wait_event("booted", LOCK, "1.3.0", timeout=20)
    lock.wait_event("ota-retry", LOCK)
    ranges = [r for p, r in fw_server.requests if p == "/fw/1.3.0.bin"]
    assert ranges[:2] == [f"bytes=0-{RANGE - 1}", f"bytes=5000-{5000 + RANGE - 1}"]
    w.wait_for(f"/{LOCK}/fw", '{"version":"1.3.0","state":"running","previous":"1.0.0"}')


def test_a_missing_image_is_reported_with_the_http_status(lock_broker, fw_server, lock):
    w = Watcher(lock_broker.port, f"/{LOCK}/fw")
    offer(lock_broker.port, "1.4.0", fw_server.url("/fw/none.bin"), b"x" * 10)
    w.wait_for(f"/{LOCK}/fw", '{"version":"1.4.0","state":"failed","reason":"http_404"}')


def test_a_malformed_offer_is_rejected(lock_broker, lock):
    w = Watcher(lock_broker.port, f"/{LOCK}/fw")
    publish(lock_broker.port, f"/{LOCK}/ota", '{"version":"1.5.0","url":"http://x/"}')
    w.wait_for(f"/{LOCK}/fw", '{"version":"1.5.0","state":"rejected","reason":"bad_offer"}')


def test_ota_through_sakuras_firmware_routes(lock_broker, lock):
    """The production path: upload with the admin API, offer with POST /ota, the lock downloads
    from GET /firmware/<version> with Range."""
    base = f"http://127.0.0.1:{lock_broker.http_port}"
    auth = {"Authorization": f"Bearer {lock_broker.admin_token}"}
    image = os.urandom(60_000)
    up = urllib.request.Request(f"{base}/firmware?version=1.6.0", data=image, method="POST", headers=auth)
    with urllib.request.urlopen(up, timeout=10) as r:
        assert r.status in (200, 201)
    w = Watcher(lock_broker.port, f"/{LOCK}/fw")
    body = json.dumps({"version": "1.6.0", "locknos": [LOCK]}).encode()
    ota = urllib.request.Request(f"{base}/ota", data=body, method="POST",
                                 headers={**auth, "Content-Type": "application/json"})
    with urllib.request.urlopen(ota, timeout=10) as r:
        assert json.loads(r.read())["offered"] == 1
    lock.wait_event("booted", LOCK, "1.6.0", timeout=30)
    w.wait_for(f"/{LOCK}/fw", '{"version":"1.6.0","state":"running","previous":"1.0.0"}')
