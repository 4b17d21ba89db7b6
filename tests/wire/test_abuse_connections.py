"""Connection abuse against the real binary: descriptor exhaustion, one address hogging the
listeners, connect floods, and client strings that try to forge log lines (issue 15 items 4-5).

Each attack costs at most its own connections: the log stays small, /healthz keeps answering,
other addresses still connect, and the broker recovers once the attackers leave."""
import re
import resource
import socket
import time
import urllib.request

import mqtt_raw as m
from ws_raw import WsClient
from conftest import wait_for

FORGED_STAMP = "2026-01-01T00:00:00.000"
FORGED = "\n" + FORGED_STAMP + " INFO  [broker] connected client=admin user=admin addr=10.0.0.1:1 via=tcp"


def lines_starting(log, prefix):
    return [line for line in log.splitlines() if line.startswith(prefix)]


def test_client_id_and_username_cannot_forge_a_log_line(start_broker):
    b = start_broker()
    c = m.Client(b.port)
    c.connect("victim" + FORGED)
    c.subscribe(1, ("t" + FORGED.replace("+", "").replace("#", ""), 0))
    c.send(m.DISCONNECT)
    assert c.closed()
    wait_for(lambda: "disconnected client=victim" in b.log(), what="the disconnect line")
    # An unknown username is refused, and both the broker and auth/ say so in a line.
    r = m.Client(b.port)
    r.connect("refused", username="user" + FORGED, password="x", expect_code=5)
    assert r.closed()
    wait_for(lambda: "refused client=refused" in b.log(), what="the refusal line")
    log = b.log()
    assert lines_starting(log, FORGED_STAMP) == [], "a client string forged a log line"
    # The lines were written, with the line break escaped in place.
    assert "connected client=victim\\x0a" + FORGED_STAMP in log
    assert "user=user\\x0a" + FORGED_STAMP in log
    assert "subscribed client=victim\\x0a" in log
    assert "filter=t\\x0a" + FORGED_STAMP in log
    # Every line of the broker's log is one of its own: it starts with a timestamp.
    for line in log.splitlines():
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} ", line), f"foreign line: {line!r}"


def client_from(source, port, timeout=5.0):
    """An mqtt_raw.Client whose socket comes from `source` (another loopback address)."""
    c = m.Client.__new__(m.Client)
    c.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0))
    c.buf = b""
    c.timeout = timeout
    return c


def connack_or_closed(c, client_id):
    """True when the broker answers CONNECT with CONNACK 0, False when it closed the connection."""
    try:
        c.send(m.connect(client_id))
    except OSError:
        return False
    try:
        p = c.recv_packet(5)
    except (ConnectionResetError, OSError):
        return False
    if p is None:
        return False
    assert p.type == m.CONNACK and p.body[1] == 0, p
    return True


def http_get(port, path, timeout=3.0):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return r.status, r.read().decode()


def metric(port, line_prefix):
    _, text = http_get(port, "/metrics")
    for line in text.splitlines():
        if line.startswith(line_prefix + " "):
            return int(float(line.split()[-1]))
    raise AssertionError(f"no {line_prefix} in /metrics")


def refused(port, listener, reason):
    return metric(port, f'sakura_connections_refused_total{{listener="{listener}",reason="{reason}"}}')


def test_idle_sockets_past_the_descriptor_limit_cost_neither_the_log_nor_http(start_broker):
    def small_table():
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    # Admitted attackers that never send CONNECT stay for the whole test (one line each when they
    # go, so the log's size is bounded by the cap, not by the attack).
    b = start_broker(preexec=small_table, http__ops_bind="127.0.0.1:0", limits__connect_timeout="60s",
                     log__level="info")
    http = b.ports["http_ops"]
    assert http_get(http, "/healthz")[0] == 200
    started = time.monotonic()
    attackers = []
    for _ in range(400):
        s = socket.socket()
        s.settimeout(5)
        s.connect(("127.0.0.1", b.port))
        attackers.append(s)
    # Every attacker the broker cannot hold is refused by its cap, before a descriptor runs out;
    # /healthz answers throughout (the HTTP API keeps its share of descriptors).
    wait_for(lambda: refused(http, "tcp", "max_connections") > 0, what="refusals at the cap")
    # For 3 s the attackers it closed come straight back, while /healthz is asked all along.
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        for i, s in enumerate(attackers):
            s.settimeout(0)
            try:
                gone = s.recv(1) == b""
            except BlockingIOError:
                gone = False
            except OSError:
                gone = True
            if gone:
                s.close()
                attackers[i] = socket.create_connection(("127.0.0.1", b.port), timeout=5)
        assert http_get(http, "/healthz")[0] == 200
    held = metric(http, 'sakura_listener_connections{listener="tcp"}')
    limit = metric(http, 'sakura_connections_limit{scope="mqtt"}')
    assert 0 < held <= limit < 256
    assert metric(http, 'sakura_connections_refused_total{listener="http",reason="descriptors"}') == 0
    elapsed = time.monotonic() - started
    size = b.log_path.stat().st_size
    print(f"400 idle sockets under ulimit -n 256: log {size} bytes after {elapsed:.1f}s, /healthz answered")
    assert size < 20_000, f"log grew to {size} bytes"
    for s in attackers:
        s.close()
    # Recovery: the attackers' slots come back and a legitimate client gets in.
    wait_for(lambda: metric(http, 'sakura_listener_connections{listener="tcp"}') == 0, what="slots released")
    c = m.Client(b.port)
    c.connect("legit")
    c.close()
    assert b.log_path.stat().st_size < 64_000


