"""Soak parts on the core and the broker: the core SIGKILLed mid-burst, Mosquitto killed and
restarted during unlock events (see bench/soak.py)."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import pct
from bench.soak_common import Observer, prepare, start_core, verify
from compound.adapters.broker import Mosquitto
from compound.protocol.messages import AccessRequest, encode, new_id


def kill_core(work: Path, kills: int, burst: int = 150) -> dict[str, Any]:
    broker = Mosquitto().start()
    try:
        cfg = prepare(work, broker.port)
        obs = Observer(broker.port)
        obs.bus.start()
        t = obs.topics
        start_times = []
        for _ in range(kills):
            obs.online.clear()
            t0 = time.monotonic()
            core = start_core(cfg, work / "core.log")
            if not obs.online.wait(30):
                raise RuntimeError((work / "core.log").read_text()[-2000:])
            start_times.append(time.monotonic() - t0)
            before = len(obs.results)
            for _ in range(burst):
                req = AccessRequest(new_id(), "d1", "card", "10001", time.time(), "soak")
                obs.bus.publish(t.access_request("d1"), encode(req))
            deadline = time.monotonic() + 10
            # Kill once the core is in the middle of the burst: some answered, some not.
            while len(obs.results) < before + burst // 3 and time.monotonic() < deadline:
                time.sleep(0.002)
            os.kill(core.pid, signal.SIGKILL)
            core.wait(10)
        obs.bus.stop()
        integrity, chain, ids = verify(work / "core.db", cfg)
        logged = set(ids)
        confirmed = set(obs.results)
        return {
            "kills": kills,
            "requests_sent": kills * burst,
            "results_published": len(confirmed),
            "events_logged": len(ids),
            "confirmed_but_lost": len(confirmed - logged),
            "integrity_check_ok": integrity,
            "log_verify_ok": chain,
            "core_start_p50_s": round(pct(start_times, 50), 3),
        }
    finally:
        broker.cleanup()


def restart_broker(work: Path, restarts: int, per_gap: int = 100) -> dict[str, Any]:
    (work / "mosq").mkdir()
    broker = Mosquitto(workdir=work / "mosq").start()
    port = broker.port
    cfg = prepare(work, port)
    core = start_core(cfg, work / "core.log")
    obs = Observer(port)
    obs.bus.start()
    t = obs.topics
    pending: dict[str, AccessRequest] = {}
    sent = 0
    resent = 0
    reconnect: list[float] = []
    try:
        if not obs.online.wait(30):
            raise RuntimeError("core did not come online")

        def pump(n: int) -> None:
            nonlocal sent
            for _ in range(n):
                req = AccessRequest(new_id(), "d1", "card", "10001", time.time(), "soak")
                pending[req.id] = req
                obs.bus.publish(t.access_request("d1"), encode(req))
                sent += 1
                time.sleep(0.002)

        for _ in range(restarts):
            pump(per_gap)
            broker.kill()
            time.sleep(0.3)
            down_at = time.monotonic()
            broker.stop()
            broker = Mosquitto(port=port, workdir=work / "mosq").start()
            obs.online.clear()
            if not obs.online.wait(30):
                raise RuntimeError("core did not come back after a broker restart")
            reconnect.append(obs.online_at[-1] - down_at)
            # The door resends what it has not heard back about, with the same id.
            time.sleep(0.5)
            with obs.lock:
                missing = [r for i, r in pending.items() if i not in obs.results]
            for r in missing:
                fresh = AccessRequest(r.id, r.door_id, r.kind, r.value, time.time(), r.source)
                obs.bus.publish(t.access_request("d1"), encode(fresh))
                resent += 1
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with obs.lock:
                missing = [r for i, r in pending.items() if i not in obs.results]
            if not missing:
                break
            for r in missing:
                fresh = AccessRequest(r.id, r.door_id, r.kind, r.value, time.time(), r.source)
                obs.bus.publish(t.access_request("d1"), encode(fresh))
                resent += 1
            time.sleep(1.0)
        time.sleep(1.0)
    finally:
        obs.bus.stop()
        core.send_signal(signal.SIGTERM)
        core.wait(20)
        broker.cleanup()
    integrity, chain, ids = verify(work / "core.db", cfg)
    counts = Counter(ids)
    # Grants as logged, not as heard: an observer can miss a result across an outage.
    conn = sqlite3.connect(work / "core.db")
    granted = conn.execute("SELECT COUNT(*) FROM events WHERE type = 'access.granted'").fetchone()[
        0
    ]
    conn.close()
    return {
        "broker_restarts": restarts,
        "unlock_requests": sent,
        "resent_after_outage": resent,
        "results_heard": len(obs.results),
        "events_lost": len(set(pending) - set(counts)),
        "events_logged_twice": sum(1 for c in counts.values() if c > 1),
        "unlock_commands_seen": len(obs.commands),
        # QoS 1 is at-least-once: a command resent across a broker restart arrives twice with
        # the same id, and the door's guard drops the second copy. Count distinct commands.
        "distinct_unlock_commands": len({c.get("id") for c in obs.commands}),
        "granted_in_log": granted,
        "unintended_releases": max(0, len({c.get("id") for c in obs.commands}) - granted)
        + sum(1 for c in obs.commands if c.get("action") != "unlock"),
        "integrity_check_ok": integrity,
        "log_verify_ok": chain,
        "reconnect_p50_s": round(pct(reconnect, 50), 3),
        "reconnect_p99_s": round(pct(reconnect, 99), 3),
        "reconnect_max_s": round(max(reconnect), 3) if reconnect else None,
    }
