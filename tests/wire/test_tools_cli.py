"""The command lines of the tools besides sakura-broker and sakura-ctl (issue 18: one parser,
Boost.Program_options, for every tool): --help exits 0 and shows every option with its default;
an unknown option, a missing value or a value out of range exits 2 with the reason on stderr."""
import subprocess

import pytest

from conftest import BUILD
from lock_sim import LOCK_BIN

TOOLS = {
    "sakura-bench": {
        "bin": BUILD / "bench" / "sakura-bench",
        "prefix": ["conn"],
        "help": ["--port N (=1883)", "--transport tcp|ws|tls|wss (=tcp)", "--connections N (=1000)",
                 "--hold X (=5)", "--qos N (=0)", "--duration X (=10)", "--clean-session N (=1)",
                 "--lock-mode rule|responder (=rule)", "--pair-rate X (=50)", "--json-only"],
        "bad": [(["--qos", "3"], "bad value '3' for --qos"),
                (["--connections", "-1"], "bad value '-1' for --connections"),
                (["--transport", "udp"], "bad value 'udp' for --transport"),
                (["--connections"], "'--connections' is missing")],
    },
    "sakura-lock": {
        "bin": LOCK_BIN,
        "prefix": ["--lockno", "L0000000001"],
        "help": ["--broker HOST:PORT (=127.0.0.1:1883)", "--version V (=1.0.0)", "--mqtt-version 3.1|3.1.1 (=3.1.1)",
                 "--keepalive N (=60)", "--relock-ms N (=5000)", "--bolt-ms N (=200)", "--backoff-min-ms N (=1000)",
                 "--backoff-max-ms N (=60000)", "--ota-range N (=16384)", "--ota-timeout-ms N (=15000)",
                 "--threads N (=1)", "--locks-per-process N (=18000)", "--stats N (=0)", "--control", "--insecure"],
        "bad": [(["--threads", "0"], "bad value for --threads: 0"),
                (["--count", "-1"], "bad value for --count: -1"),
                (["--mqtt-version", "5"], "bad value for --mqtt-version: 5"),
                (["--keepalive"], "'--keepalive' is missing")],
    },
    "sakura-persist-bench": {
        "bin": BUILD / "storage" / "sakura-persist-bench",
        "prefix": [],
        "help": ["--store arg (=all)", "--sync arg (=all)", "--messages arg (=20000)", "--window arg (=64)",
                 "--payload arg (=64)", "--dir arg"],
        "bad": [(["--sync", "sometimes"], "--sync: 'sometimes' is not one of always, everysec, none, all"),
                (["--window", "0"], "--window: 0 is not in 1..1000000"),
                (["--messages", "many"], "the argument ('many') for option '--messages' is invalid")],
    },
    "sakura-history-bench": {
        "bin": BUILD / "storage" / "sakura-history-bench",
        "prefix": [],
        "help": ["--backend arg (=sqlite)", "--events arg (=20000)", "--sync arg (=everysec)",
                 "--database arg (=sakura_test_bench)", "--port arg (=$SAKURA_TEST_MARIADB_PORT or 3306)",
                 "--kv arg", "--redis arg"],
        "bad": [(["--backend", "oracle"], "--backend: 'oracle' is not one of sqlite, mariadb"),
                (["--port", "70000"], "--port: 70000 is not in 1..65535")],
    },
}


def run(tool, *args):
    binary = TOOLS[tool]["bin"]
    assert binary.exists(), f"{tool} not built at {binary}"
    return subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=20)


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_help_lists_every_option_with_its_default(tool):
    r = run(tool, "--help")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    for shown in TOOLS[tool]["help"]:
        assert shown in r.stdout, f"{tool} --help lacks {shown!r}:\n{r.stdout}"


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_an_unknown_option_is_a_usage_error(tool):
    r = run(tool, *TOOLS[tool]["prefix"], "--bogus", "1")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert f"{tool}: unrecognised option '--bogus'" in r.stderr
    assert "see --help" in r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_a_bad_value_is_a_usage_error_naming_the_option(tool):
    for args, message in TOOLS[tool]["bad"]:
        r = run(tool, *TOOLS[tool]["prefix"], *args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert message in r.stderr, (args, r.stderr)
        assert r.stdout == "", args
