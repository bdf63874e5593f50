"""Every screen, dialog and pop-up of the three roles, in both languages, at the role's screen
size (door panel 1024×600, console 1280×800, wall 1920×1080), in a real Kivy window under Xvfb
against the real core on a real Mosquitto: each text drawn is in the screen's language and fits
the widget that draws it (tests/ui/screen_text.py reads them from the widgets)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from compound.domain.clock import SystemClock
from compound.protocol.messages import DoorEvent, IntercomCall, encode, new_id
from tests.ui.conftest import CONSOLE_SIZE, PANEL_SIZE, Driver, Site, gateway, on_screen
from tests.ui.officer_wall import on_wall
from tests.ui.screen_text import Walk, data_names, popup, tab, view

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def test_wall_every_view_and_dialog_in_both_languages(site: Site, driver: Driver) -> None:
    from ui.i18n import Strings

    site.store.add_station("wall", "officer", ("desk", "officer"))
    zones = zone_reports(site)
    strings = Strings("zh")
    with on_wall(site, driver, strings) as built:
        root, vm = built.root, built.vm
        dev = site.bus("test-door")
        now = SystemClock().now()
        dev.publish(site.topics.door_event("b2-e1"), encode(DoorEvent("b2-e1", "forced_open", now)))
        dev.publish(
            site.topics.intercom_call("b3-e2"), encode(IntercomCall("emergency", new_id(), now))
        )
        driver.until(lambda: root.call_panel.shown and vm.alarm_total >= 2, what="alarm, call")
        walk = Walk(driver, strings, data_names(site) + zones)  # zones are named by their bridge
        disarm = ("bridge1", "east-beam")
        walk.each_language(
            [
                ("overview with a call ringing", lambda: None, lambda: None),
                ("acknowledge", *popup(lambda: root.alarm_queue.ask(vm.incidents()[0]))),
                ("lockdown", *popup(root.ask_lockdown)),
                ("remote open", *popup(lambda: root.ask_open("b2-e1"))),
                ("event viewer", *view(root, "events")),
                ("site map", *view(root, "map")),
                ("alarm zones", *zones_view(root, driver)),
                ("disarm a zone", *popup(lambda: root.views["zones"].ask(disarm, False))),
            ]
        )
        walk.verdict()


def zone_reports(site: Site) -> list[str]:
    """Three zones of bridge1, one tripped, reported on their retained state topics; the names
    the bridge gave them (data, shown as given)."""
    bridge = site.bus("bridge1")
    now = SystemClock().now()
    for zone, name, kind, state in (
        ("east-beam", "东侧红外对射", "intrusion", "normal"),
        ("gate-panic", "南门紧急按钮", "panic", "normal"),
        ("north-fence", "北围墙", "perimeter", "alarm"),
    ):
        body = {"zone": zone, "name": name, "kind": kind, "state": state, "at": now}
        body |= {"location": "3号楼后", "trip": {"id": zone, "at": now}}
        bridge.publish(site.topics.zone_state("bridge1", zone), body, retain=True)
    return ["东侧红外对射", "南门紧急按钮", "北围墙", "3号楼后", "bridge1"]


def zones_view(root: Any, driver: Driver) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """The zones view once it has the three zones, and back to the overview after."""

    def go() -> None:
        root.show_view("zones")
        board = root.views["zones"].board
        driver.until(lambda: len(board.zones) == 3 and root.views["zones"].rows, what="zones")

    return (go, lambda: root.show_view("overview"))


def test_console_every_tab_and_dialog_in_both_languages(
    site: Site, driver: Driver, tmp_path: Path
) -> None:
    from ui.i18n import Strings

    sheet = tmp_path / "residents.csv"  # a sheet the core refuses, with one of each problem
    sheet.write_text(
        "name,unit,role,id_number,lease_end,card\n"
        "王小明,3-2-1501,boss,,,\n"
        "李四,9-9-9999,owner,,,\n"
        "张三,3-2-1501,tenant,12,2020-13-01,12ab\n"
        ",3-2-1501,owner,,,\n",
        encoding="utf-8",
    )
    strings = Strings("zh")
    with on_screen(driver, gateway(site, "manager"), "manager", CONSOLE_SIZE, strings) as built:
        root, vm = built.root, built.vm
        driver.until(lambda: bool(vm.site) and vm.people.total > 0, what="console loaded")
        root.csv_files.open(tmp_path)
        root.import_csv(str(sheet))
        driver.until(lambda: vm.job is not None and vm.job.finished, timeout=60, what="import")
        assert not vm.job.ok and len(vm.job.errors) >= 4
        files = [str(p) for p in tmp_path.iterdir()] + [p.name for p in tmp_path.iterdir()]
        walk = Walk(driver, strings, [*data_names(site), *files, str(tmp_path), str(Path.home())])
        walk.data += ["boss", "12ab", "2020-13-01"]  # the values the sheet got wrong

        def keyboard() -> tuple[Callable[[], Any], Callable[[], Any]]:
            held: list[Any] = []

            def go() -> None:
                root.tab = "register"
                kb = root.open_keyboard(root.ids.f_name)
                for ch in "wxm":
                    kb.letter(ch)
                held.append(kb)
                walk.as_typed[:] = [kb.typed, kb.mode, *kb.cands]

            def close() -> None:
                held.pop().dismiss()
                walk.as_typed.clear()

            return (go, close)

        def spinner(widget: Any) -> tuple[Callable[[], Any], Callable[[], Any]]:
            def go() -> None:
                root.tab = "register"
                widget.is_open = True

            return (go, lambda: setattr(widget, "is_open", False))

        walk.each_language(
            [
                ("register", *tab(root, "register")),
                ("role list", *spinner(root.ids.f_role)),
                ("rental class list", *spinner(root.ids.f_class)),
                ("tenant layer list", *spinner(root.ids.f_layer)),
                ("pinyin keyboard", *keyboard()),
                ("credentials, a PIN proposed", *tab(root, "credentials", vm.suggest_pin)),
                ("face, consent given", *tab(root, "face", lambda: vm.set_consent(True))),
                ("import problems", *tab(root, "import")),
                ("notices", *tab(root, "notices")),
                ("site plan", *tab(root, "siteplan")),
                ("door schedules and holidays", *tab(root, "schedules")),
                ("indoor stations", *tab(root, "stations")),
                ("household", *tab(root, "household")),
            ]
        )
        walk.verdict()


def test_door_panel_every_state_in_both_languages(site: Site, driver: Driver) -> None:
    """Idle with notices, PIN entry, a wrong PIN, the lockout, a refused dial, a room-only
    dial, the emergency call and a refusal in lockdown."""
    from ui.i18n import Strings

    notice = ["本周六上午 9:00-12:00 停水检修，请提前储水。", "如有疑问请致电物业 029-8888 6666。"]
    site.core_bus.request(
        "notice.post",
        {
            "text": "".join(notice) * 3,
            "valid_until": time.strftime("%Y-%m-%d", time.localtime(time.time() + 30 * 86400)),
            "by": "物业",
        },
    )
    strings = Strings("zh")
    gw = gateway(site, "door")
    with on_screen(driver, gw, "door", PANEL_SIZE, strings, door="b3-e2") as built:
        root, vm = built.root, built.vm
        driver.until(lambda: vm.door_name != "b3-e2" and vm.notice_text, what="panel loaded")
        walk = Walk(driver, strings, [*data_names(site), *notice])  # the office's own words
        said: list[str] = []

        def typed(mode: str, entry: str, until: Callable[[], bool], what: str) -> Any:
            def go() -> None:
                before = root.status_text
                vm.set_mode(mode)
                for k in entry:
                    vm.key(k)
                vm.ok()
                driver.until(
                    lambda: root.status_text != before and until(),
                    what=f"{what}: {before!r} -> {root.status_text!r} {vm.entry!r} {vm.mode}",
                )
                said.append(root.status_text)

            return (go, lambda: None)

        def lockdown(on: bool) -> None:
            site.core_bus.request("lockdown.set", {"on": on, "by": "test"})

        def locked_pin() -> None:
            vm.locked_until = 0.0
            lockdown(True)

        walk.both(
            [
                ("dialling, notices", lambda: vm.set_mode("dial"), lambda: None),
                ("PIN entry", lambda: vm.set_mode("pin"), lambda: None),
                ("wrong PIN", *typed("pin", "111111", lambda: "4" in root.status_text, "wrong")),
                (
                    "locked out",
                    *typed(
                        "pin",
                        "111111",
                        lambda: vm.pin_locked_for() > 0 or "3" in root.status_text,
                        "3 tries left",
                    ),
                ),
                (
                    "no such room",
                    *typed("dial", "9-9-9999", lambda: "9999" not in root.status_text, "refused"),
                ),
                ("room only", *typed("dial", "1501", lambda: True, "room dial")),
            ]
        )
        locked_pin()
        try:
            walk.both(
                [
                    (
                        "lockdown refusal",
                        *typed("pin", "258369", lambda: vm.status_kind == "bad", "refused"),
                    )
                ]
            )
        finally:
            lockdown(False)
        walk.both([("emergency", vm.emergency, lambda: None)])  # last: its line stays 45 s
        assert len(set(said)) >= 4, said  # each outcome said something of its own
        walk.verdict()


def test_the_check_finds_a_wrong_language_and_a_text_that_does_not_fit(driver: Driver) -> None:
    """The walk's own check, on planted labels: it is what makes the walks above able to fail."""
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.label import Label

    from tests.ui.screen_text import check

    box = BoxLayout()
    box.add_widget(Label(text="门禁 Door status", size_hint=(None, None), size=(300, 40)))
    box.add_widget(Label(text="十二号楼一单元的门", size_hint=(None, None), size=(40, 40)))
    box.add_widget(
        Label(text="一\n二\n三\n四", size_hint=(None, None), size=(200, 30), text_size=(200, 30))
    )
    box.add_widget(Label(text="b3-e2 12 s CSV", size_hint=(None, None), size=(300, 40)))
    driver.mount(box, (1024, 600))
    found = check(driver.window, "zh")
    assert [f.what for f in found] == ["language", "overflow", "overflow"], found
    assert "Door status" in found[0].detail
    en = check(driver.window, "en")
    assert {f.text for f in en if f.what == "language"} == {
        "门禁 Door status",
        "十二号楼一单元的门",
        "一\n二\n三\n四",
    }
