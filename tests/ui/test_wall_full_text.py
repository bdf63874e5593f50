"""The wall's long lines, in a real window (Xvfb) against the real core on a real Mosquitto: a
live passage too long for its panel is one line cut with "…" (no wrapped second line, no half
line at the panel's foot) and shown whole when touched; the pop-up showing a cut row whole (a
passage, an event) says what it is and has a close button that closes it."""

from __future__ import annotations

from typing import Any

import pytest

from compound.domain.clock import SystemClock
from tests.ui.conftest import Driver, Site
from tests.ui.officer_wall import on_wall
from ui.i18n import Strings

pytestmark = [pytest.mark.ui, pytest.mark.integration]

LONG_NAME = "欧阳" + "长名字" * 30
REMARK = "门口有人长时间逗留并试图尾随住户进入，已通知网格员到场核实身份并登记，" * 4


def finger(driver: Driver, x: float, y: float) -> None:
    """A touch at window point (x, y): a passage's line is shorter than a fingertip, so the
    driver's tap (which wants a 48 px target) is not used."""
    from kivy.tests.common import UnitTestTouch

    touch = UnitTestTouch(x, y)
    touch.touch_down()
    driver.pump(0.05)
    touch.touch_up()
    driver.pump(0.05)


def test_a_long_passage_is_one_line_shown_whole_when_touched(site: Site, driver: Driver) -> None:
    now = SystemClock().now()
    pid = site.store.add_person(LONG_NAME, "3-2-1502", "owner")
    with site.store.transaction():
        for k in range(40):  # more than the panel holds: it scrolls, its foot is a line's end
            person = pid if k == 39 else None
            at = now - 40 + k
            site.store.append_event(
                "access.granted", at=at, door_id="b1-e1", person_id=person, data={"kind": "card"}
            )
    with on_wall(site, driver, Strings("zh")) as built:
        root = built.root
        lines = root.passage_lines
        driver.until(lambda: any(LONG_NAME in t for t in lines.texts()), what="the long passage")
        top = lambda: lines.labels()[0]  # noqa: E731
        driver.until(lambda: LONG_NAME in top().full, what="its line on top")
        driver.until(lambda: top().text.endswith("…"), what="its line cut")
        label = top()
        assert LONG_NAME not in label.text and "欧阳长名字" in label.text
        driver.until(lambda: label.height == lines.line_h, what="one line high")
        # No half line at the foot: every line the view shows is shown whole.
        view = lines.view
        driver.until(lambda: view.height > 3 * lines.line_h, what="the view laid out")
        view_bottom, view_top = view.to_window(view.x, view.y)[1], view.to_window(0, view.top)[1]
        seen = 0
        for w in lines.box.children:
            bottom, top_y = w.to_window(w.x, w.y)[1], w.to_window(w.x, w.top)[1]
            if top_y > view_bottom + 0.5 and bottom < view_top - 0.5:  # at least partly seen
                seen += 1
                assert bottom >= view_bottom - 0.5 and top_y <= view_top + 0.5, "a half line"
        assert seen >= 3
        # Touched, the cut line is shown whole, titled, with a close button.
        x, y = label.to_window(label.x + 100, label.center_y)
        finger(driver, x, y)
        driver.until(lambda: lines.full is not None, what="the passage shown whole")
        popup = lines.full
        assert popup.children[0].text == label.full
        sheet_texts = [w.text for w in popup.children[0].children]
        assert "实时通行：完整内容" in sheet_texts
        close = popup.close_button
        assert close.text == "关闭" and close.width >= 48 and close.height >= 48
        driver.tap(close)
        driver.until(lambda: popup.parent is None, what="closed by its button")


def test_an_event_shown_whole_says_what_it_is_and_closes_with_its_button(
    site: Site, driver: Driver
) -> None:
    now = SystemClock().now()
    data = {"kind": "door.forced", "by": "Officer Wang", "note": REMARK}
    site.store.append_event("alarm.acknowledged", at=now, door_id="b1-e1", data=data)
    with on_wall(site, driver, Strings("en")) as built:
        root = built.root
        driver.tap(root.ids.view_events)
        driver.until(lambda: "events" in root.views, what="the event viewer")
        view_w = root.views["events"]
        lines = view_w.ids.lines
        driver.until(lambda: lines.text.split("\n")[0].endswith("…"), what="the remark cut")
        full = view_w.lines_text.split("\n")[0]
        line_h = lines.texture_size[1] / len(lines.text.split("\n"))
        x, y = lines.to_window(lines.x + 200, lines.top - line_h / 2)
        finger(driver, x, y)
        driver.until(lambda: view_w.full_line is not None, what="the event shown whole")
        popup: Any = view_w.full_line
        assert popup.children[0].text == full
        assert "Events: full text" in [w.text for w in popup.children[0].children]
        assert popup.close_button.text == "Close"
        driver.tap(popup.close_button)
        driver.until(lambda: popup.parent is None, what="closed by its button")


def test_a_list_row_shown_whole_is_titled_with_its_list(site: Site, driver: Driver) -> None:
    now = SystemClock().now()
    site.store.add_person(LONG_NAME, "3-2-1502", "owner", lives_alone=True)
    with site.store.transaction() as c:  # registered nine days ago, never let in since
        c.execute("UPDATE people SET created_at = ? WHERE lives_alone = 1", (now - 9 * 86400,))
    with on_wall(site, driver, Strings("zh")) as built:
        root = built.root
        panel = root.ids.elderly_panel
        label = panel.children[0]
        cut = lambda: [r for r in label.text.split("\n") if "欧阳" in r and r.endswith("…")]  # noqa: E731
        driver.until(lambda: bool(cut()), what="the long name's row, cut")
        rows = label.text.split("\n")
        i, line_h = rows.index(cut()[0]), label.texture_size[1] / len(rows)
        x, y = label.to_window(label.x + 100, label.top - (i + 0.5) * line_h)
        finger(driver, x, y)
        driver.until(lambda: panel.full_row is not None, what="the row shown whole")
        popup = panel.full_row
        assert LONG_NAME in popup.children[0].text
        assert "独居老人未出现：完整内容" in [w.text for w in popup.children[0].children]
        driver.tap(popup.close_button)
        driver.until(lambda: popup.parent is None, what="closed by its button")
