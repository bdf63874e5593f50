"""The pop-up for an urgent alarm (critical, an emergency call or an intrusion: the wall's
``[wall]`` config): what and where, the door camera's picture at that moment or "no picture",
and three finger-sized buttons: close, answer (an emergency call still ringing at that door),
acknowledge (the identified officer's window, ``officer_ack``). One pop-up at a time; the next
urgent alarm follows when it closes, and one acknowledged elsewhere closes by itself."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.popup import Popup

from ui.viewmodels.officer import OfficerVM
from ui.viewmodels.officer_alarms import Incident
from ui.viewmodels.officer_calls import WallCall
from ui.viewmodels.officer_urgent import Urgent

Builder.load_file(str(Path(__file__).with_name("officer_urgent.kv")))


class UrgentPopup(Popup):
    line = StringProperty("")
    picture_note = StringProperty("")
    taken = StringProperty("")
    close_text = StringProperty("")
    ack_text = StringProperty("")
    answer_text = StringProperty("")
    can_answer = BooleanProperty(False)

    def __init__(self, view: UrgentView, item: Urgent, **kw: Any) -> None:
        super().__init__(**kw)
        self.view = view
        self.item = item
        self._shown_jpeg: bytes | None = None
        self.answer_button = Factory.TouchButton(accent="on")
        self.answer_button.bind(on_release=lambda *_: self.answer())

    def refresh(self) -> None:
        vm, t, u = self.view.vm, self.view.vm.t, self.item
        a = u.alarm
        where = vm.door_name(u.door) if u.door else ""
        self.title = " · ".join(x for x in (vm.kind_name(str(a.get("kind") or "")), where) if x)
        more = len(vm.urgent.waiting) - 1
        self.line = vm.alarm_line(a) + (f"\n{t('urgent.more', n=more)}" if more > 0 else "")
        self.close_text, self.ack_text = t("urgent.close"), t("urgent.ack")
        self.answer_text = self.answer_button.text = t("officer.call_answer")
        live = self.view.live_call(u.door)
        jpeg, taken = u.jpeg, ""
        if u.picture == "jpeg" and u.taken_at:
            taken = t("urgent.taken", at=time.strftime("%H:%M:%S", time.localtime(u.taken_at)))
        elif u.picture == "none" and live is not None and live.picture is not None:
            jpeg, taken = live.picture, t("urgent.live")  # the caller, live from the call
        if jpeg is not None and u.picture != "loading":
            if jpeg is not self._shown_jpeg:
                self._shown_jpeg = jpeg
                self.ids.camera.show(jpeg, None)
            self.picture_note = ""
        else:
            self.picture_note = t("urgent.loading" if u.picture == "loading" else "urgent.none")
        self.taken = taken
        call = self.view.ringing_call(u.door)
        self.can_answer = call is not None
        buttons = self.ids.buttons
        if self.can_answer and self.answer_button.parent is None:
            buttons.add_widget(self.answer_button, index=1)
        elif not self.can_answer and self.answer_button.parent is not None:
            buttons.remove_widget(self.answer_button)

    def close(self) -> None:
        self.view.vm.urgent.dismiss()

    def answer(self) -> None:
        call = self.view.ringing_call(self.item.door)
        if call is not None:
            self.view.vm.calls.answer(call.call_id)
        self.view.vm.urgent.dismiss()

    def acknowledge(self) -> None:
        a = self.item.alarm
        self.view.vm.urgent.dismiss()
        inc = Incident(str(a.get("kind") or ""), str(a.get("severity") or ""), [a])
        self.view.ask_ack(inc)


class UrgentView:
    """Keeps the pop-up in step with the viewmodel's urgent alarms."""

    def __init__(self, vm: OfficerVM, ask_ack: Callable[[Incident], Any]) -> None:
        self.vm = vm
        self.ask_ack = ask_ack
        self.popup: UrgentPopup | None = None
        self.closed = False
        # A pop-up open across a language switch says everything again in the new language at
        # once, not at the wall's next refresh.
        vm.t.listeners.append(self.refresh)

    def ringing_call(self, door: str) -> WallCall | None:
        call = self.live_call(door)
        return call if call is not None and call.state == "ringing" else None

    def live_call(self, door: str) -> WallCall | None:
        """A call from this door still on the wall (ringing or answered here)."""
        calls = self.vm.calls.calls.values()
        return next((c for c in calls if door and c.door == door and c.live), None)

    def close(self) -> None:
        """The wall stops: its pop-up goes, and nothing brings it back."""
        self.closed = True
        if self.refresh in self.vm.t.listeners:
            self.vm.t.listeners.remove(self.refresh)
        if self.popup is not None:
            self.popup.dismiss(animation=False)
            self.popup = None

    def refresh(self) -> None:
        if self.closed:
            return
        item = self.vm.urgent.current
        if self.popup is not None and (item is None or self.popup.item is not item):
            # At once: a closing pop-up left fading over the next one would cover it.
            self.popup.dismiss(animation=False)
            self.popup = None
        if item is None:
            return
        if self.popup is None:
            self.popup = UrgentPopup(self, item)
            self.popup.refresh()
            self.popup.open()
        else:
            self.popup.refresh()
