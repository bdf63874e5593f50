"""A file chooser for a finger: folders and the files of the wanted kinds as 56 px rows in a
scrolling list ("↑ .." goes up a folder), the chosen file marked. Kivy's own chooser draws
24 px rows, too small to hit on a touchscreen. USB sticks appear under /media.

A folder's rows are made ``ROWS_A_FRAME`` a frame (the first ones at once): a folder of 300
sheets made its 300 buttons in one frame (0.2-0.4 s of the UI thread). Each row is placed once,
where it stays: the list is as tall as all its rows from the start, so a row added does not
move the ones above it (a box layout moved and redrew every row at each addition). Rows
scrolled out of sight are not drawn (``ClipScrollView``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.relativelayout import RelativeLayout

from ui.paced import Paced
from ui.widgets import ClipScrollView, TouchButton

MAX_ENTRIES = 300  # a folder with more shows the first ones and says so
ROW = 56
GAP = 4
ROWS_A_FRAME = 10  # rows made in one frame (a button with its rules: about 1 ms each)


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
        self.scroll = ClipScrollView(do_scroll_x=False, bar_width=10)
        self.rows = RelativeLayout(size_hint_y=None, height=0)  # rows at fixed places
        self.scroll.add_widget(self.rows)
        self.add_widget(self.scroll)
        self.buttons: dict[str, TouchButton] = {}  # path → its row
        self._making = Paced()  # a folder's rows, a few a frame
        self.open(start)

    @property
    def made(self) -> bool:
        """Every row of the folder shown is made."""
        return not self._making.busy

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
        left = [(("▶  " if p.is_dir() else "") + p.name, str(p), p.is_dir()) for p in shown]
        left = left[:MAX_ENTRIES]
        if path.parent != path:
            left.insert(0, ("↑  ..", str(path.parent), True))
        more = len(shown) - MAX_ENTRIES
        count = len(left) + (1 if more > 0 else 0)
        self.rows.height = max(0, count * (ROW + GAP) - GAP)

        def some() -> bool:
            for text, where, is_dir in left[:ROWS_A_FRAME]:
                self._row(text, where, folder=is_dir)
            del left[:ROWS_A_FRAME]
            if not left and more > 0:
                self._place(Label(text=f"… +{more}", size_hint_y=None, height=ROW))
            return bool(left)

        self._making.run(some)  # a folder before's rows still coming are dropped
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
        self._place(b)

    def _place(self, row: Any) -> None:
        """``row`` under the rows before it, from the top of the list."""
        n = len(self.rows.children)
        row.pos = (0, self.rows.height - (n + 1) * ROW - n * GAP)
        self.rows.add_widget(row)

    def choose(self, path: str) -> None:
        for p, b in self.buttons.items():
            b.accent = "on" if p == path else "quiet"
        self.selected = path
        if self.on_choose is not None:
            self.on_choose(path)
