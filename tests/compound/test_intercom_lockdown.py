"""Intercom opens during a lockdown, through the core on a real Mosquitto: a resident's station
is refused (told so on its ring topic, nothing sent to the door, the refusal logged), and the
officer's station opens the door of the emergency it answered as a logged override."""

from __future__ import annotations

import json
from typing import Any

import pytest

from compound.adapters.mqtt import Bus, BusConfig
from compound.domain.clock import ManualClock
from compound.domain.model import InvalidInput
from compound.protocol.messages import DoorCommand
from compound.protocol.topics import Topics
from tests.compound.test_intercom import setup, signal, wait_for  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration


def events(core: Any, type_: str) -> list[dict[str, Any]]:
    rows = core.store.query("SELECT data FROM events WHERE type = ?", (type_,))
    return [json.loads(r["data"]) for r in rows]


def test_a_residents_station_cannot_open_in_lockdown_and_is_told_why(
    setup: Any,  # noqa: F811 (the imported fixture)
    topics: Topics,
    clock: ManualClock,
) -> None:
    core, ic, watcher, seen = setup
    core.store.set_lockdown(True, "officer")
    watcher.publish(topics.intercom_call("d1"), signal("dial", "v1", clock, room="1501"))
    ring_topic = topics.intercom_ring("3-2-1501")
    ring = wait_for(lambda: [m for m in seen if m.topic == ring_topic])
    call_id = json.loads(ring[0].payload)["call_id"]
    watcher.publish(topics.intercom_reply("st-1501"), {"call_id": call_id, "action": "unlock"})
    told = wait_for(
        lambda: [
            b
            for m in seen
            if m.topic == ring_topic
            and (b := json.loads(m.payload)).get("state") == "unlock_refused"
        ]
    )
    assert told[0]["reason"] == "lockdown" and "not opened" in told[0]["message"]
    state = wait_for(
        lambda: [
            m
            for m in seen
            if m.topic == topics.intercom_call_state("d1", call_id)
            and json.loads(m.payload)["state"] == "unlock_refused"
        ]
    )
    assert json.loads(state[0].payload)["station"] == "st-1501"
    assert events(core, "intercom.unlock_refused") == [
        {"call_id": call_id, "station": "st-1501", "reason": "lockdown"}
    ]
    # Fence: the station hangs up; the call's record says the door was not opened, and no
    # command ever went to the door.
    watcher.publish(topics.intercom_reply("st-1501"), {"call_id": call_id, "action": "hangup"})
    rec = wait_for(lambda: core.store.one("SELECT * FROM call_records WHERE id = ?", (call_id,)))
    assert rec["outcome"] == "ended" and rec["door_opened"] == 0
    assert not [m for m in seen if m.topic == topics.door_cmd("d1")]


def test_the_officer_opens_the_emergencys_door_in_lockdown_with_the_override(
    setup: Any,  # noqa: F811 (the imported fixture)
    topics: Topics,
    clock: ManualClock,
) -> None:
    core, ic, watcher, seen = setup
    ic.api_station_add({"station": "officer-wall", "unit": "officer"})
    core.store.set_lockdown(True, "officer")
    call = ic.start_call("d1", emergency=True)
    reply = topics.intercom_reply("officer-wall")
    watcher.publish(reply, {"call_id": call.id, "action": "answer"})
    watcher.publish(reply, {"call_id": call.id, "action": "unlock"})
    cmd_msg = wait_for(lambda: [m for m in seen if m.topic == topics.door_cmd("d1")])
    cmd = DoorCommand.decode(cmd_msg[0].payload)
    assert cmd.action == "unlock" and cmd.override is True
    (logged,) = events(core, "door.remote_unlock")
    assert logged["override"] is True and logged["actor"] == "officer-wall"
    assert events(core, "intercom.unlock_refused") == []


def register(core: Any, name: str, role: str) -> None:
    with core.store.transaction() as c:
        c.execute("INSERT INTO devices (name, role, created_at) VALUES (?, ?, 0)", (name, role))


def test_only_a_console_may_override_a_lockdown_from_afar(setup: Any) -> None:  # noqa: F811
    """The role is the registered role of the broker user that asked: a panel that was granted
    door.unlock is refused the override; a console (registered or on a dev broker) is not;
    the officer's station, registered as a station, still opens its emergency's door."""
    core, ic, watcher, seen = setup
    register(core, "panel-d1", "panel")
    register(core, "wall", "console")
    core.store.set_lockdown(True, "officer")
    with pytest.raises(InvalidInput, match="panel may not override"):
        core.unlock("d1", "let me in", "x", "panel-d1", True)
    assert core.unlock("d1", "ambulance", "officer", "wall", True).override is True
    register(core, "officer-wall", "station")
    ic.api_station_add({"station": "officer-wall", "unit": "officer"})
    call = ic.start_call("d2", emergency=True)
    assert ic.reply("officer-wall", call.id, "unlock")
    actors = [(e["actor"], e["override"]) for e in events(core, "door.remote_unlock")]
    assert actors == [("wall", True), ("officer-wall", True)]


def test_the_simulated_station_shows_the_refusal_and_does_not_press_again(
    setup: Any,  # noqa: F811 (the imported fixture)
    topics: Topics,
    clock: ManualClock,
) -> None:
    from devkit.simulators import VirtualIndoorStation

    core, ic, watcher, seen = setup
    core.store.set_lockdown(True, "officer")
    bus = Bus(BusConfig(port=core.bus.config.port), topics, "st-1501")
    station = VirtualIndoorStation(bus, "st-1501", "3-2-1501", answer_after=0.05)
    station.start()
    bus.start(timeout=10)
    try:
        watcher.publish(topics.intercom_call("d1"), signal("dial", "v2", clock, room="1501"))
        wait_for(lambda: station.notices)
    finally:
        bus.stop()
    assert station.notices[0]["reason"] == "lockdown"
    assert len(station.rings) == 1  # the refusal is not taken for a second ring
