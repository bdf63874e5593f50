"""Every screen, dialog and pop-up of the three roles, in both languages, at the role's screen
size (door panel 1024×600, console 1280×800, wall 1920×1080), in a real Kivy window under Xvfb
against the real core on a real Mosquitto: each text drawn is in the screen's language and fits
the widget that draws it (tests/ui/screen_text.py reads them from the widgets)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from compound.domain.clock import SystemClock
from compound.protocol.messages import DoorEvent, IntercomCall, encode, new_id
from tests.ui.conftest import Driver, Site, gateway
from tests.ui.screen_text import Finding, check, texts

pytestmark = [pytest.mark.ui, pytest.mark.integration]

# Texts shown in both languages on purpose: the switch names the other language.
BOTH = ("English", "中文", "中/EN", "EN/中")


def data_names(site: Site) -> list[str]:
    """Names from the compound's records, shown as they were registered."""
    people = [p["name"] for p in site.seed["people"]]
    doors = [d["name"] for d in site.seed["doors"]]
    site_names = [site.seed["site"].get("name", ""), site.seed["site"]["id"]]
    return people + doors + site_names + ["张*", "李*", "王*"]


class Walk:
    """Opens each view of a screen in turn, in each language, and collects what is wrong."""

    def __init__(self, driver: Driver, strings: Any, data: list[str]) -> None:
        self.driver, self.strings, self.data = driver, strings, data
        self.found: list[str] = []
        self.seen = 0

    def look(self, name: str, settle: Callable[[], bool] | None = None) -> None:
        self.driver.pump(0.3)
        if settle is not None:
            self.driver.until(settle, what=name)
        self.driver.pump(0.2)  # textures of what the last refresh changed
        shown = texts(self.driver.window)
        assert shown, f"{name}: nothing on screen"
        self.seen += len(shown)
        lang = self.strings.lang
        found: list[Finding] = check(self.driver.window, lang, self.data, BOTH)
        self.found += [f"[{lang} {name}] {f}" for f in found]

    def both(self, views: list[tuple[str, Callable[[], Any], Callable[[], Any]]]) -> None:
        for _ in range(2):
            for name, open_, close in views:
                open_()
                self.look(name)
                close()
            self.strings.toggle()
            self.driver.pump(0.2)

    def verdict(self) -> None:
        assert not self.found, f"{len(self.found)} problem(s):\n" + "\n".join(self.found)


def test_wall_every_view_and_dialog_in_both_languages(site: Site, driver: Driver) -> None:
    from ui.app import build_role
    from ui.i18n import Strings

    site.store.add_station("wall", "officer", ("desk", "officer"))
    gw = gateway(site, "officer")
    strings = Strings("zh")
    try:
        built = build_role("officer", gw, strings, SystemClock(), station="wall")
        root, vm = built.root, built.vm
        driver.mount(root, (1920, 1080))
        vm.load()
        driver.until(lambda: "b3-e2" in vm.doors and vm.site, what="wall loaded")
        dev = site.bus("test-door")
        now = SystemClock().now()
        dev.publish(site.topics.door_event("b2-e1"), encode(DoorEvent("b2-e1", "forced_open", now)))
        dev.publish(
            site.topics.intercom_call("b3-e2"), encode(IntercomCall("emergency", new_id(), now))
        )
        driver.until(lambda: root.call_panel.shown and vm.alarm_total >= 2, what="alarm, call")
        walk = Walk(driver, strings, data_names(site))

        def popup(make: Callable[[], Any]) -> tuple[Callable[[], Any], Callable[[], Any]]:
            held: list[Any] = []
            return (lambda: held.append(make()), lambda: held.pop().dismiss())

        def view(name: str) -> tuple[Callable[[], Any], Callable[[], Any]]:
            return (lambda: root.show_view(name), lambda: root.show_view("overview"))

        walk.both(
            [
                ("overview with a call ringing", lambda: None, lambda: None),
                ("acknowledge", *popup(lambda: root.alarm_queue.ask(vm.incidents()[0]))),
                ("lockdown", *popup(root.ask_lockdown)),
                ("remote open", *popup(lambda: root.ask_open("b2-e1"))),
                ("event viewer", *view("events")),
                ("site map", *view("map")),
            ]
        )
        walk.verdict()
    finally:
        gw.stop()
