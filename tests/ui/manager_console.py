"""The manager console in a real window for a test: 1280×800, on the site's broker, connected."""

from __future__ import annotations

from typing import Any

from compound.domain.clock import SystemClock
from tests.ui.conftest import Driver, Site, gateway
from ui.i18n import Strings


def open_console(site: Site, driver: Driver, strings: Strings) -> tuple[Any, Any]:
    """(the built console, its gateway): the caller stops the gateway."""
    from ui.app import build_role

    gw = gateway(site, "manager")
    built = build_role("manager", gw, strings, SystemClock())
    driver.mount(built.root, (1280, 800))
    built.vm.load()
    driver.until(lambda: built.root.banner_text == "", what="the bus connected")
    return built, gw
