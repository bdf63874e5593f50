"""The event viewer's building filter, without a display: a building becomes the core's
``doors`` (its entrances), one door or one building at a time, and the filter line names it."""

from __future__ import annotations

from typing import Any

from compound.domain.clock import ManualClock
from tests.ui.officer_wall import wall


def test_a_building_asks_for_its_doors_and_a_door_replaces_it(clock: ManualClock) -> None:
    asked: list[dict[str, Any]] = []

    def page(p: dict[str, Any]) -> dict[str, Any]:
        asked.append(p)
        return {"items": [], "size": p["size"], "next_before": None}

    vm, _ = wall(clock, {"events.page": page})
    ev = vm.events
    b6 = next(g for g in vm.door_groups() if g.key == "6")
    ev.set_building("6", [t.id for t in b6.tiles])
    assert asked[-1]["doors"] == ["b6-e1", "b6-e2", "b6-e3"] and "door" not in asked[-1]
    ev.set_door("gate-south")
    assert asked[-1]["door"] == "gate-south" and "doors" not in asked[-1]
    assert ev.building is None
    ev.set_building("6", [t.id for t in b6.tiles])
    assert ev.door is None and asked[-1]["doors"] == ["b6-e1", "b6-e2", "b6-e3"]
    ev.set_building(None, [])
    assert "doors" not in asked[-1] and "door" not in asked[-1]
