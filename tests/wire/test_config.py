"""Configuration: the file, the environment and --set, validated with messages that name the key;
and docs/configuration.md listing every key the binary knows."""
import re
import subprocess

from conftest import BROKER_BIN, ROOT


def run(*args, env=None):
    return subprocess.run([str(BROKER_BIN), *args], capture_output=True, text=True, timeout=20,
                          env=env)


def test_unknown_key_stops_start_naming_it(tmp_path):
    r = run("--set", "listener.tcp.bnd=1883")
    assert r.returncode == 2
    assert "listener.tcp.bnd" in r.stderr


def test_bad_value_names_key_and_value(tmp_path):
    r = run("--set", "lock.pair_window=35 parsecs", "--print-config")
    assert r.returncode == 2
    assert "lock.pair_window" in r.stderr and "parsecs" in r.stderr


def test_file_then_env_then_set(tmp_path):
    ini = tmp_path / "s.ini"
    ini.write_text("[lock]\npair_window = 10s\n[log]\nlevel = warn\n[limits]\nmax_inflight = 7\n")
    env = {"SAKURA_LOG__LEVEL": "error", "SAKURA_LIMITS__MAX_INFLIGHT": "9", "PATH": "/usr/bin:/bin"}
    r = run("--config", str(ini), "--set", "limits.max_inflight=11", "--print-config", env=env)
    assert r.returncode == 0, r.stderr
    values = dict(line.split(" = ", 1) for line in r.stdout.splitlines())
    assert values["lock.pair_window"] == "10s"      # file
    assert values["log.level"] == "error"           # environment over file
    assert values["limits.max_inflight"] == "11"    # --set over both


def test_misspelt_environment_variable_is_an_error():
    r = run("--print-config", env={"SAKURA_LOCK__PAIR_WINDOWS": "3s", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 2
    assert "SAKURA_LOCK__PAIR_WINDOWS" in r.stderr


def test_file_errors_name_file_and_line(tmp_path):
    ini = tmp_path / "bad.ini"
    ini.write_text("[listener.tcp]\nbind = 1883\nnonsense\n")
    r = run("--config", str(ini))
    assert r.returncode == 2
    assert f"{ini}:3" in r.stderr


def test_secrets_masked_in_print_config():
    r = run("--set", "redis.password=hunter2", "--print-config")
    assert "hunter2" not in r.stdout
    assert "redis.password = ********" in r.stdout


def test_docs_list_every_key():
    doc = (ROOT / "docs" / "configuration.md").read_text()
    keys = re.findall(r"^\| `([a-z_.]+)` \|", run("--print-schema").stdout, re.M)
    assert keys, "no keys printed"
    missing = [k for k in keys if f"`{k}`" not in doc]
    assert not missing, f"docs/configuration.md lacks {missing}; regenerate with --print-schema"
