"""The screen walk on the compound of the real size (``compound sample --size xian``: 156 doors,
~24,700 people with long names and door names in two languages) with 131 open alarms of several
kinds and an emergency call ringing: each role at its own screen size, every view in both
languages, each text in the screen's language and fitting its widget (tests/ui/screen_text.py).

The sample, with a day of passages, is built once for the module (about 30 s) and staged by
``devkit.xian_screens.Shots`` (its own core on its own Mosquitto, the site plan with every door
placed); the demo compound's walk (tests/ui/test_screen_walk.py) covers every dialog, this one
the views whose lists, counts and names grow with the compound."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from compound.domain.clock import SystemClock
from compound.protocol.messages import DoorEvent, encode
from compound.services import alerts
from compound.services.alerts import Watched
from compound.store.db import Store
from devkit.sample import sample
from devkit.xian_screens import Shots
from tests.ui.conftest import CONSOLE_SIZE, PANEL_SIZE, WALL_SIZE, Driver, gateway, on_screen
from tests.ui.screen_text import Walk, popup, tab, texts, view

pytestmark = [pytest.mark.ui, pytest.mark.integration]

ELDERLY = 100  # elderly people living alone not seen for two days (the rule's alarms)
# What the doors report (their own alarms, raised by the core from each door event): fewer
# than the wall's page of the most severe alarms, so that the elderly people's come after them.
DOOR_ALARMS = {"forced_open": 20, "held_open": 8, "tamper": 1, "fire_release": 1}
OPEN_ALARMS = ELDERLY + 1 + sum(DOOR_ALARMS.values())  # and a suspected group rental: 131


class XianSite:
    """The staged xian compound, as the walks ask for it."""

    def __init__(self, shots: Shots, names: list[str]) -> None:
        self.shots = shots
        self.store, self.topics, self.bus_config = shots.store, shots.topics, shots.cfg
        self.names = names  # the residents' names and the site's: data, in any language


def _rule_alarms(store: Store) -> None:
    """The alarms the core's rules raise after a day on this compound, in the rules' own
    words: elderly people living alone not seen for two days, a suspected group rental."""
    now = SystemClock().now()
    old = store.read(
        "SELECT p.id, p.name, u.address FROM people p JOIN households h ON h.id = p.household_id"
        " JOIN units u ON u.id = h.unit_id WHERE p.lives_alone = 1 ORDER BY p.id LIMIT ?",
        (ELDERLY,),
    )
    watched = [Watched(r["id"], r["name"], r["address"], now - 49 * 3600, None) for r in old]
    firings = alerts.elderly_unseen(watched, now, 48, "medium", {})
    firings += alerts.group_rental(
        [alerts.UnitEntrants("12-2-1102", 2, 9)], now, 2.0, 3, 7 * 86400, "high", {}
    )
    assert len(firings) == ELDERLY + 1
    with store.transaction():
        for i, f in enumerate(firings):  # each absence crossed the line at its own time
            store.raise_alarm(
                f.rule,
                f.message,
                severity=f.severity,
                person_id=f.person_id,
                data=f.data,
                at=now - 3600 - i * 900,
            )


@pytest.fixture(scope="module")
def xian_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("xian")
    store = Store(work / "c.db", SystemClock(), work / "keys")
    try:
        store.set_setting("site_id", "xian")
        sample(store, "xian", days=1)  # and a day of passages (~50,000)
        _rule_alarms(store)
    finally:
        store.close()
    return work / "c.db"


@pytest.fixture(scope="module")
def xian(xian_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[XianSite]:
    shots = Shots(xian_db, tmp_path_factory.mktemp("xian-out"))
    try:
        shots.stage()
        names = [str(r["name"]) for r in shots.store.read("SELECT name FROM people")]
        names += [shots.store.setting("site_name") or "", "xian"]
        site = XianSite(shots, names)
        now = SystemClock().now()
        doors = iter(sorted(d.id for d in shots.store.doors() if d.id.startswith("b"))[1:])
        for kind, n in DOOR_ALARMS.items():
            for _ in range(n):
                door = next(doors)
                shots.admin.publish(
                    shots.topics.door_event(door), encode(DoorEvent(door, kind, now))
                )
        yield site
    finally:
        shots.close()


def test_wall_on_the_xian_compound_in_both_languages(xian: XianSite, driver: Driver) -> None:
    from ui.i18n import Strings

    gw = gateway(xian, "officer", "xian")
    strings = Strings("zh")
    with on_screen(driver, gw, "officer", WALL_SIZE, strings, station="wall") as built:
        root, vm = built.root, built.vm
        driver.until(
            lambda: len(vm.doors) >= 156 and vm.alarm_total >= OPEN_ALARMS,
            timeout=120,
            what=f"wall loaded: {len(vm.doors)} doors, {vm.alarm_total} alarms",
        )
        xian.shots.incidents()  # a forced door and an emergency call from a panel
        driver.until(lambda: root.call_panel.shown, timeout=60, what="the call rings")
        walk = Walk(driver, strings, xian.names)
        top = xian.store.read(
            "SELECT p.id, p.name FROM events e JOIN people p ON p.id = e.person_id"
            " WHERE e.type = 'access.granted' GROUP BY p.id ORDER BY COUNT(*) DESC LIMIT 1"
        )[0]
        someone, someone_id = str(top["name"]), int(top["id"])
        # The rules' alarms are among what the walk reads (in the wall's words, not the log's).
        driver.until(lambda: any("登记住户" in t for t in texts(driver.window)), what="rental")
        events = vm.events

        def passages() -> tuple[Callable[[], Any], Callable[[], Any]]:
            def go() -> None:
                root.show_view("events")
                events.set_category("passages")
                driver.until(lambda: len(events.items) > 10, what="a page of passages")

            def close() -> None:
                events.set_category("all")
                root.show_view("overview")

            return (go, close)

        def trail() -> tuple[Callable[[], Any], Callable[[], Any]]:
            def go() -> None:
                root.show_view("events")
                events.people.search(someone)
                driver.until(lambda: bool(events.people.items), what=f"found {someone}")
                events.set_person(someone_id, someone)  # the one of that name who passed most
                driver.until(lambda: bool(events.items), what="their passages")

            def close() -> None:
                events.set_person(None)
                root.show_view("overview")

            return (go, close)

        def alarms_at_the_end() -> tuple[Callable[[], Any], Callable[[], Any]]:
            """The queue scrolled to its last rows: the elderly not seen (only the rows in
            sight are drawn)."""
            scroll = root.ids.alarm_scroll

            def go() -> None:
                scroll.scroll_y = 0
                said = ("未在任何门出现", "not seen at any door")
                driver.until(
                    lambda: any(w in t for t in texts(driver.window) for w in said),
                    what="the elderly people's alarms in sight",
                )

            return (go, lambda: setattr(scroll, "scroll_y", 1))

        def search() -> tuple[Callable[[], Any], Callable[[], Any]]:
            def go() -> None:
                vm.search(someone)
                driver.until(lambda: bool(vm.search_lines()), what=f"{someone}'s passages")

            return (go, lambda: None)

        walk.each_language(
            [
                ("overview, 131 alarms, a call ringing", lambda: None, lambda: None),
                ("acknowledge", *popup(lambda: root.alarm_queue.ask(vm.incidents()[0]))),
                ("the alarm queue's last rows", *alarms_at_the_end()),
                ("event viewer", *view(root, "events")),
                ("event viewer, a day of passages", *passages()),
                ("event viewer, one person's trail", *trail()),
                ("a person's passages on the overview", *search()),
                ("site map", *view(root, "map")),
            ]
        )
        walk.verdict()


def test_console_on_the_xian_compound_in_both_languages(xian: XianSite, driver: Driver) -> None:
    from ui.i18n import Strings

    gw = gateway(xian, "manager", "xian")
    strings = Strings("zh")
    with on_screen(driver, gw, "manager", CONSOLE_SIZE, strings) as built:
        root, vm = built.root, built.vm
        driver.until(lambda: bool(vm.site) and vm.people.total > 20000, what="console loaded")
        walk = Walk(driver, strings, [*xian.names, str(Path.home())])  # the files' folder

        def search(text: str) -> tuple[Callable[[], Any], Callable[[], Any]]:
            def go() -> None:
                root.tab = "register"
                root.ids.p_search.text = text
                vm.people.search(text)
                driver.until(
                    lambda: (0 < vm.people.total < 20000) if text else vm.people.total > 20000,
                    what=f"found by {text!r}",
                )

            return (go, lambda: None)

        def card_swiped_while_typing() -> tuple[Callable[[], Any], Callable[[], Any]]:
            held: list[Any] = []

            def go() -> None:
                root.tab = "register"
                kb = root.open_keyboard(root.ids.f_name)
                driver.swipe("0012345678")
                driver.until(lambda: root.ids.c_card.text == "0012345678", what="card read")
                held.append(kb)
                walk.as_typed[:] = [kb.typed, kb.mode, *kb.cands]

            def close() -> None:
                held.pop().dismiss()
                walk.as_typed.clear()
                root.ids.c_card.text = ""

            return (go, close)

        walk.each_language(
            [
                ("people, all of them", *search("")),
                ("people found by wxm", *search("wxm")),
                ("people of building 12 entrance 2", *search("12-2")),
                ("a card swiped on the pinyin keyboard", *card_swiped_while_typing()),
                ("notices to buildings", *tab(root, "notices")),
                ("door schedules, 156 doors", *tab(root, "schedules")),
                ("site plan, every door placed", *tab(root, "siteplan")),
            ]
        )
        walk.verdict()


def test_door_panel_on_the_xian_compound_in_both_languages(xian: XianSite, driver: Driver) -> None:
    """A building door of the largest kind: its long name, the dial refusals of a compound
    whose rooms repeat in every entrance."""
    from ui.i18n import Strings

    gw = gateway(xian, "door", "xian")
    strings = Strings("zh")
    with on_screen(driver, gw, "door", PANEL_SIZE, strings, door="b55-e2") as built:
        root, vm = built.root, built.vm
        driver.until(lambda: vm.door_name != "b55-e2", what="panel loaded")
        walk = Walk(driver, strings, xian.names)

        def dial(entry: str) -> tuple[Callable[[], Any], Callable[[], Any]]:
            def go() -> None:
                before = root.status_text
                vm.set_mode("dial")
                for k in entry:
                    vm.key(k)
                vm.ok()
                driver.until(lambda: root.status_text != before, what=f"dial {entry}")

            return (go, lambda: None)

        walk.both(
            [
                ("dialling", lambda: vm.set_mode("dial"), lambda: None),
                ("a room of another entrance", *dial("12-1-101")),
                ("no such room", *dial("9999")),
            ]
        )
        walk.verdict()
