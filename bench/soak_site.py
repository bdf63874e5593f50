"""The site the bridge soak runs on (bench/soak_bridge.py): a real Mosquitto, the core's
database and config, a simulated Modbus relay board and an entrance MCU on ptys, the per-door
key files, `compound core` and `compound bridge` as processes, and a watcher on the bus."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.soak_common import SITE, start_core, wait
from compound.adapters import keys
from compound.adapters.broker import Mosquitto
from compound.adapters.mqtt import Bus, BusConfig, Message
from compound.app.devices import door_key_file
from compound.domain.clock import SystemClock
from compound.protocol.topics import Topics
from compound.store.db import Store
from devkit.simulators import CoilChange, VirtualIntercomMCU, VirtualRelayBoard

ROOT = Path(__file__).resolve().parent.parent
OPEN_S = 2.0  # each door's open time: the pulse an unlock holds it released
RESTART_S = 2.0  # RestartSec= of systemd/compound-bridge.service
LATE_S = 0.5  # released this much past its pulse's end counts as "left released"
EXIT1, CONTACT2, FIRE = 1, 3, 7
# door -> the level of its relay that releases it
RELEASED = {"d1": True, "d2": False, "d3": True}


class Site:
    """Mosquitto, the core's database and config, the board and MCU on ptys, the key files."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.broker = Mosquitto().start()
        self.board = VirtualRelayBoard(unit=1, channels=8, line_baud=9600)
        self.board.start()
        self.mcu = VirtualIntercomMCU(name="soak-mcu", heartbeat_s=0.3)
        self.mcu.start()
        db = work / "core.db"
        store = Store(db, SystemClock(), work / "keys")
        store.set_setting("site_id", SITE)
        store.add_unit("3-2-1501")
        for door, lock in (("d1", "strike"), ("d2", "maglock"), ("d3", "strike")):
            store.add_door(door, door.upper(), ["3-2"], lock_type=lock, open_time_s=OPEN_S)
            path = door_key_file(work / "bridge-keys", door)
            path.parent.mkdir(mode=0o700, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, keys.door_command_key(store.master_key, door))
            os.close(fd)
        store.close()
        self.db = db
        self.config = work / "site.toml"
        self.config.write_text(f"""
[site]
id = "{SITE}"
[broker]
port = {self.broker.port}
[store]
path = "{db}"
key_dir = "{work / "keys"}"
[bridge]
key_dir = "{work / "bridge-keys"}"
state_dir = "{work / "bridge-state"}"
[[bridge.boards]]
name = "b1"
port = "{self.board.port}"
baud = 9600
unit = 1
inputs = 8
fire_input = {FIRE}
[[bridge.doors]]
id = "d1"
board = "b1"
relay = 0
exit = {EXIT1}
open_time_s = {OPEN_S}
[[bridge.doors]]
id = "d2"
board = "b1"
relay = 1
contact = {CONTACT2}
lock = "maglock"
open_time_s = {OPEN_S}
[[bridge.doors]]
id = "d3"
board = "m1"
relay = 0
open_time_s = {OPEN_S}
[[bridge.mcus]]
name = "m1"
port = "{self.mcu.port}"
door = "d3"
""")
        self.topics = Topics(SITE)
        self.obs = Watcher(self.broker.port, self.topics)
        self.core: subprocess.Popen[bytes] | None = None
        self.bridge: subprocess.Popen[bytes] | None = None

    # -- processes ---------------------------------------------------------------------------

    def start_core(self) -> None:
        self.obs.core_online.clear()
        self.core = start_core(self.config, self.work / "core.log")
        if not self.obs.core_online.wait(60):
            raise RuntimeError((self.work / "core.log").read_text()[-2000:])

    def start_bridge(self) -> float:
        """Start `compound bridge`; return once every door is driven locked and it is on the
        bus: the seconds that took."""
        t0 = time.monotonic()
        self.obs.bridge_online.clear()
        with open(self.work / "bridge.log", "ab") as out:
            self.bridge = subprocess.Popen(
                [sys.executable, "-m", "compound.app.cli", "--config", str(self.config),
                 "bridge"],
                stdout=subprocess.DEVNULL, stderr=out, cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )  # fmt: skip
        ok = self.obs.bridge_online.wait(60) and wait(lambda: self.all_locked(t0), 60)
        if not ok:
            raise RuntimeError((self.work / "bridge.log").read_text()[-3000:])
        return time.monotonic() - t0

    def kill(self, proc: subprocess.Popen[bytes] | None, sig: int) -> None:
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, sig)
            proc.wait(30)

    def stop(self) -> None:
        self.kill(self.bridge, signal.SIGTERM)
        self.kill(self.core, signal.SIGTERM)
        self.obs.bus.stop()
        self.board.stop()
        self.mcu.stop()
        self.broker.cleanup()

    # -- the doors' hardware ---------------------------------------------------------------

    def history(self, door: str) -> list[CoilChange]:
        if door == "d3":
            return list(self.mcu.relay_history)
        channel = {"d1": 0, "d2": 1}[door]
        return [c for c in list(self.board.history) if c.channel == channel]

    def level(self, door: str) -> bool:
        if door == "d3":
            return self.mcu.relays.get(0, False)
        return self.board.coils[{"d1": 0, "d2": 1}[door]]

    def released(self, door: str) -> bool:
        return self.level(door) == RELEASED[door]

    def all_locked(self, since: float) -> bool:
        """Every door at its locked level, and the bridge said so after ``since``."""
        return all(not self.released(d) for d in RELEASED) and all(
            self.obs.state_since(d, since) == "locked" for d in RELEASED
        )

    def change(self, door: str, since: float, released: bool) -> float | None:
        """When ``door`` first went to its released (or locked) level after ``since``."""
        want = RELEASED[door] if released else not RELEASED[door]
        return next((c.at for c in self.history(door) if c.at >= since and c.on == want), None)


class Watcher:
    """Everything the doors and the core say on the bus, in arrival order."""

    def __init__(self, port: int, topics: Topics) -> None:
        self.topics = topics
        self.lock = threading.Lock()
        self.events: dict[str, dict[str, Any]] = {}  # id -> first copy, in first-seen order
        self.states: dict[str, list[tuple[float, str]]] = defaultdict(list)
        self.core_online = threading.Event()
        self.bridge_online = threading.Event()
        self.bus = Bus(BusConfig(port=port), topics, f"soak-watch-{os.getpid()}")
        self.bus.subscribe(topics.door_event("+"), self._event)
        self.bus.subscribe(topics.all("door/+/state"), self._state)
        self.bus.subscribe(topics.availability("core"), self._avail(self.core_online))
        self.bus.subscribe(topics.availability("bridge"), self._avail(self.bridge_online))
        self.bus.start(timeout=10)

    def _event(self, m: Message) -> None:
        body = json.loads(m.payload)
        with self.lock:
            if body.get("id") and body["id"] not in self.events:
                self.events[body["id"]] = body

    def _state(self, m: Message) -> None:
        door = self.topics.split(m.topic)[1]
        with self.lock:
            self.states[door].append((time.monotonic(), json.loads(m.payload).get("state", "")))

    @staticmethod
    def _avail(flag: threading.Event) -> Any:
        def on(m: Message) -> None:
            (flag.set if m.payload == b"online" else flag.clear)()

        return on

    def state_since(self, door: str, since: float) -> str | None:
        with self.lock:
            after = [s for t, s in self.states[door] if t >= since]
        return after[-1] if after else None

    def count(self) -> int:
        with self.lock:
            return len(self.events)
