"""Revoking and moving out on the console's household page, in a real Kivy window under Xvfb at
1280×800 against the real core on a real Mosquitto, by touch: each asks first, naming the person
and the unit, as the credentials tab does; a cancelled question changes nothing, a confirmed one
is done by the core and said on the page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.conftest import Driver, Site
from tests.ui.manager_console import on_console, open_household
from ui.i18n import Strings

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def live_credentials(site: Site, name: str) -> list[Any]:
    rows = site.store.query(
        "SELECT c.kind FROM credentials c JOIN people p ON p.id = c.person_id"
        " WHERE p.name = ? AND c.revoked_at IS NULL",
        (name,),
    )
    return [r["kind"] for r in rows]


def moved_out(site: Site, name: str) -> bool:
    rows = site.store.query("SELECT moved_out_at FROM people WHERE name = ?", (name,))
    return bool(rows) and rows[0]["moved_out_at"] is not None


def test_household_page_asks_before_revoking_and_moving_out(site: Site, driver: Driver) -> None:
    with on_console(site, driver, Strings("zh")) as built:
        page = open_household(driver, built.root, "ln", "李娜")  # by initials
        driver.until(lambda: page.title.text.startswith("3-2-1501"), what="the household")
        driver.until(lambda: page.hours_row.opacity == 1, what="the credentials' row")
        assert "card" in live_credentials(site, "李娜")
        # Revoking her card: asked first, naming her and the unit.
        driver.choose(page.cred_pick, "李娜 · 门卡 …0002")
        driver.tap(page.revoke)
        driver.until(lambda: page.confirm is not None, what="the question")
        confirm = page.confirm
        assert confirm.question.text == "撤销 李娜（3-2-1501）的门卡 …0002？"
        driver.tap(confirm.yes)
        driver.until(lambda: "card" not in live_credentials(site, "李娜"), what="revoked")
        said = "已撤销 李娜（3-2-1501）的门卡 …0002"
        driver.until(lambda: page.note.text == said, what="the note")
        # Moving 张伟 out: cancelled once (nothing done), then confirmed.
        driver.until(lambda: page.move_row.opacity == 1, what="the move-out row")
        driver.choose(page.member_pick, "张伟")
        driver.tap(page.move_out)
        driver.until(lambda: page.confirm is not confirm, what="the move-out question")
        confirm = page.confirm
        assert confirm is not None
        assert confirm.question.text.startswith("将张伟（3-2-1501）迁出？")
        driver.tap(confirm.no)
        driver.until(lambda: confirm.parent is None, what="the question gone")
        driver.tap(page.move_out)
        driver.until(lambda: page.confirm is not confirm, what="asked again")
        confirm = page.confirm
        assert confirm is not None
        driver.tap(confirm.yes)
        driver.until(lambda: moved_out(site, "张伟"), what="moved out by the core")
        said = "张伟（3-2-1501）已迁出，人脸数据已删除"
        driver.until(lambda: page.note.text == said, what="the move-out said")
        driver.until(lambda: "张伟" not in page.members.text, what="gone from the household")
        assert "李娜" in page.members.text and not moved_out(site, "李娜")
        assert page.member_pick.text == "-"  # nobody chosen for the next move-out
