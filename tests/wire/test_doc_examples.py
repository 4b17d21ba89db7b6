"""Every example in docs/ runs, as written, against a real broker (issue 17, item 6).

A fenced block whose info string is `console` is an example: each `$ ` line is a command, run by
bash in order, and the lines up to the next `$ ` its expected output. JSON output is compared
structurally: the same keys at every level, the same values, except VARYING fields (random keys,
passwords, codes, dates, times, ids, digests, ports), which only need the same JSON type. A
VARYING string shown in the docs is replaced by the real one in the commands that follow (the
`key`/`pwd` of `/login` reused by `/history`). Other output is compared as text.

Commands name the defaults (`localhost:5005`, `localhost:5006`, `-h localhost -p 1883`,
`$TOKEN`); the runner points them at the broker it started. Each documented file has a setup here that builds the state its
examples describe; a console block in a file without one, or a curl/mosquitto command in a block
that is not `console`, fails the test, so no example goes unrun.
"""
import hashlib
import json
import os
import pathlib
import re
import subprocess

import pytest

from auth_support import Redis
from conftest import ROOT, wait_for
from http_support import ADMIN, curl
from wechat_stub import WechatStub

DOCS = ROOT / "docs"
VARYING = {"key", "pwd", "adate", "password", "bindcode_m", "bindcode_f", "id", "ts", "time",
           "next", "firmware", "last_seen", "created", "sha256", "tcp", "ws", "tls", "wss"}
COMMAND = re.compile(r"(^|\s)(curl|mosquitto_pub|mosquitto_sub)\s")


def fenced_blocks(path):
    """(info string, [lines], first line number) of every fenced block in a Markdown file."""
    blocks, current, info, start = [], None, None, 0
    for n, line in enumerate(path.read_text().splitlines(), 1):
        stripped = line.strip()
        if current is None and stripped.startswith("```"):
            current, info, start = [], stripped[3:].strip(), n
        elif current is not None and stripped.startswith("```"):
            blocks.append((info, current, start))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def examples(path):
    """[(line number, command, expected output lines)] of the console blocks, in order."""
    out = []
    for info, lines, start in fenced_blocks(path):
        if info != "console":
            continue
        for i, line in enumerate(lines):
            if line.startswith("$ "):
                out.append((start + 1 + i, line[2:], []))
            else:
                assert out, f"{path.name}:{start}: output before the first command"
                out[-1][2].append(line)
    return out


def test_every_command_in_docs_is_in_a_console_block():
    unmarked = []
    for path in sorted(DOCS.glob("*.md")):
        for info, lines, start in fenced_blocks(path):
            if info != "console" and any(COMMAND.search(l) for l in lines):
                unmarked.append(f"{path.name}:{start}")
    assert not unmarked, f"examples not marked ```console (so never run): {unmarked}"
    assert set(p.name for p in DOCS.glob("*.md") if examples(p)) <= set(SETUPS), \
        "a docs file has console examples but no setup in test_doc_examples.py"


