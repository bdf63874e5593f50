"""Pictures of the officer wall and the manager console on the compound of the real size.

``xvfb-run -a python -m ui.xian_shots DB OUTDIR``: DB is a database filled by
``compound sample --size xian``; the compound is staged by ``devkit.xian_screens.Shots`` (its
own core and Mosquitto, a site plan with every door, door alarms already open, a forced door
with its camera's picture, an emergency call ringing the wall) and what the wall (1920×1080:
the forced door's pop-up, the call, the site map, the event viewer, the lockdown dialog), the
console (1280×800: site plan, a search by pinyin initials, the pinyin keyboard when a card is
swiped, a schedule with two spans a day) and a door panel (1024×600) show is saved as PNGs
with a 256-colour palette.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from compound.adapters import images
from compound.domain.clock import SystemClock
from devkit import card_wedge
from devkit.xian_screens import Shots


def pump(seconds: float, until: Callable[[], Any] | None = None) -> None:
    from kivy.base import EventLoop

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        EventLoop.idle()
        if until is not None and until():
            return
        time.sleep(0.02)


# Door alarms open before the wall starts: they wait in its queue and do not pop up.
BACKLOG = {"held_open": 6, "tamper": 2, "forced_open": 3}
NOTICE = "12号楼本周六 9:00-12:00 停水检修，请提前储水。"


def tap(widget: Any) -> None:
    """A finger press and release in the middle of the widget, through the window."""
    from kivy.tests.common import UnitTestTouch

    touch = UnitTestTouch(*widget.to_window(widget.center_x, widget.center_y))
    touch.touch_down()
    pump(0.05)
    touch.touch_up()
    pump(0.05)


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
        shots.boards_report()
        shots.backlog(BACKLOG)
        gw = MqttGateway(shots.cfg, shots.topics, "ui-officer-shots", dispatch=ui_dispatch)
        gw.start()
        wall = build_role("officer", gw, Strings("zh"), SystemClock(), station="wall")
        Window.size = (1920, 1080)
        Window.add_widget(wall.root)
        wall.vm.load()
        backlog = sum(BACKLOG.values())
        pump(60, lambda: len(wall.vm.doors) >= 150 and wall.vm.site)
        pump(30, lambda: wall.vm.alarm_total >= backlog)
        pump(30, lambda: len(wall.root.tile_views()) == len(wall.vm.doors))  # a few a frame
        shots.camera("b12-e2")
        pump(1)
        shots.forced()
        urgent = wall.root.urgent_view
        pump(30, lambda: urgent.popup is not None and urgent.popup.item.picture == "jpeg")
        pump(2)
        save_png(wall.root, str(a.out / "officer_xian_forced.png"), popups=True)
        if urgent.popup is not None:
            urgent.popup.close()
        shots.emergency_call()
        pump(30, lambda: wall.root.call_panel.shown and urgent.popup is not None)
        pump(1)
        while urgent.popup is not None:  # the call's pop-up: the picture is of the strip
            urgent.popup.close()
            pump(1)
        pump(1)
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
        wall.root.show_view("overview")
        lockdown = wall.root.ask_lockdown()
        pump(2)
        save_png(wall.root, str(a.out / "officer_xian_lockdown.png"), popups=True)
        lockdown.dismiss(animation=False)
        pump(0.5)
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
        schedule_with_spans(console, a.out / "manager_xian_schedule.png")
        pinyin_with_a_card(console, a.out / "manager_xian_pinyin.png")
        Window.remove_widget(console.root)
        console.root.stop()
        mgw.stop()
        dgw = MqttGateway(shots.cfg, shots.topics, "ui-door-shots", dispatch=ui_dispatch)
        dgw.start()
        until = time.strftime("%Y-%m-%d", time.localtime(time.time() + 7 * 86400))
        notice = {"text": NOTICE, "by": "物业", "valid_until": until, "buildings": "12"}
        shots.admin.request("notice.post", notice, 30)
        panel = build_role("door", dgw, Strings("zh"), SystemClock(), door="b12-e1")
        Window.size = (1024, 600)
        Window.add_widget(panel.root)
        panel.vm.load()
        pump(30, lambda: panel.vm.door_name != "b12-e1")
        shots.camera("b12-e1")  # the panel's own camera
        pump(2)
        save_png(panel.root, str(a.out / "door_xian.png"))
        Window.remove_widget(panel.root)
        panel.root.stop()
        dgw.stop()
        for png in sorted(a.out.glob("*_xian*.png")):
            print(f"{png.name}: {images.small_png(str(png)) // 1024} KB")
    finally:
        shots.close()


def pinyin_with_a_card(console: Any, out: Path) -> None:
    """A new resident's name typed on the pinyin keyboard when a card is swiped on the reader:
    the number goes to the card field and the note says so; the name keeps its syllable."""
    from kivy.core.window import Window

    from ui.app import save_png
    from ui.screens import pinyin_keyboard

    root = console.root
    root.tab = "register"
    root.ids.p_search.text = ""
    pump(0.5)
    tap(root.ids.f_name)
    tap(root.ids.f_name_kbd)
    kb = root.keyboard
    pump(60, lambda: pinyin_keyboard._index is not None)
    for ch in "wang":
        tap(kb.keys[ch])
    tap(kb.cands[[b.text for b in kb.cands].index("王")])
    for ch in "xia":
        tap(kb.keys[ch])
    card_wedge.swipe(Window, "0012345678")
    pump(10, lambda: root.ids.c_card.text == "0012345678")
    pump(1)
    save_png(root, str(out), popups=True)
    kb.dismiss(animation=False)
    pump(0.5)


def schedule_with_spans(console: Any, out: Path) -> None:
    """A new visitor schedule in the editor: two spans on weekdays, one at weekends (not saved)."""
    from ui.app import save_png

    root = console.root
    tap(root.console.buttons["schedules"])
    page = root.console.page("schedules")
    pump(30, lambda: bool(page.vm.page_doors))
    tap(page.door_rows.buttons[0])
    tap(page.new_sched)
    page.s_name.text = "单元门访客时段"

    def span(start: str, end: str) -> None:
        page.s_from.text, page.s_to.text = start, end
        tap(page.add_span)

    span("6:00", "9:00")  # Monday to Friday are on at first
    span("16:30", "22:00")
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        tap(page.s_days[day])
    span("8:00", "20:00")
    pump(10, lambda: len(page.vm.draft.spans) == 3)
    pump(1)
    save_png(root, str(out))
    page.close_editor()


if __name__ == "__main__":
    main()
