"""The wall's event viewer pages by what its view shows, in a real window (Xvfb) against the
real core on a real Mosquitto: a page is as many events as whole lines fit the log's view, so
the lines fill it to its foot without a half line (a page of 25 filled 60 % of it); when the
view's height changes, the page is asked again at the new size."""

from __future__ import annotations

from typing import Any

import pytest

from compound.domain.clock import SystemClock
from tests.ui.conftest import Driver, Site
from tests.ui.officer_wall import on_wall
from ui.i18n import Strings

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def filled(view: Any, lines: Any, line_h: float, items: int) -> bool:
    """The page's lines fill the view to within one line, and none is cut at its foot."""
    drawn = lines.texture_size[1]
    return items > 0 and view.height - line_h < drawn <= view.height + 1


def test_a_page_of_events_is_the_lines_that_fit_the_view(site: Site, driver: Driver) -> None:
    now = SystemClock().now()
    with site.store.transaction():
        for k in range(120):
            door = ("b1-e1", "b2-e1", "b3-e2")[k % 3]
            site.store.append_event("door.opened", at=now - 30 * k, door_id=door)
    with on_wall(site, driver, Strings("zh")) as built:
        root, vm = built.root, built.vm
        try:
            driver.until(lambda: bool(vm.doors), what="the doors")
            driver.tap(root.ids.view_events)
            driver.until(lambda: "events" in root.views, what="the event viewer")
            view_w = root.views["events"]
            ev, lines = vm.events, view_w.ids.lines
            scroll = lines.parent
            line_h = view_w.line_height()

            def fits() -> bool:
                rows = int(scroll.height // line_h)
                return ev.page_size == rows and len(ev.items) == rows

            driver.until(fits, what="a page of the lines that fit")
            driver.until(lambda: filled(scroll, lines, line_h, len(ev.items)), what="lines drawn")
            assert ev.page_size > 25  # the 1080-line wall has room for more than the old 25
            first = ev.page_size
            # The viewer shorter (a smaller window here; a ringing call does the same on the wall):
            # the page is asked again, and still ends on a whole line.
            driver.window.size = (1920, 900)
            driver.until(lambda: ev.page_size < first and fits(), what="a smaller page")
            driver.until(lambda: filled(scroll, lines, line_h, len(ev.items)), what="lines drawn")
            driver.tap(view_w.ids.next)  # the next page follows on at the same size
            driver.until(lambda: ev.page_no == 2 and fits(), what="the second page")
        finally:
            driver.window.size = (1920, 1080)
