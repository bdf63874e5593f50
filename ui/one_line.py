"""A list's rows one line each: a row too long for its block's width is cut with "…" instead of
wrapping onto a second line. The wall's lists are paged by rows (``ui.text_fit.fit_lines``, the
event viewer's page of whole lines): a wrapped row pushed the last row out of its block, or past
it (a denial's long reason, a door's long name in a person's passages). The full row is shown
where the row is touched (the event viewer) or in its detail."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from kivy.core.text import Label as CoreLabel
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView

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


class FullText(BoxLayout):
    """A pop-up's sheet: its title (what the row is), the row whole, and a close button. The
    sheet's ``text`` is the row shown."""

    text = StringProperty("")


def show_full(text: str, title: str = "", close: str = "") -> ModalView:
    """A row cut with "…", shown whole over the screen under ``title`` (what it is: "实时通行：
    完整内容") until the close button or any other touch. ``close`` is the button's text in
    the screen's language."""
    from ui.widgets import TouchButton  # ui.widgets' rules (common.kv) import this module

    view = ModalView(size_hint=(0.6, None), height=300)
    sheet = FullText(orientation="vertical", padding=12, spacing=8, text=text)
    head = Label(text=title, font_size="18sp", bold=True, size_hint_y=None, height=36)
    head.shorten = True
    head.bind(size=lambda w, size: setattr(w, "text_size", size))
    sheet.add_widget(head)
    label = Label(text=text, font_size="20sp", halign="left", valign="middle")
    label.bind(size=lambda w, size: setattr(w, "text_size", size))
    sheet.add_widget(label)
    shut = TouchButton(text=close, accent="quiet", size_hint=(None, None), size=(200, 56))
    shut.pos_hint = {"right": 1}
    shut.bind(on_release=lambda *_: view.dismiss())
    sheet.add_widget(shut)
    view.add_widget(sheet)
    view.close_button = shut
    view.bind(on_touch_down=lambda *_: view.dismiss())
    view.open()
    return view


def cut_row_touched(
    label: Any, full_text: str, touch: Any, title: str = "", close: str = ""
) -> ModalView | None:
    """The whole row under ``touch`` when ``label`` (one line a row, drawn from its top) shows
    it cut; None for a row shown whole or no row. ``title`` and ``close`` as ``show_full``."""
    shown = label.text.split("\n")
    if not label.text or not label.texture_size[1]:
        return None
    line_h = label.texture_size[1] / len(shown)
    i = int((label.top - touch.y) // line_h)
    full = full_text.split("\n")
    if not 0 <= i < min(len(full), len(shown)) or full[i] == shown[i]:
        return None
    return show_full(full[i], title, close)
