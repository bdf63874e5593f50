"""The manager console in a real window for a test: 1280×800, on the site's broker, connected."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.ui.conftest import CONSOLE_SIZE, Driver, Site, gateway, on_screen
from tests.ui.screen_text import check, data_names
from ui.i18n import Strings


@contextmanager
def on_console(site: Site, driver: Driver, strings: Strings, **build: Any) -> Iterator[Any]:
    """The built console once connected, for a ``with`` block (``build``: the console's
    options, such as its camera's door); after it, the pop-ups it left are closed and its
    gateway is stopped."""
    gw = gateway(site, "manager")
    with on_screen(driver, gw, "manager", CONSOLE_SIZE, strings, **build) as built:
        driver.until(lambda: built.root.banner_text == "", what="the bus connected")
        yield built


def live_cards(site: Site, name: str) -> set[str]:
    """The named person's cards not revoked, as the core keeps them (without the leading zeros
    card readers differ in)."""
    rows = site.store.read(
        "SELECT c.lookup FROM credentials c JOIN people p ON p.id = c.person_id"
        " WHERE p.name = ? AND c.kind = 'card' AND c.revoked_at IS NULL",
        (name,),
    )
    return {str(r["lookup"]) for r in rows}


def tap_page(driver: Driver, root: Any, name: str) -> Any:
    """Tap the console's ``name`` tab: its page."""
    console = root.console
    driver.tap(console.buttons[name])
    return console.page(name)


def spans_shown(page: Any) -> list[str]:
    """The spans the schedules page's editor shows, as drawn."""
    return [w.text for w, remove in page.editor.rows if remove.opacity == 1]


def open_household(driver: Driver, root: Any, query: str, name: str) -> Any:
    """On the household page: search for ``query`` and tap the first result, ``name``'s; the
    page once that person's household is loaded."""
    page = tap_page(driver, root, "household")
    driver.type(page.search, query)
    rows = page.results.buttons
    driver.until(lambda: rows[0].text.startswith(name), what=f"{name} found")
    driver.tap(rows[0])
    driver.until(lambda: root.console.household.household is not None, what=f"{name}'s household")
    return page


def fits_in_both_languages(
    driver: Driver, site: Site, strings: Strings, named: str, typed: list[Any]
) -> None:
    """Every text on the window in the screen's language and fitting its widget, in Chinese
    and then in English (``strings`` starts in Chinese and is back in it after). ``named``:
    a name the test gave, shown as typed; ``typed``: fields holding what the manager typed."""
    data = [*data_names(site), named]
    for lang in ("zh", "en"):
        driver.pump(0.2)
        found = check(driver.window, lang, data, ("English", "中文"), typed)
        assert found == [], "\n".join(map(str, found))
        strings.toggle()


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
