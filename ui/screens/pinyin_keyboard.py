"""An on-screen keyboard with pinyin input, docked at the bottom of the console, for typing
Chinese names on the touchscreen: letter keys, the syllable typed so far, a row of candidate
characters (paged), backspace, space, a 中/EN switch (letters go straight into the field in EN)
and done. Keys are 56 px or more. The character table is built once, off the UI thread.

While it is open it also reads the real keyboard, so that nothing typed there lands in the field
behind it: letters go to the pinyin input, backspace takes one back, and a USB card reader's
swipe (a burst of digits and Enter, ``ui.viewmodels.card_burst``) is handed to ``on_card``
instead of reaching the name. Other digits are dropped: a name has none."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView

from ui.viewmodels.card_burst import CardBurst
from ui.viewmodels.pinyin_input import PAGE, Index, PinyinInput, build_index
from ui.widgets import TouchButton

HEIGHT = 380  # the keyboard's own height, along the bottom of the screen
TOLD_H = 34  # a line it tells

ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
ENTER_KEYS = (13, 271)  # Enter and the keypad's Enter
BACKSPACE = 8
_index: Index | None = None
_building = threading.Lock()


def _index_now() -> Index | None:
    return _index


def prepare_index() -> None:
    """Build the table on a worker thread (once per process)."""

    def work() -> None:
        global _index
        with _building:
            if _index is None:
                _index = build_index()

    threading.Thread(target=work, name="ui-pinyin", daemon=True).start()


class PinyinKeyboard(ModalView):
    def __init__(
        self, target: Any, on_card: Callable[[str], None] | None = None, **kw: Any
    ) -> None:
        super().__init__(
            size_hint=(1, None), height=HEIGHT, pos_hint={"y": 0}, auto_dismiss=False, **kw
        )
        prepare_index()
        self.target = target  # the TextInput typed into
        self.on_card = on_card  # a card swiped on the reader while the keyboard is open
        self.burst = CardBurst()
        self.input = PinyinInput(_index_now)
        self.chinese = True
        box = BoxLayout(orientation="vertical", spacing=6, padding=8)
        # What the screen tells while the keyboard is open (a card swiped): the screen's own
        # note line is behind the keyboard. Put in only when there is something to tell.
        self.box = box
        self.told = Label(size_hint_y=None, height=TOLD_H, font_size="18sp", halign="left")
        self.told.color = (0.4, 0.9, 0.55, 1)
        self.told.bind(width=lambda w, width: setattr(w, "text_size", (width, None)))
        bar = BoxLayout(size_hint_y=None, height=60, spacing=6)
        self.typed = Label(size_hint_x=None, width=110, font_size="22sp", bold=True)
        bar.add_widget(self.typed)
        self.cands: list[TouchButton] = []
        for i in range(PAGE):
            b = TouchButton(font_size="26sp", accent="quiet")
            b.bind(on_release=lambda _b, i=i: self.pick(i))
            self.cands.append(b)
            bar.add_widget(b)
        self.more = TouchButton(text="▶", size_hint_x=None, width=64, accent="quiet")
        self.more.bind(on_release=lambda *_: self._page(+1))
        self.less = TouchButton(text="←", size_hint_x=None, width=64, accent="quiet")
        self.less.bind(on_release=lambda *_: self._page(-1))
        bar.add_widget(self.less)
        bar.add_widget(self.more)
        box.add_widget(bar)
        self.keys: dict[str, TouchButton] = {}
        for row in ROWS:
            line = BoxLayout(spacing=6)
            for ch in row:
                b = TouchButton(text=ch, font_size="24sp", accent="quiet")
                b.bind(on_release=lambda _b, ch=ch: self.letter(ch))
                self.keys[ch] = b
                line.add_widget(b)
            box.add_widget(line)
        last = BoxLayout(spacing=6)
        self.mode = TouchButton(size_hint_x=0.15, accent="primary")
        self.mode.bind(on_release=lambda *_: self.toggle())
        self.space = TouchButton(size_hint_x=0.4, accent="quiet")
        self.space.bind(on_release=lambda *_: self._insert(" "))
        self.back = TouchButton(text="←", size_hint_x=0.15, accent="quiet")
        self.back.bind(on_release=lambda *_: self.backspace())
        self.done = TouchButton(text="✓", size_hint_x=0.3, accent="on")
        self.done.bind(on_release=lambda *_: self.dismiss())
        for b in (self.mode, self.space, self.back, self.done):
            last.add_widget(b)
        box.add_widget(last)
        self.add_widget(box)
        self._tick = Clock.schedule_interval(lambda _dt: self.refresh(), 0.5)
        self.bind(on_dismiss=lambda *_: self._tick.cancel())
        from kivy.core.window import Window

        # Bound after the window's own keyboard, so these see each key first and keep it.
        Window.bind(on_key_down=self._key_down, on_textinput=self._text_typed)
        self.bind(on_dismiss=lambda *_: self._stop_reading())
        self.refresh()

    def tell(self, text: str) -> None:
        """A line above the candidates; the keys keep their size."""
        self.told.text = text
        if text and self.told.parent is None:
            self.box.add_widget(self.told, index=len(self.box.children))  # on top
        elif not text and self.told.parent is not None:
            self.box.remove_widget(self.told)
        self.height = HEIGHT + (TOLD_H + self.box.spacing if text else 0)

    def _stop_reading(self) -> None:
        from kivy.core.window import Window

        Window.unbind(on_key_down=self._key_down, on_textinput=self._text_typed)

    def _text_typed(self, _window: Any, text: str) -> bool:
        """Text from the real keyboard (or a reader): never into the field directly."""
        now = time.monotonic()
        for ch in text:
            if self.burst.key(ch, now):
                continue  # a reader's digits, or digits a name does not have
            if ch.isascii() and ch.isalpha():
                self.letter(ch.lower())
            elif ch == " ":
                self._insert(" ")
        return True

    def _key_down(self, _window: Any, key: int, *_rest: Any) -> bool:
        if key in ENTER_KEYS:
            card = self.burst.enter(time.monotonic())
            if card and self.on_card is not None:
                self.on_card(card)
            return True
        if key == BACKSPACE:
            self.backspace()
            return True
        return key < 256 and chr(key).isprintable()  # its text arrives as text input

    def letter(self, ch: str) -> None:
        if self.chinese:
            self.input.key(ch)
        else:
            self._insert(ch)
        self.refresh()

    def pick(self, i: int) -> None:
        self._insert(self.input.pick(i))
        self.refresh()

    def backspace(self) -> None:
        if not self.input.backspace():
            self.target.text = self.target.text[:-1]
        self.refresh()

    def toggle(self) -> None:
        self.chinese = not self.chinese
        self.input.letters = ""
        self.refresh()

    def _page(self, step: int) -> None:
        if step > 0:
            self.input.next_page()
        else:
            self.input.prev_page()
        self.refresh()

    def _insert(self, text: str) -> None:
        if text:
            self.target.text += text

    def refresh(self) -> None:
        self.mode.text = "中" if self.chinese else "EN"
        self.typed.text = self.input.letters or ("…" if _index is None and self.chinese else "")
        shown = self.input.candidates()
        for i, b in enumerate(self.cands):
            b.text = shown[i] if i < len(shown) else ""
            b.disabled = i >= len(shown)
