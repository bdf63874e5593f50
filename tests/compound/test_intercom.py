"""Intercom calls through the core on a real Mosquitto: ring, answer, open, time out, forward."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from compound.adapters import keys
from compound.adapters.broker import Mosquitto
from compound.adapters.mqtt import Bus, BusConfig, Message
from compound.app.wiring import build_core
from compound.config import Config
from compound.domain.clock import ManualClock
from compound.protocol.messages import DoorCommand
from compound.protocol.topics import Topics
from compound.services.core import Core
from compound.services.intercom import Intercom
from compound.store.db import Store

pytestmark = pytest.mark.integration


def wait_for(cond: Callable[[], Any], timeout: float = 15.0) -> Any:
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
    store.add_door("d2", "Back door", ["3-2"])
    bus = Bus(BusConfig(port=mosquitto.port), topics, "core")
    core = build_core(store, bus, clock, Config())
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


def signal(action: str, call_id: str, clock: ManualClock, **more: str) -> dict[str, Any]:
    return {"action": action, "call_id": call_id, "at": clock.now(), **more}


def test_dialled_call_answered_and_door_opened(
    setup: Any, topics: Topics, clock: ManualClock
) -> None:
    """Visitor dials 1501 at the door; the unit's station rings, answers, opens that door."""
    core, ic, watcher, seen = setup
    jpeg = b"\xff\xd8" + b"frame" * 10
    watcher.publish(topics.face_frame("d1"), jpeg)
    wait_for(lambda: "d1" in ic.frames)
    watcher.publish(topics.intercom_call("d1"), signal("dial", "v1", clock, room="1501"))
    ring = wait_for(lambda: [m for m in seen if m.topic == topics.intercom_ring("3-2-1501")])
    call_id = json.loads(ring[0].payload)["call_id"]
    assert call_id == "v1"  # the caller's id: it listened on this call's state before dialling
    assert json.loads(ring[0].payload)["door"] == "d1"
    assert json.loads(ring[0].payload)["stations"] == ["st-1501"]
    station = topics.intercom_reply("st-1501")
    watcher.publish(station, {"call_id": call_id, "action": "answer"})
    wait_for(lambda: "answered" in states(seen, call_id))
    watcher.publish(station, {"call_id": call_id, "action": "unlock"})
    cmd_msg = wait_for(lambda: [m for m in seen if m.topic == topics.door_cmd("d1")])
    cmd = DoorCommand.decode(cmd_msg[0].payload)
    assert cmd.action == "unlock" and cmd.mac_ok(keys.door_command_key(core.store.master_key, "d1"))
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
    # The fence: a command the core sends now arrives after anything the replies caused.
    fence = core.send_command("d1", "lock", "fence")
    cmds = wait_for(lambda: [m for m in seen if m.topic == topics.door_cmd("d1")])
    assert [json.loads(m.payload)["id"] for m in cmds] == [fence.id]
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
    bad = (
        b"{bad",
        b"[]",
        b'{"action": "dial", "call_id": "x1", "at": 1, "room": "1501", "door": "d2"}',
        b'{"action": "dial", "call_id": "x2", "at": 1}',  # names no unit
        b'{"action": "dial", "call_id": "x/3", "at": 1, "room": "1501"}',
        b'{"action": "open", "call_id": "x4", "at": 1}',
        b'{"action": "hangup", "call_id": "x5", "at": 1, "unit": "3-2-1501"}',
        b'{"action": "dial", "call_id": "x6", "at": "now", "room": "1501"}',
    )
    for payload in bad:
        watcher.publish(topics.intercom_call("d1"), payload)
    wait_for(lambda: core.counters["intercom.bad_call"] >= len(bad))
    assert core.counters["intercom.bad_call"] == len(bad)
    assert len(ic.calls) == 2


def test_emergency_calls_officer(setup: Any) -> None:
    """The emergency button rings the officer's group and is never forwarded elsewhere."""
    core, ic, watcher, seen = setup
    res = ic.api_start({"door": "d1", "emergency": True})
    assert res["unit"] == "officer"


