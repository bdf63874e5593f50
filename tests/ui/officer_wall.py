"""The officer wall in a real window for a test: 1920×1080, the station "wall", on the site's
broker, loaded."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.ui.conftest import WALL_SIZE, Driver, Site, gateway, on_screen
from ui.i18n import Strings


@contextmanager
def on_wall(site: Site, driver: Driver, strings: Strings) -> Iterator[Any]:
    """The wall station's built screen once it has the doors (b3-e2 among them) and the site,
    for a ``with`` block; after it, the pop-ups it left are closed and its gateway (client id
    ``ui-officer-test``) is stopped."""
    gw = gateway(site, "officer")
    with on_screen(driver, gw, "officer", WALL_SIZE, strings, station="wall") as built:
        driver.until(lambda: "b3-e2" in built.vm.doors and built.vm.site, what="wall loaded")
        yield built
