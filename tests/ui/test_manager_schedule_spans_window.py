"""A gate's schedule with several spans a day written by touch on the manager console, in a real
Kivy window under Xvfb at 1280×800, against the real core on a real Mosquitto: spans added
and removed with the finger, an overlap and an empty span refused at once in the screen's
language, a span past midnight, holiday hours of their own, and every text of the editor and
of the saved schedule in the screen's language and fitting its widget, in both languages."""

from __future__ import annotations

import pytest

from tests.ui.conftest import Driver, Site
from tests.ui.manager_console import fits_in_both_languages, on_console, spans_shown, tap_page
from ui.i18n import Strings

pytestmark = [pytest.mark.ui, pytest.mark.integration]

NAME = "大门时段"


def test_spans_added_refused_and_removed_by_touch_then_saved_for_a_door(
    site: Site, driver: Driver
) -> None:
    strings = Strings("zh")
    with on_console(site, driver, strings) as built:
        page = tap_page(driver, built.root, "schedules")
        first = page.door_rows.buttons[0]
        driver.until(lambda: bool(page.vm.page_doors) and bool(first.text), what="the doors")
        door = page.vm.page_doors[0]["id"]
        driver.tap(first)
        driver.until(lambda: page.vm.door == door, what="the door chosen")
        driver.tap(page.new_sched)
        assert page.editing
        ed = page.editor
        driver.type(page.s_name, NAME)

        def span(start: str, end: str) -> None:
            driver.type(page.s_from, start)
            driver.type(page.s_to, end)
            driver.tap(page.add_span)

        # Monday to Friday are on at first: two spans for them.
        span("6:00", "9:00")
        span("16:30", "22:00")
        driver.until(lambda: len(spans_shown(page)) == 2, what="two spans")
        assert spans_shown(page) == ["周一-周五  06:00-09:00", "周一-周五  16:30-22:00"]
        # An overlap is refused at once, naming the day and both spans; nothing is added.
        span("08:00", "10:00")
        driver.until(lambda: "重叠" in page.note.text, what="the overlap refused")
        assert page.note.text.startswith("周一的时间段 06:00-09:00 和 08:00-10:00 重叠")
        assert len(spans_shown(page)) == 2 and page.s_from.text == "08:00"  # kept to correct
        span("07:00", "07:00")
        driver.until(lambda: "为空" in page.note.text, what="the empty span refused")
        # The weekend: a night past midnight.
        for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
            driver.tap(page.s_days[day])
        span("22:00", "2:00")
        driver.until(lambda: len(spans_shown(page)) == 3, what="the night")
        assert spans_shown(page)[2] == "周六-周日  22:00-次日02:00"
        # Holidays only: no weekday, the holidays toggle on. Two spans: a page and a half.
        for day in ("sat", "sun"):
            driver.tap(page.s_days[day])
        driver.tap(page.s_holidays)
        span("9:00", "12:00")
        span("14:00", "17:00")
        driver.until(lambda: ed.page == 2, what="the second page of spans")
        assert spans_shown(page) == ["节假日  14:00-17:00"] and ed.where.text == "第 2 / 2 页"
        driver.tap(ed.rows[0][1])  # removed with the finger
        driver.until(lambda: len(page.vm.draft.spans) == 4, what="the span removed")
        assert ed.page == 1 and spans_shown(page)[3] == "节假日  09:00-12:00"
        assert page.note.text == "已删除 节假日 14:00-17:00"

        # Every text of the editor in the screen's language and fitting its widget.
        fits_in_both_languages(driver, site, strings, NAME, [page.s_name])
        driver.pump(0.2)
        assert spans_shown(page)[2] == "周六-周日  22:00-次日02:00"  # back in Chinese
        driver.shot("manager_schedule_editor.png")

        driver.tap(page.add_sched)
        driver.until(lambda: not page.editing, what="the schedule saved")

        def door_schedule() -> list[str]:
            rows = site.store.query(
                "SELECT s.name FROM doors d JOIN schedules s ON s.id = d.schedule_id"
                " WHERE d.id = ?",
                (door,),
            )
            return [r["name"] for r in rows]

        # Then given to the door chosen (a second request, after the schedule is saved).
        driver.until(lambda: door_schedule() == [NAME], what="the door's schedule")
        saved = next(s for s in site.store.schedule_list() if s["name"] == NAME)
        assert saved["hours"] == [
            {
                "days": "mon-fri",
                "spans": [{"from": "06:00", "to": "09:00"}, {"from": "16:30", "to": "22:00"}],
            },
            {"days": "sat-sun", "spans": [{"from": "22:00", "to": "02:00"}]},
        ]
        assert saved["holiday_hours"] == [{"from": "09:00", "to": "12:00"}]
        # The list's row says the spans; the schedule chosen is said line by line beside it.
        driver.until(lambda: "周六-周日" in page.sched_detail.text, what="the saved schedule")
        assert page.sched_detail.text.split("\n") == [
            "周一-周五: 06:00-09:00, 16:30-22:00",
            "周六-周日: 22:00-次日02:00",
            "节假日: 09:00-12:00",
        ]
        row = f"{NAME}: 周一-周五 06:00-09:00, 16:30-22:00; 周六-周日 22:00-次日02:00"
        row += "；节假日 09:00-12:00"
        assert any(b.text == row for b in page.sched_rows.buttons)
        driver.shot("manager_schedule_spans.png")
        # New hours for the schedule in use: its spans in the editor, one removed by touch.
        driver.tap(page.edit_sched)
        assert page.editing and page.s_name.disabled and page.s_name.text == NAME
        assert ed.title.text == f"修改“{NAME}”的时间段" and len(spans_shown(page)) == 4
        assert spans_shown(page)[1] == "周一-周五  16:30-22:00"
        driver.tap(ed.rows[1][1])
        driver.until(lambda: len(spans_shown(page)) == 3, what="the evening removed")
        driver.tap(page.add_sched)
        driver.until(lambda: not page.editing, what="the new hours saved")
        driver.until(
            lambda: page.sched_detail.text.startswith("周一-周五: 06:00-09:00\n"), what="shown"
        )
        assert door_schedule() == [NAME]  # the door keeps it
        saved = next(s for s in site.store.schedule_list() if s["name"] == NAME)
        assert saved["hours"][0] == {"days": "mon-fri", "spans": [{"from": "06:00", "to": "09:00"}]}
        assert page.note.text == f"时段“{NAME}”的时间段已更新"
        fits_in_both_languages(driver, site, strings, NAME, [page.s_name])
