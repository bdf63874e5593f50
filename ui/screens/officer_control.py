"""The wall's lockdown switch and remote-open dialog: large, touch-sized confirmations that ask
who the officer is (and, for an open, why); during a lockdown an open needs the override switch
turned on first. What is sent and decided: ``ui/viewmodels/officer_control.py``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.popup import Popup

from ui.viewmodels.officer_control import WallControl

Builder.load_file(str(Path(__file__).with_name("officer_control.kv")))

# (by, reason, override) -> a problem key, or None when the request went out
Confirm = Callable[[str, str, bool], "str | None"]


class ConfirmPopup(Popup):
    question = StringProperty("")
    warning = StringProperty("")
    by_hint = StringProperty("")
    reason_hint = StringProperty("")  # empty: no reason asked
    override_text = StringProperty("")  # empty: no override switch
    override = BooleanProperty(False)
    ok_text = StringProperty("")
    cancel_text = StringProperty("")
    problem = StringProperty("")
    danger = BooleanProperty(False)

    def __init__(self, control: WallControl, on_confirm: Confirm, **kw: Any) -> None:
        super().__init__(**kw)
        self.control = control
        self.on_confirm = on_confirm
        self._off, self._on = "", ""

    def switch_texts(self, off: str, on: str) -> None:
        self._off, self._on = off, on
        self.override_text = off
        self.bind(override=self._switched)

    def _switched(self, *_: Any) -> None:
        self.override_text = self._on if self.override else self._off
        self.problem = ""

    def confirm(self) -> None:
        problem = self.on_confirm(self.ids.by.text, self.ids.reason.text, self.override)
        if problem is not None:
            self.problem = self.control.t(problem)
            return
        self.dismiss()


def ask_lockdown(control: WallControl) -> ConfirmPopup:
    """Start the lockdown, or lift it when it is on."""
    t = control.t
    on = not control.lockdown
    popup = ConfirmPopup(
        control,
        lambda by, _reason, _over: control.set_lockdown(on, by),
        title=t("control.lockdown_title_on" if on else "control.lockdown_title_off"),
        question=t("control.lockdown_ask_on" if on else "control.lockdown_ask_off"),
        by_hint=t("officer.ack_by"),
        ok_text=t("control.lockdown_do_on" if on else "control.lockdown_do_off"),
        cancel_text=t("officer.cancel"),
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
        lambda by, reason, over: control.open_door(door, name, by, reason, over),
        title=t("control.open_title"),
        question=t("control.open_ask", door=name, state=state),
        warning=t("control.override_warning") if lockdown else "",
        by_hint=t("officer.ack_by"),
        reason_hint=t("control.open_reason"),
        ok_text=t("control.open_do_override" if lockdown else "control.open_do"),
        cancel_text=t("officer.cancel"),
        danger=lockdown,
    )
    if lockdown:
        popup.switch_texts(t("control.override_switch_off"), t("control.override_switch_on"))
    popup.open()
    return popup
