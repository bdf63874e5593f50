"""Lists that scroll keep their text on the screen's pixels (``ui/pixel_scroll.py``): every
label's texture is sampled nearest, so a label moved a fraction of a pixel by Kivy's own
ScrollView would be drawn up to half a pixel off. No screen uses Kivy's own scrolling views,
and the manager console's lists, scrolled by a finger in a real window against the real core,
are drawn at whole pixels on every frame of the scroll and after it."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from tests.ui.conftest import Driver, Site
from tests.ui.manager_console import on_console
from tests.ui.test_wall_text_filter import drawn_at, off_pixel

UI = Path(__file__).resolve().parents[2] / "ui"
# Kivy's views that scroll their content (RecycleView and DropDown are ScrollViews too).
KIVY_SCROLLERS = {"ScrollView", "DropDown", "RecycleView"}
KV_USE = re.compile(
    r"^\s*(?:[\w@]*@)?(ScrollView|DropDown|RecycleView)\s*:|@(ScrollView|DropDown|RecycleView)\b"
)


def kivy_scrollers_used(path: Path) -> list[int]:
    """The lines of ``path`` that import, make, subclass or lay out one of Kivy's own."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".kv":
        return [n for n, line in enumerate(text.splitlines(), 1) if KV_USE.search(line)]
    lines = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Name) and node.id in KIVY_SCROLLERS:
            lines.add(node.lineno)
        elif isinstance(node, ast.Attribute) and node.attr in KIVY_SCROLLERS:
            lines.add(node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if any(a.name in KIVY_SCROLLERS for a in node.names):
                lines.add(node.lineno)
    return sorted(lines)


def test_no_screen_uses_kivy_s_own_scrolling_views() -> None:
    found = [
        f"{path.relative_to(UI.parent)}:{n}"
        for path in sorted([*UI.rglob("*.py"), *UI.rglob("*.kv")])
        if path.name != "pixel_scroll.py"  # where the whole-pixel ones are made
        for n in kivy_scrollers_used(path)
    ]
    assert found == [], f"use ui.pixel_scroll.PixelScrollView or PixelDropDown: {found}"


def drag(driver: Driver, view: Any, dy: float) -> None:
    """A finger pressed on ``view`` and pulled ``dy`` pixels up over a few frames, then let go
    (the list runs on a little)."""
    from kivy.tests.common import UnitTestTouch

    x, y = view.to_window(view.center_x, view.center_y)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    # At once past the view's scroll distance (20 px): a scroll, not a press on a row, however
    # slow the next frame comes.
    touch.touch_move(x, y + dy / 8)
    for i in range(2, 9):
        driver.pump(0.02)
        touch.touch_move(x, y + dy * i / 8)
    touch.touch_up()


def shown_in(w: Any, bottom: float, top: float) -> bool:
    """Whether some of widget ``w`` is between ``bottom`` and ``top`` of the window."""
    low = w.to_window(w.x, w.y)[1]
    return low < top and low + w.height > bottom


def scroll_and_check(driver: Driver, view: Any, labels: Any, dy: float) -> None:
    """Drag ``view`` and watch each frame until it comes to rest: the labels seen in it are
    drawn at whole pixels on every one."""
    before = view.scroll_y
    drag(driver, view, dy)
    checked, last = 0, None
    bottom = view.to_window(view.x, view.y)[1]
    for _ in range(400):  # until the list stops running on (about a second), at most 20 s
        driver.pump(0.05)
        seen = [w for w in labels() if w.texture is not None and w.width and w.height]
        seen = [w for w in seen if shown_in(w, bottom, bottom + view.height)]
        assert off_pixel([p for w in seen for p in drawn_at(w)]) == [], view.scroll_y
        checked += len(seen)
        now = tuple(view.g_translate.xy)
        if now == last and view.effect_y.velocity == 0:
            break
        last = now
    assert checked, "nothing was shown in the list"
    assert view.scroll_y != before, "the drag did not scroll the list"
    assert 0 < view.scroll_y < 1, view.scroll_y  # part way: Kivy's offset a fraction there


@pytest.mark.integration
def test_the_consoles_lists_scroll_by_touch_on_whole_pixels(
    site: Site, driver: Driver, tmp_path: Path
) -> None:
    from kivy.uix.label import Label

    from ui.i18n import Strings
    from ui.pixel_scroll import PixelDropDown

    folder = tmp_path / "usb"
    folder.mkdir()
    for i in range(40):
        (folder / f"楼栋{i:02d}.csv").write_bytes(b"name\n")
    # 90 rows the core refuses (no such role): 90 lines in the list of problems.
    rows = ["name,unit,role,lease_end,card"] + [
        f"住户{i},1-1-{500 + i},nobody,,{60000 + i}" for i in range(90)
    ]
    (folder / "bad.csv").write_bytes(("\n".join(rows) + "\n").encode("gbk"))
    with on_console(site, driver, Strings("zh")) as built:
        root, vm = built.root, built.vm
        driver.until(lambda: bool(vm.site), what="console loaded")
        driver.tap(root.ids.tab_import)
        files = root.csv_files
        files.open(folder)
        driver.pump(0.1)

        def file_rows() -> list[Any]:
            return list(files.buttons.values())

        scroll_and_check(driver, files.scroll, file_rows, 300)
        files.scroll.scroll_y = 1  # back to the top, where the file is
        bad = str(folder / "bad.csv")
        view = files.scroll
        bottom = view.to_window(view.x, view.y)[1]

        def at_rest_in_sight() -> bool:
            button = files.buttons[bad]
            y = button.to_window(button.x, button.y)[1]
            if view.effect_y.velocity != 0:
                return False
            if bottom <= y <= bottom + view.height - button.height:
                return True
            # At rest elsewhere: the list's spring, still settling when the top was asked for,
            # set it back (a loaded machine draws few frames a second); ask again, as a hand would.
            view.scroll_y = 1
            return False

        driver.until(at_rest_in_sight, what="the file's row at rest in sight")
        driver.tap(files.buttons[bad])
        driver.until(lambda: files.selected == bad, what="the file chosen")
        driver.tap(root.ids.do_import)
        driver.until(lambda: vm.job is not None and vm.job.finished, timeout=60, what="import")
        errors = root.ids.import_errors  # a row a problem
        driver.until(lambda: errors.worded and errors.box.height > 3 * errors.height)
        scroll_and_check(driver, errors, lambda: errors.rows, 250)
        # A Spinner's list of choices is a scrolling view too (the register form's role).
        driver.tap(root.ids.tab_register)
        spinners = [w for w in root.walk(restrict=True) if hasattr(w, "_dropdown")]
        assert spinners and all(isinstance(s._dropdown, PixelDropDown) for s in spinners)
        spinner = next(s for s in spinners if s.values and s.get_root_window() is not None)
        driver.tap(spinner)
        driver.until(lambda: spinner.is_open, what="the choices open")
        driver.pump(0.3)
        options = [w for w in spinner._dropdown.walk() if isinstance(w, Label) and w.texture]
        assert options and off_pixel([p for w in options for p in drawn_at(w)]) == []
        spinner.is_open = False
