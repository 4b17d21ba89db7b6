"""The broker with real third-party clients: mosquitto_pub/mosquitto_sub and Paho C."""
import os
import subprocess

import pytest

from conftest import BUILD, wait_for


def sub_proc(port, *args):
    return subprocess.Popen(["mosquitto_sub", "-p", str(port), "-h", "127.0.0.1", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_subscribed(broker, client_id):
    wait_for(lambda: f"subscribed client={client_id} " in broker.log(), what=f"{client_id} subscribed")


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_mosquitto_clients_roundtrip(broker, qos):
    s = sub_proc(broker.port, "-t", "rc/t", "-q", str(qos), "-C", "3", "-i", f"msub{qos}")
    try:
        wait_subscribed(broker, f"msub{qos}")
        for i in range(3):
            subprocess.run(["mosquitto_pub", "-p", str(broker.port), "-h", "127.0.0.1", "-t", "rc/t",
                            "-q", str(qos), "-m", f"msg{i}"], check=True, timeout=10)
        out, err = s.communicate(timeout=10)
    finally:
        s.kill()
    assert out.split() == ["msg0", "msg1", "msg2"], err


def test_mosquitto_retained_and_mqtt31(broker):
    subprocess.run(["mosquitto_pub", "-p", str(broker.port), "-t", "rc/ret", "-r", "-m", "kept",
                    "-V", "mqttv31"], check=True, timeout=10)
    out = subprocess.run(["mosquitto_sub", "-p", str(broker.port), "-t", "rc/ret", "-C", "1",
                          "-V", "mqttv311", "-W", "5"], capture_output=True, text=True, timeout=10)
    assert out.stdout.strip() == "kept"


def test_paho_c_client(broker):
    exe = BUILD / "tests" / "paho" / "paho_roundtrip"
    if not exe.exists():
        pytest.fail(f"{exe} not built")
    r = subprocess.run([str(exe), f"tcp://127.0.0.1:{broker.port}"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "paho: ok" in r.stdout
