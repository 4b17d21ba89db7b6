"""sakura-ctl as the wire tests run it: the built binary with --set settings, one place."""
import subprocess

from conftest import BUILD

CTL = BUILD / "app" / "ctl" / "sakura-ctl"


def run_ctl(*args, settings=None, check=True, timeout=60):
    """Runs sakura-ctl with `settings` as --set key=value; with `check`, exit status 0 is asserted."""
    cmd = [str(CTL)]
    for k, v in (settings or {}).items():
        cmd += ["--set", f"{k}={v}"]
    r = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=timeout)
    if check:
        assert r.returncode == 0, f"{args}: {r.returncode}\n{r.stdout}{r.stderr}"
    return r
