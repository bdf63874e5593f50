"""The wall's 24-hour chart in a real window takes a live entry's count at most every
``chart_live_s`` (redrawing its bars for every passage was a fifth of a passage frame's work),
later by itself when sooner; a new hour and the core's histogram are drawn at once."""

from __future__ import annotations

from typing import Any

import pytest

from compound.domain.clock import ManualClock
from tests.ui.conftest import Driver
from tests.ui.officer_wall import wall_window

pytestmark = [pytest.mark.ui]

HISTOGRAM = [3] * 24


def granted(clock: ManualClock, seq: int) -> dict[str, Any]:
    return {"seq": seq, "at": clock.now(), "type": "access.granted", "door_id": "b3-e2"}


def test_live_entries_reach_the_chart_at_its_pace_and_a_new_hour_at_once(driver: Driver) -> None:
    clock = ManualClock(1_790_000_000.0)
    histogram = {"stats.hourly": lambda p: list(HISTOGRAM)}
    with wall_window(driver, histogram, clock) as (root, vm, gw):
        root.chart_live_s = 1000.0  # no live count is due within the test by the pace alone
        vm.load()
        chart = root.chart
        driver.until(lambda: list(chart.values) == HISTOGRAM, what="the core's histogram drawn")
        gw.deliver("events/access.granted", granted(clock, 1))
        line = vm.passage_line(vm.passages[-1])
        driver.until(lambda: root.passage_lines.texts() == [line], what="the passage shown")
        assert vm.hourly[-1] == 4 and list(chart.values) == HISTOGRAM
        assert root.chart_waiting, "the new count is to be drawn later by itself"
        root.chart_live_s = 0.0  # its time has come
        root.update_chart()
        assert list(chart.values) == HISTOGRAM[:-1] + [4]
        # A new hour: its empty bar at once, whatever the pace.
        root.chart_live_s = 1000.0
        labels = list(chart.labels)
        clock.advance(3600)
        gw.deliver("events/access.granted", granted(clock, 2))
        driver.until(lambda: len(root.passage_lines.texts()) == 2, what="the second passage")
        assert list(chart.labels) == labels[1:] + [labels[0]]
        assert list(chart.values) == list(vm.hourly) and vm.hourly[-1] == 1
