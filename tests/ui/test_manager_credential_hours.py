"""A credential's schedule set on the console, in a real Kivy window under Xvfb at 1280×800
against the real core on a real Mosquitto: the manager opens a household from a search, picks
a resident's card and a schedule from the lists by touch, and sets it; the core then holds it
(``credential.set_schedule``, as ``compound schedule set`` on the command line), the household
shows it beside the card, and "any time" takes it away again."""

from __future__ import annotations

from typing import Any

import pytest

from compound.domain import schedule_hours
from tests.ui.conftest import Driver, Site
from tests.ui.manager_console import fits_in_both_languages, on_console, open_household
from ui.i18n import Strings

pytestmark = [pytest.mark.ui, pytest.mark.integration]

HOURS = "保洁时段"


def card_schedule(site: Site, card: str) -> list[Any]:
    rows = site.store.query(
        "SELECT s.name FROM credentials c LEFT JOIN schedules s ON s.id = c.schedule_id"
        " WHERE c.kind = 'card' AND c.revoked_at IS NULL AND c.person_id ="
        " (SELECT id FROM people WHERE name = ?)",
        (card,),
    )
    return [r["name"] for r in rows]


def test_a_residents_card_is_given_a_schedule_by_touch(site: Site, driver: Driver) -> None:
    params = {"hours": [{"days": "mon-sat", "spans": ["07:00-18:00"]}], "holidays": "closed"}
    site.store.add_schedule_hours(HOURS, schedule_hours.from_params(params))
    strings = Strings("zh")
    with on_console(site, driver, strings) as built:
        page = open_household(driver, built.root, "ln", "李娜")  # by initials
        driver.until(lambda: page.title.text.startswith("3-2-1501"), what="the household")
        driver.until(lambda: page.hours_row.opacity == 1, what="the credentials' row")
        driver.choose(page.cred_pick, "李娜 · 门卡 …0002")
        driver.choose(page.sched_pick, HOURS)
        driver.tap(page.set_hours)
        driver.until(lambda: card_schedule(site, "李娜") == [HOURS], what="the core holds it")
        driver.until(
            lambda: page.note.text == f"李娜 · 门卡 …0002 的时段: {HOURS}", what="the note"
        )
        driver.until(lambda: f"门卡 …0002 ({HOURS})" in page.members.text, what="shown")
        assert card_schedule(site, "张伟") == [None]  # the other card is untouched
        fits_in_both_languages(driver, site, strings, HOURS, [page.search])
        driver.choose(page.sched_pick, "不限时段")  # any time again
        driver.tap(page.set_hours)
        driver.until(lambda: card_schedule(site, "李娜") == [None], what="any time again")
        driver.until(lambda: f"({HOURS})" not in page.members.text, what="no hours shown")