def test_door_is_taken_from_the_topic_and_a_door_cannot_end_another_doors_call(
    setup: Any, topics: Topics, clock: ManualClock
) -> None:
    """The broker holds each panel to its own door's call topic; the core must then trust only
    the topic. A panel at d2 cannot hang up d1's call, nor take over its id by dialling with it;
    its own call is its own door's, and it can end that one."""
    core, ic, watcher, seen = setup
    watcher.publish(topics.intercom_call("d1"), signal("dial", "c-d1", clock, unit="3-2-1501"))
    wait_for(lambda: "ringing" in states(seen, "c-d1"))
    assert ic.calls["c-d1"].door == "d1"
    watcher.publish(topics.intercom_call("d2"), signal("hangup", "c-d1", clock))
    watcher.publish(topics.intercom_call("d2"), signal("dial", "c-d1", clock, unit="3-2-1502"))
    wait_for(lambda: core.counters["intercom.hangup_wrong_door"] == 1)
    wait_for(lambda: core.counters["intercom.duplicate_call"] == 1)
    assert ic.calls["c-d1"].door == "d1" and ic.calls["c-d1"].state == "ringing"
    assert not [m for m in seen if m.topic == topics.intercom_ring("3-2-1502")]
    assert states(seen, "c-d1") == ["ringing"]  # nothing was said on the victim's call
    watcher.publish(topics.intercom_call("d2"), signal("dial", "c-d2", clock, unit="3-2-1502"))
    ring = wait_for(lambda: [m for m in seen if m.topic == topics.intercom_ring("3-2-1502")])
    assert json.loads(ring[0].payload)["door"] == "d2"
    watcher.publish(topics.intercom_call("d2"), signal("hangup", "c-d2", clock))
    wait_for(lambda: states(seen, "c-d2")[-1:] == ["ended"])
    rec = core.store.one("SELECT * FROM call_records WHERE id = ?", ("c-d2",))
    assert rec["door_id"] == "d2" and rec["outcome"] == "ended"
    assert "c-d1" in ic.calls
    # An ended call's id stays used: a replay of the dial does not ring the flat again.
    watcher.publish(topics.intercom_call("d2"), signal("dial", "c-d2", clock, unit="3-2-1502"))
    wait_for(lambda: core.counters["intercom.duplicate_call"] == 2)
    assert len([m for m in seen if m.topic == topics.intercom_ring("3-2-1502")]) == 1


def test_refused_dial_is_told_on_the_call_state(
    setup: Any, topics: Topics, clock: ManualClock
) -> None:
    """A panel has no API reply to read: a dial the core refuses ends on its own state topic
    with a reason the visitor can act on, and rings nobody."""
    core, ic, watcher, seen = setup
    watcher.publish(topics.intercom_call("d1"), signal("dial", "f1", clock, unit="4-1-0101"))
    state_topic = topics.intercom_call_state("d1", "f1")  # under the calling door
    msg = wait_for(lambda: [m for m in seen if m.topic == state_topic])
    body = json.loads(msg[0].payload)
    assert body["state"] == "failed" and "cannot be called from door d1" in body["reason"]
    assert core.counters["intercom.dial_refused"] == 1 and not ic.calls
    assert not [m for m in seen if "/intercom/unit/" in m.topic]
    watcher.publish(topics.intercom_call("nodoor"), signal("dial", "f2", clock, room="1501"))
    state_topic = topics.intercom_call_state("nodoor", "f2")  # under the calling door
    msg = wait_for(lambda: [m for m in seen if m.topic == state_topic])
    assert "unknown door" in json.loads(msg[0].payload)["reason"]


def test_emergency_signal_rings_the_officer_for_the_topics_door(
    setup: Any, topics: Topics, clock: ManualClock
) -> None:
    """The emergency button on a panel reaches the officer, recorded against its own door."""
    core, ic, watcher, seen = setup
    watcher.publish(topics.intercom_call("d2"), signal("emergency", "e1", clock))
    ring = wait_for(lambda: [m for m in seen if m.topic == topics.intercom_ring("officer")])
    body = json.loads(ring[0].payload)
    assert body["call_id"] == "e1" and body["door"] == "d2" and body["emergency"] is True


def test_stale_dial_rings_nobody(setup: Any, topics: Topics, clock: ManualClock) -> None:
    """A dial held back and delivered a minute later must not ring a flat after the visitor
    has gone; the panel is told why on the call's own state topic."""
    core, ic, watcher, seen = setup
    old = signal("dial", "late1", clock, unit="3-2-1501")
    clock.advance(60)
    watcher.publish(topics.intercom_call("d1"), old)
    state_topic = topics.intercom_call_state("d1", "late1")  # under the calling door
    msg = wait_for(lambda: [m for m in seen if m.topic == state_topic])
    assert "stale" in json.loads(msg[0].payload)["reason"]
    assert core.counters["intercom.stale_call"] == 1 and not ic.calls
    assert not [m for m in seen if "/intercom/unit/" in m.topic]


