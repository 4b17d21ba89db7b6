"""Hostile and malformed clients cost only their own connection."""
import os
import socket
import time

import mqtt_raw as m
from conftest import wait_for


def healthy(broker):
    c = m.Client(broker.port)
    c.connect("")
    c.send(m.PINGREQ)
    c.expect(m.PINGRESP)
    c.close()
    return True


def test_garbage_bytes_close_only_that_connection(broker):
    bystander = m.Client(broker.port)
    bystander.connect("bystander")
    for seed in range(20):
        s = socket.create_connection(("127.0.0.1", broker.port))
        s.sendall(os.urandom(64 + seed * 13))
        s.close()
    bystander.send(m.PINGREQ)
    bystander.expect(m.PINGRESP)
    assert healthy(broker)


def test_five_byte_remaining_length_closes(broker):
    c = m.Client(broker.port)
    c.connect("rl")
    c.send(b"\x30\xff\xff\xff\xff\x01")
    assert c.closed()
    assert "malformed remaining length" in broker.log()


def test_packet_over_max_size_closes_before_body_arrives(start_broker):
    b = start_broker(limits__max_packet_size="1KiB")
    c = m.Client(b.port)
    c.connect("big")
    # Announce 100 MB and send only the header: the broker must not wait for (or buffer) it.
    c.send(b"\x30\x80\x80\x80\x30")
    assert c.closed()
    assert "larger than the configured maximum" in b.log()
    assert healthy(b)


def test_subscription_flood_is_capped(start_broker):
    b = start_broker(limits__max_subscriptions="10")
    c = m.Client(b.port)
    c.connect("flood")
    codes = []
    for i in range(15):
        codes += c.subscribe(i + 1, (f"flood/{i}", 0))
    assert codes[:10] == [0] * 10
    assert codes[10:] == [0x80] * 5


def test_slow_consumer_is_disconnected(start_broker):
    b = start_broker(limits__max_write_queue="64KiB")
    slow = socket.create_connection(("127.0.0.1", b.port))
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.sendall(m.connect("slow") + m.subscribe(1, ("slow/t", 0)))
    # never read from `slow` from here on
    pub = m.Client(b.port)
    pub.connect("fast")
    payload = b"x" * 8192
    wait_for(lambda: "client=slow" in b.log(), what="slow client connected")

    def cut():
        for _ in range(50):
            pub.send(m.publish("slow/t", payload))
        return "slow consumer" in b.log()

    wait_for(cut, timeout=20, what="slow consumer cut-off")
    assert healthy(b)


def test_half_open_socket_reaped_by_keepalive(broker):
    s = socket.create_connection(("127.0.0.1", broker.port))
    s.sendall(m.connect("halfopen", keepalive=1))
    # Never answer again, never close: the broker must reap it.
    wait_for(lambda: "client=halfopen" in broker.log() and "keepalive timeout" in broker.log(),
             timeout=6, what="keepalive reaping")
    s.close()


def test_many_malformed_connections_in_parallel(broker):
    socks = []
    for i in range(200):
        s = socket.create_connection(("127.0.0.1", broker.port))
        s.sendall(bytes([0x10 + (i % 3), 0xff]))
        socks.append(s)
    for s in socks:
        s.close()
    assert healthy(broker)
