"""Shared fixtures for wire-level tests: a real sakura-broker process on free ports.

`broker` is a broker with anonymous access on TCP only; `start_broker(**settings)` starts one
with any settings (keys as in docs/configuration.md, dots and all) and stops it at teardown.

Where SAKURA_REQUIRE_SERVICES=1 (CI and scripts/test, which start Redis and MariaDB), a test
cannot pass by not running: a missing server fails it (`require_services`), and any skip not
listed in allowed_skips.txt is reported as a failure.
"""
import fnmatch
import os
import pathlib
import signal
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("SAKURA_BUILD_DIR", ROOT / "build"))
BROKER_BIN = BUILD / "app" / "sakura-broker"
REQUIRE_SERVICES = os.environ.get("SAKURA_REQUIRE_SERVICES") == "1"


def require_services():
    """Redis and MariaDB from scripts/services.sh (SAKURA_TEST_REDIS, SAKURA_TEST_MARIADB_*): a
    skip that says so on a developer's machine without them, a failure where they are required."""
    missing = [v for v in ("SAKURA_TEST_REDIS", "SAKURA_TEST_MARIADB_HOST") if not os.environ.get(v)]
    if missing:
        why = f"{', '.join(missing)} not set (eval \"$(scripts/services.sh start DIR)\" sets them)"
        if REQUIRE_SERVICES:
            pytest.fail(why + " while SAKURA_REQUIRE_SERVICES=1", pytrace=False)
        pytest.skip(why)


def _allowed_skips():
    out = []
    for line in (pathlib.Path(__file__).parent / "allowed_skips.txt").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            pattern, _, reason = line.partition("|")
            out.append((pattern.strip(), reason.strip()))
    return out


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Where SAKURA_REQUIRE_SERVICES=1, a skip outside allowed_skips.txt is a failure (xfail stays
    what it is: strict xfails already fail when they pass)."""
    outcome = yield
    report = outcome.get_result()
    if not REQUIRE_SERVICES or not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    test_id = f"{pathlib.Path(str(item.fspath)).relative_to(ROOT)}::{item.name}"
    if any(fnmatch.fnmatchcase(test_id, p) and r in reason for p, r in _allowed_skips()):
        return
    report.outcome = "failed"
    report.longrepr = (f"skipped outside tests/wire/allowed_skips.txt while SAKURA_REQUIRE_SERVICES=1: "
                       f"{reason}")


def built_with_sanitizers():
    """True for an ASan/UBSan build (-DSAKURA_SANITIZE=ON): memory figures mean nothing there."""
    cache = BUILD / "CMakeCache.txt"
    return cache.exists() and "SAKURA_SANITIZE:BOOL=ON" in cache.read_text(errors="replace")


def proc_status(pid, field):
    """A numeric field of /proc/<pid>/status (VmRSS, VmHWM in KiB; FDSize, Threads as counts)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def rss_kib(pid, field="VmRSS"):
    """VmRSS of a process in KiB, from /proc (memory bounds in tests read this); field="VmHWM"
    gives the peak, for memory held only while a request lasts."""
    return proc_status(pid, field)


def wait_for(predicate, timeout=10.0, interval=0.02, what="condition"):
    """Polls `predicate` until it returns a truthy value; fails the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class BrokerProcess:
    def __init__(self, data_dir, settings, env=None, preexec=None):
        self.preexec = preexec
        self.data_dir = pathlib.Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings = dict(settings)
        self.env = env
        self.proc = None
        self.ports = {}
        self.log_path = self.data_dir / "broker.log"

    def start(self):
        port_file = self.data_dir / "ports"
        if port_file.exists():
            port_file.unlink()
        args = [str(BROKER_BIN), "--port-file", str(port_file)]
        for key, value in self.settings.items():
            args += ["--set", f"{key}={value}"]
        env = dict(os.environ)
        env.update(self.env or {})
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                     preexec_fn=self.preexec)

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"broker exited with {self.proc.returncode}:\n{self.log()}")
            return port_file.exists()

        wait_for(ready, timeout=20, what="broker port file")
        self.ports = {}
        for line in port_file.read_text().splitlines():
            name, port = line.split()
            self.ports[name] = int(port)
        return self

    @property
    def port(self):
        return self.ports["tcp"]

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("broker did not stop within %ss" % timeout)
        if getattr(self, "_log", None):
            self._log.close()
        return self.proc.returncode if self.proc else None

    def restart(self):
        self.stop()
        return self.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None


DEFAULTS = {
    "listener.tcp.bind": "127.0.0.1:0",
    "listener.ws.bind": "off",
    "listener.tls.bind": "off",
    "listener.wss.bind": "off",
    "http.bind": "off",
    "http.ops_bind": "off",
    "auth.allow_anonymous": "true",
    "log.level": "debug",
}


@pytest.fixture
def start_broker(tmp_path):
    """start_broker(**settings) -> BrokerProcess; keyword names use '__' for '.'. `preexec` runs in
    the child before exec (e.g. resource.setrlimit for a smaller descriptor limit)."""
    started = []

    def start(env=None, data_dir=None, preexec=None, **settings):
        merged = dict(DEFAULTS)
        merged["node.data_dir"] = str(data_dir or tmp_path / f"data{len(started)}")
        merged.update({k.replace("__", "."): v for k, v in settings.items()})
        b = BrokerProcess(merged["node.data_dir"], merged, env=env, preexec=preexec)
        started.append(b)
        return b.start()

    yield start
    failures = []
    for b in started:
        b.stop()
        # A clean SIGTERM shutdown exits 0; anything else (a crash, or a sanitizer report at exit)
        # fails the test that ran it. Tests that SIGKILL on purpose leave -9.
        if b.proc and b.proc.returncode not in (0, None, -signal.SIGKILL):
            failures.append(f"broker exited with {b.proc.returncode}:\n{b.log()[-4000:]}")
    if failures:
        pytest.fail("\n".join(failures))


@pytest.fixture
def broker(start_broker):
    return start_broker()
