"""The import tab's list of problems in a real window against the real core on a real
Mosquitto: a refused sheet's problems, and the same problems after a language switch, are
worded a few lines a frame, never all in one frame (one label holding 200 problems held the
console's UI thread 0.11-0.24 s each time), and once worded the list shows every problem in
order, one under the other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.ui.conftest import Driver, Site
from tests.ui.manager_console import on_console

pytestmark = [pytest.mark.ui, pytest.mark.integration]

PROBLEMS = 90


def lines_worded_each_frame(driver: Driver, view: Any, do: Any, until: Any) -> list[int]:
    """Frame by frame from ``do()`` until ``until()``: how many lines of problems the labels
    in ``view`` were given anew in that frame (a label's lines count when its text changed)."""
    from kivy.clock import Clock
    from kivy.uix.label import Label

    said: dict[int, str] = {}
    counts: list[int] = []

    def look(_dt: float) -> None:
        new = 0
        for w in view.walk(restrict=True):
            if isinstance(w, Label) and said.get(id(w)) != w.text:
                said[id(w)] = w.text
                new += len(w.text.splitlines())
        counts.append(new)

    look(0)
    counts.clear()
    ev = Clock.schedule_interval(look, 0)
    try:
        do()
        driver.until(until, timeout=60, what="the problems worded")
        driver.pump(0.2)
    finally:
        ev.cancel()
    return counts


def in_order(view: Any, lines: list[str]) -> None:
    rows = view.rows
    assert "\n".join(r.text for r in rows) == "\n".join(lines)
    assert all(r.height == r.texture_size[1] > 0 for r in rows)
    assert all(a.y >= b.top for a, b in zip(rows, rows[1:], strict=False)), "one under the other"


def test_a_refused_sheets_problems_are_worded_a_few_lines_a_frame(
    site: Site, driver: Driver, tmp_path: Path
) -> None:
    from ui.i18n import Strings
    from ui.screens.manager_import_errors import LINES_A_FRAME

    rows = ["name,unit,role,lease_end,card"] + [
        f"住户{i},1-1-{500 + i},nobody,,{60000 + i}" for i in range(PROBLEMS)
    ]
    sheet = tmp_path / "bad.csv"
    sheet.write_bytes(("\n".join(rows) + "\n").encode("gbk"))
    strings = Strings("zh")
    with on_console(site, driver, strings) as built:
        root, vm = built.root, built.vm
        driver.until(lambda: bool(vm.site), what="console loaded")
        driver.tap(root.ids.tab_import)
        driver.type(root.ids.csv_path, str(sheet))
        view = root.ids.import_errors
        counts = lines_worded_each_frame(
            driver,
            view,
            lambda: driver.tap(root.ids.do_import),
            lambda: len(root.errors_text.splitlines()) == PROBLEMS and view.worded,
        )
        assert sum(counts) == PROBLEMS, counts
        assert max(counts) <= LINES_A_FRAME, counts
        zh = root.errors_text.splitlines()
        in_order(view, zh)
        counts = lines_worded_each_frame(  # English: every problem worded again
            driver,
            view,
            strings.toggle,
            lambda: root.errors_text.splitlines() != zh and view.worded,
        )
        assert sum(counts) == PROBLEMS and max(counts) <= LINES_A_FRAME, counts
        en = root.errors_text.splitlines()
        assert en[0].startswith("Line 2, column role"), en[0]
        in_order(view, en)
        strings.toggle()
