"""The officer wall at a real compound's size in a real window (Xvfb), against the real core on
a real Mosquitto: the tiles scroll, sort naturally and leave the header and the alarms alone."""

from __future__ import annotations

from typing import Any

import pytest

from compound.domain.clock import SystemClock
from compound.protocol.messages import DoorEvent, encode
from tests.ui.conftest import WALL_SIZE, Driver, Site, gateway, not_blank, on_screen
from tests.ui.officer_wall import add_doors

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def rect(w: Any) -> tuple[float, float, float, float]:
    x, y = w.to_window(w.x, w.y)
    return x, y, x + w.width, y + w.height


def overlap(a: Any, b: Any) -> bool:
    ax, ay, ar, at = rect(a)
    bx, by, br, bt = rect(b)
    return ax < br and bx < ar and ay < bt and by < at


def test_many_doors_scroll_in_natural_order_and_leave_the_alarms_alone(
    site: Site, driver: Driver
) -> None:
    from kivy.uix.scrollview import ScrollView

    from ui.i18n import Strings

    add_doors(site)
    with on_screen(driver, gateway(site, "officer"), "officer", WALL_SIZE, Strings("en")) as built:
        root = built.root
        want = len(site.store.doors())
        assert want >= 120
        driver.until(lambda: len(root.tile_views()) == want, what="every door tiled")
        dev = site.bus("test-door")
        dev.publish(
            site.topics.door_event("b9-e2"),
            encode(DoorEvent("b9-e2", "forced_open", SystemClock().now())),
        )
        alarms = root.ids.alarms
        driver.until(
            lambda: any(hasattr(r, "alarm_ids") for r in alarms.children), what="alarm row"
        )
        driver.until(lambda: root.tile_views()["b9-e2"].state_text == "forced", what="red tile")
        driver.pump(0.3)
        order = list(root.tile_views())
        # Gates and garages first, then buildings by number: 6 before 50, 9 before 10.
        assert order.index("gate") < order.index("b1-e1")
        assert order.index("garage-2") < order.index("b1-e1")
        assert order.index("b6-e1") < order.index("b50-e1")
        assert order.index("b9-e2") < order.index("b10-e1") < order.index("b10-e2")
        # Every tile is inside the door ScrollView, which is shorter than what it holds.
        scroll = root.ids.door_scroll
        assert isinstance(scroll, ScrollView)
        inside = set(map(id, scroll.walk(restrict=True)))
        assert all(id(v) in inside for v in root.tile_views().values())
        assert root.ids.doors.height > scroll.height
        # Nothing of the door area covers the header, the alarm title or the alarm queue.
        header = root.children[-1]
        for other in (header, root.ids.alarm_scroll, root.ids.alarms_title):
            assert not overlap(root.ids.door_area, other), other
        assert not overlap(root.ids.alarm_scroll, header)
        _, _, _, top = rect(root.ids.door_area)
        assert top <= rect(header)[1] + 0.5
        # The forced door heads the side list of doors that need the officer.
        side = root.ids.abnormal.children
        assert side and "Building 9 entrance 2" in side[-1].text
        not_blank(driver.shot("officer_many_doors.png"))
        scroll.scroll_y = 0  # the last buildings come into view
        driver.pump(0.2)
        not_blank(driver.shot("officer_many_doors_scrolled.png"))
        built.vm.t.toggle()  # Chinese: the cards and tiles are named in Chinese only
        driver.until(lambda: root.tile_views()["b9-e2"].label == "2单元", what="zh tiles")
        assert root.tile_views()["b9-e2"].state_text == "被强行打开"
        assert "强行开门" in root.alarms_title
        scroll.scroll_y = 1
        driver.pump(0.2)
        not_blank(driver.shot("officer_many_doors_zh.png"))
