"""The import tab's list of the problems the core found in a sheet, wrapped in the width of
the list, worded a few lines a frame.

The core lists up to 200 problems. Laid out as one label, their text was measured word by word
and drawn into one tall texture in a single frame: 0.11-0.24 s of the UI thread when the answer
came and again at each language switch, even with another tab shown (a frame-by-frame survey
of the console on the xian compound). Here the lines are cut into labels of ``LINES_A_FRAME``
lines, one label worded a frame; a label whose words did not change costs nothing, and labels
scrolled out of sight are not drawn (``ClipScrollView``). A label a problem would cost more:
each added row moves every row above it (a layout and a redraw of all of them each frame).
The list, once worded, looks as the one label did: the same lines, one under the other,
wrapped the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kivy.uix.boxlayout import BoxLayout

from ui.ink import InkLabel
from ui.paced import Paced
from ui.widgets import ClipScrollView

LINES_A_FRAME = 12  # problems in one label, worded (or made) in one frame: ~1 ms of layout each


class ErrorRow(InkLabel):
    """A few problems, one a line (each wrapped in the list's width), as tall as its lines."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(
            font_size="17sp", size_hint_y=None, halign="left", valign="top", height=0, **kw
        )
        self.bind(width=lambda w, width: setattr(w, "text_size", (width, None)))
        self.bind(texture_size=lambda w, size: setattr(w, "height", size[1]))


class ImportErrors(ClipScrollView):
    """The problems, ``LINES_A_FRAME`` an ``ErrorRow``, in a vertical scroll."""

    def __init__(self, **kw: Any) -> None:
        kw.setdefault("do_scroll_x", False)
        kw.setdefault("bar_width", 12)
        super().__init__(**kw)
        self.box = BoxLayout(orientation="vertical", size_hint_y=None, height=0)
        self.box.bind(minimum_height=self.box.setter("height"))
        self.add_widget(self.box)
        self.rows: list[ErrorRow] = []
        self.lines: list[str] = []
        self._texts: list[str] = []  # each row's lines
        self._next = 0  # the first row not yet worded
        self._wording = Paced()

    @property
    def worded(self) -> bool:
        """Every line is in its row."""
        return self._next >= len(self._texts)

    def show(self, lines: Sequence[str]) -> None:
        """These lines from now on: rows left over go at once, the others are worded (or made)
        one a frame from the top."""
        lines = list(lines)
        if lines == self.lines:
            return
        self.lines, self._next = lines, 0
        n = LINES_A_FRAME
        self._texts = ["\n".join(lines[i : i + n]) for i in range(0, len(lines), n)]
        for row in self.rows[len(self._texts) :]:
            self.box.remove_widget(row)
        del self.rows[len(self._texts) :]
        self._wording.run(self._word)

    def _word(self) -> bool:
        """One row worded (rows already saying it are passed); whether more are left."""
        texts = self._texts
        while self._next < len(texts):
            i = self._next
            self._next += 1
            if i == len(self.rows):
                row = ErrorRow(width=self.box.width)
                row.text_size = (self.box.width, None)
                self.rows.append(row)
                self.box.add_widget(row)
            if self.rows[i].text != texts[i]:
                self.rows[i].text = texts[i]
                break  # one a frame
        return self._next < len(texts)
