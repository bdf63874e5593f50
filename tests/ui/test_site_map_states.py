"""Doors open and shut all day (some 26 states a second on the xian wall): the site map repaints
the marker of the door that changed and nothing else (its disc moved from one colour's mesh to
the other's, the halos, the other meshes, the labels and their grounds left as they are), and
several states arriving together are one repaint. A marker answers a tap before the plan's
picture has arrived, as it does after. In a real window, on the doors of a compound of the
real size."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.ui.conftest import Driver
from tests.ui.officer_wall import wall_window, xian_doors
from tests.ui.test_site_map_first_showing import site_plan

pytestmark = [pytest.mark.ui]


@contextmanager
def map_shown(driver: Driver, api: dict[str, Any]) -> Iterator[tuple[Any, Any, Any, Any]]:
    """The wall with every door locked, its map shown: (screen, view model, gateway, map)."""
    with wall_window(driver, api) as (root, vm, gw):
        vm.load()
        driver.until(lambda: len(root.tile_views()) == len(xian_doors()), what="every tile")
        for d in vm.doors:
            gw.deliver(f"door/{d}/state", {"state": "locked"})
        driver.tap(root.ids.view_map)
        yield root, vm, gw, root.views["map"]


def disc_at(plan: Any, door: str) -> tuple[tuple[float, ...], float, float] | None:
    """The colour a door's disc is drawn in and its centre, as read from the Kivy mesh."""
    where = plan.meshes.where(door)
    if where is None:
        return None
    slots, slot = where
    vertices = slots.mesh.vertices
    start = slot * slots.width
    return tuple(slots.colour.rgba), vertices[start], vertices[start + 1]


def shows(plan: Any, door: str, state: str) -> bool:
    """Whether the door's disc is drawn in ``state``'s colour where its marker is."""
    from ui.screens.map_markers import STATE_COLOURS

    got = disc_at(plan, door)
    m = next(m for m in plan.markers if m.door == door)
    w, h = plan.scatter.size
    return (
        got is not None
        and got[0] == pytest.approx(STATE_COLOURS[state])
        and got[1:] == pytest.approx((m.x * w, (1 - m.y) * h), abs=1e-3)
    )


