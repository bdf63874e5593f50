"""The wall's live passages: one label per passage, newest on top, in a clipped scroll view.

The wall gets several passages a second. One label holding all forty lines was laid out and
rendered again, word by word, on each of them (the largest part of the wall's own work per
frame); here a passage's label is made once and only moves down as newer ones arrive, and
the lines below the panel's edge are not drawn.
"""

from __future__ import annotations

from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

from ui.viewmodels.officer import OfficerVM
from ui.widgets import ClipScrollView

FONT = "17sp"


class PassageLines:
    """Keeps one label per shown line in a scroll view placed in the passages panel."""

    def __init__(self, vm: OfficerVM) -> None:
        self.vm = vm
        self.view = ClipScrollView(do_scroll_x=False, bar_width=6)
        self.box = BoxLayout(orientation="vertical", size_hint_y=None, spacing=2)
        self.box.bind(minimum_height=self.box.setter("height"))
        self.view.add_widget(self.box)
        self.view.bind(width=lambda *_: self._rewrap())
        self._labels: dict[str, Label] = {}  # line text → its label
        self._lines: dict[int, tuple[Any, tuple[Any, ...], str]] = {}  # id(event) → line
        self._shown: list[str] = []

    def _line(self, e: dict[str, Any]) -> str:
        # The line changes only with the language or when the person's name arrives.
        key = (self.vm.t.lang, self.vm.person_name(e.get("person_id")))
        kept = self._lines.get(id(e))
        if kept is not None and kept[0] is e and kept[1] == key:
            return kept[2]
        line = self.vm.passage_line(e)
        self._lines[id(e)] = (e, key, line)  # the event kept: its id is not reused meanwhile
        return line

    def refresh(self) -> None:
        events = list(reversed(self.vm.passages))
        lines = [self._line(e) for e in events] or [self.vm.t("officer.none")]
        live = {id(e) for e in events}
        for gone in [k for k in self._lines if k not in live]:
            del self._lines[gone]
        if lines == self._shown:
            return
        self._shown = lines
        labels = [self._labels.get(text) or self._make(text) for text in lines]
        self._labels = {text: lbl for text, lbl in zip(lines, labels, strict=True)}
        self._arrange(labels)

    def _arrange(self, labels: list[Label]) -> None:
        """The labels top to bottom in this order, moving as few as possible: usually one new
        line on top and the oldest gone at the bottom."""
        box = self.box
        wanted = {id(w) for w in labels}
        for old in [w for w in box.children if id(w) not in wanted]:
            box.remove_widget(old)
        kept = {id(w) for w in box.children}
        top_down = list(reversed(box.children))
        if top_down != [w for w in labels if id(w) in kept]:
            box.clear_widgets()  # the order changed (a language switch): all again
            kept = set()
        for pos, lbl in enumerate(labels):
            if id(lbl) not in kept:
                box.add_widget(lbl, index=len(box.children) - pos)  # BoxLayout: last is top

    def _make(self, text: str) -> Label:
        lbl = Label(text=text, font_size=FONT, halign="left", valign="top", size_hint_y=None)
        lbl.text_size = (max(self.view.width - 8, 1), None)
        lbl.bind(texture_size=lambda w, s: setattr(w, "height", s[1]))
        return lbl

    def _rewrap(self) -> None:
        for lbl in self._labels.values():
            lbl.text_size = (max(self.view.width - 8, 1), None)

    def texts(self) -> list[str]:
        """The lines shown, newest first."""
        return list(self._shown)
