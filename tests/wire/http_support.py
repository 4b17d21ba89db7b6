"""Helpers for the HTTP API's wire tests: curl as the client, a broker with the API and the
code2Session stub, and the store backends to run against (embedded; Redis + MariaDB when
scripts/test exported them)."""
import json
import os
import random
import subprocess
import tempfile

import pytest

from wechat_stub import WechatStub

ADMIN = "test-admin-token-0123456789"


class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


def curl(url, method="GET", body=None, headers=None, admin=False, user=None, extra=()):
    """One request with curl; body may be a dict (sent as JSON), bytes or str."""
    with tempfile.NamedTemporaryFile() as out, tempfile.NamedTemporaryFile() as head:
        cmd = ["curl", "-s", "-S", "--max-time", "20", "-X", method, "-o", out.name, "-D", head.name,
               "-w", "%{http_code}"]
        for k, v in (headers or {}).items():
            cmd += ["-H", f"{k}: {v}"]
        if admin:
            cmd += ["-H", f"Authorization: Bearer {ADMIN}"]
        if user:
            cmd += ["-u", f"{user[0]}:{user[1]}"]
        data = None
        if body is not None:
            if isinstance(body, dict) or isinstance(body, list):
                data = json.dumps(body).encode()
                cmd += ["-H", "Content-Type: application/json"]
            else:
                data = body.encode() if isinstance(body, str) else body
            cmd += ["--data-binary", "@-"]
        cmd += list(extra) + [url]
        r = subprocess.run(cmd, input=data, capture_output=True)
        assert r.returncode == 0, f"curl failed: {r.stderr.decode()}"
        headers_out = {}
        for line in open(head.name, "rb").read().decode(errors="replace").splitlines()[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers_out[k.strip().lower()] = v.strip()
        return Resp(int(r.stdout), headers_out, open(out.name, "rb").read())


def random_lockno():
    return "".join(random.choice("0123456789") for _ in range(11))


def backends():
    """Store settings to run against: always embedded; Redis + MariaDB when available."""
    out = [pytest.param({}, id="embedded")]
    redis = os.environ.get("SAKURA_TEST_REDIS")
    host = os.environ.get("SAKURA_TEST_MARIADB_HOST")
    if redis and host:
        out.append(pytest.param({
            "auth.backend": "redis", "redis.server": redis,
            "sql.backend": "mariadb", "sql.host": host,
            "sql.port": os.environ.get("SAKURA_TEST_MARIADB_PORT", "3306"),
            "sql.user": os.environ.get("SAKURA_TEST_MARIADB_USER", "lockadmin"),
            "sql.password": os.environ.get("SAKURA_TEST_MARIADB_PASSWORD", ""),
            "sql.database": os.environ.get("SAKURA_TEST_MARIADB_DATABASE", "lockdata"),
        }, id="redis+mariadb"))
    else:
        out.append(pytest.param({}, id="redis+mariadb", marks=pytest.mark.skip(
            reason="SAKURA_TEST_REDIS / SAKURA_TEST_MARIADB_* not set (scripts/test sets them)")))
    return out


class Api:
    """A running broker with the HTTP API, and the stub it asks for OpenIDs."""

    def __init__(self, broker, stub):
        self.broker, self.stub = broker, stub
        self.base = f"http://127.0.0.1:{broker.ports['http']}"
        self.ops_base = f"http://127.0.0.1:{broker.ports['http_ops']}"
        self.codes = 0

    def url(self, path):
        return self.base + path

    def ops_url(self, path):
        """The ops bind (http.ops_bind): admin routes, /metrics, /healthz."""
        return self.ops_base + path

    def code(self, openid):
        """A fresh single-use wx.login code for `openid`."""
        self.codes += 1
        return f"{openid}.{self.codes}"

    def login(self, openid, **kw):
        return curl(self.url("/login"), "POST", {"code": self.code(openid)}, **kw)

    def register(self, lockno):
        r = curl(self.ops_url("/devices"), "POST", {"lockno": lockno}, admin=True)
        assert r.status == 201, r
        return r.json()

    def bind(self, openid, lockno, bindcode):
        return curl(self.url("/bind"), "POST",
                    {"code": self.code(openid), "lockno": lockno, "bindcode": bindcode})


def start_api(start_broker, backend, **settings):
    stub = WechatStub().start()
    merged = {
        "http.bind": "127.0.0.1:0",
        "http.ops_bind": "127.0.0.1:0",
        "listener.ws.bind": "127.0.0.1:0",
        "http.admin_token": ADMIN,
        "auth.allow_anonymous": "false",
        "wechat.code2session_url": stub.url,
        "wechat.appid": stub.appid,
        "wechat.secret": stub.secret,
        "wechat.timeout": "2s",
    }
    merged.update(backend)
    merged.update({k.replace("__", "."): v for k, v in settings.items()})
    broker = start_broker(**{k.replace(".", "__"): v for k, v in merged.items()})
    return Api(broker, stub)


def metric(api, name):
    """The value of an unlabelled Prometheus counter on /metrics (None when absent)."""
    text = curl(api.ops_url("/metrics")).body.decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[1]))
    return None
