"""A file chooser for a finger: folders and the files of the wanted kinds as 56 px rows in a
scrolling list ("↑ .." goes up a folder), the chosen file marked. Kivy's own chooser draws
24 px rows, too small to hit on a touchscreen. USB sticks appear under /media."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

from ui.pixel_scroll import PixelScrollView
from ui.widgets import TouchButton

MAX_ENTRIES = 300  # a folder with more shows the first ones and says so
ROW = 56


class FileList(BoxLayout):
    folder = StringProperty("")
    selected = StringProperty("")

    def __init__(
        self,
        start: Path,
        suffixes: tuple[str, ...],
        on_choose: Callable[[str], None] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(orientation="vertical", spacing=4, **kw)
        self.suffixes = tuple(s.lower() for s in suffixes)
        self.on_choose = on_choose
        self.where = Label(size_hint_y=None, height=30, font_size="15sp", halign="left")
        self.where.bind(size=lambda w, s: setattr(w, "text_size", s))
        self.add_widget(self.where)
        self.scroll = PixelScrollView(do_scroll_x=False, bar_width=10)
        self.rows = BoxLayout(orientation="vertical", spacing=4, size_hint_y=None)
        self.rows.bind(minimum_height=self.rows.setter("height"))
        self.scroll.add_widget(self.rows)
        self.add_widget(self.scroll)
        self.buttons: dict[str, TouchButton] = {}  # path → its row
        self.open(start)

    def open(self, folder: str | Path) -> None:
        path = Path(folder).expanduser()
        try:
            entries = sorted(path.iterdir(), key=lambda p: (not p.is_dir(), p.name.lower()))
        except OSError as e:
            self.where.text = f"{path}: {e.strerror or e}"
            return
        self.folder = str(path)
        self.where.text = str(path)
        shown = [
            p
            for p in entries
            if not p.name.startswith(".") and (p.is_dir() or p.suffix.lower() in self.suffixes)
        ]
        self.rows.clear_widgets()
        self.buttons = {}
        if path.parent != path:
            self._row("↑  ..", str(path.parent), folder=True)
        for p in shown[:MAX_ENTRIES]:
            self._row(("▶  " if p.is_dir() else "") + p.name, str(p), folder=p.is_dir())
        if len(shown) > MAX_ENTRIES:
            self.rows.add_widget(
                Label(text=f"… +{len(shown) - MAX_ENTRIES}", size_hint_y=None, height=ROW)
            )
        self.scroll.scroll_y = 1

    def _row(self, text: str, path: str, folder: bool) -> None:
        b = TouchButton(
            text=text,
            size_hint_y=None,
            height=ROW,
            font_size="17sp",
            halign="left",
            accent="on" if path == self.selected else "quiet",
        )
        b.bind(on_release=lambda *_: self.open(path) if folder else self.choose(path))
        self.buttons[path] = b
        self.rows.add_widget(b)

    def choose(self, path: str) -> None:
        for p, b in self.buttons.items():
            b.accent = "on" if p == path else "quiet"
        self.selected = path
        if self.on_choose is not None:
            self.on_choose(path)
