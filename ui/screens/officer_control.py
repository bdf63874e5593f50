"""The wall's lockdown switch and remote-open dialog: large, touch-sized confirmations in which
the duty officer identifies by card or PIN as when acknowledging an alarm (``officer_credential``:
the card reader's focus, a card swiped into the reason, the PIN pad) and, for an open, says why;
during a lockdown an open needs the override switch turned on first. A refusal (not a duty
officer's card or PIN, too many wrong tries) stays in the dialog, the field emptied and focused
again. What is sent and decided: ``ui/viewmodels/officer_control.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.popup import Popup

from ui.screens.officer_credential import OfficerCredential
from ui.viewmodels.officer_control import Done, WallControl

Builder.load_file(str(Path(__file__).with_name("officer_control.kv")))

# (kind, value, reason, override, done) -> a problem key, or None when the request went out
Confirm = Callable[[str, str, str, bool, Done], "str | None"]


class ConfirmPopup(OfficerCredential, Popup):
    question = StringProperty("")
    warning = StringProperty("")
    reason_hint = StringProperty("")  # empty: no reason asked
    override_text = StringProperty("")  # empty: no override switch
    override = BooleanProperty(False)
    identify_text = StringProperty("")
    card_text = StringProperty("")
    pin_text = StringProperty("")
    cred_hint = StringProperty("")
    mode = StringProperty("card")
    ok_text = StringProperty("")
    cancel_text = StringProperty("")
    problem = StringProperty("")
    problem_bad = BooleanProperty(True)
    danger = BooleanProperty(False)

    def __init__(self, control: WallControl, on_confirm: Confirm, **kw: Any) -> None:
        t = control.t
        super().__init__(
            identify_text=t("control.identify"),
            card_text=t("ack.by_card"),
            pin_text=t("ack.by_pin"),
            cancel_text=t("officer.cancel"),
            **kw,
        )
        self.control = control
        self.on_confirm = on_confirm
        self._off, self._on = "", ""
        self.setup_credential(t, self.ids.reason)

    def switch_texts(self, off: str, on: str) -> None:
        self._off, self._on = off, on
        self.override_text = off
        self.bind(override=self._switched)

    def _switched(self, *_: Any) -> None:
        self.override_text = self._on if self.override else self._off
        self.problem = ""
        self.focus_credential()

    def confirm(self) -> None:
        problem = self.on_confirm(
            self.mode, self.ids.cred.text, self.ids.reason.text, self.override, self._answered
        )
        if problem is None:
            self.problem, self.problem_bad = self.control.t("ack.waiting"), False
            return
        self.problem, self.problem_bad = self.control.t(problem), True
        if problem == "control.need_reason":
            Clock.schedule_once(lambda dt: setattr(self.ids.reason, "focus", True), 0)
        else:
            self.focus_credential()

    def _answered(self, why: str | None) -> None:
        if why is None:
            self.dismiss()
            return
        self.problem, self.problem_bad = why, True
        self.ids.cred.text = ""
        self.focus_credential()


def ask_lockdown(control: WallControl) -> ConfirmPopup:
    """Start the lockdown, or lift it when it is on."""
    t = control.t
    on = not control.lockdown
    popup = ConfirmPopup(
        control,
        lambda kind, value, _reason, _over, done: control.set_lockdown(on, kind, value, done),
        title=t("control.lockdown_title_on" if on else "control.lockdown_title_off"),
        question=t("control.lockdown_ask_on" if on else "control.lockdown_ask_off"),
        ok_text=t("control.lockdown_do_on" if on else "control.lockdown_do_off"),
        danger=on,
    )
    popup.open()
    return popup


def ask_open(control: WallControl, door: str, name: str, state: str) -> ConfirmPopup:
    """Open one door from afar; in lockdown, only as an override the officer switches on."""
    t = control.t
    lockdown = bool(control.lockdown)
    popup = ConfirmPopup(
        control,
        lambda kind, value, reason, over, done: control.open_door(
            door, name, kind, value, reason, over, done
        ),
        title=t("control.open_title"),
        question=t("control.open_ask", door=name, state=state),
        warning=t("control.override_warning") if lockdown else "",
        reason_hint=t("control.open_reason"),
        ok_text=t("control.open_do_override" if lockdown else "control.open_do"),
        danger=lockdown,
    )
    if lockdown:
        popup.switch_texts(t("control.override_switch_off"), t("control.override_switch_on"))
    popup.open()
    return popup
