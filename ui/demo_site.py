"""The demo compound in one process, for screenshots and the benchmark: a broker, the seeded
store, the core, and a little real traffic (cards at the doors, a forced door, a notice)."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from compound.broker import EmbeddedBroker, Mosquitto, free_port
from compound.bus import Bus, BusConfig
from compound.clock import SystemClock
from compound.config import Config
from compound.core import Core
from compound.demo import DATA, seed_compound
from compound.messages import AccessRequest, DoorEvent, encode, new_id
from compound.store import Store
from compound.topics import Topics


class DemoSite:
    def __init__(self, traffic: bool = True) -> None:
        self.traffic = traffic
        self.seed = json.loads((DATA / "demo_compound.json").read_text(encoding="utf-8"))
        self.topics = Topics(self.seed["site"]["id"])
        self.workdir = Path(tempfile.mkdtemp(prefix="compound-ui-"))
        self._broker: Mosquitto | EmbeddedBroker | None = None
        self.bus_config = BusConfig()
        self.store: Store | None = None
        self.core: Core | None = None
        self._buses: list[Bus] = []

    def start(self) -> DemoSite:
        try:
            m = Mosquitto().start()
            self._broker = m
            self.bus_config = BusConfig(port=m.port)
        except Exception:  # noqa: BLE001 - no Mosquitto binary: the embedded broker will do
            port = free_port()
            eb = EmbeddedBroker(port)
            eb.start()
            self._broker = eb
            self.bus_config = BusConfig(port=port, protocol=4)
        clock = SystemClock()
        self.store = Store(self.workdir / "demo.db", clock, self.workdir / "keys")
        seed_compound(self.store, self.seed)
        core_bus = Bus(self.bus_config, self.topics, "core")
        self._buses.append(core_bus)
        self.core = Core(self.store, core_bus, clock, Config())
        self.core.start()
        core_bus.start()
        if self.traffic:
            self._traffic(clock)
        return self

    def bus(self, client_id: str) -> Bus:
        b = Bus(self.bus_config, self.topics, client_id)
        b.start()
        self._buses.append(b)
        return b

    def _traffic(self, clock: SystemClock) -> None:
        dev = self.bus("demo-devices")
        doors = [d["id"] for d in self.seed["doors"]]
        cards = [p["card"] for p in self.seed["people"] if "card" in p] + ["99999"]
        for i, door in enumerate(doors):
            state = "locked" if i != 1 else "open"
            dev.publish(self.topics.door_state(door), {"state": state}, retain=True)
        for i in range(14):
            door = doors[i % len(doors)]
            req = AccessRequest(
                new_id(), door, "card", cards[i % len(cards)], clock.now(), source="demo-reader"
            )
            dev.publish(self.topics.access_request(door), encode(req))
        ev = DoorEvent(doors[2], "forced_open", clock.now(), {})
        dev.publish(self.topics.door_event(doors[2]), encode(ev))
        dev.publish(self.topics.door_state(doors[2]), {"state": "forced"}, retain=True)
        time.sleep(0.5)

    def stop(self) -> None:
        if self.core is not None:
            self.core.stop()
        for b in reversed(self._buses):
            b.stop()
        if self.store is not None:
            self.store.close()
        if isinstance(self._broker, Mosquitto):
            self._broker.cleanup()
        elif self._broker is not None:
            self._broker.stop()
