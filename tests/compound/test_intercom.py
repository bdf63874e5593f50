"""Intercom calls through the core on a real Mosquitto: ring, answer, open, time out, forward."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from compound.broker import Mosquitto
from compound.bus import Bus, BusConfig, Message
from compound.clock import ManualClock
from compound.config import Config
from compound.core import Core
from compound.intercom import Intercom
from compound.messages import DoorCommand
from compound.store import Store
from compound.topics import Topics

pytestmark = pytest.mark.integration


def wait_for(cond: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if v := cond():
            return v
        time.sleep(0.01)
    raise AssertionError("timed out")


@pytest.fixture
def setup(
    mosquitto: Mosquitto, store: Store, clock: ManualClock, topics: Topics
) -> Iterator[tuple[Core, Intercom, Bus, list[Message]]]:
    store.add_unit("3-2-1501")
    store.add_unit("3-2-1502")
    store.add_door("d1", "Entrance", ["3-2"])
    bus = Bus(BusConfig(port=mosquitto.port), topics, "core")
    core = Core(store, bus, clock, Config())
    core.start()
    bus.start(timeout=10)
    ic = next(e for e in core.extensions if isinstance(e, Intercom))
    ic.api_station_add({"station": "st-1501", "unit": "3-2-1501"})
    ic.api_station_add({"station": "st-1502", "unit": "3-2-1502"})
    ic.api_station_add({"station": "desk-1", "unit": "desk"})
    seen: list[Message] = []
    watcher = Bus(BusConfig(port=mosquitto.port), topics, "watcher")
    watcher.subscribe(topics.all("#"), seen.append)
    watcher.start(timeout=10)
    yield core, ic, watcher, seen
    watcher.stop()
    core.stop()
    bus.stop()


def states(seen: list[Message], call_id: str) -> list[str]:
    return [json.loads(m.payload)["state"] for m in seen if m.topic.endswith(f"{call_id}/state")]


def test_dialled_call_answered_and_door_opened(setup: Any, topics: Topics) -> None:
    """Visitor dials 1501 at the door; the unit's station rings, answers, opens that door."""
    core, ic, watcher, seen = setup
    jpeg = b"\xff\xd8" + b"frame" * 10
    watcher.publish(topics.face_frame("d1"), jpeg)
    wait_for(lambda: "d1" in ic.frames)
    watcher.publish(topics.intercom_call("d1"), {"id": "v1", "door": "d1", "room": "1501"})
    ring = wait_for(lambda: [m for m in seen if m.topic == topics.intercom_ring("3-2-1501")])
    call_id = json.loads(ring[0].payload)["call_id"]
    assert json.loads(ring[0].payload)["stations"] == ["st-1501"]
    station = topics.intercom_reply("st-1501")
    watcher.publish(station, {"call_id": call_id, "action": "answer"})
    wait_for(lambda: "answered" in states(seen, call_id))
    watcher.publish(station, {"call_id": call_id, "action": "unlock"})
    cmd_msg = wait_for(lambda: [m for m in seen if m.topic == topics.door_cmd("d1")])
    cmd = DoorCommand.decode(cmd_msg[0].payload)
    assert cmd.action == "unlock" and cmd.mac_ok(
        __import__("compound.keys").keys.door_command_key(core.store.master_key, "d1")
    )
    wait_for(lambda: states(seen, call_id)[-2:] == ["door_opened", "ended"])
    rec = core.store.one("SELECT * FROM call_records WHERE id = ?", (call_id,))
    assert rec["outcome"] == "door_opened" and rec["answered_by"] == "st-1501"
    assert rec["snapshot"] == jpeg


def test_station_of_other_unit_cannot_open(setup: Any, topics: Topics) -> None:
    """A station may only act on calls to its own unit; nothing is sent to the door."""
    core, ic, watcher, seen = setup
    call = ic.start_call("d1", room="1501", emergency=False)
    assert not ic.reply("st-1502", call.id, "unlock")
    assert not ic.reply("nobody", call.id, "unlock")
    assert core.counters["intercom.reply_wrong_station"] == 2
    time.sleep(0.2)
    assert not [m for m in seen if m.topic == topics.door_cmd("d1")]
    assert ic.calls[call.id].state == "ringing"


def test_no_answer_forwards_to_desk_then_ends(setup: Any, clock: ManualClock) -> None:
    """Unanswered within the ring timeout: the property desk rings; then the call ends."""
    core, ic, watcher, seen = setup
    call = ic.start_call("d1", room="1501", emergency=False)
    clock.advance(core.config.intercom.ring_timeout_s + 1)
    ic.tick()
    assert call.group == "desk" and call.state == "ringing" and call.forwarded_to == "desk"
    assert ic.reply("desk-1", call.id, "answer")
    assert ic.reply("desk-1", call.id, "hangup")
    rec = core.store.one("SELECT * FROM call_records WHERE id = ?", (call.id,))
    assert rec["outcome"] == "ended" and rec["forwarded_to"] == "desk" and rec["snapshot"] is None


def test_busy_unit_and_bad_input(setup: Any, topics: Topics) -> None:
    """A second call to a ringing unit is busy (and forwarded); bad calls change nothing."""
    core, ic, watcher, seen = setup
    first = ic.start_call("d1", room="1501", emergency=False)
    second = ic.start_call("d1", room="1501", emergency=False)
    assert first.state == "ringing" and second.forwarded_to == "desk"
    assert "busy" in wait_for(lambda: states(seen, second.id))
    for payload in (b"{bad", b'{"door": 5}', b'{"door": "zz", "room": "1501"}', b"[]"):
        watcher.publish(topics.intercom_call("d1"), payload)
    wait_for(lambda: core.counters["intercom.bad_call"] >= 4)
    assert len(ic.calls) == 2


def test_emergency_calls_officer(setup: Any) -> None:
    """The emergency button rings the officer's group and is never forwarded elsewhere."""
    core, ic, watcher, seen = setup
    res = ic.api_start({"door": "d1", "emergency": True})
    assert res["unit"] == "officer"
