"""Door labels on the wall's generated block layout never overlap, in a real window (Xvfb)
against the real core on a real Mosquitto with 130 doors: no label covers another label or any
door's marker; where the gates and garages crowd their block, labels are shortened or left
out; the door touched is named in full, and zooming in names more doors in full."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.conftest import Driver, Site
from tests.ui.officer_wall import add_doors, on_wall
from ui.i18n import Strings
from ui.viewmodels.map_labels import overlaps

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def collisions(plan: Any, callout: str = "") -> list[str]:
    """Labels over labels, or over a marker not their own (in the plan's units); the door
    touched (``callout``) may be named over its neighbours' markers when there is no room."""
    from ui.screens.map_markers import RADIUS, URGENT

    w, h = plan.scatter.size
    k = 1 / plan.scatter.scale
    found = []
    for m in plan.markers:
        r = RADIUS * k * (1.5 if m.state in URGENT else 1.0)
        dot = (m.x * w - r, (1 - m.y) * h - r, 2 * r, 2 * r)
        found += [
            f"{p.text} over {m.door}"
            for p in plan.placed
            if p.door not in (m.door, callout) and overlaps(p.box, dot)
        ]
    for i, a in enumerate(plan.placed):
        found += [f"{a.text} over {b.text}" for b in plan.placed[i + 1 :] if overlaps(a.box, b.box)]
    return found


def test_crowded_door_labels_never_overlap_and_show_in_full_on_touch_or_zoom(
    site: Site, driver: Driver
) -> None:
    add_doors(site)
    with on_wall(site, driver, Strings("en")) as built:
        root, vm = built.root, built.vm
        want = len(site.store.doors())
        driver.until(lambda: len(vm.doors) == want, what="every door")
        driver.tap(root.ids.view_map)
        view: Any = root.views["map"]
        plan = view.plan
        driver.until(lambda: len(plan.markers) == want and plan.placed, what="the block layout")
        assert collisions(plan) == []
        named = {p.door: p for p in plan.placed}
        site_doors = [t.id for g in vm.door_groups() if g.key == "site" for t in g.tiles]
        crowded = [d for d in site_doors if d not in named or not named[d].full]
        assert crowded, "the gates' and garages' block is too small for every name in full"
        assert any(not p.full for p in plan.placed), "a crowded label is shortened, not dropped"
        full_before = sum(p.full for p in plan.placed)
        # The door touched: named in full, the others still clear of it.
        door = crowded[0]
        marker = next(m for m in plan.markers if m.door == door)
        driver.tap_at(*plan.point_of(marker.x, marker.y))
        driver.until(lambda: vm.map.selected == door, what="the door touched")
        full_name = vm.map_label(door)
        driver.until(
            lambda: any(p.door == door and p.text == full_name for p in plan.placed),
            what="its full name",
        )
        assert collisions(plan, callout=door) == []
        # Zoomed in: the markers spread, the labels keep their size: more names in full.
        for _ in range(3):
            driver.tap(view.zoom_in)
        driver.until(lambda: sum(p.full for p in plan.placed) > full_before, what="more names")
        assert collisions(plan) == []


def test_a_label_is_shortened_to_its_letter_and_number_or_first_word() -> None:
    from ui.viewmodels.map_labels import short_label

    assert [short_label(t) for t in ("Garage 1", "地库1号口", "Main gate", "南门", "12-3")] == [
        "G1",
        "地1",
        "Main",
        "南门",
        "12-3",
    ]
