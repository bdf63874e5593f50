"""The wall's live passages: one label per passage, newest on top, in a clipped scroll view.

The wall gets several passages a second. One label holding all forty lines was laid out and
rendered again, word by word, on each of them (the largest part of the wall's own work per
frame); here a passage's label is made once and only moves down as newer ones arrive, and
the lines below the panel's edge are not drawn. Each passage is one line, cut with "…" when
too long for the panel (its text fitted once, when its label is made), and the view is as tall
as the whole lines that fit, so no half line shows at its foot; a cut line touched is shown
whole.
"""

from __future__ import annotations

from typing import Any

from kivy.graphics import PopMatrix, PushMatrix, Translate
from kivy.properties import NumericProperty
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView
from kivy.uix.widget import Widget

from ui.one_line import one_line_each, show_full
from ui.viewmodels.officer import OfficerVM
from ui.widgets import ClipScrollView, TopLabel

FONT = "17sp"
SPACING = 2
# The strip's coordinates grow by a line a passage; they start again from nought after this
# many lines (every few hours at 10 passages a second), long before GL's floats grow coarse.
SLOTS_BEFORE_RESET = 100_000
MARGIN = 8  # px kept free at the right of a line (the scroll bar)


class PassageLabel(TopLabel):
    """One passage's line, cut to the panel's width; ``full`` is the whole line. Its texture is
    as wide as its text, drawn at its top left (``TopLabel``'s rule): a texture as wide as the
    panel was drawn, mostly empty, for each of some thirty lines on every frame (0.15 screens
    of blended pixels, half of them empty)."""

    full = ""
    on_cut: Any = None  # called with the whole line when a cut line is touched

    def on_touch_down(self, touch: Any) -> bool:
        if self.collide_point(*touch.pos) and self.text != self.full and self.on_cut:
            self.on_cut(self.full)
            return True
        return bool(super().on_touch_down(touch))


def _numbered(lines: list[str]) -> list[tuple[str, int]]:
    """Each line with how many lines above it read the same."""
    seen: dict[str, int] = {}
    out = []
    for line in lines:
        seen[line] = seen.get(line, -1) + 1
        out.append((line, seen[line]))
    return out


class LineStrip(Widget):
    """The content of the passages' scroll view: lines at fixed places in its own coordinates,
    all drawn and touched ``shift`` px higher. A new passage on top moves the strip down by
    one line (one translation) instead of moving every line below it."""

    shift = NumericProperty(0)

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        with self.canvas.before:
            PushMatrix()
            self._move = Translate(0, 0)
        with self.canvas.after:
            PopMatrix()
        self.fbind("shift", lambda *_: setattr(self._move, "y", self.shift))

    def to_local(self, x: float, y: float, relative: bool = False) -> tuple[float, float]:
        return x, y - self.shift

    def to_parent(self, x: float, y: float, relative: bool = False) -> tuple[float, float]:
        return x, y + self.shift

    def _apply_transform(self, m: Any, pos: Any = None) -> Any:
        m.translate(0, self.shift, 0)
        return super()._apply_transform(m, pos)

    def _local(self, handler: Any, touch: Any) -> bool:
        touch.push()
        touch.apply_transform_2d(self.to_local)
        try:
            return bool(handler(touch))
        finally:
            touch.pop()

    def on_touch_down(self, touch: Any) -> bool:
        return self._local(super().on_touch_down, touch)

    def on_touch_move(self, touch: Any) -> bool:
        return self._local(super().on_touch_move, touch)

    def on_touch_up(self, touch: Any) -> bool:
        return self._local(super().on_touch_up, touch)