def compare(expected, actual, where, subst):
    """Structural comparison; records VARYING strings the docs show -> the real values."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r} is not an object"
        assert set(expected) == set(actual), f"{where}: keys {sorted(actual)} != documented {sorted(expected)}"
        for k in expected:
            field = f"{where}.{k}"
            if k in VARYING:
                assert type(expected[k]) is type(actual[k]) or (
                    isinstance(expected[k], (int, float)) and isinstance(actual[k], (int, float))), \
                    f"{field}: {actual[k]!r} is not of the documented type ({expected[k]!r})"
                if isinstance(expected[k], str):
                    subst[expected[k]] = actual[k]
            else:
                compare(expected[k], actual[k], field, subst)
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), \
            f"{where}: {actual!r} has not the documented {len(expected)} items"
        for i, (e, a) in enumerate(zip(expected, actual)):
            compare(e, a, f"{where}[{i}]", subst)
    else:
        assert expected == actual, f"{where}: {actual!r} != documented {expected!r}"


def run_examples(path, env, ports, cwd):
    subst = {}
    ran = 0
    for line, command, expected in examples(path):
        cmd = command.replace("localhost:5005", f"127.0.0.1:{ports['http']}")
        cmd = cmd.replace("localhost:5006", f"127.0.0.1:{ports['http_ops']}")
        cmd = cmd.replace("-h localhost -p 1883", f"-h 127.0.0.1 -p {ports['tcp']}")
        for shown, real in subst.items():
            if shown and shown != real:
                cmd = cmd.replace(shown, real)
        r = subprocess.run(["bash", "-c", cmd], cwd=cwd, env=env, capture_output=True, text=True,
                           timeout=30)
        where = f"{path.name}:{line}"
        assert r.returncode == 0, f"{where}: `{command}` exited {r.returncode}: {r.stderr}"
        want = "\n".join(expected).strip()
        got = r.stdout.strip()
        if want.startswith(("{", "[")):
            try:
                actual = json.loads(got)
            except ValueError:
                raise AssertionError(f"{where}: `{command}` answered {got!r}, not JSON")
            compare(json.loads(want), actual, where, subst)
        else:
            assert got == want, f"{where}: `{command}` printed {got!r}, documented {want!r}"
        ran += 1
    return ran


# ---- docs/api.md -------------------------------------------------------------------------------

LOCK = "20000000001"
BINDCODES = {"m": "K7Q2M9XW4RTA", "f": "P3ZD8HN6BC2Y"}


def api_setup(start_broker, tmp_path):
    """The state docs/api.md describes: lock 20000000001 registered with the binding codes the
    examples use, owner m (OpenID 0a3Xyz) bound, and the lock's reports 1, 0, 1 in history."""
    redis = Redis(tmp_path)
    redis.start()
    stub = WechatStub().start()
    b = start_broker(**{k.replace(".", "__"): v for k, v in {
        "http.bind": "127.0.0.1:0", "http.ops_bind": "127.0.0.1:0", "listener.ws.bind": "127.0.0.1:0",
        "http.admin_token": ADMIN, "http.public_url": "http://10.0.0.5:5005",
        "auth.allow_anonymous": "false", "auth.backend": "redis", "redis.server": redis.address,
        "wechat.code2session_url": stub.url, "wechat.appid": stub.appid,
        "wechat.secret": stub.secret}.items()})
    ops = f"http://127.0.0.1:{b.ports['http_ops']}"
    reg = curl(ops + "/devices", "POST", {"lockno": LOCK}, admin=True)
    assert reg.status == 201, reg
    redis.cli("HSET", f"bindcode:{LOCK}", *[x for role, code in BINDCODES.items()
                                            for x in (role, hashlib.sha256(code.encode()).hexdigest())], db=1)
    bound = curl(f"http://127.0.0.1:{b.ports['http']}/bind", "POST",
                 {"code": "0a3Xyz.0", "lockno": LOCK, "bindcode": BINDCODES["m"]})
    assert bound.status == 200 and bound.json()["morf"] == "m", bound
    for status in ("1", "0", "1"):
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(b.port), "-u", LOCK, "-P",
                        reg.json()["password"], "-i", LOCK, "-q", "1", "-t", f"/{LOCK}/statu",
                        "-m", status], check=True, capture_output=True, timeout=15)
        wait_for(lambda: redis.cli("HGET", "monitor", LOCK, db=1).strip() == status,
                 what=f"status {status} stored")
    wait_for(lambda: len(curl(f"{ops}/history?lockno={LOCK}", admin=True).json()["items"]) == 3,
             what="three history rows")
    (tmp_path / "lock-1.2.0.bin").write_bytes(bytes(i % 251 for i in range(70000)))
    return b, [redis.stop, stub.stop]


SETUPS = {"api.md": api_setup}


@pytest.mark.parametrize("name", sorted(SETUPS))
def test_doc_examples_run_as_written(start_broker, tmp_path, name):
    path = DOCS / name
    assert examples(path), f"{name} has no console examples"
    b, cleanups = SETUPS[name](start_broker, tmp_path)
    try:
        env = dict(os.environ, TOKEN=ADMIN)
        assert run_examples(path, env, b.ports, tmp_path) == len(examples(path))
    finally:
        for c in cleanups:
            c()
