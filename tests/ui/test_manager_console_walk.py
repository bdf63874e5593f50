"""The console's schedules, stations and household tabs, and the station removal dialog, in
both languages at 1280×800: every text in the screen's language and fitting its widget (read
from the drawn widgets, as the other screen walks)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from compound.domain import schedules
from tests.ui.conftest import Driver, Site
from tests.ui.manager_console import on_console
from tests.ui.screen_text import Walk, data_names

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def test_console_tabs_in_both_languages(site: Site, driver: Driver, tmp_path: Path) -> None:
    from ui.i18n import Strings

    store = site.store
    windows, holiday_windows = schedules.hours("mon-fri", "07:00", "18:00", "open")
    store.add_schedule("保洁", windows, holiday_windows)
    store.set_door_schedule("b1-e1", "保洁")
    store.add_holiday("2026-10-01", "国庆节")
    store.add_holiday("2026-10-10", "", workday=True)
    store.add_station("st-1501", "3-2-1501", ("desk", "officer"))
    strings = Strings("zh")
    with on_console(site, driver, strings) as built:
        root = built.root
        console = root.console
        console.schedules.year = 2026
        stick = tmp_path / "usb"  # the site's own files (database, keys) are beside it
        stick.mkdir()
        (stick / "holidays.csv").write_text("2027-01-01,元旦\n", encoding="utf-8")
        spage = console.page("schedules")
        spage.start = stick
        data = [*data_names(site), "保洁", "国庆节", "st-1501", "3-2-1501", "holidays.csv"]
        walk = Walk(driver, strings, [*data, str(stick), str(tmp_path)])

        def tab(name: str, then: Callable[[], Any] = lambda: None) -> Any:
            def go() -> None:
                root.tab = name
                driver.pump(0.3)
                then()

            return (go, lambda: None)

        def opened() -> None:
            hh = console.household
            hh.finder.search("wf")  # 王芳, a tenant: the layer row shows too
            driver.until(lambda: bool(hh.finder.items), what="search results")
            hh.open(int(hh.finder.items[0]["id"]))
            driver.until(lambda: hh.household is not None, what="the household")
            row = console.page("household").layer_row
            driver.until(lambda: row.opacity == 1, what="the tenant's layer row")

        def confirm() -> tuple[Callable[[], Any], Callable[[], Any]]:
            page = console.page("stations")

            def go() -> None:
                root.tab = "stations"
                driver.until(lambda: bool(console.stations.items), what="stations")
                console.stations.choose(console.stations.items[0])
                page.ask_remove()

            return (go, lambda: page.confirm.dismiss(animation=False))

        def chooser() -> tuple[Callable[[], Any], Callable[[], Any]]:
            def go() -> None:
                root.tab = "schedules"
                spage.choose_file()

            return (go, lambda: spage.chooser.dismiss(animation=False))

        def import_question() -> tuple[Callable[[], Any], Callable[[], Any]]:
            summary = {"added": 30, "updated": 2, "unchanged": 1, "workdays": 6, "years": [2027]}

            def go() -> None:
                root.tab = "schedules"
                spage._ask_import("", summary)

            return (go, lambda: spage.confirm.dismiss(animation=False))

        walk.each_language(
            [
                ("schedules", *tab("schedules")),
                ("holiday file chooser", *chooser()),
                ("holiday import question", *import_question()),
                ("stations", *tab("stations")),
                ("household", *tab("household", opened)),
                ("station removal", *confirm()),
            ]
        )
        assert walk.seen > 80
        walk.verdict()
