"""sakura-lock against Sakura on loopback: connect, status, will, unlock, reconnect across a broker
restart, fleet."""
import subprocess

from lock_sim import LOCK_BIN, Sakura, Watcher, free_port, lock_broker, publish, sims, wait_for  # noqa: F401 (fixtures)

LOCK = "10000000001"


def test_lock_connects_and_reports_locked_and_its_version(lock_broker, sims):
    lock_broker.add_lock(LOCK)
    w = Watcher(lock_broker.port, f"/{LOCK}/#")
    sim = sims(lock_broker.port, lockno=LOCK)
    sim.wait_event("connected", LOCK)
    w.wait_for(f"/{LOCK}/statu", "1")
    w.wait_for(f"/{LOCK}/fw", '{"version":"1.0.0","state":"running"}')
    assert sim.events(LOCK, "status") == [(LOCK, "status", "1")]


def test_a_lock_speaking_mqtt_3_1_works_the_same(lock_broker, sims):
    lock_broker.add_lock(LOCK)
    sim = sims(lock_broker.port, "--mqtt-version", "3.1", "--bolt-ms", 10, lockno=LOCK)
    sim.wait_event("status", LOCK, "1")
    w = Watcher(lock_broker.port, f"/{LOCK}/statu")
    publish(lock_broker.port, f"/{LOCK}/call", "unlock")
    w.wait_for(f"/{LOCK}/statu", "0")
    sim.kill()
    w.wait_for(f"/{LOCK}/statu", "-2")


def test_a_killed_lock_is_announced_offline_by_its_will(lock_broker, sims):
    lock_broker.add_lock(LOCK)
    sim = sims(lock_broker.port, lockno=LOCK)
    sim.wait_event("status", LOCK, "1")
    w = Watcher(lock_broker.port, f"/{LOCK}/statu")
    sim.kill()
    w.wait_for(f"/{LOCK}/statu", "-2")
    wait_for(lambda: lock_broker.monitor(LOCK) == "-2", what="monitor hash says offline")


def test_unlock_opens_reports_0_then_relocks_and_reports_1(lock_broker, sims):
    lock_broker.add_lock(LOCK)
    sim = sims(lock_broker.port, "--relock-ms", 800, "--bolt-ms", 50, lockno=LOCK)
    sim.wait_event("status", LOCK, "1")
    w = Watcher(lock_broker.port, f"/{LOCK}/statu")
    publish(lock_broker.port, f"/{LOCK}/call", "unlock")
    w.wait_for(f"/{LOCK}/statu", "0")
    w.wait_for(f"/{LOCK}/statu", "1")
    assert [v for _, v in w.received()] == ["0", "1"]
    times = {}
    for line in sim.lines:
        secs, lockno, event = line.split(" ")[:3]
        times.setdefault(event, float(secs))
    # The bolt stays open for relock_ms after the unlock, not less.
    assert round((times["relocking"] - times["unlock"]) * 1000) >= 800


def test_other_payloads_on_call_do_nothing(lock_broker, sims):
    lock_broker.add_lock(LOCK)
    sim = sims(lock_broker.port, "--bolt-ms", 10, lockno=LOCK)
    sim.wait_event("status", LOCK, "1")
    publish(lock_broker.port, f"/{LOCK}/call", "lock")
    publish(lock_broker.port, f"/{LOCK}/call", "UNLOCK")
    publish(lock_broker.port, f"/{LOCK}/call", "unlock")  # the marker that the two above were seen
    sim.wait_event("unlock", LOCK)
    assert len(sim.events(LOCK, "unlock")) == 1


def test_a_retained_unlock_does_not_open_the_lock_on_connect(lock_broker, sims):
    lock_broker.add_lock(LOCK)
    publish(lock_broker.port, f"/{LOCK}/call", "unlock", retain=True)
    sim = sims(lock_broker.port, "--bolt-ms", 10, lockno=LOCK)
    sim.wait_event("status", LOCK, "1")
    # The retained message arrives right after SUBACK, before this live one on the same session.
    publish(lock_broker.port, f"/{LOCK}/call", "unlock")
    sim.wait_event("unlock", LOCK)
    sim.wait_event("status", LOCK, "0")
    assert len(sim.events(LOCK, "unlock")) == 1


def test_unlock_from_a_real_m_f_pairing(lock_broker, sims):
    lock_broker.add_lock(LOCK)
    for owner in ("owner-m", "owner-f"):
        lock_broker.add_lock(owner)
    sim = sims(lock_broker.port, "--relock-ms", 500, lockno=LOCK)
    sim.wait_event("status", LOCK, "1")
    publish(lock_broker.port, f"/{LOCK}/m", "1")
    publish(lock_broker.port, f"/{LOCK}/f", "1")
    sim.wait_event("unlock", LOCK)
    sim.wait_event("status", LOCK, "0")
    sim.wait_event("status", LOCK, "1", count=2)


def test_the_lock_reconnects_after_sakura_restarts(tmp_path, sims):
    # A fixed port, so the restarted broker is where the lock left it.
    broker = Sakura(tmp_path, tcp_bind=f"127.0.0.1:{free_port()}")
    port = broker.port
    try:  # if sakura-lock is missing or never reports, the broker must not outlive the test
        broker.add_lock(LOCK)
        sim = sims(port, "--keepalive", 2, lockno=LOCK)
        sim.wait_event("status", LOCK, "1")
        broker.proc.stop()  # SIGTERM: the lock's socket is closed under it
        assert broker.proc.proc.returncode == 0, broker.proc.log()[-4000:]
        sim.wait_event("disconnected", LOCK)
        # Refused reconnects back off (200 ms doubling to 2 s here) while the broker is away.
        sim.wait_event("backoff-ms", LOCK, count=3)
        delays = [int(d) for _, _, d in sim.events(LOCK, "backoff-ms")]
        assert all(100 <= d <= 2000 for d in delays), delays
        broker.proc.start()
        assert broker.port == port
        w = Watcher(port, f"/{LOCK}/statu")
        sim.wait_event("connected", LOCK, count=2, timeout=15)
        sim.wait_event("status", LOCK, "1", count=2)
        # The restarted broker took the lock's credentials and routes its status and commands.
        publish(port, f"/{LOCK}/call", "unlock")
        w.wait_for(f"/{LOCK}/statu", "0")
        wait_for(lambda: broker.monitor(LOCK) == "0", what="monitor hash after the restart")
    finally:
        broker.stop()


