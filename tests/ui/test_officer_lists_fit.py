"""The wall's community lists page by what their blocks show, in a real window (Xvfb) against
the real core on a real Mosquitto: with some 40 elderly people living alone not seen for days, a
page of "elderly not seen" is the rows its block shows whole, so a tap on the block brings the
very next rows (none is cut off at the foot and skipped); a shorter block asks smaller pages."""

from __future__ import annotations

import pytest

from compound.domain.clock import SystemClock
from tests.ui.conftest import Driver, Site
from tests.ui.officer_wall import block_rows, on_wall
from ui.i18n import Strings

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def test_a_page_of_a_community_list_is_the_rows_its_block_shows(site: Site, driver: Driver) -> None:
    now = SystemClock().now()
    for k in range(40):
        site.store.add_person(f"老人{k:02d}", "3-2-1502", "owner", lives_alone=True)
    with site.store.transaction() as c:  # registered nine days ago, never let in since
        c.execute("UPDATE people SET created_at = ? WHERE lives_alone = 1", (now - 9 * 86400,))
        total = c.execute("SELECT COUNT(*) FROM people WHERE lives_alone = 1").fetchone()[0]
    assert total > 40  # the demo's own and the forty
    with on_wall(site, driver, Strings("zh")) as built:
        root, vm = built.root, built.vm
        try:
            panel = root.ids.elderly_panel
            paged = vm.paged

            def whole_page() -> bool:
                rows = vm.lists["elderly"] or []
                return len(rows) == paged.size["elderly"] and len(block_rows(panel)) == len(rows)

            driver.until(
                lambda: paged.totals.get("elderly") == total and whole_page(), what="a page"
            )
            size = paged.size["elderly"]
            first = block_rows(panel)
            driver.tap(panel)  # the next page: the rows right after the last one shown
            driver.until(lambda: paged.pages["elderly"] == 2 and whole_page(), what="page 2")
            assert f"{size + 1}–{2 * size} / {total}" in root.elderly_title
            assert not set(first) & set(block_rows(panel))
            # A shorter wall: smaller blocks, smaller pages, still every row drawn.
            driver.window.size = (1920, 860)
            driver.until(lambda: paged.size["elderly"] < size and whole_page(), what="smaller")
            assert paged.pages["elderly"] == 1
        finally:
            driver.window.size = (1920, 1080)
