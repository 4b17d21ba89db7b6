"""Memory an idle connected client costs on each transport, measured as the broker's RSS growth
over 1,000 connections (after 100 to warm allocators and per-thread buffers). Prints the figures
(pytest -s) and fails on gross regressions; the bounds are loose on purpose, the numbers are in
docs/deployment.md."""
import resource
import socket
import ssl

import pytest

import mqtt_raw
from conftest import built_with_sanitizers, rss_kib
from test_tls import tls_settings
from tls_pki import Pki
from ws_raw import WsClient

pytestmark = pytest.mark.skipif(built_with_sanitizers(),
                                reason="ASan's shadow memory and redzones swamp the figures")

COUNT = 1000
BOUND_KIB = {"tcp": 2, "ws": 12, "tls": 24, "wss": 96}  # wss: asio::ssl::stream under Beast


@pytest.fixture(autouse=True)
def enough_descriptors():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = COUNT + 200
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            pytest.skip(f"needs {need} open files, the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def open_client(kind, port, ca, i):
    cid = f"{kind}-idle-{i}"
    if kind in ("ws", "wss"):
        wrap = None
        if kind == "wss":
            ctx = ssl.create_default_context(cafile=str(ca))
            wrap = lambda s: ctx.wrap_socket(s, server_hostname="127.0.0.1")
        c = WsClient(port, wrap=wrap)
        assert c.status == 101
        c.send_binary(mqtt_raw.connect(cid, keepalive=0))
        assert c.recv_mqtt().type == mqtt_raw.CONNACK
        return c.sock
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    if kind == "tls":
        s = ssl.create_default_context(cafile=str(ca)).wrap_socket(s, server_hostname="127.0.0.1")
    s.sendall(mqtt_raw.connect(cid, keepalive=0))
    assert s.recv(4)[:1] == b"\x20"
    return s


@pytest.mark.parametrize("kind", ["tcp", "ws", "tls", "wss"])
def test_idle_connection_memory(start_broker, tmp_path, kind):
    pki = Pki(tmp_path / "pki")
    pki.rsa = pki.issue("rsa", "127.0.0.1", "rsa")
    pki.ecdsa = pki.issue("ecdsa", "127.0.0.1", "ecdsa")
    settings = tls_settings(pki)
    settings.update(listener__ws__bind="127.0.0.1:0", listener__wss__bind="127.0.0.1:0",
                    listener__wss__certfile=str(pki.ecdsa[0]), listener__wss__keyfile=str(pki.ecdsa[1]),
                    log__level="warn", node__threads="2")
    b = start_broker(**settings)
    port = b.ports[kind]
    held = [open_client(kind, port, pki.ca_crt, i) for i in range(100)]
    before = rss_kib(b.proc.pid)
    held += [open_client(kind, port, pki.ca_crt, 100 + i) for i in range(COUNT)]
    per = (rss_kib(b.proc.pid) - before) / COUNT
    print(f"\n{kind}: {per:.2f} KiB per idle connected client (RSS growth over {COUNT})")
    assert per < BOUND_KIB[kind]
    for s in held:
        s.close()
