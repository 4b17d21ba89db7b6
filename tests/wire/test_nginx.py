"""The mini-program's path end to end: MQTT.js over wss:// through a real nginx running
deploy/nginx/sakura.conf (ports and certificate paths replaced) to Sakura's WebSocket listener;
plus the site's redirect, HSTS and the HTTP API locations."""
import http.client
import http.server
import json
import pathlib
import re
import shutil
import signal
import socket
import ssl
import subprocess
import threading

import pytest

from conftest import ROOT, wait_for
from test_ws import check_mqttjs_result, run_mqttjs
from tls_pki import Pki

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = pytest.mark.skipif(not pathlib.Path(NGINX).exists(), reason="nginx needed")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ApiStandIn(http.server.BaseHTTPRequestHandler):
    """Answers like an HTTP API would, echoing what nginx forwarded."""

    def do_GET(self):
        body = json.dumps({"path": self.path, "xff": self.headers.get("X-Forwarded-For"),
                           "proto": self.headers.get("X-Forwarded-Proto")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def site_config(ws_port, api_port, https_port, http_port, pki):
    conf = (ROOT / "deploy" / "nginx" / "sakura.conf").read_text()
    replacements = [
        ("server 127.0.0.1:8083;", f"server 127.0.0.1:{ws_port};"),
        ("server 127.0.0.1:5005;", f"server 127.0.0.1:{api_port};"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("/etc/ssl/sakura/rsa.crt", str(pki.rsa[0])),
        ("/etc/ssl/sakura/rsa.key", str(pki.rsa[1])),
        ("/etc/ssl/sakura/ecdsa.crt", str(pki.ecdsa[0])),
        ("/etc/ssl/sakura/ecdsa.key", str(pki.ecdsa[1])),
    ]
    for old, new in replacements:
        assert old in conf, f"deploy/nginx/sakura.conf no longer contains {old!r}: update this test"
        conf = conf.replace(old, new)
    return conf


@pytest.fixture
def site(start_broker, tmp_path):
    pki = Pki(tmp_path / "pki")
    pki.rsa = pki.issue("site-rsa", "127.0.0.1", "rsa")
    pki.ecdsa = pki.issue("site-ecdsa", "127.0.0.1", "ecdsa")
    broker = start_broker(listener__ws__bind="127.0.0.1:0")

    api = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ApiStandIn)
    threading.Thread(target=api.serve_forever, daemon=True).start()

    prefix = tmp_path / "nginx"
    prefix.mkdir()
    https_port, http_port = free_port(), free_port()
    (prefix / "sakura.conf").write_text(site_config(broker.ports["ws"], api.server_address[1],
                                                    https_port, http_port, pki))
    temp = " ".join(f"{k}_temp_path {prefix}/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (prefix / "nginx.conf").write_text(f"""
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {prefix}/access.log;
    {temp}
    include {prefix}/sakura.conf;
}}
""")
    proc = subprocess.Popen([NGINX, "-p", str(prefix), "-e", str(prefix / "error.log"),
                             "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def up():
        assert proc.poll() is None, proc.stdout.read().decode() + (prefix / "error.log").read_text()
        try:
            socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
            return True
        except OSError:
            return False

    wait_for(up, timeout=15, what="nginx listening")
    yield type("Site", (), {"broker": broker, "pki": pki, "https": https_port, "http": http_port})
    proc.send_signal(signal.SIGQUIT)  # graceful: finishes open connections
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    api.shutdown()


def https_get(site, path):
    ctx = ssl.create_default_context(cafile=str(site.pki.ca_crt))
    c = http.client.HTTPSConnection("127.0.0.1", site.https, context=ctx, timeout=5)
    c.request("GET", path)
    r = c.getresponse()
    return r, r.read()


def test_mqttjs_over_wss_through_nginx(site):
    check_mqttjs_result(run_mqttjs(f"wss://127.0.0.1:{site.https}/mqtt", ca=site.pki.ca_crt))
    # nginx's X-Forwarded-For names the client (here 127.0.0.1, without a port): the broker shows
    # that, not nginx's own upstream socket.
    assert re.search(r"connected client=dying-\S+ .*addr=127\.0\.0\.1 via=ws", site.broker.log()), \
        site.broker.log()[-2000:]


def test_site_redirects_and_routes(site):
    c = http.client.HTTPConnection("127.0.0.1", site.http, timeout=5)
    c.request("GET", "/wx/login?x=1", headers={"Host": "locks.example"})
    r = c.getresponse()
    assert r.status == 301 and r.getheader("Location") == "https://locks.example/wx/login?x=1"

    r, body = https_get(site, "/lock/status")
    assert r.status == 200 and r.getheader("Strict-Transport-Security", "").startswith("max-age=")
    seen = json.loads(body)
    assert seen == {"path": "/lock/status", "xff": "127.0.0.1", "proto": "https"}
    r, body = https_get(site, "/wx/login")
    assert r.status == 200 and json.loads(body)["path"] == "/wx/login"
    r, _ = https_get(site, "/elsewhere")
    assert r.status == 404
