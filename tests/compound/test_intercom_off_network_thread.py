"""Call signals from the door panels never hold up the doors, on a real Mosquitto.

A panel (or an entrance MCU) writes its door's ``intercom/<door>/call``; the core looks the call
up in the database and records it when it ends. On the bus's network thread, a dial or a hang-up
arriving while a long write holds the store (an import run by the core) waited for the write to
finish, and every message behind it waited too: the swipes at every door. So call signals and
station replies are read on a thread of their own, in the order they came.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from compound.adapters.broker import Mosquitto
from compound.adapters.mqtt import Bus, BusConfig, Message
from compound.app.wiring import build_core
from compound.config import Config
from compound.domain.clock import ManualClock
from compound.protocol.messages import AccessRequest, encode, new_id
from compound.protocol.topics import Topics
from compound.services.core import Core
from compound.services.intercom import Intercom
from compound.store.db import Store

pytestmark = pytest.mark.integration

WAIT_S = 30.0  # generous: the machine may be loaded; nothing here is a timing figure


@pytest.fixture
def site(
    mosquitto: Mosquitto, store: Store, clock: ManualClock, topics: Topics
) -> Iterator[tuple[Core, Bus, queue.Queue[tuple[str, Any]]]]:
    store.add_unit("3-2-1501")
    store.add_door("d1", "Entrance", ["3-2"])
    store.add_door("d2", "Back door", ["3-2"])
    bus = Bus(BusConfig(port=mosquitto.port), topics, "core")
    core = build_core(store, bus, clock, Config())
    core.start()
    bus.start(timeout=10)
    ic = next(e for e in core.extensions if isinstance(e, Intercom))
    ic.api_station_add({"station": "st-1501", "unit": "3-2-1501"})
    seen: queue.Queue[tuple[str, Any]] = queue.Queue()

    def heard(m: Message) -> None:
        seen.put((m.topic, json.loads(m.payload) if m.payload.startswith(b"{") else None))

    watcher = Bus(BusConfig(port=mosquitto.port), topics, "watcher")
    watcher.subscribe(topics.all("#"), heard)
    watcher.start(timeout=10)
    yield core, watcher, seen
    watcher.stop()
    core.stop()
    bus.stop()


def next_on(seen: queue.Queue[tuple[str, Any]], topic: str, **match: Any) -> Any:
    while True:
        t, body = seen.get(timeout=WAIT_S)
        if t == topic and all((body or {}).get(k) == v for k, v in match.items()):
            return body


def test_a_dial_while_a_long_write_holds_the_store_does_not_hold_up_a_swipe(
    site: tuple[Core, Bus, queue.Queue[tuple[str, Any]]], topics: Topics, clock: ManualClock
) -> None:
    core, panel, seen = site
    inside, release = threading.Event(), threading.Event()

    def long_write() -> None:  # as `people.import` does on the core's API thread
        with core.store.transaction():
            inside.set()
            release.wait(WAIT_S * 2)

    writer = threading.Thread(target=long_write)
    writer.start()
    try:
        assert inside.wait(WAIT_S), "the long write never started"
        dial = {"action": "dial", "call_id": "v1", "at": clock.now(), "room": "1501"}
        panel.publish(topics.intercom_call("d1"), dial)
        req = AccessRequest(new_id(), "d2", "card", "99999", clock.now(), "test")
        panel.publish(topics.access_request("d2"), encode(req))
        # The swipe at the other door is answered while the write still holds the store.
        result = next_on(seen, topics.access_result("d2"), request_id=req.id)
        assert result["granted"] is False and writer.is_alive()
    finally:
        release.set()
        writer.join(WAIT_S)
    # Once the write is done, the dial rings the flat as before.
    ring = next_on(seen, topics.intercom_ring("3-2-1501"), call_id="v1")
    assert ring["door"] == "d1" and ring["stations"] == ["st-1501"]
