"""One fire input releasing several doors is one incident on the wall, in a real window (Xvfb)
against the real core on a real Mosquitto: its row shows when the newest of its alarms came
(the news the officer reads first), how many there are and since when, in both languages."""

from __future__ import annotations

import time

import pytest

from compound.domain.clock import SystemClock
from tests.ui.conftest import Driver, Site
from tests.ui.officer_wall import on_wall
from ui.i18n import Strings

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def test_a_grouped_alarm_row_shows_its_newest_time_how_many_and_since_when(
    site: Site, driver: Driver
) -> None:
    now = SystemClock().now()
    doors = ("b1-e1", "b2-e1", "b3-e2")
    with site.store.transaction():  # one fire input: the board released its doors in turn
        for k, door in enumerate(doors):
            site.store.raise_alarm(
                "fire_release", f"{door}: fire", severity="high", door_id=door, at=now - 8 + 4 * k
            )
    first, newest = (time.strftime("%H:%M:%S", time.localtime(x)) for x in (now - 8, now))
    with on_wall(site, driver, Strings("zh")) as built:
        root, vm = built.root, built.vm
        rows = root.ids.alarms.children

        def row() -> str:
            return next((r.text for r in rows if "×3" in getattr(r, "text", "")), "")

        driver.until(lambda: bool(row()) and "1号楼" in row(), what="the fire incident row")
        assert row().startswith(f"{newest}  [高]  消防联动开门 ×3 (自 {first} 起)"), row()
        assert len(rows) == 1  # one incident, one row
        vm.t.toggle()
        driver.until(lambda: "since" in row(), what="the row in English")
        assert row().startswith(f"{newest}  [high]  Fire release ×3 since {first}"), row()
