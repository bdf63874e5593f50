"""Messages the core writes to the database for never hold up the doors, on a real Mosquitto.

A panel (or an entrance MCU) writes its door's ``intercom/<door>/call``; the core looks the call
up in the database and records it when it ends. The face service reports a camera gone on
``face/<camera>/state``; the core raises an alarm. On the bus's network thread, such a message
arriving while a long write holds the store (an import run by the core) waited for the write to
finish, and every message behind it waited too: the swipes at every door. So these are read on
threads of their own, each in the order they came.
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


class LongWrite:
    """A write transaction held by another thread of the store, as ``people.import`` holds it
    on the core's API thread, until ``release``."""

    def __init__(self, store: Store) -> None:
        self.inside, self.release = threading.Event(), threading.Event()

        def hold() -> None:
            with store.transaction():
                self.inside.set()
                self.release.wait(WAIT_S * 2)

        self.thread = threading.Thread(target=hold)

    def __enter__(self) -> LongWrite:
        self.thread.start()
        assert self.inside.wait(WAIT_S), "the long write never started"
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.thread.join(WAIT_S)


def swipe_answered_meanwhile(
    core: Core, bus: Bus, seen: queue.Queue[tuple[str, Any]], write: LongWrite
) -> None:
    """A card at d2 is answered while the write still holds the store."""
    req = AccessRequest(new_id(), "d2", "card", "99999", core.clock.now(), "test")
    bus.publish(core.topics.access_request("d2"), encode(req))
    result = next_on(seen, core.topics.access_result("d2"), request_id=req.id)
    assert result["granted"] is False and write.thread.is_alive()


def test_a_dial_while_a_long_write_holds_the_store_does_not_hold_up_a_swipe(
    site: tuple[Core, Bus, queue.Queue[tuple[str, Any]]], topics: Topics, clock: ManualClock
) -> None:
    core, panel, seen = site
    with LongWrite(core.store) as write:
        dial = {"action": "dial", "call_id": "v1", "at": clock.now(), "room": "1501"}
        panel.publish(topics.intercom_call("d1"), dial)
        swipe_answered_meanwhile(core, panel, seen, write)
    # Once the write is done, the dial rings the flat as before.
    ring = next_on(seen, topics.intercom_ring("3-2-1501"), call_id="v1")
    assert ring["door"] == "d1" and ring["stations"] == ["st-1501"]


def test_a_camera_gone_while_a_long_write_holds_the_store_does_not_hold_up_a_swipe(
    site: tuple[Core, Bus, queue.Queue[tuple[str, Any]]], topics: Topics, clock: ManualClock
) -> None:
    core, face, seen = site
    with LongWrite(core.store) as write:
        gone = {"camera": "cam1", "doors": ["d1"], "state": "gone", "detail": "x", "at": 5.0}
        face.publish(topics.face_state("cam1"), gone)
        swipe_answered_meanwhile(core, face, seen, write)
    # Once the write is done, the camera's alarm is raised as before.
    alarm = next_on(seen, topics.events("alarm.raised"))
    assert alarm["data"]["kind"] == "camera_gone" and alarm["data"]["camera"] == "cam1"
