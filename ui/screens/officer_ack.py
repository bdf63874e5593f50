"""The window in which a duty officer acknowledges an incident: a remark (typed or one of the
usual ones) and who they are, by card or PIN (``officer_credential``: the card reader's focus,
a card swiped into the remark, the PIN pad). Enter in the card field sends the acknowledgement.
A refusal leaves the window open with the reason, the field emptied and focused again for the
next try.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.popup import Popup

from ui.screens.officer_credential import OfficerCredential
from ui.viewmodels.officer import OfficerVM
from ui.viewmodels.officer_ack import REMARKS

Builder.load_file(str(Path(__file__).with_name("officer_ack.kv")))


class AckPopup(OfficerCredential, Popup):
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
        for key in REMARKS:
            b = Factory.TouchButton(text=t(key), accent="quiet", font_size="18sp")
            b.bind(on_release=lambda _b, key=key: self.pick_remark(t(key)))
            self.ids.presets.add_widget(b)
        self.setup_credential(t, self.ids.note)

    def pick_remark(self, text: str) -> None:
        self.ids.note.text = text
        self.focus_credential()

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