def test_one_address_is_capped_while_another_still_connects(start_broker):
    b = start_broker(limits__max_connections_per_address="5", limits__address_exempt="",
                     http__ops_bind="127.0.0.1:0")
    http = b.ports["http_ops"]
    hog = [client_from("127.0.0.2", b.port) for _ in range(5)]
    for i, c in enumerate(hog):
        assert connack_or_closed(c, f"hog{i}")
    extra = client_from("127.0.0.2", b.port)
    assert not connack_or_closed(extra, "hog-extra"), "a sixth connection from 127.0.0.2 got in"
    assert refused(http, "tcp", "address") == 1
    assert "refused 1 connection(s) in the last second: address (last from 127.0.0.2:" in b.log()
    other = m.Client(b.port)  # 127.0.0.1: its own count
    other.connect("bystander")
    hog[0].close()
    wait_for(lambda: metric(http, 'sakura_listener_connections{listener="tcp"}') == 5, what="a slot back")
    assert connack_or_closed(client_from("127.0.0.2", b.port), "hog-again")


def test_clients_behind_a_trusted_proxy_are_counted_by_their_own_address(start_broker):
    b = start_broker(listener__tcp__proxy_protocol="true", limits__max_connections_per_address="2",
                     limits__address_exempt="", http__ops_bind="127.0.0.1:0")
    http = b.ports["http_ops"]

    def via_proxy(client_ip, n):
        c = m.Client(b.port)  # from 127.0.0.1, a trusted proxy
        c.send(f"PROXY TCP4 {client_ip} 127.0.0.1 {40000 + n} {b.port}\r\n".encode())
        return c

    phones = [via_proxy("203.0.113.9", i) for i in range(2)]
    for i, c in enumerate(phones):
        assert connack_or_closed(c, f"nat{i}")
    assert not connack_or_closed(via_proxy("203.0.113.9", 2), "nat-extra")
    # The proxy's own address is not capped: other clients through it still get in.
    for i in range(3):
        assert connack_or_closed(via_proxy(f"198.51.100.{i + 1}", 10 + i), f"other{i}")
    assert refused(http, "tcp", "address") == 1


def test_a_connect_flood_from_one_address_is_rate_limited(start_broker):
    b = start_broker(limits__accept_rate="2", limits__accept_burst="5", limits__address_exempt="",
                     http__ops_bind="127.0.0.1:0")
    http = b.ports["http_ops"]
    results = []
    for i in range(15):
        c = client_from("127.0.0.3", b.port)
        results.append(connack_or_closed(c, f"flood{i}"))
        c.close()
    assert results[:5] == [True] * 5
    assert results.count(True) < 10, results
    assert refused(http, "tcp", "rate") >= 5
    # Another address has its own bucket, and the flooder gets back in as its bucket refills.
    assert connack_or_closed(client_from("127.0.0.4", b.port), "other")
    wait_for(lambda: connack_or_closed(client_from("127.0.0.3", b.port), "later"), timeout=5, interval=0.2,
             what="the bucket refilled")
    lines = [line for line in b.log().splitlines() if "refused" in line and "rate" in line]
    assert 1 <= len(lines) <= 3, lines


def test_websocket_clients_behind_nginx_are_counted_by_x_forwarded_for(start_broker):
    b = start_broker(listener__ws__bind="127.0.0.1:0", limits__max_connections_per_address="2",
                     limits__address_exempt="", http__ops_bind="127.0.0.1:0")
    http, ws = b.ports["http_ops"], b.ports["ws"]

    def phone(ip):  # through nginx on 127.0.0.1, a trusted proxy of the WS listener
        return WsClient(ws, headers={"X-Forwarded-For": ip})

    held = [phone("203.0.113.9") for _ in range(2)]
    assert [c.status for c in held] == [101, 101]
    over = phone("203.0.113.9")
    assert over.status == 503, over.status
    assert [phone(f"198.51.100.{i}").status for i in range(1, 4)] == [101, 101, 101]
    assert refused(http, "ws", "address") == 1
    assert "upgrade failed" not in b.log()  # the limiter's once-a-second line instead
    assert "ws listener: refused 1 connection(s) in the last second: address (last from 203.0.113.9)" in b.log()
