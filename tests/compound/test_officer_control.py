"""Lockdown and remote opens by an identified duty officer (``lockdown.set_officer``,
``door.unlock_officer``), asked over a real Mosquitto of the real core as the wall asks: the log
names the officer the core found from the card or PIN, an unknown credential changes nothing and
sends nothing, wrong PINs share the acknowledgement's limit, and the operator's typed-name
``lockdown.set`` / ``door.unlock`` keep working."""

from __future__ import annotations

import json
import queue
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from compound.adapters.broker import Mosquitto
from compound.adapters.mqtt import ApiError, Bus, Message
from compound.app.wiring import build_core
from compound.config import Config
from compound.protocol.topics import Topics
from compound.store import officers
from compound.store.db import Store

pytestmark = pytest.mark.integration

DOOR = "b3-e2"
CARD, PIN = "12345678", "482916"


@pytest.fixture
def wall(
    live_store: Store, mosquitto: Mosquitto, make_bus: Callable[..., Bus]
) -> Iterator[tuple[Store, Bus, Bus]]:
    """(store, the wall's bus, the console's bus) with the core running between them."""
    store = live_store
    store.add_unit("3-2-1501")
    store.add_door(DOOR, "Building 3 entrance 2", ["3-2"])
    officers.add_officer(store, "李伟", "0412", CARD, PIN, by="所长")
    with store.transaction() as c:
        c.execute(
            "INSERT INTO devices (name, role, unit, created_at) VALUES ('wall1', 'wall', 'o', 0)"
        )
    core_bus = make_bus(mosquitto.port, "core", start=False)
    core = build_core(store, core_bus, store.clock, Config())
    core.start()
    core_bus.start()
    yield store, make_bus(mosquitto.port, "wall1"), make_bus(mosquitto.port, "console1")
    core.stop()


def commands(bus: Bus, topics: Topics) -> queue.Queue[dict[str, Any]]:
    q: queue.Queue[dict[str, Any]] = queue.Queue()
    bus.subscribe(topics.door_cmd(DOOR), lambda m: q.put(json.loads(m.payload)))
    return q


def test_lockdown_and_override_open_are_logged_in_the_officers_name(
    wall: tuple[Store, Bus, Bus], topics: Topics
) -> None:
    store, w, _ = wall
    cmds = commands(w, topics)
    states: queue.Queue[Message] = queue.Queue()
    w.subscribe(topics.site_lockdown, states.put)
    r = w.request("lockdown.set_officer", {"on": True, "kind": "pin", "value": PIN, "by": "x"})
    assert r == {"lockdown": True, "by": "李伟 (0412)"} and store.lockdown()
    while not json.loads(states.get(timeout=15).payload)["on"]:
        pass  # the retained "off" from the start comes first
    ev = store.events(types=["site.lockdown"])[-1].data
    assert ev == {
        "on": True,
        "actor": "wall1",
        "by": "李伟 (0412)",  # the typed "x" is not what the log says
        "officer_id": ev["officer_id"],
        "badge": "0412",
        "credential": "pin",
    }
    # In lockdown, an open without the override is refused and nothing is sent.
    plain = {"door": DOOR, "reason": "ambulance", "kind": "card", "value": CARD}
    with pytest.raises(ApiError, match="lockdown"):
        w.request("door.unlock_officer", plain)
    r = w.request("door.unlock_officer", {**plain, "override": True})
    assert r["override"] is True and r["by"] == "李伟 (0412)"
    cmd = cmds.get(timeout=15)
    assert cmd["id"] == r["command_id"] and cmd["override"] is True
    (logged,) = [e.data for e in store.events(types=["door.remote_unlock"])]
    assert logged == {
        "actor": "wall1",
        "by": "李伟 (0412)",
        "reason": "ambulance",
        "override": True,
        "officer_id": ev["officer_id"],
        "badge": "0412",
        "credential": "card",
    }
    assert CARD not in json.dumps([e.data for e in store.events()])
    assert PIN not in json.dumps([e.data for e in store.events()])


def test_an_unknown_credential_changes_nothing_and_guessing_is_bounded(
    wall: tuple[Store, Bus, Bus], topics: Topics
) -> None:
    store, w, console = wall
    cmds = commands(w, topics)
    before = len(store.events())
    r = w.request("lockdown.set_officer", {"on": True, "kind": "pin", "value": "100000"})
    assert r == {"refused": "unknown", "tries_left": 4} and not store.lockdown()
    open_ = {"door": DOOR, "reason": "let in", "kind": "card", "value": "99999999"}
    assert w.request("door.unlock_officer", open_)["refused"] == "unknown"
    # Wrong PINs count the same whether they were tried at the lockdown, an open or an ack.
    for guess in range(1, 4):
        p = {"door": DOOR, "reason": "x", "kind": "pin", "value": f"10000{guess}"}
        assert w.request("door.unlock_officer", p)["refused"] == "unknown"
    ack = {"ids": [1], "kind": "pin", "value": "100009", "note": "x"}
    assert w.request("alarm.ack_officer", ack)["refused"] == "unknown"
    r = w.request("lockdown.set_officer", {"on": True, "kind": "pin", "value": PIN})
    assert r["refused"] == "locked" and r["retry_in"] > 0 and not store.lockdown()
    assert len(store.events()) == before, "a refused credential writes nothing"
    # The card is another kind: it still works; the operator's path never needed the wall's.
    console.request("door.unlock", {"door": DOOR, "reason": "parcel", "by": "desk Li"})
    assert cmds.get(timeout=15)["action"] == "unlock"
    console.request("lockdown.set", {"on": True, "by": "desk Li"})
    assert store.events(types=["site.lockdown"])[-1].data["by"] == "desk Li"
    assert store.lockdown()
    r = w.request("lockdown.set_officer", {"on": False, "kind": "card", "value": CARD})
    assert r == {"lockdown": False, "by": "李伟 (0412)"} and not store.lockdown()


@pytest.mark.parametrize(
    ("method", "params", "says"),
    [
        ("lockdown.set_officer", {"on": "yes", "kind": "pin", "value": PIN}, "on: true"),
        ("lockdown.set_officer", {"on": True, "kind": "face", "value": PIN}, "card or PIN"),
        ("door.unlock_officer", {"door": "nope", "reason": "x", "kind": "pin"}, "unknown door"),
        ("door.unlock_officer", {"door": DOOR, "reason": " ", "kind": "pin"}, "say why"),
        ("door.unlock_officer", {"door": DOOR, "reason": "x", "value": PIN}, "card or PIN"),
    ],
)
def test_malformed_requests_are_refused_with_a_reason(
    wall: tuple[Store, Bus, Bus], method: str, params: dict[str, Any], says: str
) -> None:
    store, w, _ = wall
    before = len(store.events())
    with pytest.raises(ApiError, match=says):
        w.request(method, {"value": PIN, **params})
    assert len(store.events()) == before and not store.lockdown()
