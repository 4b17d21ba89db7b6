"""Helpers for the auth wire tests: a Redis of our own (killable), credentials written the way
the old Python login and operators' scripts wrote them, and mosquitto client wrappers."""
import base64
import os
import secrets
import signal
import socket
import subprocess
import time

import pytest

import mqtt_raw
from conftest import wait_for


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    """A redis-server on a free port that a test may stop and start again."""

    def __init__(self, data_dir, port=None):
        self.dir = data_dir
        self.port = port or free_port()
        self.proc = None

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: self.ping(), what="redis up")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def ping(self):
        r = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True)
        return r.stdout.strip() == "PONG"

    def cli(self, *args, db=0):
        r = subprocess.run(["redis-cli", "-p", str(self.port), "-n", str(db), *args],
                           capture_output=True, timeout=10)
        assert r.returncode == 0, r.stderr
        return r.stdout.decode(errors="replace").strip()


class SharedRedis(Redis):
    """The scripts/test Redis (SAKURA_TEST_REDIS); never stopped by a test."""

    def __init__(self, address):
        host, port = address.split(":")
        super().__init__(None, int(port))

    def start(self):
        return self

    def stop(self):
        pass


class RedisBackend:
    name = "redis"

    def __init__(self, tmp_path):
        shared = os.environ.get("SAKURA_TEST_REDIS")
        self.redis = SharedRedis(shared) if shared else Redis(tmp_path).start()

    def settings(self):
        return {"auth.backend": "redis", "redis.server": self.redis.address}

    def put_user(self, name, fields, acl=None):
        # Exactly the commands the old Python login ran: HSET the password, HMSET the ACL.
        self.redis.cli("DEL", f"mqtt_user:{name}", f"mqtt_acl:{name}")
        self.redis.cli("HSET", f"mqtt_user:{name}", *[x for kv in fields.items() for x in kv])
        if acl:
            self.redis.cli("HMSET", f"mqtt_acl:{name}", *[x for kv in acl.items() for x in kv])

    def close(self):
        self.redis.stop()


class EmbeddedBackend:
    """The same model without Redis: users go in through auth.users_file."""
    name = "embedded"

    def __init__(self, tmp_path):
        self.path = tmp_path / "users.txt"
        self.lines = []

    def settings(self):
        self.path.write_text("\n".join(self.lines) + "\n")
        return {"auth.backend": "embedded", "auth.users_file": str(self.path)}

    def put_user(self, name, fields, acl=None):
        extra = [f"salt={fields['salt']}"] if "salt" in fields else []
        if fields.get("is_superuser") == "1":
            extra.append("superuser")
        self.lines.append(" ".join(["user", name, fields["password"], *extra]))
        for topic, access in (acl or {}).items():
            self.lines.append(f"acl {name} {topic} {access}")

    def close(self):
        pass


@pytest.fixture(params=[RedisBackend, EmbeddedBackend], ids=lambda b: b.name)
def backend(request, tmp_path):
    """Credentials as the old system wrote them: Redis, or the embedded store via users_file."""
    b = request.param(tmp_path)
    yield b
    b.close()


def start_with_backend(start_broker, backend, **settings):
    """A broker that authenticates against `backend`, anonymous refused."""
    merged = {"auth.allow_anonymous": "false", **backend.settings()}
    merged.update({k.replace("__", "."): v for k, v in settings.items()})
    return start_broker(**{k.replace(".", "__"): v for k, v in merged.items()})


def new_key():
    """A mini-program login: key = base64 of 16 random bytes, pwd = base64 of 8 (INTERFACES.md)."""
    return base64.b64encode(secrets.token_bytes(16)).decode(), base64.b64encode(secrets.token_bytes(8)).decode()


def new_lockno():
    return "L" + secrets.token_hex(5)  # 11 characters, as a lockno


def login_acl(lockno, morf):
    """The ACL rows the old Python login wrote with HMSET mqtt_acl:<key>."""
    return {f"/{lockno}/#": "1", f"/{lockno}/{morf}": "2", "/unauth": "2"}


def device_acl(lockno):
    return {f"/{lockno}/statu": "2", f"/{lockno}/fw": "2", f"/{lockno}/call": "1", f"/{lockno}/ota": "1"}


def mosquitto_pub(port, user, password, topic, message, qos=1, client_id=None):
    args = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-t", topic, "-m", message,
            "-q", str(qos)]
    if user is not None:
        args += ["-u", user, "-P", password]
    if client_id:
        args += ["-i", client_id]
    return subprocess.run(args, capture_output=True, text=True, timeout=15)


def mosquitto_sub(port, user, password, topic, client_id, count=1, extra=()):
    args = ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-t", topic, "-q", "1",
            "-i", client_id, "-C", str(count), "-v", "-W", "20", *extra]
    if user is not None:
        args += ["-u", user, "-P", password]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_subscribed(broker, client_id, filter_):
    wait_for(lambda: f"subscribed client={client_id} filter={filter_} " in broker.log(),
             what=f"{client_id} subscribed to {filter_}")


def code_of(broker, user, password, client_id="c"):
    """The CONNACK return code for one login attempt, or None if the broker just closed."""
    c = mqtt_raw.Client(broker.port)
    try:
        c.send(mqtt_raw.connect(client_id, username=user, password=password))
        p = c.recv_packet(timeout=15)
        return None if p is None else p.body[1]
    finally:
        c.close()
