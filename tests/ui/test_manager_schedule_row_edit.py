"""A schedule's spans on the console, in a real Kivy window under Xvfb at 1280×800 against the
real core on a real Mosquitto: a span written is changed in place by touch (tapped, corrected,
replaced; a change that would overlap is refused and the span kept), and once saved the
schedule list's row says the spans themselves ("07:00-09:00, 17:00-20:00"), not how many, and
fits its row in both languages."""

from __future__ import annotations

import pytest

from tests.ui.conftest import Driver, Site
from tests.ui.manager_console import fits_in_both_languages, on_console, spans_shown, tap_page
from ui.i18n import Strings

pytestmark = [pytest.mark.ui, pytest.mark.integration]

NAME = "访客时段"


def test_a_span_is_changed_in_place_and_the_list_says_the_spans(site: Site, driver: Driver) -> None:
    strings = Strings("zh")
    with on_console(site, driver, strings) as built:
        page = tap_page(driver, built.root, "schedules")
        driver.until(lambda: page.new_sched.text == "新建时段", what="the schedules page")
        driver.tap(page.new_sched)
        ed = page.editor
        driver.type(page.s_name, NAME)
        for start, end in (("7:00", "9:00"), ("17:00", "20:00")):
            driver.type(page.s_from, start)
            driver.type(page.s_to, end)
            driver.tap(page.add_span)
        driver.until(lambda: len(spans_shown(page)) == 2, what="two spans")
        # The morning tapped: back in the form, "Add" now replaces it.
        driver.tap(ed.rows[0][0])
        driver.until(lambda: page.add_span.text == "替换", what="the span in the form")
        assert (page.s_from.text, page.s_to.text) == ("07:00", "09:00")
        assert [d for d, tg in ed.days.items() if tg.on] == ["mon", "tue", "wed", "thu", "fri"]
        # A change into the evening is refused, naming both; the morning stays as it was.
        driver.type(page.s_to, "18:00")
        driver.tap(page.add_span)
        driver.until(lambda: "重叠" in page.note.text, what="the overlap refused")
        assert spans_shown(page) == ["周一-周五  07:00-09:00", "周一-周五  17:00-20:00"]
        driver.type(page.s_from, "7:30")
        driver.type(page.s_to, "9:00")
        driver.tap(page.add_span)
        driver.until(lambda: spans_shown(page)[0] == "周一-周五  07:30-09:00", what="replaced")
        assert spans_shown(page) == ["周一-周五  07:30-09:00", "周一-周五  17:00-20:00"]
        assert page.note.text == "已将 周一-周五 07:00-09:00 改为 周一-周五 07:30-09:00"
        assert page.add_span.text == "加入"
        driver.tap(page.add_sched)
        driver.until(lambda: not page.editing, what="the schedule saved")
        saved = next(s for s in site.store.schedule_list() if s["name"] == NAME)
        assert saved["hours"] == [
            {
                "days": "mon-fri",
                "spans": [{"from": "07:30", "to": "09:00"}, {"from": "17:00", "to": "20:00"}],
            }
        ]
        row = f"{NAME}: 周一-周五 07:30-09:00, 17:00-20:00；节假日关闭"
        driver.until(
            lambda: any(b.text == row for b in page.sched_rows.buttons), what="the spans listed"
        )
        fits_in_both_languages(driver, site, strings, NAME, [page.s_name])
