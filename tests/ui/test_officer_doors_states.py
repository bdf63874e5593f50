"""Doors open and shut all day (three states from a door's board for each passage): the wall
repaints the tiles of the doors that changed and sorts its doors again only when a door came,
went or was renamed, and its list of abnormal doors only when one of them changed. In a real
window, on the doors of a compound of the real size."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.conftest import Driver
from tests.ui.officer_wall import wall_window, xian_doors

pytestmark = [pytest.mark.ui]


def test_a_door_opening_repaints_its_tile_and_sorts_nothing_again(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    with wall_window(driver) as (root, vm, gw):
        vm.load()
        want = len(xian_doors())
        driver.until(lambda: len(root.tile_views()) == want, what="every tile")
        for d in vm.doors:
            gw.deliver(f"door/{d}/state", {"state": "locked"})
        tiles = root.tile_views()
        driver.until(lambda: tiles["b7-e2"].state_text == "已锁", what="locked")
        sorts: list[str] = []
        for name in ("door_groups", "abnormal_doors"):
            real = getattr(vm, name)

            def counted(real: Any = real, name: str = name) -> Any:
                sorts.append(name)
                return real()

            monkeypatch.setattr(vm, name, counted)
        painted: list[str] = []
        area = root.door_area
        real_paint = area._paint
        monkeypatch.setattr(
            area, "_paint", lambda view, tile: (painted.append(tile.id), real_paint(view, tile))
        )
        for state in ("unlocked", "open", "locked", "unlocked"):
            gw.deliver("door/b7-e2/state", {"state": state})
            driver.until(lambda s=state: tiles["b7-e2"].state_text == vm.t(f"state.{s}"))
        assert sorts == [], "no door came, went, was renamed or became abnormal"
        assert set(painted) == {"b7-e2"}
        assert not area.abnormal()
        assert root.abnormal_title == vm.t("officer.abnormal", n=0)
        gw.deliver("door/b12-e1/state", {"state": "forced"})
        # The count is set after the door area's refresh, which repaints and lists the door.
        driver.until(lambda: root.abnormal_title == vm.t("officer.abnormal", n=1), what="count")
        assert sorts == ["abnormal_doors"], "a door turned abnormal: that list only"
        assert set(painted) == {"b7-e2", "b12-e1"}
        assert tiles["b12-e1"].state_text == vm.t("state.forced")
        assert [t.id for t in area.abnormal()] == ["b12-e1"]
        rows = [w.text for w in reversed(root.ids.abnormal.children)]
        assert rows == ["12号楼1单元\n" + vm.t("state.forced")]


class Reads(dict):  # type: ignore[type-arg]
    """The view model's doors, counting the times all of them are read."""

    whole = 0

    def values(self) -> Any:
        Reads.whole += 1
        return super().values()

    def items(self) -> Any:
        Reads.whole += 1
        return super().items()


def test_a_door_change_reads_that_door_only(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nearly every frame the wall draws follows a door change: the door area and its list of
    abnormal doors look at the doors changed since their last refresh, not at all 156."""
    with wall_window(driver) as (root, vm, gw):
        vm.load()
        want = len(xian_doors())
        driver.until(lambda: len(root.tile_views()) == want, what="every tile")
        tiles = root.tile_views()
        area = root.door_area
        monkeypatch.setattr(vm, "doors", Reads(vm.doors))
        refreshes: list[int] = []
        real_refresh = area.refresh

        def counted() -> None:
            before = Reads.whole
            real_refresh()
            refreshes.append(Reads.whole - before)

        monkeypatch.setattr(area, "refresh", counted)
        for state in ("unlocked", "open", "locked"):
            gw.deliver("door/b7-e2/state", {"state": state})
            driver.until(lambda s=state: tiles["b7-e2"].state_text == vm.t(f"state.{s}"))
        assert refreshes and set(refreshes) == {0}, refreshes
        refreshes.clear()
        gw.deliver("door/b7-e2/state", {"state": "forced"})
        driver.until(lambda: [t.id for t in area.abnormal()] == ["b7-e2"], what="listed")
        # Once, to sort the abnormal doors again: a door became one of them.
        assert sum(refreshes) == 1, refreshes


def test_more_changes_than_kept_between_two_refreshes_show_every_door(driver: Driver) -> None:
    """A wall that missed more door changes than it remembers (delivered between two of its
    frames here) reads every door once, and shows each as it is."""
    with wall_window(driver) as (root, vm, gw):
        vm.load()
        want = len(xian_doors())
        driver.until(lambda: len(root.tile_views()) == want, what="every tile")
        doors = list(vm.doors)
        states = ("unlocked", "open", "locked", "held_open")
        kept = vm.door_changes.KEPT
        for i in range(kept + len(doors)):
            gw.deliver(f"door/{doors[i % len(doors)]}/state", {"state": states[i % 4]})
        assert vm.door_changes.since(vm.door_rev - kept - 1) is None, "older than remembered"
        last = {doors[i % len(doors)]: states[i % 4] for i in range(kept + len(doors))}
        tiles = root.tile_views()
        driver.until(
            lambda: all(tiles[d].state_text == vm.t(f"state.{s}") for d, s in last.items()),
            what="every tile as its door's last state",
        )
