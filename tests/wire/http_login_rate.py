"""Measures POST /login against a running sakura-broker it starts itself, with the code2Session
stub, over keep-alive connections from a few client threads; prints requests/s and latency.

    SAKURA_BUILD_DIR=build python3 tests/wire/http_login_rate.py [--seconds 10] [--clients 8]
        [--bound] [--set key=value ...]

--bound logs in a user bound to a lock, so every request also writes fresh credentials; without
it the OpenID is unknown (a lookup only). The stub runs in this process too, so the figure is a
floor for the broker: on a shared machine the Python side is the likelier bottleneck."""
import argparse
import http.client
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from conftest import BrokerProcess, DEFAULTS  # noqa: E402
from wechat_stub import WechatStub  # noqa: E402


def post(conn, path, body, headers=None):
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json", **(headers or {})})
    r = conn.getresponse()
    return r.status, r.read()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--bound", action="store_true")
    p.add_argument("--set", action="append", default=[])
    a = p.parse_args()
    stub = WechatStub().start()
    tmp = tempfile.mkdtemp(prefix="sakura-login-rate-")
    settings = dict(DEFAULTS)
    settings.update({"node.data_dir": tmp, "http.bind": "127.0.0.1:0", "http.ops_bind": "127.0.0.1:0", "http.admin_token": "bench",
                     "http.rate_burst": "100000000", "http.rate_per_minute": "100000000",
                     "wechat.code2session_url": stub.url, "wechat.appid": stub.appid,
                     "wechat.secret": stub.secret, "log.level": "warn", "auth.allow_anonymous": "false"})
    for s in a.set:
        k, v = s.split("=", 1)
        settings[k] = v
    broker = BrokerProcess(tmp, settings).start()
    port = broker.ports["http"]
    try:
        if a.bound:
            c = http.client.HTTPConnection("127.0.0.1", broker.ports["http_ops"])
            st, body = post(c, "/devices", {"lockno": "30000000001"}, {"Authorization": "Bearer bench"})
            codes = json.loads(body)
            st, body = post(c, "/bind", {"code": "bench-user.0", "lockno": "30000000001",
                                         "bindcode": codes["bindcode_m"]})
            assert st == 200, body
        latencies, statuses, lock = [], {}, threading.Lock()
        deadline = time.monotonic() + a.seconds

        def worker(n):
            conn = http.client.HTTPConnection("127.0.0.1", port)
            i, mine = 0, []
            while time.monotonic() < deadline:
                i += 1
                user = "bench-user" if a.bound else f"unknown-{n}"
                t0 = time.perf_counter()
                st, body = post(conn, "/login", {"code": f"{user}.{n}-{i}"})
                mine.append(time.perf_counter() - t0)
                with lock:
                    statuses[st] = statuses.get(st, 0) + 1
            with lock:
                latencies.extend(mine)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(a.clients)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        latencies.sort()
        print(f"/login {'bound' if a.bound else 'unknown'} user, {a.clients} keep-alive clients, "
              f"{elapsed:.1f} s: {len(latencies) / elapsed:.0f} requests/s, statuses {statuses}, "
              f"latency p50 {statistics.median(latencies) * 1000:.1f} ms, "
              f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms")
    finally:
        broker.stop()
        stub.stop()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
