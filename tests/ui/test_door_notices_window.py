"""The door panel's notices in a real Kivy window under Xvfb at 1024×600, against the real core
on a real Mosquitto: the panel of b3-e2 asks the core for its own door's notices and shows
those for building 3 and for the whole compound, never building 1's; a notice posted while it
runs reaches it through the retained "notices changed" word, which makes it ask again; a touch
turns the page. Judged with fences: a later notice for building 3 that does arrive shows that
the one for building 1 posted before it was not taken."""

from __future__ import annotations

import time

import pytest

from tests.ui.conftest import Driver, Site, door_panel

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def post(site: Site, text: str, buildings: str = "") -> None:
    until = time.strftime("%Y-%m-%d", time.localtime(time.time() + 30 * 86400))
    notice = {"text": text, "valid_until": until, "by": "物业", "buildings": buildings}
    site.core_bus.request("notice.post", notice)


def test_the_panel_shows_its_buildings_notices_and_follows_changes(
    site: Site, driver: Driver
) -> None:
    post(site, "全体住户：本周五消防演练。")
    post(site, "1号楼周三停水。", "1")
    post(site, "3号楼电梯周四检修。", "3")
    with door_panel(driver, site, "zh") as (built, _):
        root, vm = built.root, built.vm
        asked = [n["text"] for n in site.core_bus.request("notice.list", {"door": "b3-e2"})]
        assert asked == ["3号楼电梯周四检修。", "全体住户：本周五消防演练。"]
        driver.until(lambda: root.notices_title == "物业通知  1/2", what="two notices")
        assert root.notices_text == "3号楼电梯周四检修。"
        driver.tap(root.ids.notices)
        driver.until(lambda: root.notices_title == "物业通知  2/2", what="the page turned")
        assert root.notices_text == "全体住户：本周五消防演练。"
        post(site, "1号楼周五停电。", "1")
        post(site, "3号楼周六清洗水箱。", "3")  # the fence
        driver.until(lambda: root.notices_title == "物业通知  1/3", what="the new notice")
        assert root.notices_text == "3号楼周六清洗水箱。"
        assert not [n for n in vm.notices if n["text"].startswith("1号楼")]
