"""MQTT over TLS (and WSS) against a real broker: mosquitto_pub/sub with --cafile, client
certificates accepted and refused, the certificate CN as username, RSA and ECDSA certificates side
by side, TLS versions, certificate reload on SIGHUP without dropping connections, and clients that
do not speak TLS or stall in the handshake costing only their own connection."""
import re
import shutil
import signal
import socket
import ssl
import subprocess

import pytest

import mqtt_raw
from conftest import wait_for
from test_ws import check_mqttjs_result, run_mqttjs
from tls_pki import Pki

pytestmark = pytest.mark.skipif(not shutil.which("mosquitto_pub"), reason="mosquitto-clients needed")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    p = Pki(tmp_path_factory.mktemp("pki"))
    p.rsa = p.issue("server-rsa", "127.0.0.1", "rsa")
    p.ecdsa = p.issue("server-ecdsa", "127.0.0.1", "ecdsa")
    p.client = p.issue("client", "lock-cn-0001", "ecdsa", server=False)
    p.foreign = p.issue("foreign", "lock-cn-0001", "ecdsa", server=False,
                        ca=(p.other_ca_crt, p.other_ca_key))
    return p


def tls_settings(pki, **extra):
    s = {"listener.tls.bind": "127.0.0.1:0",
         "listener.tls.certfile": f"{pki.rsa[0]},{pki.ecdsa[0]}",
         "listener.tls.keyfile": f"{pki.rsa[1]},{pki.ecdsa[1]}",
         "listener.tls.handshake_timeout": "1s"}
    s.update(extra)
    return {k.replace(".", "__"): v for k, v in s.items()}


def mosquitto(tool, port, pki, *args, cert=None, timeout=10):
    cmd = [tool, "-h", "127.0.0.1", "-p", str(port), "--cafile", str(pki.ca_crt), "-V", "mqttv311", *args]
    if cert:
        cmd += ["--cert", str(cert[0]), "--key", str(cert[1])]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def tls_client(port, ca, **kw):
    ctx = ssl.create_default_context(cafile=str(ca))
    for k, v in kw.items():
        setattr(ctx, k, v) if k != "ciphers" else ctx.set_ciphers(v)
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5), server_hostname="127.0.0.1")


def test_mosquitto_clients_over_tls(start_broker, pki):
    b = start_broker(**tls_settings(pki))
    port = b.ports["tls"]
    sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "--cafile", str(pki.ca_crt),
                            "-t", "/tls/t", "-q", "1", "-C", "1", "-W", "15", "-i", "tls-sub"],
                           stdout=subprocess.PIPE, text=True)
    wait_for(lambda: "connected client=tls-sub" in b.log(), what="subscriber connected")
    wait_for(lambda: "subscribed client=tls-sub" in b.log(), what="subscriber subscribed")
    r = mosquitto("mosquitto_pub", port, pki, "-t", "/tls/t", "-m", "over tls", "-q", "1")
    assert r.returncode == 0, r.stderr
    out, _ = sub.communicate(timeout=15)
    assert out.strip() == "over tls"
    assert re.search(r"connected client=tls-sub .*via=tls", b.log())


def test_client_certificate_verified(start_broker, pki):
    b = start_broker(**tls_settings(pki, **{"listener.tls.cafile": str(pki.ca_crt),
                                            "listener.tls.verify_peer": "true"}))
    port = b.ports["tls"]
    ok = mosquitto("mosquitto_pub", port, pki, "-t", "/x", "-m", "1", "-i", "good-cert", cert=pki.client)
    assert ok.returncode == 0, ok.stderr
    foreign = mosquitto("mosquitto_pub", port, pki, "-t", "/x", "-m", "1", "-i", "bad-cert", cert=pki.foreign)
    assert foreign.returncode != 0
    none = mosquitto("mosquitto_pub", port, pki, "-t", "/x", "-m", "1", "-i", "no-cert")
    assert none.returncode != 0
    log = b.log()
    assert re.search(r"connected client=good-cert ", log)
    assert "client=bad-cert" not in log and "client=no-cert" not in log
    assert len(re.findall(r"tls handshake failed .*certificate", log)) == 2, log[-2000:]


