"""The mini-program's path end to end through a real nginx running deploy/nginx/sakura.conf (ports
and certificate paths replaced): MQTT.js over wss:// to Sakura's WebSocket listener, and the
site's redirect, HSTS and HTTP API locations in front of Sakura's own HTTP API. Then nginx
`stream` with the PROXY protocol in front of the TCP listener, configured as docs/deployment.md
shows it."""
import contextlib
import http.client
import json
import pathlib
import re
import shutil
import signal
import socket
import ssl
import subprocess

import pytest

import mqtt_raw
from conftest import ROOT, wait_for
from http_support import start_api
from test_ws import check_mqttjs_result, run_mqttjs
from tls_pki import Pki

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so"  # Debian's libnginx-mod-stream
pytestmark = pytest.mark.skipif(not pathlib.Path(NGINX).exists(), reason="nginx needed (scripts/deps.sh --test)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


@contextlib.contextmanager
def running_nginx(prefix, main_conf, port, files=None):
    """nginx with `main_conf` as its nginx.conf (and `files` beside it), listening on `port`."""
    prefix.mkdir()
    (prefix / "nginx.conf").write_text(main_conf)
    for name, text in (files or {}).items():
        (prefix / name).write_text(text)
    proc = subprocess.Popen([NGINX, "-p", str(prefix), "-e", str(prefix / "error.log"),
                             "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def up():
        assert proc.poll() is None, proc.stdout.read().decode() + (prefix / "error.log").read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    try:
        wait_for(up, timeout=15, what="nginx listening")
        yield
    finally:
        proc.send_signal(signal.SIGQUIT)  # graceful: finishes open connections
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def temp_paths(prefix):
    return " ".join(f"{k}_temp_path {prefix}/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))


def site_main_conf(prefix):
    """nginx.conf that serves sakura.conf (the site) from `prefix`."""
    return f"""
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {prefix}/access.log;
    {temp_paths(prefix)}
    include {prefix}/sakura.conf;
}}
"""


@pytest.fixture
def site(start_broker, tmp_path):
    pki = Pki(tmp_path / "pki")
    pki.rsa = pki.issue("site-rsa", "127.0.0.1", "rsa")
    pki.ecdsa = pki.issue("site-ecdsa", "127.0.0.1", "ecdsa")
    # Sakura's own HTTP API (its public bind) and WebSocket listener behind nginx. Two logins at
    # once per address, so the per-address bucket shows which address the API believed. The
    # MQTT.js scenario connects anonymously.
    api = start_api(start_broker, {}, http__rate_burst="2", http__rate_per_minute="1",
                    auth__allow_anonymous="true")
    prefix = tmp_path / "nginx"
    https_port, http_port = free_port(), free_port()
    conf = site_config(api.broker.ports["ws"], api.broker.ports["http"], https_port, http_port, pki)
    try:
        with running_nginx(prefix, site_main_conf(prefix), https_port, {"sakura.conf": conf}):
            yield type("Site", (), {"broker": api.broker, "api": api, "pki": pki, "https": https_port,
                                    "http": http_port})
    finally:
        api.stub.stop()


def https_request(site, path, method="GET", body=None, source="127.0.0.1"):
    ctx = ssl.create_default_context(cafile=str(site.pki.ca_crt))
    c = http.client.HTTPSConnection("127.0.0.1", site.https, context=ctx, timeout=10,
                                    source_address=(source, 0))
    c.request(method, path, body=json.dumps(body) if body is not None else None,
              headers={"Content-Type": "application/json"} if body is not None else {})
    r = c.getresponse()
    return r, r.read()


def test_mqttjs_over_wss_through_nginx(site):
    check_mqttjs_result(run_mqttjs(f"wss://127.0.0.1:{site.https}/mqtt", ca=site.pki.ca_crt))
    # nginx's X-Forwarded-For names the client (here 127.0.0.1, without a port): the broker shows
    # that, not nginx's own upstream socket.
    assert re.search(r"connected client=dying-\S+ .*addr=127\.0\.0\.1 via=ws", site.broker.log()), \
        site.broker.log()[-2000:]


def test_site_redirects_and_routes_to_sakuras_api(site):
    c = http.client.HTTPConnection("127.0.0.1", site.http, timeout=5)
    c.request("GET", "/wx/login?x=1", headers={"Host": "locks.example"})
    r = c.getresponse()
    assert r.status == 301 and r.getheader("Location") == "https://locks.example/wx/login?x=1"

    # /wx/ and /lock/ reach Sakura's API with their prefix, which it serves as the old services did.
    for path in ("/wx/login", "/lock/login"):
        r, body = https_request(site, path, "POST", {"code": site.api.code("nginx-" + path[1:3])})
        assert r.status == 200 and json.loads(body) == {"exists": 0}, (path, r.status, body)
        assert r.getheader("Strict-Transport-Security", "").startswith("max-age=")
    # The operators' routes are not on the public bind nginx forwards to.
    r, body = https_request(site, "/lock/healthz")
    assert r.status == 404 and json.loads(body)["error"] == "not_found", body
    r, _ = https_request(site, "/elsewhere")
    assert r.status == 404


def test_behind_nginx_each_phone_has_its_own_rate_limit(site):
    """nginx's X-Forwarded-For names the phone and the API believes it from nginx (a trusted
    proxy): one phone over its burst gets 429, another phone through the same nginx does not."""
    def login(source):
        r, body = https_request(site, "/wx/login", "POST", {"code": site.api.code("p-" + source)},
                                source=source)
        return r.status
    assert [login("127.0.0.2") for _ in range(3)] == [200, 200, 429]
    assert login("127.0.0.3") == 200


def docs_stream_block():
    text = (ROOT / "docs" / "deployment.md").read_text()
    found = re.search(r"```nginx\n(stream \{.*?\n\})\n```", text, re.S)
    assert found, "docs/deployment.md no longer shows an nginx stream block: update this test"
    return found.group(1)


def test_nginx_stream_with_the_proxy_protocol_as_documented(start_broker, tmp_path):
    """docs/deployment.md's stream block (ports and certificate paths replaced): TLS ends at nginx,
    which passes the client's address to the TCP listener in a PROXY protocol header."""
    pki = Pki(tmp_path / "pki")
    crt, key = pki.issue("stream", "127.0.0.1", "rsa")
    b = start_broker(listener__tcp__proxy_protocol="true")
    port = free_port()
    conf = docs_stream_block()
    for old, new in (("listen 8883 ssl;", f"listen 127.0.0.1:{port} ssl;"), ("/etc/ssl/sakura/rsa.crt", str(crt)),
                     ("/etc/ssl/sakura/rsa.key", str(key)), ("proxy_pass 127.0.0.1:1883;", f"proxy_pass 127.0.0.1:{b.port};")):
        assert old in conf, f"docs/deployment.md's stream block no longer contains {old!r}: update this test"
        conf = conf.replace(old, new)
    prefix = tmp_path / "nginx"
    main = f"""
load_module {STREAM_MODULE};
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 64; }}
{conf}
"""
    with running_nginx(prefix, main, port):
        c = mqtt_raw.Client(port, source="127.0.0.2")
        c.sock = ssl.create_default_context(cafile=str(pki.ca_crt)).wrap_socket(c.sock, server_hostname="127.0.0.1")
        c.connect("behind-stream")
        wait_for(lambda: re.search(r"connected client=behind-stream .*addr=127\.0\.0\.2:\d+ via=tcp", b.log()),
                 what="the client's own address from the PROXY header")
        assert c.subscribe(1, ("stream/t", 0)) == [0]
        c.send(mqtt_raw.publish("stream/t", "through nginx"))
        assert c.expect(mqtt_raw.PUBLISH).payload == b"through nginx"
        c.send(mqtt_raw.DISCONNECT)  # nginx's graceful stop waits for open streams
        assert c.closed()


def test_shipped_upstreams_are_the_brokers_default_binds():
    """deploy/nginx/sakura.conf and the broker agree (issue 17, item 5): each upstream is the
    default of the setting its comment names, /lock/ and /wx/ go to the API's public bind (the old
    nginx sent /lock to the Python service on 5015: docs/deployment.md, *From the old nginx*),
    and nothing is proxied to 5015 or to the ops bind."""
    from conftest import BROKER_BIN
    schema = subprocess.run([str(BROKER_BIN), "--print-schema"], capture_output=True, text=True,
                            check=True, timeout=20).stdout
    defaults = dict(re.findall(r"^\| `([^`]+)` \| `([^`]*)` \|", schema, re.M))
    conf = (ROOT / "deploy" / "nginx" / "sakura.conf").read_text()
    upstreams = {name: (address, key) for name, address, key in
                 re.findall(r"upstream (\w+) \{\s*server ([\d.:]+);\s*# (\S+)", conf)}
    assert set(upstreams) == {"sakura_mqtt_ws", "sakura_http"}
    for name, (address, key) in upstreams.items():
        port = defaults[key].rsplit(":", 1)[1]
        assert address == f"127.0.0.1:{port}", f"upstream {name} is {address}; {key} defaults to {defaults[key]}"
    locations = dict(re.findall(r"location (?:= )?(\S+) \{\s*proxy_pass http://(\w+);", conf))
    assert locations == {"/mqtt": "sakura_mqtt_ws", "/wx/": "sakura_http", "/lock/": "sakura_http"}
    ops_port = defaults["http.ops_bind"].split(":")[1]
    assert not re.search(rf"(server|proxy_pass)\s+\S*:(5015|{ops_port})\b", conf)
    deployment = (ROOT / "docs" / "deployment.md").read_text()
    assert f"proxy_pass http://127.0.0.1:{defaults['http.bind'].split(':')[1]};" in deployment
