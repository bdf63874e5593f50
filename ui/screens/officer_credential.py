"""The card / PIN block of the wall's officer dialogs: acknowledging an alarm
(``officer_ack.AckPopup``) and confirming a lockdown or a remote open
(``officer_control.ConfirmPopup``), so the officer identifies the same way in each.

The wall's card reader is a keyboard device: it types the card number and Enter into whatever
field has the keyboard focus. So the card field has the focus whenever the dialog is open and
the officer is not typing in its text field (the remark, the reason), and a card swiped while
that field has the focus is told from typing by its speed (``reader_burst``) and taken as the
card. The PIN pad switches to PIN and types into the same field, masked.

Each dialog declares the Kivy properties ``mode`` and ``cred_hint`` and the ids ``cred`` and
``pad`` in its ``.kv``, and its own ``confirm``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.lang import Builder

from ui.viewmodels.officer_ack import reader_burst, restamp

Builder.load_file(str(Path(__file__).with_name("officer_credential.kv")))

PAD = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "back")
PIN_MAX = 8


class OfficerCredential:
    ids: Any
    mode: str
    cred_hint: str
    bind: Callable[..., Any]

    def confirm(self) -> None:
        raise NotImplementedError

    def setup_credential(self, t: Callable[..., str], text_field: Any) -> None:
        """Build the PIN pad and watch ``text_field`` (where a card may be swiped by mistake)."""
        self._t = t
        self._text_field = text_field
        self._hint()
        for key in PAD:
            label = {"clear": t("ack.clear"), "back": "←"}.get(key, key)
            k = Factory.AckKey(text=label)
            k.bind(on_release=lambda _k, key=key: self.press(key))
            self.ids.pad.add_widget(k)
        self.bind(on_open=lambda *_: self.focus_credential())
        self._stamps: list[float] = []  # when each character of the text field came
        self._text_was = ""
        text_field.bind(text=self._typed)

    def _hint(self) -> None:
        self.cred_hint = self._t("ack.card_hint" if self.mode == "card" else "ack.pin_hint")

    def set_mode(self, mode: str) -> None:
        if mode != self.mode:
            self.mode = mode
            self.ids.cred.text = ""
            self._hint()
        self.focus_credential()

    def press(self, key: str) -> None:
        """A key of the PIN pad: the pad is for PINs, so it switches to PIN."""
        self.set_mode("pin")
        field = self.ids.cred
        if key == "clear":
            field.text = ""
        elif key == "back":
            field.text = field.text[:-1]
        elif len(field.text) < PIN_MAX:
            field.text += key
        self.focus_credential()

    def _typed(self, _field: Any, text: str) -> None:
        self._stamps = restamp(self._text_was, text, self._stamps, time.monotonic())
        self._text_was = text

    def text_entered(self) -> None:
        """Enter in the text field: a card swiped while it had the focus is the card."""
        burst = reader_burst(self._text_field.text, self._stamps, time.monotonic())
        if burst is None:
            self.focus_credential()
            return
        rest, card = burst
        self._text_field.text = rest
        self.set_mode("card")
        self.ids.cred.text = card
        self.confirm()

    def focus_credential(self) -> None:
        # Next frame: a button's release would otherwise take the focus back.
        Clock.schedule_once(lambda dt: setattr(self.ids.cred, "focus", True), 0)
