"""The wall's call strip: a call ringing the officer shows above everything but the alarm
queue, with the door camera's picture, who calls, for how long, and three finger-sized
buttons (answer, open the door, hang up). Nothing is shown when no call rings."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from ui.viewmodels.officer import OfficerVM

Builder.load_file(str(Path(__file__).with_name("officer_calls.kv")))


class CallPanel(BoxLayout):
    vm = ObjectProperty(None)
    shown = BooleanProperty(False)
    emergency = BooleanProperty(False)
    can_answer = BooleanProperty(False)
    calling = BooleanProperty(False)  # a live call (False: showing how one ended)
    headline = StringProperty("")
    state_text = StringProperty("")
    detail = StringProperty("")
    answer_text = StringProperty("")
    open_text = StringProperty("")
    hangup_text = StringProperty("")
    no_picture = StringProperty("")

    def __init__(self, vm: OfficerVM, **kw: Any) -> None:
        super().__init__(vm=vm, **kw)
        self._frame_of: str | None = None

    # Folded to no height, its buttons would still stand over the header (their minimum height)
    # and, disabled, swallow the touches meant for it: no touch is taken while no call rings.
    def on_touch_down(self, touch: Any) -> bool:
        return bool(self.shown and super().on_touch_down(touch))

    def on_touch_move(self, touch: Any) -> bool:
        return bool(self.shown and super().on_touch_move(touch))

    def on_touch_up(self, touch: Any) -> bool:
        return bool(self.shown and super().on_touch_up(touch))

    def refresh(self) -> None:
        vm, t, desk = self.vm, self.vm.t, self.vm.calls
        self.answer_text = t("officer.call_answer")
        self.open_text = t("officer.call_open")
        self.hangup_text = t("officer.call_hangup")
        call = desk.current
        past = [
            t(
                "officer.call_past",
                at=time.strftime("%H:%M", time.localtime(c.at)),
                door=vm.door_name(c.door),
                how=t(f"officer.call_end.{c.state}"),
            )
            for c in desk.past[:3]
        ]
        if call is None:
            self._frame_of = None
            ended = desk.ended_shown()
            self.shown = ended is not None
            if ended is not None:  # how the call ended, for a few seconds, with no buttons
                kind = t("officer.call_emergency" if ended.emergency else "officer.call_desk")
                self.headline = f"{kind} · {vm.door_name(ended.door)}"
                how = t(f"officer.call_over.{ended.state}")
                if how.startswith("officer."):
                    how = t(f"officer.call_end.{ended.state}")
                self.state_text = t("officer.call_over", how=how)
                self.emergency, self.can_answer, self.calling = ended.emergency, False, False
                self.detail = "\n".join(past[1:])
            return
        self.shown = self.calling = True
        self.emergency = call.emergency
        kind = t("officer.call_emergency" if call.emergency else "officer.call_desk")
        self.headline = f"{kind} · {vm.door_name(call.door)}"
        since = max(0, int(vm.clock.now() - call.at))
        if call.asked:
            state = t(f"officer.call_asked.{call.asked}")
        elif call.state == "answered":
            state = t("officer.call_talking", s=since)
        else:
            state = t("officer.call_ringing", s=since)
        self.state_text = state
        self.can_answer = call.state == "ringing" and not call.asked
        extra = [t("officer.call_waiting", n=desk.waiting)] if desk.waiting else []
        if desk.problem:
            extra.insert(0, t(desk.problem))
        self.detail = "\n".join(extra + past)
        camera = self.ids.camera
        self.no_picture = t("officer.call_no_picture")
        if call.frame is not None:
            frame, call.frame = call.frame, None  # decode each frame once
            camera.show(frame, None)
        self._frame_of = call.call_id
