"""sakura-lock over TLS: MQTT to Sakura's own TLS listener (listener.tls) with the CA it trusts,
refusal of a broker signed by another CA, and an OTA image fetched over HTTPS."""
import hashlib
import json
import os
import re
import subprocess

import pytest

from conftest import wait_for
from lock_sim import FirmwareServer, Sakura, Watcher, publish, sims  # noqa: F401

LOCK = "30000000001"


def make_ca(d, name):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={name}", "-keyout", d / f"{name}.key", "-out", d / f"{name}.crt"],
                   check=True, capture_output=True)
    return d / f"{name}.crt", d / f"{name}.key"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("pki")
    ca_crt, ca_key = make_ca(tmp_path, "lock-ca")
    other_ca, _ = make_ca(tmp_path, "other-ca")
    key, csr, crt = tmp_path / "server.key", tmp_path / "server.csr", tmp_path / "server.crt"
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                    "-keyout", key, "-out", csr], check=True, capture_output=True)
    ext = tmp_path / "san.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
                    "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", crt],
                   check=True, capture_output=True)
    return {"ca": ca_crt, "other_ca": other_ca, "crt": crt, "key": key}


@pytest.fixture
def tls_broker(tmp_path, pki):
    b = Sakura(tmp_path, **{"listener.tls.bind": "127.0.0.1:0", "listener.tls.certfile": pki["crt"],
                            "listener.tls.keyfile": pki["key"]})
    b.tls_port = b.proc.ports["tls"]
    yield b
    b.stop()


def test_lock_connects_over_tls_and_unlocks(tls_broker, pki, sims):
    tls_broker.add_lock(LOCK)
    sim = sims(tls_broker.tls_port, "--tls", "--cafile", pki["ca"], "--bolt-ms", 20, lockno=LOCK)
    sim.wait_event("status", LOCK, "1")
    publish(tls_broker.port, f"/{LOCK}/call", "unlock")  # the test itself uses the plain listener
    sim.wait_event("status", LOCK, "0")
    # The broker saw it as a TLS client and took its status as the lock's.
    assert re.search(rf"connected client={LOCK} .*via=tls", tls_broker.proc.log())
    wait_for(lambda: tls_broker.monitor(LOCK) == "0", what="monitor hash from the TLS lock")


def test_lock_refuses_a_broker_its_ca_did_not_sign(tls_broker, pki, sims):
    sim = sims(tls_broker.tls_port, "--tls", "--cafile", pki["other_ca"], lockno=LOCK)
    downs = sim.wait_event("link-down", LOCK, count=2)
    assert all(d.startswith("tls:") for _, _, d in downs), downs
    assert sim.events(LOCK, "connected") == []


def test_ota_image_over_https(tls_broker, pki, sims):
    fw = FirmwareServer(tls=(str(pki["crt"]), str(pki["key"])))
    try:
        image = os.urandom(40_000)
        fw.images["/fw/2.0.0.bin"] = image
        tls_broker.add_lock(LOCK)
        sim = sims(tls_broker.port, "--cafile", pki["ca"], lockno=LOCK)
        sim.wait_event("status", LOCK, "1")
        w = Watcher(tls_broker.port, f"/{LOCK}/fw")
        publish(tls_broker.port, f"/{LOCK}/ota", json.dumps({
            "version": "2.0.0", "url": fw.url("/fw/2.0.0.bin"), "size": len(image),
            "sha256": hashlib.sha256(image).hexdigest()}))
        sim.wait_event("booted", LOCK, "2.0.0", timeout=20)
        w.wait_for(f"/{LOCK}/fw", '{"version":"2.0.0","state":"running","previous":"1.0.0"}')
    finally:
        fw.stop()
