"""The door panel in a real Kivy window under Xvfb, against the real core on a real Mosquitto:
a room that does not exist is refused at once, in Chinese."""

from __future__ import annotations

import pytest

from tests.ui.conftest import Driver, Site, door_panel, not_blank

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def test_door_panel_refuses_a_room_that_does_not_exist_in_chinese(
    site: Site, driver: Driver
) -> None:
    """A visitor dials 3-2-1701, a flat the compound does not have: the core refuses it before
    anything rings and the panel says so in Chinese, instead of ringing nobody for 45 s and
    going to the desk. A room typed alone (1502) reaches the core, which finds the unit and
    refuses it too: that flat has no indoor station."""
    rings: list[str] = []
    watch = site.bus("test-rings")
    watch.subscribe(site.topics.all("intercom/unit/+/ring"), lambda m: rings.append(m.topic))
    with door_panel(driver, site, "zh") as (built, keys):
        root = built.root
        for k in "3-2-1701":
            driver.tap(keys[k])
        driver.tap(root.ids.ok)
        want = "呼叫失败: 房号不存在，请核对"
        driver.until(lambda: root.status_text == want, what="the refusal in Chinese")
        assert not root.in_call and root.status_kind == "bad"
        not_blank(driver.shot("door_no_such_room.png"))
        for k in "1502":
            driver.tap(keys[k])
        driver.tap(root.ids.ok)
        want = "呼叫失败: 该住户未装室内机，请联系物业"
        driver.until(lambda: root.status_text == want, what="no station, in Chinese")
        refused = site.core.counters["intercom.dial_refused"]
        assert refused == 2 and rings == []
