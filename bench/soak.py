"""Fault soak (`make soak`): SIGKILL the core mid-burst many times, and kill Mosquitto
repeatedly during a stream of unlock events. Figures go to bench/results/soak.json and soak.md.

    .venv/bin/python bench/soak.py [--kills 200] [--restarts 20]

Part 1: the core (`compound core`, a real subprocess on a real Mosquitto) is killed with SIGKILL
while access requests pour in. After all rounds: PRAGMA integrity_check, `compound log verify`,
and every request whose result the core published is in the log.

Part 2: Mosquitto is killed and restarted while a door keeps sending card requests. The door
resends each request (same id) until it hears the result, as a reader does; the core drops the
repeats by id. Every request ends logged exactly once, no unlock command is sent for a denied or
repeated request, and the time from broker restart to the core being back online is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import pct, write  # noqa: E402
from compound.adapters import keys  # noqa: E402
from compound.adapters.broker import Mosquitto  # noqa: E402
from compound.adapters.mqtt import Bus, BusConfig, Message  # noqa: E402
from compound.config import BoardWiring, BridgeConfig, DoorWiring  # noqa: E402
from compound.domain.clock import SystemClock  # noqa: E402
from compound.protocol.messages import (  # noqa: E402
    AccessRequest,
    DoorCommand,  # noqa: E402
    encode,
    new_id,
)
from compound.protocol.topics import Topics  # noqa: E402
from compound.store.db import Store  # noqa: E402
from devkit.simulators import VirtualRelayBoard  # noqa: E402
from firmware_bridge.bridge import Bridge  # noqa: E402

SITE = "soak"


def prepare(work: Path, port: int) -> Path:
    db = work / "core.db"
    store = Store(db, SystemClock(), work / "keys")
    store.set_setting("site_id", SITE)
    store.add_unit("3-2-1501")
    store.add_door("d1", "D1", ["3-2"])
    store.add_card(store.add_person("张伟", "3-2-1501", "owner"), "10001")
    store.close()
    cfg = work / "c.toml"
    cfg.write_text(
        f'[site]\nid = "{SITE}"\n[broker]\nport = {port}\n'
        f'[store]\npath = "{db}"\nkey_dir = "{work / "keys"}"\n'
        # Bursts at one door far beyond a real door's: let them all in.
        "[core]\ndoor_rate_per_s = 100000\ndoor_burst = 100000\ndoor_queue = 100000\n"
    )
    return cfg


def start_core(cfg: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "compound.app.cli", "--config", str(cfg), "core"],
        stdout=subprocess.DEVNULL,
        stderr=open(log, "ab"),  # noqa: SIM115
    )


class Observer:
    def __init__(self, port: int) -> None:
        self.topics = Topics(SITE)
        self.results: dict[str, bool] = {}
        self.commands: list[dict[str, Any]] = []
        self.online = threading.Event()
        self.online_at: list[float] = []
        self.lock = threading.Lock()
        self.bus = Bus(BusConfig(port=port), self.topics, f"observer-{os.getpid()}")
        self.bus.subscribe(self.topics.access_result("+"), self._result)
        self.bus.subscribe(self.topics.door_cmd("+"), self._command)
        self.bus.subscribe(self.topics.availability("core"), self._avail)

    def _result(self, m: Message) -> None:
        body = json.loads(m.payload)
        with self.lock:
            self.results[body["request_id"]] = body["granted"]

    def _command(self, m: Message) -> None:
        with self.lock:
            self.commands.append(json.loads(m.payload))

    def _avail(self, m: Message) -> None:
        if m.payload == b"online":
            self.online_at.append(time.monotonic())
            self.online.set()
        else:
            self.online.clear()


def verify(db: Path, cfg: Path) -> tuple[bool, bool, list[str]]:
    conn = sqlite3.connect(db)
    ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ids = [
        json.loads(d)["request_id"]
        for (d,) in conn.execute("SELECT data FROM events WHERE type LIKE 'access.%'")
    ]
    conn.close()
    r = subprocess.run(
        [sys.executable, "-m", "compound.app.cli", "--config", str(cfg), "log", "verify", "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    chain = r.returncode == 0 and json.loads(r.stdout)["ok"] is True
    return ok, chain, ids


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
    from collections import Counter

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


# -- doors with the core dead, and a board that vanishes ------------------------------------

# Board inputs: exit button of d1 on 1, fire panel on 7. Four doors: three on escape routes
# (two strikes, one maglock) and one that is not (a store room), which fire must not release.
EXIT, FIRE = 1, 7
DOORS = (
    DoorWiring("d1", "b1", 0, 0, EXIT, -1, open_time_s=1.0),
    DoorWiring("d2", "b1", 1, 2, -1, -1, lock="maglock"),
    DoorWiring("d3", "b1", 2, 3, -1, -1),
    DoorWiring("d4", "b1", 3, 4, -1, -1, egress=False),
)
EGRESS = {d.relay: d.lock for d in DOORS if d.egress}
ALL = {d.relay: d.lock for d in DOORS}


def released_coil(lock: str) -> bool:
    """The coil level that releases a lock: a strike opens when powered, a maglock when not."""
    return lock == "strike"


class DoorRig:
    """The real bridge (pymodbus on a pty, real Mosquitto) and a simulated Modbus board at
    9600 baud, the production poll interval, no core: whatever the doors do here, they do on
    their own. The bridge opens the board through a symlink, as through /dev/serial/by-id, so
    the board can vanish and come back at another pty."""

    def __init__(self, work: Path, port: int) -> None:
        self.work = work
        self.link = work / "board0"
        self.board = self._new_board()
        master = keys.load_or_create(work / "keys" / "master.key")
        self.master = master
        cfg = BridgeConfig(
            poll_interval_s=0.05,
            boards=[BoardWiring("b1", str(self.link), 9600, 1, 8, FIRE)],
            doors=list(DOORS),
        )
        self.topics = Topics(SITE)
        self.bus = Bus(BusConfig(port=port), self.topics, "bridge")
        self.bridge = Bridge(
            cfg, self.bus, SystemClock(), lambda d: keys.door_command_key(master, d)
        )

    def _new_board(self) -> VirtualRelayBoard:
        board = VirtualRelayBoard(unit=1, channels=8, line_baud=9600)
        board.start()
        if self.link.is_symlink():
            self.link.unlink()
        self.link.symlink_to(board.port)
        return board

    def start(self) -> None:
        self.bridge.start()
        self.bus.start(timeout=10)
        self.wait_locked(10)

    def locked(self) -> bool:
        st = self.bridge.status()
        return st["boards"]["b1"] and all(d["state"] == "locked" for d in st["doors"].values())

    def wait_locked(self, timeout: float) -> None:
        if not wait(self.locked, timeout):
            raise RuntimeError(f"doors not back to locked: {self.bridge.status()}")

    def stop(self) -> None:
        self.bridge.stop()
        self.bus.stop()
        self.board.stop()

    def releases_since(self, t0: float, channels: dict[int, str]) -> dict[int, float]:
        """When each channel first went to its released level after ``t0``."""
        out: dict[int, float] = {}
        for c in list(self.board.history):
            if c.at >= t0 and c.channel in channels and c.channel not in out:
                if c.on == released_coil(channels[c.channel]):
                    out[c.channel] = c.at
        return out

    def signed_unlock(self, door: str) -> bytes:
        now = time.time()
        cmd = DoorCommand(new_id(), door, "unlock", now, now + 3.0, "soak", seq=time.time_ns())
        return encode(cmd.signed(keys.door_command_key(self.master, door)))


def wait(cond: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.002)
    return bool(cond())


def life_safety(work: Path, activations: int = 50, exits: int = 20) -> dict[str, Any]:
    """The fire input and the exit button with the core SIGKILLed: a `compound core` process is
    started, seen online, killed; then the fire panel input is raised ``activations`` times and
    every egress door must release within 1 s, the store room never."""
    broker = Mosquitto().start()
    rig: DoorRig | None = None
    try:
        cfg = prepare(work, broker.port)
        obs = Observer(broker.port)
        obs.bus.start()
        core = start_core(cfg, work / "core.log")
        if not obs.online.wait(30):
            raise RuntimeError((work / "core.log").read_text()[-2000:])
        rig = DoorRig(work, broker.port)
        rig.start()
        os.kill(core.pid, signal.SIGKILL)
        core.wait(10)
        if not wait(lambda: not obs.online.is_set(), 30):  # the broker sent the core's will
            raise RuntimeError("core still announced online after SIGKILL")
        obs.bus.stop()
        fire_s: list[float] = []
        non_egress_released = 0
        for _ in range(activations):
            t0 = time.monotonic()
            rig.board.set_input(FIRE, True)
            wait(lambda t0=t0: len(rig.releases_since(t0, EGRESS)) == len(EGRESS), 5)
            got = rig.releases_since(t0, EGRESS)
            fire_s.append(max(got.values()) - t0 if len(got) == len(EGRESS) else float("inf"))
            rig.board.set_input(FIRE, False)
            rig.wait_locked(5)
            non_egress_released += len(rig.releases_since(t0, {3: "strike"}))
        exit_s: list[float] = []
        for _ in range(exits):
            t0 = time.monotonic()
            rig.board.set_input(EXIT, True)
            wait(lambda t0=t0: 0 in rig.releases_since(t0, {0: "strike"}), 5)
            got = rig.releases_since(t0, {0: "strike"})
            exit_s.append(got[0] - t0 if got else float("inf"))
            rig.board.set_input(EXIT, False)
            rig.wait_locked(5)  # the pulse ends after open_time_s (1 s) and relocks
        return {
            "core": "SIGKILLed before the first activation",
            "egress_doors": len(EGRESS),
            "fire_activations": activations,
            "fire_release_p50_s": round(pct(fire_s, 50), 3),
            "fire_release_p99_s": round(pct(fire_s, 99), 3),
            "fire_release_max_s": round(max(fire_s), 3),
            "fire_releases_over_1s": sum(1 for x in fire_s if x > 1.0),
            "non_egress_releases": non_egress_released,
            "exit_presses": exits,
            "exit_release_p50_s": round(pct(exit_s, 50), 3),
            "exit_release_max_s": round(max(exit_s), 3),
        }
    finally:
        if rig is not None:
            rig.stop()
        broker.cleanup()


def board_vanishes(work: Path, cycles: int = 20, gone_s: float = 1.0) -> dict[str, Any]:
    """The Modbus board's port disappears (USB adapter pulled: pty closed, symlink removed) and
    comes back at a new pty. While it is gone a valid signed unlock arrives, which must be
    refused; on return the doors are driven locked and nothing is released."""
    broker = Mosquitto().start()
    (work / "keys").mkdir(exist_ok=True)
    rig = DoorRig(work, broker.port)
    cmd_bus = Bus(BusConfig(port=broker.port), rig.topics, "soak-core")
    try:
        rig.start()
        cmd_bus.start(timeout=10)
        detect: list[float] = []
        reopen: list[float] = []
        unlocks_on_reconnect = 0
        for _ in range(cycles):
            t0 = time.monotonic()
            rig.board.stop()
            rig.link.unlink()
            if not wait(lambda: not rig.bridge.status()["boards"]["b1"], 10):
                raise RuntimeError("the bridge did not notice the board was gone")
            detect.append(time.monotonic() - t0)
            cmd_bus.publish(rig.topics.door_cmd("d1"), rig.signed_unlock("d1"))
            time.sleep(gone_s)
            t1 = time.monotonic()
            rig.board = rig._new_board()
            rig.wait_locked(15)
            reopen.append(time.monotonic() - t1)
            time.sleep(0.2)  # anything queued would have gone out by now
            unlocks_on_reconnect += len(rig.releases_since(t1, ALL))
        st = rig.bridge.status()["counters"]
        return {
            "cycles": cycles,
            "gone_s": gone_s,
            "detect_p50_s": round(pct(detect, 50), 3),
            "detect_max_s": round(max(detect), 3),
            "reopen_p50_s": round(pct(reopen, 50), 3),
            "reopen_max_s": round(max(reopen), 3),
            "unlocks_while_gone_refused": st.get("command.refused_offline", 0),
            "unlocks_on_reconnect": unlocks_on_reconnect,
        }
    finally:
        cmd_bus.stop()
        rig.stop()
        broker.cleanup()


def table(title: str, figures: dict[str, Any]) -> list[str]:
    return [
        f"## {title}",
        "",
        "| figure | value |",
        "|---|---|",
        *(f"| {key} | {v} |" for key, v in figures.items()),
        "",
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=200)
    ap.add_argument("--restarts", type=int, default=30)
    ap.add_argument("--per-gap", type=int, default=100, help="unlock requests between restarts")
    ap.add_argument("--fire", type=int, default=50, help="fire activations with the core dead")
    ap.add_argument("--vanish", type=int, default=30, help="times the Modbus board vanishes")
    ap.add_argument("--outage-hours", type=float, default=120)
    args = ap.parse_args()
    import tempfile

    from bench import bench_uplink

    parts: dict[str, dict[str, Any]] = {}
    seconds: dict[str, float] = {}
    steps = (
        ("core_sigkill", lambda w: kill_core(w, args.kills)),
        ("broker_restarts", lambda w: restart_broker(w, args.restarts, args.per_gap)),
        ("life_safety_core_dead", lambda w: life_safety(w, args.fire)),
        ("board_vanishes", lambda w: board_vanishes(w, args.vanish)),
        ("uplink_outage", lambda w: bench_uplink.outage(w, args.outage_hours)),
    )
    t0 = time.monotonic()
    for name, step in steps:
        with tempfile.TemporaryDirectory() as tmp:
            t = time.monotonic()
            parts[name] = step(Path(tmp))
            seconds[name] = round(time.monotonic() - t)
            print(name, json.dumps(parts[name]), flush=True)
    elapsed = time.monotonic() - t0
    k, r = parts["core_sigkill"], parts["broker_restarts"]
    f, v, u = parts["life_safety_core_dead"], parts["board_vanishes"], parts["uplink_outage"]
    figures = {**parts, "seconds": {**seconds, "total": round(elapsed)}}
    md = [
        "# Fault soak",
        "",
        *table("SIGKILL of the core in the middle of request bursts", k),
        *table("Mosquitto killed and restarted during unlock events", r),
        "The reconnect time counts from the broker's restart to the core's retained `online`",
        "availability reaching an observer (paho reconnect back-off 1-5 s).",
        "",
        *table("Fire input and exit button with the core SIGKILLed", f),
        "Release time: from the fire panel input rising on the simulated Modbus board to the last",
        "egress door's coil reaching its released level, read from the board's own coil history",
        "(Modbus RTU at 9600 baud, production poll interval 50 ms).",
        "",
        *table("Modbus board port vanishing and returning", v),
        "Detection: from the pty closing (port symlink removed) to the bridge marking the board",
        "down. Reopen: from the board's return at a new pty to every door driven locked.",
        "",
        *table("Upstream link down, then drained", {**u["traffic"], **u["drain"]}),
        f"Database growth {u['fill']['db_bytes_per_hour']:,} bytes per hour of traffic,"
        f" {u['fill']['db_mb_at_end']} MB at the end; drain / same-run baseline"
        f" {u['drain_vs_baseline']} (see bench/results/uplink.md).",
        "",
        f"Total {elapsed:.0f} s ({', '.join(f'{n} {s:.0f} s' for n, s in seconds.items())}).",
    ]
    write("soak", figures, "\n".join(md))
    bad = (
        k["confirmed_but_lost"]
        or not (k["integrity_check_ok"] and k["log_verify_ok"])
        or r["events_lost"]
        or r["events_logged_twice"]
        or r["unintended_releases"]
        or f["fire_releases_over_1s"]
        or f["non_egress_releases"]
        or v["unlocks_on_reconnect"]
        or not bench_uplink.ok(u)
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
