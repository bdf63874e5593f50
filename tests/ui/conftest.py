"""A real Kivy window under Xvfb, the real core on a real Mosquitto, and touches that press
widgets where they are drawn."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from compound.adapters.broker import Mosquitto
from compound.adapters.mqtt import Bus, BusConfig
from compound.app.wiring import build_core
from compound.config import Config
from compound.domain.clock import SystemClock
from compound.protocol.topics import Topics
from compound.store.db import Store
from devkit import card_wedge
from devkit.env import DATA, seed_compound

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
# The screens of the three roles: the door panel, the manager's console, the officer wall.
PANEL_SIZE, CONSOLE_SIZE, WALL_SIZE = (1024, 600), (1280, 800), (1920, 1080)


@pytest.fixture(scope="session")
def kivy_window() -> Any:
    if not os.environ.get("DISPLAY"):
        pytest.skip("no X display: run under xvfb-run (./dev test does)")
    from ui import kivy_env

    kivy_env.prepare(1920, 1080)
    from kivy.base import EventLoop
    from kivy.core.window import Window

    EventLoop.ensure_window()
    return Window


class Site:
    """The seeded demo compound with its core (run with ``config``), on the given broker."""

    def __init__(self, tmp: Path, port: int, config: Config | None = None) -> None:
        self.tmp = tmp
        self.seed = json.loads((DATA / "demo_compound.json").read_text(encoding="utf-8"))
        self.topics = Topics(self.seed["site"]["id"])
        self.bus_config = BusConfig(port=port)
        self.store = Store(tmp / "c.db", SystemClock(), tmp / "keys")
        seed_compound(self.store, self.seed)
        self.core_bus = Bus(self.bus_config, self.topics, "core")
        self.core = build_core(self.store, self.core_bus, SystemClock(), config or Config())
        self.core.start()
        self.core_bus.start()
        self.buses: list[Bus] = [self.core_bus]

    def bus(self, client_id: str) -> Bus:
        b = Bus(self.bus_config, self.topics, client_id)
        b.start()
        self.buses.append(b)
        return b

    def close(self) -> None:
        self.core.stop()
        for b in reversed(self.buses):
            b.stop()
        self.store.close()


def gateway(site: Any, role: str, name: str = "test") -> Any:
    """The UI's MQTT gateway on the site's broker (any site with ``bus_config`` and
    ``topics``), answers handed to the Kivy thread."""
    from ui.app import ui_dispatch
    from ui.gateway import MqttGateway

    gw = MqttGateway(site.bus_config, site.topics, f"ui-{role}-{name}", dispatch=ui_dispatch)
    gw.start()
    return gw


def open_screen(
    driver: Driver, gw: Any, role: str, size: tuple[int, int], strings: Any, **build: Any
) -> Any:
    """``role``'s screen on ``gw`` in the language of ``strings``, mounted at ``size`` and
    loading (``build``: the role's options, such as its door or station); the built role.
    The caller stops ``gw``."""
    from ui.app import build_role

    built = build_role(role, gw, strings, SystemClock(), **build)
    driver.mount(built.root, size)
    built.vm.load()
    return built


@contextmanager
def on_screen(
    driver: Driver, gw: Any, role: str, size: tuple[int, int], strings: Any, **build: Any
) -> Iterator[Any]:
    """``open_screen`` for a ``with`` block. After: the pop-ups the screen left over the
    window are closed and ``gw`` is stopped."""
    from tests.ui.screen_text import close_popups

    try:
        yield open_screen(driver, gw, role, size, strings, **build)
    finally:
        close_popups(driver.window)
        gw.stop()


@contextmanager
def door_panel(driver: Driver, site: Site, lang: str) -> Iterator[tuple[Any, dict[str, Any]]]:
    """The door panel of b3-e2 on a gateway of its own, in ``lang``, once it has its door's
    name from the core: the built role and its keypad's keys by label."""
    from ui.i18n import Strings

    with on_screen(
        driver, gateway(site, "door"), "door", PANEL_SIZE, Strings(lang), door="b3-e2"
    ) as built:
        driver.until(lambda: built.vm.door_name != "b3-e2", what="door name")
        yield built, {b.text: b for b in built.root.ids.keypad.children}


@pytest.fixture
def site(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Site]:
    s = Site(tmp_path, mosquitto.port)
    yield s
    s.close()


class Driver:
    """Mounts one role's root widget in the window and pumps Kivy's loop between touches."""

    def __init__(self, window: Any) -> None:
        self.window = window
        self.root: Any = None

    def mount(self, root: Any, size: tuple[int, int]) -> None:
        self.window.size = size
        self.root = root
        self.window.add_widget(root)
        self.pump(0.3)

    def pump(self, seconds: float = 0.1) -> None:
        from kivy.base import EventLoop

        end = time.monotonic() + seconds
        while True:
            EventLoop.idle()
            if time.monotonic() >= end:
                return
            time.sleep(0.01)

    def until(self, cond: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.pump(0.05)
            if cond():
                return
        raise AssertionError(f"timed out waiting for {what or cond}")

    def tap(self, widget: Any) -> None:
        """A finger press and release in the middle of the widget, through the window."""
        # A person taps what is on the screen: a widget just shown (a tab switched to) is laid
        # out on a coming frame, so wait for its layout before judging its size; and a dialog
        # just answered fades out over a few frames, taking every touch until it is gone, so
        # wait (a little) for any dialog the widget is not in to leave the window.
        end = time.monotonic() + 10
        while (widget.width < 48 or widget.height < 48) and time.monotonic() < end:
            self.pump(0.05)
        end = time.monotonic() + 2
        while self._covering(widget) and time.monotonic() < end:
            self.pump(0.05)
        assert widget.width >= 48 and widget.height >= 48, f"{widget} too small for a finger"
        self.tap_at(*widget.to_window(widget.center_x, widget.center_y))

    def tap_at(self, x: float, y: float) -> None:
        """A finger press and release at a point of the window."""
        from kivy.tests.common import UnitTestTouch

        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.pump(0.05)
        touch.touch_up()
        self.pump(0.05)

    def _covering(self, widget: Any) -> bool:
        """Whether a dialog the widget is not part of is on the window (it takes the touch)."""
        from kivy.uix.modalview import ModalView

        inside = set()
        w = widget
        for _ in range(200):  # up the tree to the window
            if w is None:
                break
            inside.add(id(w))
            w = getattr(w, "parent", None)
        return any(isinstance(c, ModalView) and id(c) not in inside for c in self.window.children)

    def type(self, field: Any, text: str) -> None:
        """Focus a text field with a tap and type into it, as a keyboard would (the field's
        input filter applies)."""
        self.tap(field)
        field.select_all()
        field.delete_selection()
        field.insert_text(text)
        self.pump(0.05)
        field.focus = False

    def swipe(self, text: str) -> None:
        """A card swiped on the USB reader (a keyboard wedge) into the focused widget."""
        card_wedge.swipe(self.window, text)
        self.pump(0.1)

    def choose(self, spinner: Any, text: str) -> None:
        """Open a dropdown by touch and tap its entry ``text``; back once the dropdown shows
        it chosen."""
        self.tap(spinner)

        def entries() -> list[Any]:
            return list(spinner._dropdown.container.children)

        self.until(
            lambda: spinner.is_open and any(e.text == text for e in entries()),
            what=f"the chooser open with {text}",
        )
        self.pump(0.3)  # the open dropdown is laid out over the next frames: tap where it ends up
        self.tap(next(e for e in entries() if e.text == text))
        self.until(lambda: spinner.text == text, what=f"{text} chosen")

    def shot(self, name: str) -> Path:
        from ui.app import save_png

        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / name
        save_png(self.root, str(path))
        return path

    def unmount(self) -> None:
        if self.root is not None:
            if hasattr(self.root, "stop"):
                self.root.stop()
            self.window.remove_widget(self.root)
            self.root = None
        # Nothing a test's screen opened over the window may be seen by the next test.
        from kivy.uix.modalview import ModalView

        for child in list(self.window.children):
            if isinstance(child, ModalView):
                child.dismiss(animation=False)


@pytest.fixture
def driver(kivy_window: Any) -> Iterator[Driver]:
    d = Driver(kivy_window)
    yield d
    d.unmount()


def not_blank(path: Path) -> None:
    """The PNG holds a real picture: many distinct colours, not one flat fill."""
    from PIL import Image

    img = Image.open(path).convert("RGB")
    colours = img.getcolors(maxcolors=1_000_000) or []
    assert img.size[0] > 500 and len(colours) > 50, f"{path} looks blank"
