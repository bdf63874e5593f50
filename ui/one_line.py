"""A list's rows one line each: a row too long for its block's width is cut with "…" instead of
wrapping onto a second line. The wall's lists are paged by rows (``ui.text_fit.fit_lines``, the
event viewer's page of whole lines): a wrapped row pushed the last row out of its block, or past
it (a denial's long reason, a door's long name in a person's passages). The full row is shown
where the row is touched (the event viewer) or in its detail."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from kivy.core.text import Label as CoreLabel

from ui.text_fit import fit_lines

ELLIPSIS = "…"
SLACK = 2  # px kept free at the right: a row exactly as wide as its block may still wrap


@lru_cache(maxsize=16)
def _measurer(font_size: float, font_name: str) -> Any:
    return CoreLabel(font_size=font_size, font_name=font_name)


@lru_cache(maxsize=4096)
def _fitted(line: str, width: int, font_size: float, font_name: str) -> str:
    measure = _measurer(font_size, font_name)
    if measure.get_extents(line)[0] <= width:
        return line
    lo, hi = 0, len(line)  # the longest start of the line that fits with "…" after it
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if measure.get_extents(line[:mid].rstrip() + ELLIPSIS)[0] <= width:
            lo = mid
        else:
            hi = mid - 1
    return line[:lo].rstrip() + ELLIPSIS


def one_line_each(text: str, width: float, font_size: float, font_name: str) -> str:
    """``text``'s lines, each cut with "…" to fit ``width`` pixels in the given font."""
    room = int(width) - SLACK
    if not text or room <= 0:
        return text
    return "\n".join(
        _fitted(line, room, float(font_size), str(font_name)) for line in text.split("\n")
    )


def rows_text(
    text: str, panel: Any, height: float, width: float, font_size: float, font_name: str
) -> str:
    """A ``Panel``'s text: the lines its block has room for, and for a list of rows (a panel
    with ``rows_one_line``, the wall's paged lists) each row cut to one line. Other panels (a
    door panel's notices) wrap their lines in full."""
    fitted = fit_lines(text, height, font_size)
    if getattr(panel, "rows_one_line", False):
        return one_line_each(fitted, width, font_size, font_name)
    return fitted