def test_a_door_state_repaints_its_marker_alone(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui import shapes

    api = site_plan(with_image=True)
    want = len(api["siteplan.get"]({})["doors"])
    with map_shown(driver, api) as (_root, vm, gw, view):
        plan = view.plan
        driver.until(
            lambda: (
                plan.has_image
                and len(plan.markers) == want
                and plan.placed
                and plan.drawn
                and all(m.state == "locked" for m in plan.markers)
            ),
            what="the plan drawn, every door locked",
        )
        driver.until(lambda: shows(plan, "b7-e2", "locked"), what="drawn locked")
        meshes = plan.meshes
        computed: list[tuple[float, float, float]] = []
        real_disc = shapes.disc

        def disc(x: float, y: float, r: float, rim: Any) -> list[float]:
            computed.append((x, y, r))
            return real_disc(x, y, r, rim)

        monkeypatch.setattr(shapes, "disc", disc)
        rebuilds, draws = meshes.rebuilds, plan.draws
        locked, old_slot = meshes.where("b7-e2")
        grounds = list(plan._grounds.children)
        texts = list(plan.texts.group.children)
        placed = plan.placed
        all_meshes = [s.name for layer in meshes.layers for s in layer.meshes()]
        assert len(all_meshes) >= 2  # the halos and the locked doors' colour at least
        # A refresh for anything but a door (a passage, an alarm) makes no marker, draws none.
        refreshed: list[int] = []
        real_refresh = view.refresh
        monkeypatch.setattr(view, "refresh", lambda: (refreshed.append(1), real_refresh()))
        markers = plan.markers
        vm.changed()
        driver.until(lambda: refreshed, what="the map refreshed")
        assert plan.markers is markers and plan.draws == draws and not computed

        gw.deliver("door/b7-e2/state", {"state": "unlocked"})
        driver.until(lambda: shows(plan, "b7-e2", "unlocked"), what="b7-e2 drawn unlocked")
        assert meshes.rebuilds == rebuilds and plan.draws == draws + 1
        assert sorted(meshes.sent) == ["other locked", "other unlocked"], meshes.sent
        assert len(computed) == 1, "one disc computed for one door's change"
        # Its old slot in the locked doors' mesh is folded to a point: drawn nowhere.
        n = locked.width
        assert "b7-e2" not in locked.slots
        assert set(locked.mesh.vertices[old_slot * n : (old_slot + 1) * n]) == {0.0}
        # A colour alone moves no label: the labels, their texts and grounds are untouched.
        assert plan.placed is placed
        assert list(plan._grounds.children) == grounds
        assert list(plan.texts.group.children) == texts
        # Open is drawn in the unlocked colour: nothing to send.
        gw.deliver("door/b7-e2/state", {"state": "open"})
        driver.until(lambda: plan.draws == draws + 2, what="the next draw")
        assert meshes.sent == [] and len(computed) == 1

        # Five doors in one go (one forced: larger, in the urgent layer) are one repaint.
        changes = {
            "b1-e1": "unlocked",
            "b2-e3": "offline",
            "b30-e2": "open",
            "garage-2": "unlocked",
            "b12-e1": "forced",
        }
        for door, state in changes.items():
            gw.deliver(f"door/{door}/state", {"state": state})
        driver.until(
            lambda: all(shows(plan, d, s) for d, s in changes.items()), what="the five drawn"
        )
        assert plan.draws == draws + 3, "the five states drawn in one repaint"
        assert meshes.rebuilds == rebuilds
        # Four colours (one disc each), the forced door's halo and disc: 6 discs of 6 * 189.
        assert len(computed) == 1 + 6, computed
        forced = next(m for m in plan.markers if m.door == "b12-e1")
        assert disc_at(plan, "b12-e1") is not None and meshes.where("b12-e1")[0].name == (
            "urgent forced"
        )
        assert forced.state == "forced" and "b12-e1" not in meshes.layers[0].halo.slots
        assert "b12-e1" in meshes.layers[1].halo.slots
        driver.until(lambda: plan.drawn, what="labels placed again around the larger marker")


def test_a_marker_answers_a_tap_before_the_plan_picture_has_arrived(driver: Driver) -> None:
    from ui.screens.site_map import PlanView

    api = site_plan(with_image=True)
    want = len(api["siteplan.get"]({})["doors"])
    gate = threading.Event()
    # The plan's picture is decoded on the plan views' one worker: held behind this until set.
    PlanView._decoder.submit(gate.wait)
    try:
        with map_shown(driver, api) as (_root, vm, _gw, view):
            plan = view.plan
            driver.until(
                lambda: (
                    not plan.blocks
                    and len(plan.markers) == want
                    and plan.meshes.shown.keys() == {m.door for m in plan.markers}
                    and not plan._redraw.is_triggered
                ),
                what="the markers drawn on the square that waits for the picture",
            )
            assert not plan.has_image and vm.map.image is not None
            door = "b12-e1"
            m = next(m for m in plan.markers if m.door == door)
            driver.tap_at(*plan.point_of(m.x, m.y))
            driver.until(lambda: vm.map.selected == door, what="the marker tapped")
            name = vm.door_name(door)
            driver.until(lambda: view.info_label.text.startswith(name), what="named")
            assert vm.t("state.locked") in view.info_label.text
            driver.until(lambda: plan.meshes.ring.children, what="the ring round it")
            assert not plan.has_image, "the picture was held back all along"
            gate.set()
            driver.until(lambda: plan.has_image and plan.drawn, what="the picture drawn")
            assert vm.map.selected == door and plan.meshes.ring.children
            # And a tap once it is there does the same.
            vm.map.selected = ""
            view.refresh()
            driver.tap_at(*plan.point_of(m.x, m.y))
            driver.until(lambda: vm.map.selected == door, what="tapped on the picture")
    finally:
        gate.set()
