"""Arming and disarming alarm zones from the wall by an identified duty officer
(``zone.arm_officer``, ``zone.disarm_officer``), asked over a real Mosquitto of the real core as
the wall asks, with the zones reported by a bridge on their retained state topics: the log names
the officer the core found from the card or PIN, a wrong PIN changes nothing, a 24-hour zone is
never disarmed, and the wall's broker role has the officer methods, never the typed-name ones."""

from __future__ import annotations

import json
import queue
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from compound.adapters.broker import Mosquitto
from compound.adapters.mqtt import ApiError, Bus
from compound.app.wiring import build_core
from compound.config import Config
from compound.protocol.acl import WALL_METHODS, Device, rules_for
from compound.protocol.topics import Topics
from compound.store import officers
from compound.store.db import Store

pytestmark = pytest.mark.integration

CARD, PIN = "12345678", "482916"
OFFICER = "李伟 (0412)"


def zone_report(zone: str, kind: str, state: str = "normal", trip: str | None = None) -> dict:
    body: dict[str, Any] = {"zone": zone, "name": zone.title(), "kind": kind, "state": state}
    body["at"] = 1_700_000_000.0
    if trip is not None:
        body["trip"] = {"id": trip, "at": 1_700_000_000.0}
    return body


@pytest.fixture
def wall(
    live_store: Store, mosquitto: Mosquitto, make_bus: Callable[..., Bus], topics: Topics
) -> Iterator[tuple[Store, Bus]]:
    """(store, the wall's bus) with the core running and three zones of bridge1 heard."""
    store = live_store
    officers.add_officer(store, "李伟", "0412", CARD, PIN, by="所长")
    with store.transaction() as c:
        c.execute(
            "INSERT INTO devices (name, role, unit, created_at) VALUES ('wall1', 'wall', 'o', 0)"
        )
    core_bus = make_bus(mosquitto.port, "core", start=False)
    core = build_core(store, core_bus, store.clock, Config())
    core.start()
    core_bus.start()
    w = make_bus(mosquitto.port, "wall1")
    tripped: queue.Queue[bytes] = queue.Queue()
    w.subscribe(topics.events("zone.tripped"), lambda m: tripped.put(m.payload))
    bridge = make_bus(mosquitto.port, "bridge1")
    # One bridge's reports are taken in order: the trip, sent last, is the fence for all three.
    for body in (
        zone_report("east-beam", "intrusion"),
        zone_report("gate-panic", "panic"),
        zone_report("north-fence", "perimeter", "alarm", trip="t1"),
    ):
        bridge.publish(topics.zone_state("bridge1", body["zone"]), body, retain=True)
    assert json.loads(tripped.get(timeout=15))["data"]["zone"] == "north-fence"
    yield store, w
    core.stop()


def zones(w: Bus) -> dict[str, dict[str, Any]]:
    return {z["zone"]: z for z in w.request("zone.list", {})["zones"]}


def test_disarm_and_arm_by_pin_and_card_are_logged_in_the_officers_name(
    wall: tuple[Store, Bus], topics: Topics
) -> None:
    store, w = wall
    streamed: queue.Queue[bytes] = queue.Queue()
    w.subscribe(topics.events("zone.disarmed"), lambda m: streamed.put(m.payload))
    assert zones(w)["east-beam"]["armed"] is True
    p = {"zone": "east-beam", "kind": "pin", "value": PIN, "reason": "detector cleaning", "by": "x"}
    r = w.request("zone.disarm_officer", p)
    assert (r["armed"], r["by"], r["name"], r["bridge"]) == (False, OFFICER, "East-Beam", "bridge1")
    assert zones(w)["east-beam"]["armed"] is False
    (logged,) = [e.data for e in store.events(types=["zone.disarmed"])]
    assert logged == {
        "bridge": "bridge1",
        "zone": "east-beam",
        "by": OFFICER,  # the typed "x" is not what the log says
        "actor": "wall1",
        "reason": "detector cleaning",
        "officer_id": logged["officer_id"],
        "badge": "0412",
        "credential": "pin",
    }
    # The wall learns it from the event stream, as every screen does.
    assert json.loads(streamed.get(timeout=15))["data"]["by"] == OFFICER
    r = w.request(
        "zone.arm_officer",
        {"zone": "east-beam", "bridge": "bridge1", "kind": "card", "value": CARD},
    )
    assert r["armed"] is True and zones(w)["east-beam"]["armed"] is True
    armed = store.events(types=["zone.armed"])[-1].data
    assert (armed["by"], armed["credential"], armed["actor"]) == (OFFICER, "card", "wall1")
    assert PIN not in json.dumps([e.data for e in store.events()])
    assert CARD not in json.dumps([e.data for e in store.events()])


def test_a_wrong_pin_changes_nothing(wall: tuple[Store, Bus]) -> None:
    store, w = wall
    before = len(store.events())
    p = {"zone": "north-fence", "kind": "pin", "value": "100000"}
    assert w.request("zone.disarm_officer", p) == {"refused": "unknown", "tries_left": 4}
    assert zones(w)["north-fence"]["armed"] is True
    assert store.query("SELECT * FROM zone_arming") == []
    assert len(store.events()) == before, "a refused credential writes nothing"


def test_a_24_hour_zone_is_not_disarmed_even_by_a_duty_officer(wall: tuple[Store, Bus]) -> None:
    store, w = wall
    before = len(store.events())
    with pytest.raises(ApiError, match="armed day and night; it cannot be disarmed"):
        w.request("zone.disarm_officer", {"zone": "gate-panic", "kind": "pin", "value": PIN})
    assert zones(w)["gate-panic"]["armed"] is True and len(store.events()) == before


@pytest.mark.parametrize(
    ("method", "params", "says"),
    [
        ("zone.disarm_officer", {"zone": "nowhere", "kind": "pin"}, "unknown zone"),
        ("zone.disarm_officer", {"zone": ["east-beam"], "kind": "pin"}, "unknown zone"),
        ("zone.arm_officer", {"zone": "east-beam", "bridge": "b9", "kind": "pin"}, "unknown zone"),
        ("zone.arm_officer", {"zone": "east-beam", "kind": "face"}, "card or PIN"),
        # The typed-name methods are a console's: the wall's user is refused them by the core too.
        ("zone.disarm", {"zone": "east-beam", "by": "anyone"}, "officer's console"),
    ],
)
def test_malformed_and_typed_name_requests_are_refused_and_change_nothing(
    wall: tuple[Store, Bus], method: str, params: dict[str, Any], says: str
) -> None:
    store, w = wall
    before = len(store.events())
    with pytest.raises(ApiError, match=says):
        w.request(method, {"value": PIN, **params})
    assert len(store.events()) == before and zones(w)["east-beam"]["armed"] is True


def test_the_walls_broker_role_reads_zones_and_arms_only_by_officer(topics: Topics) -> None:
    rules = rules_for(Device("wall1", "wall", unit="officer"), topics)
    writes = {r.topic for r in rules if r.access != "read"}
    reads = {r.topic for r in rules if r.access == "read"}
    assert {"zone.list", "zone.arm_officer", "zone.disarm_officer"} <= set(WALL_METHODS)
    assert topics.api("wall1", "zone.disarm_officer") in writes
    assert not {topics.api("wall1", m) for m in ("zone.arm", "zone.disarm")} & writes
    assert topics.zone_state("+", "+") in reads
    assert not [t for t in writes if "/zone/" in t]  # no zone state is the wall's to write
