"""Abuse of authentication and of data at rest, against the real binary (issue 16):
who can lock a lock out, who can widen an ACL rule through %u/%c, who can read the data dir, and
how Sakura-issued credentials are stored. The HTTP-backed cases run on the embedded store and on
Redis + MariaDB (scripts/services.sh), as the rest of the HTTP suite does."""
import os
import pathlib
import sqlite3
import stat

import pytest

import mqtt_raw as m
from conftest import wait_for
from http_support import backends, curl, random_lockno, start_api


@pytest.fixture(params=backends())
def api(request, start_broker):
    a = start_api(start_broker, request.param)
    a.backend = request.param
    yield a
    a.stub.stop()


def modes(root):
    """{relative path: permission bits} of the directory and everything under it."""
    root = pathlib.Path(root)
    out = {".": stat.S_IMODE(root.stat().st_mode)}
    for p in root.rglob("*"):
        if not p.is_symlink():
            out[str(p.relative_to(root))] = stat.S_IMODE(p.stat().st_mode)
    return out


# The harness keeps its own files in the data dir: the broker's output (written by the test) and
# the --port-file, which holds no secret and stays 0644 for monitoring under another user.
NOT_SAKURAS = {"broker.log": 0o644, "ports": 0o644}


def assert_owner_only(root):
    found = modes(root)
    for name, mode in NOT_SAKURAS.items():
        assert found.pop(name, mode) == mode or name == "broker.log"
    wide = {p: oct(mode) for p, mode in found.items()
            if mode & 0o077 or mode != (0o700 if (pathlib.Path(root) / p).is_dir() else 0o600)}
    assert not wide, f"group/other access in {root}: {wide}"
    return found


# --- data at rest: file modes -------------------------------------------------------------------

def exercise(api):
    """Writes every kind of file the broker keeps: the store (a registered lock, a login),
    the journal (a persistent session with a queued QoS 1 message), the history spool (a lock
    status), a firmware image."""
    lockno = random_lockno()
    dev = api.register(lockno)
    lock = m.Client(api.broker.port)
    lock.connect(lockno, username=lockno, password=dev["password"])
    lock.send(m.publish(f"/{lockno}/statu", b"1", qos=1, packet_id=1))
    lock.expect(m.PUBACK)
    sub = m.Client(api.broker.port)
    sub.connect("keeper-" + lockno, clean=False, username=lockno, password=dev["password"])
    assert sub.subscribe(1, (f"/{lockno}/call", 1)) == [1]
    sub.close()
    up = curl(api.url(f"/firmware?version=9.{lockno}"), "POST", os.urandom(2048), admin=True)
    assert up.status in (200, 201), up
    lock.close()
    return lockno, dev


def test_data_dir_and_every_file_are_owner_only(api):
    exercise(api)
    data = api.broker.data_dir
    while_running = assert_owner_only(data)
    assert "firmware" in while_running and "admin_token" not in while_running, while_running
    if not api.backend:  # embedded: the store, SQLite's WAL and shared memory
        assert {"sakura.db", "sakura.db-wal", "sakura.db-shm"} <= set(while_running), while_running
    api.broker.stop()
    after = assert_owner_only(data)
    assert "sessions.journal" in after and "history.spool" in after, after
    assert any(p.startswith("firmware/") for p in after), after


def test_existing_wide_data_dir_is_tightened(start_broker, tmp_path):
    data = tmp_path / "old-data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    # An older version's files: a firmware image and a file left beside it, 0644 in 0755.
    (data / "firmware").mkdir()
    (data / "firmware" / "1.0.bin").write_bytes(b"x")
    (data / "notes.txt").write_text("left by an operator")
    for p in (data / "firmware" / "1.0.bin", data / "notes.txt"):
        os.chmod(p, 0o644)
    os.chmod(data / "firmware", 0o755)
    b = start_broker(data_dir=data)
    assert_owner_only(data)
    log = b.log()
    assert f"data dir: {data} was mode 755, now 700" in log, log
    assert f"{data}/notes.txt was mode 644, now 600" in log, log
    assert f"{data}/firmware was mode 755, now 700" in log, log
