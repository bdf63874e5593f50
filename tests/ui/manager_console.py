"""The manager console in a real window for a test: 1280×800, on the site's broker, connected."""

from __future__ import annotations

from typing import Any

from tests.ui.conftest import CONSOLE_SIZE, Driver, Site, gateway, open_screen
from ui.i18n import Strings


def open_console(site: Site, driver: Driver, strings: Strings) -> tuple[Any, Any]:
    """(the built console, its gateway): the caller stops the gateway."""
    gw = gateway(site, "manager")
    built = open_screen(driver, gw, "manager", CONSOLE_SIZE, strings)
    driver.until(lambda: built.root.banner_text == "", what="the bus connected")
    return built, gw


def pick_person(driver: Driver, root: Any, query: str, name: str) -> None:
    """On the credentials tab: search for ``query`` and tap the result naming ``name``, as a
    manager picks the person a card, PIN, pass or move-out is for (no id is typed)."""
    if root.tab != "credentials":
        driver.tap(root.ids.tab_credentials)
    creds = root.creds
    driver.type(creds.search, query)
    rows = creds.results.buttons
    driver.until(lambda: any(b.text.startswith(name + " ") for b in rows), what=f"{name} found")
    driver.tap(next(b for b in rows if b.text.startswith(name + " ")))
    driver.until(
        lambda: creds.pick.chosen is not None and creds.pick.chosen["name"] == name,
        what=f"{name} picked",
    )
    driver.until(lambda: root.ids.c_chosen.text.startswith(name), what=f"{name} named")
