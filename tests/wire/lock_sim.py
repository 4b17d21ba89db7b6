"""Helpers for the lock simulator's wire tests: Sakura as the locks' broker, the sakura-lock
process with its event lines, an MQTT watcher, and an HTTP firmware server with Range support.

Sakura is the broker of every lock test: when it does not start, or exits other than cleanly,
the test fails (no other broker stands in)."""
import http.server
import os
import pathlib
import re
import socket
import ssl
import subprocess
import threading
import time

import pytest

import mqtt_raw as m
from auth_support import Redis, SharedRedis
from conftest import BROKER_BIN, BUILD, DEFAULTS, BrokerProcess, wait_for

LOCK_BIN = pathlib.Path(os.environ.get("SAKURA_LOCK_BIN", BUILD / "firmware" / "sim" / "sakura-lock"))
PASSWORD = "lock-secret"
# The operator publish() speaks as: a superuser (only superusers may command a lock).
OPERATOR = "lock-tests-operator"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sakura:
    """sakura-broker for the lock tests: locks and the operator authenticate against Redis (the
    shared one of scripts/services.sh, else one of the test's own); the tests' watchers are
    anonymous and allowed, as under the old system's default acl.conf. `tcp_bind` fixes the port
    (a restart keeps it); `extra` adds settings (e.g. the TLS listener)."""
    kind = "sakura"
    admin_token = "lock-tests-admin-token"

    def __init__(self, workdir, tcp_bind="127.0.0.1:0", **extra):
        assert BROKER_BIN.exists(), f"sakura-broker not built at {BROKER_BIN}"
        shared = os.environ.get("SAKURA_TEST_REDIS")
        self._redis = SharedRedis(shared) if shared else Redis(workdir).start()
        settings = dict(DEFAULTS)
        settings.update({"node.data_dir": str(pathlib.Path(workdir) / "sakura"),
                         "listener.tcp.bind": tcp_bind,
                         "auth.backend": "redis", "redis.server": self._redis.address,
                         "auth.allow_anonymous": "true", "auth.acl_nomatch": "allow",
                         "http.ops_bind": "127.0.0.1:0", "http.admin_token": self.admin_token})
        settings.update(extra)
        self.proc = BrokerProcess(settings["node.data_dir"], settings)
        try:
            self.proc.start()
            self.add_operator()
        except BaseException:
            self._redis.stop()
            raise

    @property
    def port(self):
        return self.proc.port

    @property
    def http_port(self):
        return self.proc.ports.get("http_ops")  # the ops bind: admin routes and the public ones

    def redis(self, *args, db=0):
        return self._redis.cli(*args, db=db)

    def add_operator(self):
        # publish() speaks as this superuser: lock commands (/call, /ota) come only from one.
        self.redis("HSET", f"mqtt_user:{OPERATOR}", "password", PASSWORD, "is_superuser", "1")

    def add_lock(self, lockno, password=PASSWORD):
        self.add_locks({lockno: password})

    def add_locks(self, passwords):
        """{lockno: password}: the compatible credential contract, plain password, superuser so no
        ACL rows are needed; one redis-cli for the lot (a fleet has hundreds)."""
        script = "".join(f"HSET mqtt_user:{l} password {p} is_superuser 1\n" for l, p in passwords.items())
        r = subprocess.run(["redis-cli", "-p", str(self._redis.port)], input=script.encode(),
                           capture_output=True, timeout=30)
        assert r.returncode == 0 and b"ERR" not in r.stdout, r.stdout + r.stderr

    def monitor(self, lockno):
        return self.redis("HGET", "monitor", lockno, db=1) or None

    def restart(self):
        self.stop()
        self.proc.start()

    def stop(self):
        """SIGTERM, and a clean exit is required (as conftest.start_broker requires): a sanitizer
        report or a crash fails the test."""
        try:
            code = self.proc.stop()
            if code != 0:
                raise AssertionError(f"sakura-broker exited with {code}:\n{self.proc.log()[-4000:]}")
        finally:
            self._redis.stop()


def start_lock_broker(workdir, **kw):
    return Sakura(workdir, **kw)


