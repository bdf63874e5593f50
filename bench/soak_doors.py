"""Soak parts on the doors with the core dead, and a board that vanishes (see bench/soak.py):
the real bridge in this process, on a simulated Modbus board on a pty."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from bench.common import pct
from bench.soak_common import SITE, Observer, prepare, start_core, wait
from compound.adapters import keys
from compound.adapters.broker import Mosquitto
from compound.adapters.mqtt import Bus, BusConfig
from compound.config import BoardWiring, BridgeConfig, DoorWiring
from compound.domain.clock import SystemClock
from compound.protocol.messages import DoorCommand, encode, new_id
from compound.protocol.topics import Topics
from devkit.simulators import VirtualRelayBoard
from firmware_bridge.bridge import Bridge

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
