"""The door panel screen (1024×600 kiosk)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from ui.viewmodels.door import DoorPanelVM
from ui.viewmodels.door_parse import door_title
from ui.widgets import TouchButton

Builder.load_file(str(Path(__file__).with_name("door.kv")))

KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "-", "0", "<")


class DoorScreen(BoxLayout):
    vm = ObjectProperty(None)
    title_text = StringProperty("")
    time_text = StringProperty("")
    lang_text = StringProperty("")
    banner_text = StringProperty("")
    status_text = StringProperty("")
    status_kind = StringProperty("info")
    entry_text = StringProperty("")
    hint_text = StringProperty("")
    mode = StringProperty("dial")
    in_call = BooleanProperty(False)
    dial_text = StringProperty("")
    pin_text = StringProperty("")
    clear_text = StringProperty("")
    ok_text = StringProperty("")
    emergency_text = StringProperty("")
    notices_title = StringProperty("")
    notices_text = StringProperty("")
    no_camera_text = StringProperty("")

    def __init__(self, vm: DoorPanelVM, **kw: object) -> None:
        super().__init__(vm=vm, **kw)
        for k in KEYS:
            accent = "quiet" if k in "-<" else "primary"
            b = TouchButton(text="←" if k == "<" else k, accent=accent, font_size="30sp")
            b.bind(on_release=lambda _b, k=k: vm.key(k))
            self.ids.keypad.add_widget(b)
        # Many bus messages in one frame cause one redraw (Electrum's trigger pattern).
        self._trigger = Clock.create_trigger(lambda dt: self.refresh(), 0)
        vm.listeners.append(self._trigger)
        vm.t.listeners.append(self._trigger)
        self._tick = Clock.schedule_interval(lambda dt: vm.tick(), 1.0)
        self.refresh()

    def refresh(self) -> None:
        vm, t = self.vm, self.vm.t
        self.title_text = door_title(vm.door, vm.door_name, t)
        self.time_text = time.strftime("%H:%M")
        self.lang_text = t("lang.switch")
        self.banner_text = vm.banner
        self.status_text = vm.status_line
        self.status_kind = vm.status_kind
        self.entry_text = vm.entry_display
        self.hint_text = vm.hint
        self.mode = vm.mode
        self.in_call = bool(vm.call_state)
        self.dial_text = t("door.mode_dial")
        self.pin_text = t("door.mode_pin")
        self.clear_text = t("door.clear")
        self.ok_text = (
            t("door.hangup")
            if vm.call_state
            else t("door.call" if vm.mode == "dial" else "door.ok")
        )
        self.emergency_text = t("door.emergency")
        count = vm.notice_count
        self.notices_title = f"{t('door.notices')}  {count}" if count else t("door.notices")
        self.notices_text = vm.notice_text
        self.no_camera_text = t("door.no_camera")
        face = vm.face if vm.clock.now() - vm.face_at < 2.0 else None
        frame, vm.frame = vm.frame, None  # decode each frame once
        self.ids.camera.show(frame, face)

    def notices_touched(self, panel: Any, touch: Any) -> bool:
        if panel.collide_point(*touch.pos):
            self.vm.next_notice()
            return True
        return False

    def stop(self) -> None:
        self._tick.cancel()