class LockSim:
    """A running sakura-lock; its stdout lines ("<secs> <lockno> <event> [detail]") are kept."""

    def __init__(self, broker_port, *args, lockno=None, password=PASSWORD):
        cmd = [str(LOCK_BIN), "--broker", f"127.0.0.1:{broker_port}", "--password", password,
               "--backoff-min-ms", "200", "--backoff-max-ms", "2000", "--control"]
        if lockno:
            cmd += ["--lockno", lockno]
        cmd += [str(a) for a in args]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()

    def command(self, line):
        """A --control command: "drop L", "off L", "on L", "key L open", "key L lock"."""
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def events(self, lockno=None, event=None):
        """[(lockno, event, detail)] so far, optionally filtered."""
        out = []
        with self._cond:
            lines = list(self.lines)
        for line in lines:
            parts = line.split(" ", 3)
            if len(parts) < 3 or not re.match(r"^\d+\.\d+$", parts[0]):
                continue
            e = (parts[1], parts[2], parts[3] if len(parts) > 3 else "")
            if (lockno is None or e[0] == lockno) and (event is None or e[1] == event):
                out.append(e)
        return out

    def wait_event(self, event, lockno=None, detail=None, count=1, timeout=10):
        def found():
            hits = [e for e in self.events(lockno, event) if detail is None or e[2] == detail]
            if self.proc.poll() is not None and len(hits) < count:
                raise AssertionError(f"sakura-lock exited ({self.proc.returncode}):\n" + self.output())
            return hits if len(hits) >= count else None
        try:
            return wait_for(found, timeout=timeout, what=f"{event} {detail or ''} x{count}")
        except AssertionError as e:
            raise AssertionError(f"{e}\n--- sakura-lock output ---\n{self.output()}") from None

    def output(self):
        with self._cond:
            return "\n".join(self.lines[-200:])

    def kill(self):
        """SIGKILL: the sockets are dropped without DISCONNECT, as when a lock loses power."""
        self.killed = True
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self):
        """SIGTERM, and a clean exit is required: a sanitizer report or a crash fails the test."""
        if getattr(self, "killed", False):
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("sakura-lock ignored SIGTERM:\n" + self.output())
        self._reader.join(timeout=5)
        if self.proc.returncode != 0 or "Sanitizer" in self.output():
            raise AssertionError(f"sakura-lock exited with {self.proc.returncode}:\n" + self.output())


class Watcher:
    """An MQTT client subscribed to some filters, collecting (topic, payload) in the background."""

    def __init__(self, port, *filters):
        self.client = m.Client(port)
        self.client.connect(f"watch-{os.getpid()}-{time.monotonic_ns()}")
        assert self.client.subscribe(1, *[(f, 0) for f in filters]) == [0] * len(filters)
        self.messages = []
        self._cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            try:
                p = self.client.recv_packet(timeout=3600)
            except (TimeoutError, OSError):
                return
            if p is None:
                return
            if p.type == m.PUBLISH:
                with self._cond:
                    self.messages.append((p.topic, p.payload.decode(errors="replace")))

    def received(self, topic=None):
        with self._cond:
            return [(t, v) for t, v in self.messages if topic is None or t == topic]

    def wait_for(self, topic, payload, count=1, timeout=10):
        def got():
            hits = [1 for t, v in self.received(topic) if v == payload]
            return len(hits) >= count
        wait_for(got, timeout=timeout, what=f"{payload!r} x{count} on {topic}; have {self.received()}")

    def close(self):
        self.client.close()


def publish(port, topic, payload, qos=1, retain=False):
    """Publishes as the operator (see OPERATOR)."""
    c = m.Client(port)
    c.connect(f"pub-{time.monotonic_ns()}", username=OPERATOR, password=PASSWORD)
    c.send(m.publish(topic, payload, qos=qos, retain=retain, packet_id=1))
    if qos:
        c.expect(m.PUBACK)
    c.send(m.DISCONNECT)
    c.close()


class FirmwareServer:
    """HTTP/1.1 with Range support serving firmware images from memory. `cut_once[path] = n`
    drops the connection once, after n body bytes of the next response for that path. With
    `tls=(certfile, keyfile)` it serves HTTPS."""

    def __init__(self, tls=None):
        self.images = {}
        self.cut_once = {}
        self.requests = []  # (path, Range header)
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                rng = self.headers.get("Range")
                outer.requests.append((self.path, rng))
                data = outer.images.get(self.path)
                if data is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                first, last = 0, len(data) - 1
                match = re.fullmatch(r"bytes=(\d+)-(\d*)", rng or "")
                if match:
                    first = int(match.group(1))
                    last = min(int(match.group(2) or last), len(data) - 1)
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {first}-{last}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[first:last + 1]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                cut = outer.cut_once.pop(self.path, None)
                if cut is not None:
                    self.wfile.write(body[:cut])
                    self.wfile.flush()
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                               b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.scheme = "http"
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path):
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# Fixtures for the lock test modules, which import them by name.
@pytest.fixture
def lock_broker(tmp_path):
    b = start_lock_broker(tmp_path)
    yield b
    b.stop()


@pytest.fixture
def sims():
    """sims(broker_port, *args, lockno=...) starts a sakura-lock; each is stopped (and must exit
    cleanly) at teardown."""
    started = []

    def start(*args, **kw):
        s = LockSim(*args, **kw)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()