class PassageLines:
    """Keeps one label per shown line in a scroll view placed in the passages panel."""

    def __init__(self, vm: OfficerVM) -> None:
        self.vm = vm
        self.view = ClipScrollView(do_scroll_x=False, bar_width=6)
        self.box = LineStrip(size_hint_y=None, height=0)
        self.view.add_widget(self.box)
        self.box.bind(width=lambda *_: self._rewrap())
        # What the panel holds: the view, placed at its top, as tall as its whole lines.
        self.holder = Widget()
        self.holder.bind(pos=self._place, size=self._place)
        probe = Label(text="通", font_size=FONT)
        probe.texture_update()
        self.line_h = max(1, int(probe.texture_size[1]))
        self.full: ModalView | None = None  # the pop-up of the last cut line touched
        # (line, its repeat) → its label, newest first; each label sits at its slot × a line
        # in the strip's coordinates, the newest at the highest slot.
        self._labels: dict[tuple[str, int], Label] = {}
        self._top = 0  # the newest line's slot
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
        # Two passages can read the same (the same card at the same door in the same second):
        # a line is known by its text and how many times the same text came above it.
        keys = _numbered(lines)
        old = list(self._labels)
        was = set(old)
        # The labels of the lines gone (usually the oldest, at the foot) are given the new
        # lines: making a label (its kv rules, its bindings) cost more than its text.
        staying = set(keys)
        free = [lbl for key, lbl in self._labels.items() if key not in staying]
        labels = [self._labels.get(key) or self._give(free, key[0]) for key in keys]
        for lbl in free:
            self.box.remove_widget(lbl)
        for lbl in labels:
            if lbl.parent is None:
                self.box.add_widget(lbl)
        self._labels = dict(zip(keys, labels, strict=True))
        fresh = next((i for i, key in enumerate(keys) if key in was), len(keys))
        if keys[fresh:] == old[: len(keys) - fresh] and self._top < SLOTS_BEFORE_RESET:
            # The usual case: new lines on top, the rest as they were (the oldest gone).
            places = {id(lbl): self._top + fresh - i for i, lbl in enumerate(labels[:fresh])}
            self._top += fresh
        else:  # a line in the middle changed, or the language: every line placed again
            places = {id(lbl): len(labels) - 1 - i for i, lbl in enumerate(labels)}
            self._top = len(labels) - 1
        self._place_lines(labels, places)

    def _place_lines(self, labels: list[Label], places: dict[int, int]) -> None:
        step = self.line_h + SPACING
        for lbl in labels:
            if id(lbl) in places:
                lbl.y = places[id(lbl)] * step
        strip = self.box
        strip.height = len(labels) * step - SPACING
        # The newest line's slot shown at the strip's top.
        strip.shift = strip.height - self.line_h - self._top * step

    def labels(self) -> list[Label]:
        """The labels shown, top to bottom."""
        return [self._labels[key] for key in _numbered(self._shown) if key in self._labels]

    def _give(self, free: list[Label], text: str) -> Label:
        lbl = free.pop() if free else None
        if not isinstance(lbl, PassageLabel):
            return self._make(text)
        lbl.full = text
        self._fit(lbl)
        return lbl

    def _place(self, *_: object) -> None:
        holder, step = self.holder, self.line_h + SPACING
        if holder.parent is not None and self.view.parent is None:
            holder.add_widget(self.view)
        rows = max(1, int((holder.height + SPACING) // step))
        self.view.size = (holder.width, min(holder.height, rows * step - SPACING))
        self.view.pos = (holder.x, holder.top - self.view.height)

    def _fit(self, lbl: PassageLabel) -> None:
        width = max(self.view.width - MARGIN, 1)
        # Cut to the width here, so the label needs no text_size (which would make its
        # texture the panel's width).
        lbl.text = one_line_each(lbl.full, width, lbl.font_size, lbl.font_name)

    def _make(self, text: str) -> Label:
        # The text 4 px in from the left, as it was when its texture (MARGIN narrower than
        # the line) was centred in it.
        lbl = PassageLabel(font_size=FONT, size_hint=(None, None), padding=(MARGIN // 2, 0, 0, 0))
        lbl.width = self.box.width
        lbl.full = text
        lbl.on_cut = self._show_full
        self._fit(lbl)
        lbl.bind(texture_size=lambda w, s: setattr(w, "height", s[1]))
        return lbl

    def _show_full(self, text: str) -> None:
        t = self.vm.t
        title = t("officer.full_title", what=t("officer.passages"))
        self.full = show_full(text, title, t("officer.full_close"))

    def _rewrap(self) -> None:
        for lbl in self._labels.values():
            lbl.width = self.box.width
            if isinstance(lbl, PassageLabel):
                self._fit(lbl)

    def texts(self) -> list[str]:
        """The passages' whole lines, newest first (a long one is shown cut)."""
        return list(self._shown)
