"""Pictures of the officer wall and the manager console on the compound of the real size.

``xvfb-run -a python -m ui.xian_shots DB OUTDIR``: DB is a database filled by
``compound sample --size xian``; the compound is staged by ``devkit.xian_screens.Shots`` (its
own core and Mosquitto, a site plan with every door, a forced door, an emergency call ringing
the wall) and what the wall (1920×1080), the console (1280×800: site plan, a search by pinyin
initials) and a door panel (1024×600) show is saved as PNGs with a 256-colour palette.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from compound.adapters import images
from compound.domain.clock import SystemClock
from devkit.xian_screens import Shots


def pump(seconds: float, until: Callable[[], Any] | None = None) -> None:
    from kivy.base import EventLoop

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        EventLoop.idle()
        if until is not None and until():
            return
        time.sleep(0.02)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("db", type=Path, help="a database made by compound sample --size xian")
    ap.add_argument("out", type=Path, help="folder for the PNGs")
    a = ap.parse_args()
    from ui import kivy_env

    kivy_env.prepare(1920, 1080)
    from kivy.base import EventLoop
    from kivy.core.window import Window

    from ui.app import build_role, save_png, ui_dispatch
    from ui.gateway import MqttGateway
    from ui.i18n import Strings

    EventLoop.ensure_window()
    shots = Shots(a.db, a.out)
    a.out.mkdir(parents=True, exist_ok=True)
    try:
        shots.stage()
        gw = MqttGateway(shots.cfg, shots.topics, "ui-officer-shots", dispatch=ui_dispatch)
        gw.start()
        wall = build_role("officer", gw, Strings("zh"), SystemClock(), station="wall")
        Window.size = (1920, 1080)
        Window.add_widget(wall.root)
        wall.vm.load()
        pump(60, lambda: len(wall.vm.doors) >= 150 and wall.vm.site)
        shots.incidents()
        pump(30, lambda: wall.root.call_panel.shown and wall.vm.alarm_total >= 2)
        pump(2)
        save_png(wall.root, str(a.out / "officer_xian_call.png"))
        wall.root.show_view("map")
        pump(30, lambda: wall.root.views["map"].plan.has_image)
        pump(2)
        save_png(wall.root, str(a.out / "officer_xian_map.png"))
        wall.vm.calls.hang_up()
        wall.root.show_view("events")
        wall.vm.events.set_category("passages")
        pump(20, lambda: len(wall.vm.events.items) > 10 and not wall.root.call_panel.shown)
        pump(2)
        save_png(wall.root, str(a.out / "officer_xian_events.png"))
        Window.remove_widget(wall.root)
        wall.root.stop()
        gw.stop()
        mgw = MqttGateway(shots.cfg, shots.topics, "ui-manager-shots", dispatch=ui_dispatch)
        mgw.start()
        console = build_role("manager", mgw, Strings("zh"), SystemClock(), screen="siteplan")
        Window.size = (1280, 800)
        Window.add_widget(console.root)
        console.vm.load()
        console.root.site_map.selected = "b12-e2"
        pump(30, lambda: console.root.siteplan.plan.has_image)
        pump(2)
        save_png(console.root, str(a.out / "manager_xian_siteplan.png"))
        console.root.tab = "register"
        console.root.ids.p_search.text = "wxm"  # pinyin initials: 王小明 and the others
        pump(30, lambda: console.vm.people.total > 0 and console.vm.people.items)
        pump(2)
        save_png(console.root, str(a.out / "manager_xian_people.png"))
        Window.remove_widget(console.root)
        console.root.stop()
        mgw.stop()
        dgw = MqttGateway(shots.cfg, shots.topics, "ui-door-shots", dispatch=ui_dispatch)
        dgw.start()
        panel = build_role("door", dgw, Strings("zh"), SystemClock(), door="b12-e1")
        Window.size = (1024, 600)
        Window.add_widget(panel.root)
        panel.vm.load()
        pump(30, lambda: panel.vm.door_name != "b12-e1")
        pump(2)
        save_png(panel.root, str(a.out / "door_xian.png"))
        Window.remove_widget(panel.root)
        panel.root.stop()
        dgw.stop()
        for png in sorted(a.out.glob("*_xian*.png")):
            print(f"{png.name}: {images.small_png(str(png)) // 1024} KB")
    finally:
        shots.close()


if __name__ == "__main__":
    main()
