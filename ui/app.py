"""The Kivy application: one role per process, talking to the core through a gateway."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.clock import Clock
from kivy.uix.widget import Widget

from compound.domain.clock import Clock as CompoundClock
from compound.domain.clock import SystemClock
from ui.gateway import Gateway
from ui.i18n import Strings

if TYPE_CHECKING:
    from ui.viewmodels.officer_alarms import UrgentRule

log = logging.getLogger(__name__)


def ui_dispatch(fn: Callable[[], None]) -> None:
    """Run ``fn`` on the UI thread at the next frame (safe to call from any thread)."""
    Clock.schedule_once(lambda dt: fn(), 0)


_qr_pool: ThreadPoolExecutor | None = None


def background_qr_scan(jpeg: bytes, done: Callable[[str | None], None]) -> None:
    """Look for a QR code in a preview frame on a worker thread; ``done`` runs on the UI thread.

    OpenCV is imported here, lazily, through the camera module (the one module that imports
    it), so a panel without a camera never loads it."""
    global _qr_pool
    if _qr_pool is None:
        _qr_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ui-qr")

    def work() -> None:
        text: str | None = None
        try:
            from compound.adapters.camera import decode_qr

            text = decode_qr(jpeg)
        except Exception:  # noqa: BLE001 - a frame that cannot be read is no pass
            log.debug("QR scan failed", exc_info=True)
        ui_dispatch(lambda: done(text))

    _qr_pool.submit(work)


def save_png(widget: Widget, path: str, popups: bool = False) -> None:
    """The widget as drawn, into a PNG (the window's own screenshot renames the file); with
    ``popups``, the pop-ups open over the window are drawn over it as on the screen.

    Drawn upright into an offscreen buffer of the window's layout and flipped when saved:
    the scroll views clip with scissor rectangles in window coordinates (``ScissorClip``), which
    Kivy's own export, drawing upside down, would put in the mirrored place."""
    from pathlib import Path

    from kivy.core.image import Image
    from kivy.graphics import ClearBuffers, ClearColor, Fbo, Translate
    from kivy.uix.modalview import ModalView

    from ui.widgets import WINDOW_BG

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    window = widget.get_root_window()
    over = [w for w in reversed(window.children) if isinstance(w, ModalView)] if popups else []
    drawn = [widget, *over]
    # The wall draws no background of its own (the window is cleared with its colour, which
    # costs nothing in software GL); an export has no window behind it, so it gets one.
    fbo = Fbo(size=(int(widget.width), int(widget.height)), with_stencilbuffer=True)
    with fbo:
        ClearColor(*WINDOW_BG)
        ClearBuffers()
        Translate(-widget.x, -widget.y, 0)
    places = []
    for w in drawn:
        parent = w.parent.canvas if w.parent is not None else window.canvas
        at = parent.indexof(w.canvas)
        if at > -1:
            parent.remove(w.canvas)
        places.append((parent, at))
        fbo.add(w.canvas)
    try:
        fbo.draw()
        Image(fbo.texture).save(path, flipped=True)
    finally:
        for w, (parent, at) in reversed(list(zip(drawn, places, strict=True))):
            fbo.remove(w.canvas)
            if at > -1:
                parent.insert(at, w.canvas)


@dataclass
class Built:
    root: Widget
    vm: Any
    loaded: Callable[[], bool]


def build_role(
    role: str,
    gateway: Gateway,
    strings: Strings,
    clock: CompoundClock,
    door: str = "gate",
    screen: str | None = None,
    camera: str | None = None,
    station: str = "wall",
    ring_group: str = "officer",
    urgent: UrgentRule | None = None,
    notice_spread_s: float | None = None,
) -> Built:
    """The root widget and viewmodel of one role; imports only that role's screen.
    ``notice_spread_s``: the door panel's window for asking after the notices changed (None:
    its default)."""
    if role == "door":
        from ui.screens.door import DoorScreen
        from ui.viewmodels.door import DoorPanelVM
        from ui.viewmodels.door_notices import SPREAD_S

        spread = SPREAD_S if notice_spread_s is None else notice_spread_s
        dvm = DoorPanelVM(
            gateway, strings, clock, door, camera, background_qr_scan, notice_spread_s=spread
        )
        if screen == "pin":
            dvm.set_mode("pin")
        return Built(DoorScreen(dvm), dvm, lambda: dvm.door_name != door)
    if role == "officer":
        from ui.screens.officer import OfficerScreen
        from ui.viewmodels.officer import OfficerVM

        ovm = OfficerVM(gateway, strings, clock, station, ring_group)
        if urgent is not None:  # which alarms pop up and sound (the config's [wall])
            ovm.bell.rule = urgent
        return Built(OfficerScreen(ovm), ovm, lambda: bool(ovm.doors) and bool(ovm.site))
    if role == "manager":
        from ui.screens.manager import ManagerScreen
        from ui.viewmodels.manager import ManagerVM

        mvm = ManagerVM(gateway, strings)
        return Built(ManagerScreen(mvm, tab=screen, camera=door), mvm, lambda: bool(mvm.site))
    raise ValueError(f"unknown role {role!r}")


class CompoundApp(App):
    def __init__(
        self,
        role: str,
        gateway: Gateway,
        strings: Strings,
        door: str = "gate",
        screen: str | None = None,
        screenshot: str | None = None,
        clock: CompoundClock | None = None,
        settle_s: float = 1.0,
        camera: str | None = None,
        station: str = "wall",
        ring_group: str = "officer",
        urgent: UrgentRule | None = None,
        notice_spread_s: float | None = None,
    ) -> None:
        super().__init__()
        self.role = role
        self.notice_spread_s = notice_spread_s
        self.gateway = gateway
        self.strings = strings
        self.door = door
        self.screen = screen
        self.camera = camera
        self.station, self.ring_group = station, ring_group
        self.urgent = urgent
        self.screenshot = screenshot
        self.clock = clock or SystemClock()
        self.settle_s = settle_s
        self.built: Built | None = None
        self.title = {
            "door": "门口机 Door panel",
            "officer": "警务大屏 Officer wall",
            "manager": "物业管理 Manager console",
        }[role]

    def build(self) -> Widget:
        self.built = build_role(
            self.role,
            self.gateway,
            self.strings,
            self.clock,
            self.door,
            self.screen,
            self.camera,
            self.station,
            self.ring_group,
            self.urgent,
            self.notice_spread_s,
        )
        return self.built.root

    def on_start(self) -> None:
        self.gateway.start()
        if self.built is not None:
            self.built.vm.load()
        if self.screenshot:
            self._waited = 0.0
            Clock.schedule_interval(self._maybe_shoot, 0.25)

    def _maybe_shoot(self, dt: float) -> bool:
        self._waited += dt
        if self.built is not None and not self.built.loaded() and self._waited < 15:
            return True
        # Let the last answers and the layout settle before taking the picture.
        Clock.schedule_once(lambda _dt: self._shoot(), self.settle_s)
        return False

    def _shoot(self) -> None:
        if self.screenshot and self.built is not None:
            save_png(self.built.root, self.screenshot)
        self.stop()

    def on_stop(self) -> None:
        self.gateway.stop()