def test_an_unanswered_emergency_reaches_the_officer_wall_and_is_passed_to_110(
    setup: Any, clock: ManualClock, topics: Topics
) -> None:
    """The emergency button raises a critical alarm at once (the officer wall's queue and the
    platform), whether or not any officer station exists; unanswered, it is escalated with a
    platform record marked for 110, which carries no picture."""
    core, ic, watcher, seen = setup
    call = ic.start_call("d1", emergency=True)
    assert call.group == "officer"
    alarm = wait_for(lambda: [m for m in seen if m.topic == topics.events("alarm.raised")])
    body = json.loads(alarm[0].payload)
    assert body["data"]["kind"] == "emergency" and body["data"]["severity"] == "critical"
    assert body["door_id"] == "d1"
    assert [a.kind for a in core.store.alarms(open_only=True)] == ["emergency"]
    clock.advance(core.config.intercom.ring_timeout_s + 1)
    ic.tick()
    kinds = [a.kind for a in core.store.alarms(open_only=True)]
    assert sorted(kinds) == ["emergency", "emergency_unanswered"]
    rec = core.store.one("SELECT * FROM call_records WHERE id = ?", (call.id,))
    assert rec["outcome"] == "no_answer" and rec["forwarded_to"] is None
    records = [json.loads(r["payload"]) for r in core.store.query("SELECT payload FROM outbox")]
    to_110 = [r for r in records if r.get("police_110")]
    assert len(to_110) == 1 and to_110[0]["kind"] == "emergency_unanswered"
    assert to_110[0]["door"] == "d1" and "snapshot" not in json.dumps(to_110[0])


def test_an_answered_emergency_is_logged_as_answered_and_not_escalated(
    setup: Any, clock: ManualClock
) -> None:
    core, ic, watcher, seen = setup
    ic.api_station_add({"station": "officer-wall", "unit": "officer"})
    call = ic.start_call("d1", emergency=True)
    assert ic.reply("officer-wall", call.id, "answer")
    clock.advance(core.config.intercom.ring_timeout_s + 1)
    ic.tick()
    assert ic.reply("officer-wall", call.id, "hangup")
    rec = core.store.one("SELECT * FROM call_records WHERE id = ?", (call.id,))
    assert rec["outcome"] == "ended" and rec["answered_by"] == "officer-wall"
    assert [a.kind for a in core.store.alarms(open_only=True)] == ["emergency"]


def failed_body(seen: list[Message], topics: Topics, door: str, call_id: str) -> Any:
    state_topic = topics.intercom_call_state(door, call_id)
    msg = wait_for(lambda: [m for m in seen if m.topic == state_topic])
    return json.loads(msg[0].payload)


def test_a_dial_to_a_unit_that_does_not_exist_or_has_no_station_rings_nobody(
    setup: Any, topics: Topics, clock: ManualClock
) -> None:
    """The core checks the unit before it says "ringing": a room that is not registered, or a
    flat with no indoor station, is refused at once with a code the panel translates, instead
    of ringing nobody for the ring timeout and going to the desk."""
    core, ic, watcher, seen = setup
    core.store.add_unit("3-2-1503")  # a flat without an indoor station
    watcher.publish(topics.intercom_call("d1"), signal("dial", "n1", clock, unit="3-2-1601"))
    body = failed_body(seen, topics, "d1", "n1")
    assert body["state"] == "failed" and body["code"] == "no_such_unit"
    watcher.publish(topics.intercom_call("d1"), signal("dial", "n2", clock, room="1503"))
    body = failed_body(seen, topics, "d1", "n2")
    assert body["state"] == "failed" and body["code"] == "no_station"
    watcher.publish(topics.intercom_call("d1"), signal("dial", "n3", clock, unit="3-2-15"))
    assert failed_body(seen, topics, "d1", "n3")["code"] == "bad_number"
    watcher.publish(topics.intercom_call("d1"), signal("dial", "n4", clock, unit="4-1-0101"))
    assert failed_body(seen, topics, "d1", "n4")["code"] == "not_served"
    watcher.publish(topics.intercom_call("nodoor"), signal("dial", "n5", clock, room="1501"))
    assert failed_body(seen, topics, "nodoor", "n5")["code"] == "unknown_door"
    assert core.counters["intercom.dial_refused"] == 5 and not ic.calls
    assert not [m for m in seen if "/intercom/unit/" in m.topic]
    assert not core.store.query("SELECT 1 FROM call_records")


def test_room_only_dialling_at_a_building_door(
    setup: Any, topics: Topics, clock: ManualClock
) -> None:
    """At a door serving a whole building a visitor dials only the room: the one unit with that
    room in the building rings; a room found in two entrances is refused as ambiguous."""
    core, ic, watcher, seen = setup
    core.store.add_unit("5-1-0805")
    core.store.add_unit("5-1-0901")
    core.store.add_unit("5-2-0901")
    core.store.add_door("b5", "Building 5", ["5"])
    ic.api_station_add({"station": "st-0805", "unit": "5-1-0805"})
    watcher.publish(topics.intercom_call("b5"), signal("dial", "r1", clock, room="0805"))
    ring = wait_for(lambda: [m for m in seen if m.topic == topics.intercom_ring("5-1-0805")])
    assert json.loads(ring[0].payload)["call_id"] == "r1"
    watcher.publish(topics.intercom_call("b5"), signal("dial", "r2", clock, room="0901"))
    assert failed_body(seen, topics, "b5", "r2")["code"] == "ambiguous_room"
    watcher.publish(topics.intercom_call("b5"), signal("dial", "r3", clock, room="1501"))
    assert failed_body(seen, topics, "b5", "r3")["code"] == "no_such_unit"