def test_certificate_cn_replaces_the_username(start_broker, pki):
    b = start_broker(**tls_settings(pki, **{"listener.tls.cafile": str(pki.ca_crt),
                                            "listener.tls.verify_peer": "true",
                                            "listener.tls.peer_cert_as_username": "true"}))
    # The test broker has no credential store, so any username is refused: what matters is which
    # username the authenticator was asked about.
    r = mosquitto("mosquitto_pub", b.ports["tls"], pki, "-t", "/x", "-m", "1", "-i", "cn-user",
                  "-u", "claimed", cert=pki.client)
    assert r.returncode != 0
    wait_for(lambda: re.search(r"refused client=cn-user user=lock-cn-0001 ", b.log()), what="CN as username")
    assert "user=claimed" not in b.log()


def test_rsa_and_ecdsa_side_by_side_tls12_and_13(start_broker, pki):
    b = start_broker(**tls_settings(pki))
    port = b.ports["tls"]
    for suite in ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256"):
        s = tls_client(port, pki.ca_crt, maximum_version=ssl.TLSVersion.TLSv1_2, ciphers=suite)
        assert s.cipher()[0] == suite and s.version() == "TLSv1.2"
        s.close()
    s = tls_client(port, pki.ca_crt)
    assert s.version() == "TLSv1.3"
    s.close()
    with pytest.raises(ssl.SSLError), pytest.warns(DeprecationWarning):  # TLS 1.1 is refused
        tls_client(port, pki.ca_crt, minimum_version=ssl.TLSVersion.TLSv1_1,
                   maximum_version=ssl.TLSVersion.TLSv1_1, ciphers="ALL:@SECLEVEL=0")


def test_plain_tcp_and_stalled_handshakes_cost_only_their_connection(start_broker, pki):
    b = start_broker(**tls_settings(pki))
    port = b.ports["tls"]
    good = tls_client(port, pki.ca_crt)
    good.sendall(mqtt_raw.connect("steady"))
    assert good.recv(4)[0] == 0x20

    plain = mqtt_raw.Client(port)
    plain.send(mqtt_raw.connect("plain-on-tls-port"))
    assert plain.closed(timeout=5)

    stalled = socket.create_connection(("127.0.0.1", port), timeout=5)
    stalled.sendall(b"\x16\x03\x01\x00")  # the start of a ClientHello, then nothing
    assert stalled.recv(10) == b""  # closed after listener.tls.handshake_timeout (1 s)

    wait_for(lambda: "reason=timed out" in b.log(), what="timeout logged")
    good.sendall(mqtt_raw.PINGREQ)
    assert good.recv(2) == b"\xd0\x00"
    log = b.log()
    assert len(re.findall(r"tls handshake failed", log)) == 2, log[-2000:]
    assert "plain-on-tls-port" not in log


def test_sighup_reloads_certificates_without_dropping_connections(start_broker, pki, tmp_path):
    crt, key = tmp_path / "live.crt", tmp_path / "live.key"
    first = pki.issue("first", "first", "rsa")
    second = pki.issue("second", "second", "rsa")
    crt.write_bytes(first[0].read_bytes())
    key.write_bytes(first[1].read_bytes())
    b = start_broker(**tls_settings(pki, **{"listener.tls.certfile": str(crt), "listener.tls.keyfile": str(key)}))
    port = b.ports["tls"]

    def served_cn():
        s = tls_client(port, pki.ca_crt)
        cn = dict(x[0] for x in s.getpeercert()["subject"])["commonName"]
        s.close()
        return cn

    old = tls_client(port, pki.ca_crt)
    old.sendall(mqtt_raw.connect("long-lived"))
    assert old.recv(4)[0] == 0x20
    assert served_cn() == "first"

    crt.write_bytes(second[0].read_bytes())
    key.write_bytes(second[1].read_bytes())
    b.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "tls listener: certificates reloaded" in b.log(), what="reload logged")
    assert served_cn() == "second"

    crt.write_text("not a certificate")
    b.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "certificates not reloaded" in b.log(), what="failed reload logged")
    assert served_cn() == "second"

    old.sendall(mqtt_raw.PINGREQ)
    assert old.recv(2) == b"\xd0\x00"  # the connection from before both reloads is still served
    assert b.alive()


def test_mqttjs_over_wss(start_broker, pki):
    b = start_broker(listener__wss__bind="127.0.0.1:0", listener__wss__certfile=str(pki.ecdsa[0]),
                     listener__wss__keyfile=str(pki.ecdsa[1]))
    check_mqttjs_result(run_mqttjs(f"wss://127.0.0.1:{b.ports['wss']}/mqtt", ca=pki.ca_crt))
    assert re.search(r"connected client=dying-\S+ .*via=wss", b.log())
