"""The wall's lists are one line a row, in a real window (Xvfb) against the real core on a real
Mosquitto: a row too long for its block (an officer's long remark in the event log, a long name
in the elderly list) is cut with "…" instead of wrapping onto a second line, so a page of rows
still fits its block whole; a cut row touched is shown in full."""

from __future__ import annotations

from typing import Any

import pytest

from compound.domain.clock import SystemClock
from tests.ui.conftest import Driver, Site
from tests.ui.officer_wall import block_rows, on_wall
from ui.i18n import Strings

pytestmark = [pytest.mark.ui, pytest.mark.integration]

REMARK = "门口有人长时间逗留并试图尾随住户进入，已通知网格员到场核实身份并登记，" * 4
LONG_NAME = "欧阳" + "长名字" * 30


def one_line(label: Any, rows: int) -> bool:
    """The label draws ``rows`` rows as ``rows`` lines (its texture no taller)."""
    from kivy.core.text import Label as CoreLabel

    probe = CoreLabel(text="0", font_size=label.font_size, font_name=label.font_name)
    probe.refresh()
    line_h = probe.texture.height * label.line_height
    return rows > 0 and label.texture_size[1] <= rows * line_h + 1


def touch_at(driver: Driver, widget: Any, y: float) -> None:
    """A finger on ``widget`` at height ``y`` (its parent's coordinates), near its left."""
    from kivy.tests.common import UnitTestTouch

    touch = UnitTestTouch(*widget.to_window(widget.x + 200, y))
    touch.touch_down()
    driver.pump(0.05)
    touch.touch_up()
    driver.pump(0.05)


def test_a_long_event_line_is_cut_to_one_line_and_shown_in_full_when_touched(
    site: Site, driver: Driver
) -> None:
    now = SystemClock().now()
    with site.store.transaction():
        for k in range(60):
            site.store.append_event("door.opened", at=now - 60 - 30 * k, door_id="b1-e1")
        data = {"kind": "door.forced", "by": "值班员 王强", "note": REMARK}
        site.store.append_event("alarm.acknowledged", at=now, door_id="b1-e1", data=data)
    with on_wall(site, driver, Strings("zh")) as built:
        root, vm = built.root, built.vm
        driver.tap(root.ids.view_events)
        driver.until(lambda: "events" in root.views, what="the event viewer")
        view_w = root.views["events"]
        ev, lines = vm.events, view_w.ids.lines
        driver.until(lambda: REMARK in view_w.lines_text, what="the long remark's event")
        driver.until(lambda: lines.text.split("\n")[0].endswith("…"), what="its line cut")
        full = view_w.lines_text.split("\n")[0]
        assert REMARK[:8] in lines.text.split("\n")[0]
        driver.until(lambda: one_line(lines, len(ev.items)), what="one line an event")
        # Touched, the cut line is shown whole.
        touch_at(driver, lines, lines.top - view_w.line_height() / 2)
        driver.until(lambda: view_w.full_line is not None, what="the line shown in full")
        assert view_w.full_line.children[0].text == full
        driver.tap(view_w.full_line.children[0])  # a touch closes it
        driver.until(lambda: view_w.full_line.parent is None, what="closed")


def test_a_long_row_in_a_community_list_stays_one_line(site: Site, driver: Driver) -> None:
    now = SystemClock().now()
    for k in range(12):
        name = LONG_NAME if k == 0 else f"老人{k:02d}"
        site.store.add_person(name, "3-2-1502", "owner", lives_alone=True)
    with site.store.transaction() as c:  # registered nine days ago, never let in since
        c.execute("UPDATE people SET created_at = ? WHERE lives_alone = 1", (now - 9 * 86400,))
    with on_wall(site, driver, Strings("zh")) as built:
        root, vm = built.root, built.vm
        panel = root.ids.elderly_panel
        label = panel.children[0]
        rows = lambda: vm.lists["elderly"] or []  # noqa: E731

        def long_row_shown() -> bool:
            listed = rows()
            return any(r.get("name") == LONG_NAME for r in listed) and len(
                block_rows(panel)
            ) == len(listed)

        # The list is newest first or by days unseen: page on until the long row is there.
        for _ in range(10):
            if long_row_shown():
                break
            page = vm.paged.pages["elderly"]
            driver.until(lambda: bool(rows()), what="a page")
            driver.tap(panel)
            driver.until(lambda p=page: vm.paged.pages["elderly"] != p, what="the next page")
        driver.until(long_row_shown, what="the long name's row")
        cut = [r for r in label.text.split("\n") if r.startswith("欧阳")]
        assert cut and cut[0].endswith("…") and LONG_NAME not in label.text
        assert one_line(label, len(rows()))
        # The cut row touched: shown whole, the page stays.
        page = vm.paged.pages["elderly"]
        i = label.text.split("\n").index(cut[0])
        line_h = label.texture_size[1] / len(label.text.split("\n"))
        touch_at(driver, label, label.top - (i + 0.5) * line_h)
        driver.until(lambda: panel.full_row is not None, what="the row shown whole")
        assert LONG_NAME in panel.full_row.children[0].text
        assert vm.paged.pages["elderly"] == page
