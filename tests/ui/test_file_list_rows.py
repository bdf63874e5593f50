"""The finger-sized file chooser in a real window: a folder of many sheets (a USB stick with a
sheet per building) is listed a few rows a frame, never all in one frame (300 buttons in one
frame held the console's UI thread), and once listed shows every folder and sheet in order;
each row stays where it was first placed (a row added does not move the rows above it); a
folder opened while another's rows are still coming shows only its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.ui.conftest import CONSOLE_SIZE, Driver

pytestmark = [pytest.mark.ui]

SHEETS = 150


def rows_made_each_frame(
    driver: Driver, files: Any, do: Any, placed: dict[int, tuple[float, float]]
) -> list[int]:
    """Frame by frame from ``do()`` until every row is made: the rows made in that frame;
    ``placed``: where each row was in the list when first seen."""
    from kivy.clock import Clock

    counts: list[int] = []
    seen = [0]

    def look(_dt: float) -> None:
        now = len(files.rows.children)
        counts.append(max(0, now - seen[0]))
        seen[0] = now
        for row in files.rows.children:
            placed.setdefault(id(row), (row.x, row.y))

    ev = Clock.schedule_interval(look, 0)
    try:
        do()
        look(0)  # what ``do`` made at once
        driver.until(lambda: files.made, what="every row made")
        driver.pump(0.2)
    finally:
        ev.cancel()
    return counts


def test_a_folder_of_many_sheets_is_listed_a_few_rows_a_frame(
    driver: Driver, tmp_path: Path
) -> None:
    from kivy.uix.boxlayout import BoxLayout

    from ui.screens.file_list import ROWS_A_FRAME, FileList

    usb = tmp_path / "usb"
    usb.mkdir()
    for i in range(SHEETS):
        (usb / f"楼栋{i:03d}.csv").write_bytes(b"name\n")
    (usb / "照片").mkdir()
    (usb / "photo.jpg").write_bytes(b"\xff\xd8")
    other = tmp_path / "other"
    other.mkdir()
    (other / "one.csv").write_bytes(b"name\n")
    root = BoxLayout()
    files = FileList(tmp_path, (".csv",))
    root.add_widget(files)
    driver.mount(root, CONSOLE_SIZE)
    placed: dict[int, tuple[float, float]] = {}
    counts = rows_made_each_frame(driver, files, lambda: files.open(usb), placed)
    assert sum(counts) == SHEETS + 2, counts  # with "↑ .." and the folder
    assert max(counts) <= ROWS_A_FRAME, counts
    rows = list(reversed(files.rows.children))
    moved = [r.text for r in rows if (r.x, r.y) != placed[id(r)]]
    assert moved == [], "rows moved after they were placed"
    assert all(a.y >= b.top for a, b in zip(rows, rows[1:], strict=False)), "top to bottom"
    names = [b.text for b in rows]
    assert names == ["↑  ..", "▶  照片", *(f"楼栋{i:03d}.csv" for i in range(SHEETS))]
    assert list(files.buttons) == [
        str(tmp_path),
        str(usb / "照片"),
        *(str(usb / f"楼栋{i:03d}.csv") for i in range(SHEETS)),
    ]
    # Another folder opened while this one's rows are coming: only its own rows, ever.
    files.open(usb)
    files.open(other)
    driver.until(lambda: files.made, what="the other folder listed")
    driver.pump(0.2)
    assert [b.text for b in reversed(files.rows.children)] == ["↑  ..", "one.csv"]
