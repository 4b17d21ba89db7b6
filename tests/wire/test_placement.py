"""Which worker thread takes a new connection (node.placement), seen through /metrics."""
import re

import pytest

import mqtt_raw as m
from conftest import wait_for
from http_support import curl


def worker_connections(b):
    text = curl(f"http://127.0.0.1:{b.ports['http_ops']}/metrics").body.decode()
    found = re.findall(r'^sakura_worker_connections\{worker="(\d+)"\} (\d+)$', text, re.M)
    assert re.search(r'^sakura_worker_busy_ratio\{worker="0"\} [0-9.]+$', text, re.M)
    return [int(n) for _, n in sorted(found, key=lambda f: int(f[0]))]


@pytest.mark.parametrize("placement,expected", [("pack", [20, 0]), ("spread", [10, 10])])
def test_idle_broker_packs_connections_onto_the_first_worker_unless_told_to_spread(
        start_broker, placement, expected):
    b = start_broker(node__threads="2", node__placement=placement, http__ops_bind="127.0.0.1:0")
    clients = []
    for i in range(20):
        c = m.Client(b.port)
        c.connect(f"placed-{i}")
        clients.append(c)
    wait_for(lambda: sum(worker_connections(b)) == 20, what="20 connections in /metrics")
    assert worker_connections(b) == expected
    # Both placements deliver across whatever workers they chose.
    clients[0].subscribe(1, ("placed/t", 0))
    clients[-1].send(m.publish("placed/t", "x"))
    assert clients[0].expect(m.PUBLISH).payload == b"x"
