#!/usr/bin/env python3
"""Broker RSS per idle TCP connection, without and with one subscription each.

    bench/idle_memory.py [--build-dir build] [--connections 10000] [--set KEY=VALUE ...]

Starts build/app/sakura-broker (2 workers, anonymous), opens 200 clients to warm allocators and
per-thread buffers, reads VmRSS, opens --connections more (CONNECT, clean session, client ids
like a lock's, CONNACK awaited), reads VmRSS again, then subscribes each new client to
/<n>/call as a lock does and reads it a third time. Prints bytes per connection for both steps.
Plain sockets, one process: at most about 19,000 connections (the open-file limit); the
side-by-side figure against Mosquitto is bench/compare conn's.
"""
import argparse
import os
import socket
import struct
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def remaining_length(n):
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def mqtt_string(s):
    b = s.encode()
    return struct.pack(">H", len(b)) + b


def connect_packet(client_id, keepalive=60):
    body = mqtt_string("MQTT") + bytes([4, 0x02]) + struct.pack(">H", keepalive) + mqtt_string(client_id)
    return b"\x10" + remaining_length(len(body)) + body


def subscribe_packet(packet_id, topic, qos=1):
    body = struct.pack(">H", packet_id) + mqtt_string(topic) + bytes([qos])
    return b"\x82" + remaining_length(len(body)) + body


def recv_exactly(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise RuntimeError("broker closed a connection")
        data += chunk
    return data


def start_broker(build_dir, workdir, extra):
    port_file = os.path.join(workdir, "ports")
    settings = {"listener.tcp.bind": "127.0.0.1:0", "listener.ws.bind": "127.0.0.1:0",
                "http.bind": "127.0.0.1:0", "auth.allow_anonymous": "true", "log.level": "warn",
                "node.data_dir": os.path.join(workdir, "data"), "node.threads": "2"}
    settings.update(extra)
    cmd = [os.path.join(build_dir, "app", "sakura-broker"), "--port-file", port_file]
    for k, v in settings.items():
        cmd += ["--set", f"{k}={v}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, "log"), "w"))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"broker exited with {proc.returncode}")
        try:
            with open(port_file) as f:
                ports = dict(line.split() for line in f if line.strip())
            if "tcp" in ports:
                return proc, int(ports["tcp"])
        except (OSError, ValueError):
            pass
        time.sleep(0.02)  # the broker writes the file once; nothing to await but the file
    raise RuntimeError("broker did not write its port file")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build-dir", default=os.environ.get("SAKURA_BUILD_DIR", os.path.join(ROOT, "build")))
    ap.add_argument("--connections", type=int, default=10000)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args()

    workdir = tempfile.mkdtemp(prefix="sakura-idle-")
    proc, port = start_broker(args.build_dir, workdir, dict(kv.split("=", 1) for kv in args.set))
    socks = []

    def open_clients(count):
        first = len(socks)
        for i in range(first, first + count):
            s = socket.socket()
            s.bind((f"127.0.0.{2 + i // 1000}", 0))  # 1,000 per source address, as sakura-bench
            s.connect(("127.0.0.1", port))
            s.sendall(connect_packet(f"{100000000000 + i}"))  # a 12-digit id, like a lock's
            socks.append(s)
        for s in socks[first:]:
            if recv_exactly(s, 4)[:1] != b"\x20":
                raise RuntimeError("no CONNACK")

    def settled_rss():
        time.sleep(0.3)  # RSS is read, not awaited: let the workers finish their last handlers
        return rss_kib(proc.pid)

    try:
        open_clients(200)
        before = settled_rss()
        open_clients(args.connections)
        connected = settled_rss()
        for n, s in enumerate(socks[200:]):
            s.sendall(subscribe_packet(1, f"/{100000000000 + n}/call"))
        for s in socks[200:]:
            if recv_exactly(s, 5)[:1] != b"\x90":
                raise RuntimeError("no SUBACK")
        subscribed = settled_rss()
    finally:
        proc.terminate()
        proc.wait()
    n = args.connections
    print(f"{n} idle connections: {1024 * (connected - before) / n:.0f} bytes each without a "
          f"subscription, {1024 * (subscribed - before) / n:.0f} with one "
          f"(+{1024 * (subscribed - connected) / n:.0f}); RSS {before} -> {connected} -> {subscribed} KiB")


if __name__ == "__main__":
    main()