def test_one_process_simulates_a_fleet(lock_broker, sims):
    n = 300
    prefix = "FLT"
    locknos = [f"{prefix}{i:08d}" for i in range(n)]
    lock_broker.add_locks({l: "lock-secret" for l in locknos})
    w = Watcher(lock_broker.port, "/+/statu")
    sim = sims(lock_broker.port, "--count", n, "--lockno-prefix", prefix, "--threads", 2,
               "--backoff-min-ms", 1000)
    sim.wait_event("connected", count=n, timeout=30)
    wait_for(lambda: len({t for t, v in w.received() if v == "1"}) == n, timeout=20,
             what="every lock reporting 1")
    assert {t for t, _ in w.received()} == {f"/{l}/statu" for l in locknos}
    sim.kill()
    wait_for(lambda: len({t for t, v in w.received() if v == "-2"}) == n, timeout=30,
             what="a will from every lock")


def test_a_fleet_larger_than_one_process_is_split_over_workers(lock_broker, sims):
    # 30 locks at 10 per process: the parent and two forked workers.
    n, prefix = 30, "WRK"
    lock_broker.add_locks({f"{prefix}{i:08d}": "lock-secret" for i in range(n)})
    w = Watcher(lock_broker.port, "/+/statu")
    sim = sims(lock_broker.port, "--count", n, "--lockno-prefix", prefix, "--locks-per-process", 10)
    sim.wait_event("connected", count=n, timeout=20)
    assert len({lockno for lockno, _, _ in sim.events(event="connected")}) == n
    # Killing the parent takes the workers with it: every lock's will fires.
    sim.kill()
    wait_for(lambda: len({t for t, v in w.received() if v == "-2"}) == n, timeout=20,
             what="a will from every lock, workers included")


def test_a_split_fleet_stops_cleanly_on_sigterm(lock_broker, sims):
    for i in range(6):
        lock_broker.add_lock(f"TRM{i:08d}")
    sim = sims(lock_broker.port, "--count", 6, "--lockno-prefix", "TRM", "--locks-per-process", 2)
    sim.wait_event("connected", count=6, timeout=20)
    sim.stop()  # raises unless the parent and its workers all exit 0


def test_locks_from_a_credentials_file_use_their_own_passwords(lock_broker, sims, tmp_path):
    creds = {"CRD00000001": "pw-one", "CRD00000002": "pw-two"}
    lock_broker.add_locks(creds)
    f = tmp_path / "locks.txt"
    f.write_text("# lockno password\n" + "".join(f"{l} {p}\n" for l, p in creds.items()))
    sim = sims(lock_broker.port, "--credentials", f)
    sim.wait_event("connected", count=2)
    assert {lockno for lockno, _, _ in sim.events(event="connected")} == set(creds)
    f.write_text("CRD00000001 wrong\n")
    bad = sims(lock_broker.port, "--credentials", f)
    bad.wait_event("connect-refused", "CRD00000001", "5")


def test_bad_command_lines_are_refused_with_a_message(tmp_path):
    empty = tmp_path / "none.txt"
    empty.write_text("# nothing\n")
    for args in (["--count", "5"], ["--broker", "nocolon", "--lockno", "L"], ["--lockno", "L", "--bogus", "1"],
                 ["--credentials", str(empty)], ["--credentials", str(tmp_path / "missing")]):
        r = subprocess.run([str(LOCK_BIN), *args], capture_output=True, text=True, timeout=10)
        assert r.returncode == 2, args
        assert "sakura-lock:" in r.stderr, args


def test_field_events_on_one_lock_of_a_fleet(lock_broker, sims):
    """--control: a network cut, a power cycle and a key, each on one lock while others run."""
    locks = [f"CTL0000000{i}" for i in range(3)]
    for l in locks:
        lock_broker.add_lock(l)
    sim = sims(lock_broker.port, "--count", 3, "--lockno-prefix", "CTL", "--bolt-ms", 10)
    for l in locks:
        sim.wait_event("status", l, "1")
    w = Watcher(lock_broker.port, "/+/statu")

    sim.command(f"drop {locks[0]}")
    w.wait_for(f"/{locks[0]}/statu", "-2")
    w.wait_for(f"/{locks[0]}/statu", "1")  # back by itself after a backoff

    sim.command(f"off {locks[1]}")
    w.wait_for(f"/{locks[1]}/statu", "-2")
    sim.wait_event("power-off", locks[1])
    sim.command(f"on {locks[1]}")
    w.wait_for(f"/{locks[1]}/statu", "1")
    assert len(sim.events(locks[1], "connected")) == 2

    sim.command(f"key {locks[2]} open")
    w.wait_for(f"/{locks[2]}/statu", "0")
    sim.command(f"key {locks[2]} lock")
    w.wait_for(f"/{locks[2]}/statu", "1")
    # Nothing happened to the others on the way.
    assert [v for t, v in w.received() if t == f"/{locks[2]}/statu"] == ["0", "1"]
    assert [v for t, v in w.received() if t == f"/{locks[1]}/statu"] == ["-2", "1"]
