"""A person's name field at the real keyboard (the console's register form).

A name has no digits, so none go in; and the console's USB card reader, a keyboard device, types
into whatever has the focus: a swipe into the name field (a burst of digits and Enter,
``ui.viewmodels.card_burst``) is handed to ``on_card`` instead of landing in the name. While the
on-screen pinyin keyboard is open it reads the real keyboard itself
(``ui.screens.pinyin_keyboard``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from kivy.uix.textinput import TextInput

from ui.viewmodels.card_burst import CardBurst


class NameField(TextInput):
    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.on_card: Callable[[str], None] | None = None
        self.burst = CardBurst()
        self.bind(on_text_validate=lambda *_: self._entered())

    def insert_text(self, substring: str, from_undo: bool = False) -> None:
        now = time.monotonic()
        kept = "".join(ch for ch in substring if not self.burst.key(ch, now))
        if kept:
            super().insert_text(kept, from_undo=from_undo)

    def _entered(self) -> None:
        card = self.burst.enter(time.monotonic())
        if card and self.on_card is not None:
            self.on_card(card)
