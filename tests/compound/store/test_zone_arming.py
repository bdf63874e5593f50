"""Which alarm zones are armed, with a hand-moved clock: armed until disarmed, armed only in a
schedule's hours (a holiday's own hours apply), 24-hour zones always, a removed schedule never
silences a zone, and every change is logged with who did it."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from compound.domain import schedules
from compound.domain.clock import ManualClock
from compound.domain.model import InvalidInput
from compound.store import zone_arming
from compound.store.db import Store


def at(store: Store, text: str) -> float:
    """A local time of the compound (Asia/Shanghai) as a timestamp."""
    return datetime.fromisoformat(text).replace(tzinfo=store.tz).timestamp()


@pytest.fixture
def night(store: Store) -> Store:
    """A schedule "night": every day 22:00 to 06:00, on holidays too (the fence at night)."""
    windows, holiday_windows = schedules.hours("mon-sun", "22:00", "06:00", "open")
    store.add_schedule("night", windows, holiday_windows)
    return store


def test_armed_until_disarmed_and_24_hour_zones_always(store: Store) -> None:
    assert zone_arming.is_armed(store, "bridge", "north", "perimeter")  # never touched: armed
    zone_arming.set_armed(store, "bridge", "north", "perimeter", False, "officer Li", "wall", "")
    assert not zone_arming.is_armed(store, "bridge", "north", "perimeter")
    with pytest.raises(InvalidInput, match="armed day and night"):
        zone_arming.set_armed(store, "bridge", "gas", "gas", False, "officer Li", "wall", "")
    with pytest.raises(InvalidInput, match="who arms"):
        zone_arming.set_armed(store, "bridge", "north", "perimeter", True, " ", "wall", "")


def test_armed_by_a_schedule_only_within_its_hours(night: Store, clock: ManualClock) -> None:
    s = night
    got = zone_arming.set_armed(
        s, "bridge", "north", "perimeter", True, "officer Li", "wall", "", schedule="night"
    )
    assert got["schedule"] == "night"
    assert zone_arming.is_armed(s, "bridge", "north", "perimeter", at(s, "2026-11-30T23:30"))
    assert zone_arming.is_armed(s, "bridge", "north", "perimeter", at(s, "2026-12-01T05:59"))
    assert not zone_arming.is_armed(s, "bridge", "north", "perimeter", at(s, "2026-12-01T12:00"))
    clock.t = at(s, "2026-12-01T12:00")  # without a time: now
    assert not zone_arming.is_armed(s, "bridge", "north", "perimeter")
    assert zone_arming.arming(s)[("bridge", "north")] == {"armed": True, "schedule": "night"}
    # Armed again without a schedule: at all hours.
    zone_arming.set_armed(s, "bridge", "north", "perimeter", True, "officer Li", "wall", "")
    assert zone_arming.is_armed(s, "bridge", "north", "perimeter", at(s, "2026-12-01T12:00"))
    rows = s.query("SELECT type, data FROM events WHERE type LIKE 'zone.%' ORDER BY seq")
    logged = [(r["type"], json.loads(r["data"]).get("schedule")) for r in rows]
    assert logged == [("zone.armed", "night"), ("zone.armed", None)]


def test_a_removed_schedule_leaves_the_zone_armed_at_all_hours(night: Store) -> None:
    s = night
    zone_arming.set_armed(s, "bridge", "north", "perimeter", True, "Li", "", "", schedule="night")
    s.remove_schedule("night")
    assert zone_arming.is_armed(s, "bridge", "north", "perimeter", at(s, "2026-12-01T12:00"))


def test_a_schedule_is_for_arming_a_perimeter_or_intrusion_zone(night: Store) -> None:
    with pytest.raises(InvalidInput, match="a schedule arms"):
        zone_arming.set_armed(night, "b", "n", "perimeter", False, "Li", "", "", schedule="night")
    with pytest.raises(InvalidInput, match="unknown schedule|no schedule"):
        zone_arming.set_armed(night, "b", "n", "perimeter", True, "Li", "", "", schedule="day")
