"""The officer wall's door tiles come from the real core over a real Mosquitto a page at a time:
a compound with more doors than one reply holds is drawn whole, from two pages, in building
order; the door panel asks for its own door only."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from compound.adapters.broker import Mosquitto
from compound.adapters.mqtt import Bus, BusConfig
from compound.app.wiring import build_core
from compound.config import Config
from compound.domain.clock import SystemClock
from compound.domain.paging import MAX_SIZE
from compound.protocol.topics import Topics
from compound.store.db import Store
from ui.gateway import MqttGateway
from ui.i18n import Strings
from ui.viewmodels.door import DoorPanelVM
from ui.viewmodels.officer import OfficerVM

BUILDINGS, ENTRANCES = 60, 4  # 240 doors: more than one page of door.list holds
TOPICS = Topics("pages")


class UiThread:
    """The screen's thread: the gateway hands answers here, the test runs them in turn."""

    def __init__(self) -> None:
        self.q: queue.Queue[Callable[[], None]] = queue.Queue()

    def until(self, cond: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
        end = time.monotonic() + timeout
        while not cond():
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {what}")
            try:
                self.q.get(timeout=min(left, 0.5))()
            except queue.Empty:
                pass


@pytest.fixture
def core_port(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[int]:
    clock = SystemClock()
    store = Store(tmp_path / "c.db", clock, tmp_path / "keys")
    ids = [
        (f"b{b}-e{e}", f"Building {b} entrance {e}")
        for b in range(BUILDINGS, 0, -1)
        for e in range(1, ENTRANCES + 1)
    ]
    with store.transaction() as c:  # straight into the table: the pages are what is tested
        c.executemany("INSERT INTO doors (id, name, lock_type) VALUES (?, ?, 'strike')", ids)
        c.executemany(
            "INSERT INTO door_scopes (door_id, scope) VALUES (?, ?)",
            [(d, d.split("-")[0][1:] + "-" + d.split("-e")[1]) for d, _ in ids],
        )
    bus = Bus(BusConfig(port=mosquitto.port), TOPICS, "core")
    core = build_core(store, bus, clock, Config())
    core.start()
    bus.start(timeout=30)
    yield mosquitto.port
    core.stop()
    bus.stop()
    store.close()


def test_the_wall_draws_every_door_from_the_cores_pages(core_port: int) -> None:
    ui = UiThread()
    gw = MqttGateway(BusConfig(port=core_port), TOPICS, "wall-pages", dispatch=ui.q.put, timeout=30)
    gw.start()
    try:
        ui.until(lambda: gw.connected, "the wall's connection")
        wall = OfficerVM(gw, Strings("en"), SystemClock())
        wall.load()
        ui.until(lambda: wall.door_pages.complete, "every page of doors")
        assert wall.door_pages.total == BUILDINGS * ENTRANCES > MAX_SIZE
        assert wall.door_pages.pages == 2
        assert len(wall.doors) == BUILDINGS * ENTRANCES
        groups = wall.door_groups()
        assert [g.key for g in groups][:3] == ["1", "2", "3"] and groups[-1].key == "60"
        assert [t.id for t in groups[9].tiles] == [f"b10-e{e}" for e in range(1, ENTRANCES + 1)]
        assert wall.doors["b60-e4"].name == "Building 60 entrance 4"

        panel = DoorPanelVM(gw, Strings("en"), SystemClock(), "b37-e2")
        panel.load()
        ui.until(lambda: panel.door_name == "Building 37 entrance 2", "the panel's own door")
        assert panel.served == {"37"}
    finally:
        gw.stop()
