"""A console page's late answer is marked on its tab button, as the main tabs' are, in a real
Kivy window under Xvfb at 1280×800 against the real core on a real Mosquitto: a visit recorded
on the household page, the manager on another tab before the core answers; the household tab
shows "●" until the manager goes back and reads it."""

from __future__ import annotations

import pytest

from tests.ui.conftest import Driver, Site
from tests.ui.manager_console import on_console, open_household
from ui.i18n import Strings

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def test_a_page_answer_that_came_while_away_marks_its_tab(site: Site, driver: Driver) -> None:
    with on_console(site, driver, Strings("en")) as built:
        root = built.root
        console = root.console
        tab = console.buttons["household"]
        page = open_household(driver, root, "ln", "李娜")
        driver.type(page.visit_by, "Officer Wang")
        with site.store.transaction():  # the core cannot write the visit until released
            driver.tap(page.record_visit)
            driver.tap(console.buttons["stations"])
            driver.until(lambda: root.tab == "stations", what="the stations tab")
        driver.until(lambda: tab.text == "Household ●", what="the household tab marked")
        assert console.buttons["stations"].text == "Stations"  # the tab shown is not marked
        assert console.buttons["schedules"].text == "Schedules"
        driver.tap(tab)
        driver.until(lambda: root.tab == "household", what="back on the household page")
        driver.until(lambda: page.note.text == "Visit to 3-2-1501 recorded", what="the note")
        assert tab.text == "Household"
        driver.tap(console.buttons["schedules"])  # read: leaving the page forgets it
        driver.until(lambda: root.tab == "schedules", what="the schedules tab")
        driver.until(lambda: console.household.note == "", what="the note forgotten")
        assert tab.text == "Household"
