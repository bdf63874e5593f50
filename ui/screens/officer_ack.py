"""The window in which a duty officer acknowledges an incident: a remark (typed or one of the
usual ones) and who they are, by card or PIN.

The wall's card reader is a keyboard device: it types the card number and Enter into whatever
field has the keyboard focus. So the card field has the focus whenever the window is open and
the officer is not typing the remark, and Enter in it sends the acknowledgement; a card swiped
while the remark has the focus is told from typing by its speed and taken as the card. The PIN pad
switches to PIN and types into the same field, masked. A refusal leaves the window open with
the reason, the field emptied and focused again for the next try.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.popup import Popup

from ui.viewmodels.officer import OfficerVM
from ui.viewmodels.officer_ack import REMARKS, reader_burst, restamp

Builder.load_file(str(Path(__file__).with_name("officer_ack.kv")))

PAD = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "back")


class AckPopup(Popup):
    summary = StringProperty("")
    note_hint = StringProperty("")
    card_text = StringProperty("")
    pin_text = StringProperty("")
    cred_hint = StringProperty("")
    ok_text = StringProperty("")
    cancel_text = StringProperty("")
    problem = StringProperty("")
    problem_bad = BooleanProperty(True)
    mode = StringProperty("card")

    def __init__(self, vm: OfficerVM, ids: list[int], summary: str, **kw: Any) -> None:
        t = vm.t
        super().__init__(
            title=t("ack.title"),
            summary=summary,
            note_hint=t("ack.remark_hint"),
            card_text=t("ack.by_card"),
            pin_text=t("ack.by_pin"),
            ok_text=t("ack.do"),
            cancel_text=t("ack.cancel"),
            **kw,
        )
        self.vm = vm
        self.alarm_ids = ids
        self._hint()
        for key in REMARKS:
            b = Factory.TouchButton(text=t(key), accent="quiet", font_size="18sp")
            b.bind(on_release=lambda _b, key=key: self.pick_remark(t(key)))
            self.ids.presets.add_widget(b)
        for key in PAD:
            label = {"clear": t("ack.clear"), "back": "←"}.get(key, key)
            k = Factory.AckKey(text=label)
            k.bind(on_release=lambda _k, key=key: self.press(key))
            self.ids.pad.add_widget(k)
        self.bind(on_open=lambda *_: self.focus_credential())
        self._stamps: list[float] = []  # when each character of the remark came
        self._note_was = ""
        self.ids.note.bind(text=self._note_typed)

    def _hint(self) -> None:
        self.cred_hint = self.vm.t("ack.card_hint" if self.mode == "card" else "ack.pin_hint")

    def set_mode(self, mode: str) -> None:
        if mode != self.mode:
            self.mode = mode
            self.ids.cred.text = ""
            self._hint()
        self.focus_credential()

    def _note_typed(self, _field: Any, text: str) -> None:
        self._stamps = restamp(self._note_was, text, self._stamps, time.monotonic())
        self._note_was = text

    def note_entered(self) -> None:
        """Enter in the remark: a card swiped while the remark had the focus is the card."""
        burst = reader_burst(self.ids.note.text, self._stamps, time.monotonic())
        if burst is None:
            self.focus_credential()
            return
        remark, card = burst
        self.ids.note.text = remark
        self.set_mode("card")
        self.ids.cred.text = card
        self.confirm()

    def pick_remark(self, text: str) -> None:
        self.ids.note.text = text
        self.focus_credential()

    def press(self, key: str) -> None:
        """A key of the PIN pad: the pad is for PINs, so it switches to PIN."""
        self.set_mode("pin")
        field = self.ids.cred
        if key == "clear":
            field.text = ""
        elif key == "back":
            field.text = field.text[:-1]
        elif len(field.text) < 8:
            field.text += key
        self.focus_credential()

    def focus_credential(self) -> None:
        # Next frame: a button's release would otherwise take the focus back.
        Clock.schedule_once(lambda dt: setattr(self.ids.cred, "focus", True), 0)

    def confirm(self) -> None:
        acks = self.vm.acks
        if acks.busy:
            return
        sent = self.vm.acknowledge(
            self.alarm_ids, self.mode, self.ids.cred.text, self.ids.note.text, self._answered
        )
        if sent:
            self.problem, self.problem_bad = self.vm.t("ack.waiting"), False
        else:
            self.problem, self.problem_bad = acks.problem, True
            if not self.ids.note.text.strip():
                Clock.schedule_once(lambda dt: setattr(self.ids.note, "focus", True), 0)
            else:
                self.focus_credential()

    def _answered(self, ok: bool) -> None:
        if ok:
            self.dismiss()
            return
        self.problem, self.problem_bad = self.vm.acks.problem, True
        self.ids.cred.text = ""
        self.focus_credential()
