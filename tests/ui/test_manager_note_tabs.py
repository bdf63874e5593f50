"""The console's note line says what the last action on this tab did, in a real Kivy window under
Xvfb at 1280×800 against the real core on a real Mosquitto: a refusal on the registration tab
is gone once the manager taps another tab, and a schedules page's note is gone when the manager
comes back to it from another tab."""

from __future__ import annotations

import pytest

from tests.ui.conftest import Driver, Site
from tests.ui.manager_console import on_console, open_household
from ui.i18n import Strings

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def test_a_note_stays_on_the_tab_where_it_was_made(site: Site, driver: Driver) -> None:
    strings = Strings("zh")
    with on_console(site, driver, strings) as built:
        root = built.root
        driver.tap(root.ids.register)  # nothing typed: refused, saying what is missing
        driver.until(lambda: root.note_text.startswith("错误"), what="the refusal")
        assert not root.note_ok
        driver.tap(root.ids.tab_credentials)
        driver.until(lambda: root.tab == "credentials", what="the credentials tab")
        driver.until(lambda: root.ids.note.text == "", what="the note cleared")
        assert root.note_ok  # the next note's colour is its own
        # A console page's note: made on the schedules page, gone after a visit elsewhere.
        console = root.console
        driver.tap(console.buttons["schedules"])
        page = console.page("schedules")
        driver.until(lambda: page.assign_button.text == "设为此门时段", what="the schedules page")
        driver.tap(page.assign_button)  # no door chosen
        driver.until(lambda: page.note.text == "请先选择一扇门", what="the page's refusal")
        driver.tap(console.buttons["stations"])
        driver.until(lambda: root.tab == "stations", what="the stations tab")
        driver.tap(console.buttons["schedules"])
        driver.until(lambda: root.tab == "schedules", what="back on schedules")
        driver.until(lambda: page.note.text == "", what="the page's note cleared")
        assert root.ids.note.text == ""


def test_an_answer_after_the_manager_changed_tab_waits_for_its_own_tab(
    site: Site, driver: Driver
) -> None:
    """The import is started, the manager goes to the credentials tab before the core answers
    (its write held back by the test holding the database), and the result is not said there:
    the import tab is marked, and going back to it shows the result."""
    strings = Strings("en")
    sheet = site.tmp / "two.csv"
    sheet.write_text("name,unit,role\n赵一,2-1-301,owner\n赵二,2-1-301,family\n", encoding="utf-8")
    with on_console(site, driver, strings) as built:
        root = built.root
        driver.tap(root.ids.tab_import)
        driver.type(root.ids.csv_path, str(sheet))
        with site.store.transaction():  # the core cannot write the import until released
            driver.tap(root.ids.do_import)
            driver.until(lambda: built.vm.job is not None, what="the import sent")
            driver.tap(root.ids.tab_credentials)
            driver.until(lambda: root.tab == "credentials", what="the credentials tab")
        tab = root.ids.tab_import
        driver.until(lambda: tab.text == "Import ●", what="the import tab marked")
        assert built.vm.job.finished and built.vm.job.ok  # the answer has come
        assert root.ids.note.text == ""  # not said on the credentials tab
        driver.tap(tab)
        driver.until(lambda: root.tab == "import", what="back on the import tab")
        driver.until(lambda: root.ids.note.text == "All 2 people imported", what="the result shown")
        assert root.progress_text == "All 2 people imported" and root.note_ok
        assert tab.text == "Import"
        driver.tap(root.ids.tab_credentials)  # read: leaving the tab forgets it
        driver.until(lambda: root.tab == "credentials", what="the credentials tab again")
        assert root.ids.note.text == "" and root.ids.tab_import.text == "Import"


def test_a_console_page_keeps_an_answer_that_came_while_another_tab_was_shown(
    site: Site, driver: Driver
) -> None:
    """A visit recorded on the household page, the manager on the registration tab before the
    core answers: the page's note waits there and is read on coming back."""
    with on_console(site, driver, Strings("en")) as built:
        root = built.root
        console = root.console
        page = open_household(driver, root, "ln", "李娜")
        driver.type(page.visit_by, "Officer Wang")
        with site.store.transaction():  # the core cannot write the visit until released
            driver.tap(page.record_visit)
            driver.tap(root.ids.tab_register)
            driver.until(lambda: root.tab == "register", what="the registration tab")
        said = "Visit to 3-2-1501 recorded"
        driver.until(lambda: console.household.note == said, what="the answer")
        assert root.ids.note.text == ""
        driver.tap(console.buttons["household"])
        driver.until(lambda: root.tab == "household", what="back on the household page")
        driver.until(lambda: page.note.text == said, what="the note read there")
