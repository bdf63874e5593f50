"""The officer wall's viewmodel at a real compound's size: door tiles grouped and sorted, the
alarm queue, the chart and the lists, against an in-process gateway."""

from __future__ import annotations

import re
import time
from typing import Any

from compound.domain.clock import ManualClock
from tests.ui.officer_wall import alarm, wall
from ui.i18n import STRINGS
from ui.viewmodels.officer_doors import DoorTile, local_name, natural_key


def test_natural_sort_reads_numbers_as_numbers() -> None:
    ids = ["b50-e1", "b6-e2", "b6-e10", "b60-e1", "b6-e1", "b10-e1"]
    assert sorted(ids, key=natural_key) == [
        "b6-e1",
        "b6-e2",
        "b6-e10",
        "b10-e1",
        "b50-e1",
        "b60-e1",
    ]


def test_doors_are_grouped_by_building_in_number_order_gates_apart(clock: ManualClock) -> None:
    vm, _ = wall(clock)
    groups = vm.door_groups()
    assert [g.key for g in groups][:4] == ["site", "1", "2", "3"]
    assert [g.key for g in groups][-1] == "62"
    assert [t.id for t in groups[0].tiles] == ["garage-2", "garage-10", "gate-south"]
    b6 = next(g for g in groups if g.key == "6")
    assert [t.id for t in b6.tiles] == ["b6-e1", "b6-e2", "b6-e3"]
    assert sum(len(g.tiles) for g in groups) == 62 * 3 + 3
    assert vm.group_title("6") == "Building 6" and vm.group_title("site") == "Gates and garages"
    assert vm.tile_label(b6.tiles[1]) == "Entrance 2"
    assert vm.door_name("b6-e2") == "Building 6 entrance 2"
    assert vm.door_name("gate-south") == "South gate (main)"
    vm.t.toggle()
    assert vm.group_title("6") == "6号楼" and vm.tile_label(b6.tiles[1]) == "2单元"
    assert vm.door_name("gate-south") == "南门"


def test_a_door_without_serves_is_grouped_by_its_id() -> None:
    assert DoorTile("b12-e3", "x").building == "12"
    assert DoorTile("gate-north", "x").building == "site"
    assert DoorTile("lobby", "x", serves=["7"]).building == "7"
    assert DoorTile("b1-e1", "x", serves=["*"]).building == "site"
    assert local_name("Main gate", "zh") == "Main gate"  # one language only: as it is


def test_abnormal_doors_come_first_most_urgent_first(clock: ManualClock) -> None:
    alarms = {"b7-e1": "held_open", "b50-e2": "forced_open", "b6-e1": "tamper"}

    def page(p: dict[str, Any]) -> dict[str, Any]:
        return {"items": [], "total": 0, "counts": {}, "doors": alarms}

    vm, gw = wall(clock, {"alarm.page": page})
    gw.deliver("door/b7-e1/state", {"state": "open"})
    gw.deliver("door/b40-e3/state", {"state": "offline"})
    gw.deliver("door/b30-e1/state", {"state": "locked"})
    ids = [t.id for t in vm.abnormal_doors()]
    assert ids == ["b50-e2", "b6-e1", "b7-e1", "b40-e3"]
    assert [t.shown_state for t in vm.abnormal_doors()] == [
        "forced",
        "alarm",
        "held_open",
        "offline",
    ]


def test_a_tile_shows_only_its_own_state_and_latest_open_alarm(clock: ManualClock) -> None:
    """Acknowledging the newest alarm of a locked door leaves it green, whatever else was
    open for it: the core names each door's latest open alarm, and a held-open alarm on a door
    that has closed again does not colour it."""
    doors = {"b3-e1": "held_open"}

    def page(p: dict[str, Any]) -> dict[str, Any]:
        return {"items": [], "total": 0, "counts": {}, "doors": dict(doors)}

    vm, gw = wall(clock, {"alarm.page": page})
    gw.deliver("door/b3-e1/state", {"state": "locked"})
    assert vm.doors["b3-e1"].shown_state == "locked"
    doors.clear()
    vm.refresh_alarms()
    assert vm.doors["b3-e1"].shown_state == "locked"
    doors["b3-e1"] = "forced_open"
    vm.refresh_alarms()
    assert vm.doors["b3-e1"].shown_state == "forced"


def test_the_doors_revisions_count_only_real_changes(clock: ManualClock) -> None:
    """The screens look at every door only after a change: a state or alarm said again is
    none, a new door or a renamed one changes the layout too."""
    doors: dict[str, str] = {}

    def page(p: dict[str, Any]) -> dict[str, Any]:
        return {"items": [], "total": 0, "counts": {}, "doors": dict(doors)}

    vm, gw = wall(clock, {"alarm.page": page})
    gw.deliver("door/b3-e1/state", {"state": "locked"})
    rev, layout = vm.door_rev, vm.door_layout_rev
    gw.deliver("door/b3-e1/state", {"state": "locked"})  # said again
    vm.refresh_alarms()  # no alarm on any door, as before
    assert (vm.door_rev, vm.door_layout_rev) == (rev, layout)
    gw.deliver("door/b3-e1/state", {"state": "open"})
    assert (vm.door_rev, vm.door_layout_rev) == (rev + 1, layout)
    doors["b3-e1"] = "held_open"
    vm.refresh_alarms()
    assert (vm.door_rev, vm.door_layout_rev) == (rev + 2, layout)
    gw.deliver("door/new-door/state", {"state": "locked"})  # a door not listed yet
    assert vm.door_layout_rev == layout + 1 and vm.door_rev > rev + 2
    rev, layout = vm.door_rev, vm.door_layout_rev
    vm.door_pages.load()  # the same doors listed again
    assert (vm.door_rev, vm.door_layout_rev) == (rev, layout)
    vm._on_doors([{"id": "b3-e1", "name": "Entrance renamed", "serves": ["3-1"]}])
    assert (vm.door_rev, vm.door_layout_rev) == (rev + 1, layout + 1)


def test_one_fire_input_is_one_incident_and_emergencies_come_first(clock: ManualClock) -> None:
    t0 = clock.now()
    queue = [  # the core's order: severity, then newest first
        alarm(9, "emergency", t0 + 30, "critical", "b6-e1"),
        alarm(8, "forced_open", t0 + 20, "high", "b50-e1"),
        *[alarm(7 - k, "fire_release", t0 + 3 - k, "high", f"b{12 + k}-e1") for k in range(4)],
        alarm(2, "fire_release", t0 - 600, "high", "b1-e1"),  # an earlier, separate one
        alarm(1, "held_open", t0 - 5, "medium", "b3-e1"),
    ]
    counts = {"emergency": 1, "forced_open": 1, "fire_release": 5, "held_open": 1}
    page = {"items": queue, "total": len(queue), "counts": counts, "doors": {}}
    vm, _ = wall(clock, {"alarm.page": lambda p: page})
    incs = vm.incidents()
    assert [(i.kind, len(i.alarms)) for i in incs] == [
        ("emergency", 1),
        ("forced_open", 1),
        ("fire_release", 4),
        ("fire_release", 1),
        ("held_open", 1),
    ]
    assert incs[0].emergency and not incs[1].emergency
    assert incs[2].ids == [7, 6, 5, 4]
    line = vm.incident_line(incs[2])
    assert "Fire release ×4" in line and "Building 12 entrance 1" in line
    short = vm.incident_line(incs[2], most=1)  # a queue row names its first doors, counts the rest
    assert short.startswith(line.split(", ")[0]) and short.endswith(" and 3 more"), short
    assert vm.incident_line(incs[2], most=4) == line
    assert "[Critical]" in vm.incident_line(incs[0])
    assert vm.alarm_summary() == (" · Fire release 5, Emergency call 1, Forced open 1, Held open 1")
    vm.t.toggle()
    assert "[紧急]" in vm.incident_line(incs[0])
    assert "消防联动开门 ×4" in vm.incident_line(incs[2])
    assert "severity." not in vm.incident_line(incs[0])


def test_acknowledging_an_incident_sends_the_card_and_the_remark_once(
    clock: ManualClock,
) -> None:
    """The officer identifies by card or PIN; the wall sends the whole incident in one request
    and says who the core named. A refusal is translated and acknowledges nothing."""
    t0 = clock.now()
    queue = [alarm(5 - k, "fire_release", t0 - k, "high", f"b{k + 1}-e1") for k in range(4)]
    asked: list[dict[str, Any]] = []

    def ack(p: dict[str, Any]) -> dict[str, Any]:
        asked.append(p)
        if p["value"] == "111111":
            return {"refused": "locked", "retry_in": 30}
        if p["value"] != "12345678":
            return {"refused": "unknown", "tries_left": 4}
        queue[:] = [a for a in queue if a["id"] not in p["ids"]]
        return {"by": "李伟 (0412)", "acknowledged": p["ids"], "skipped": []}

    def page(p: dict[str, Any]) -> dict[str, Any]:
        return {"items": list(queue), "total": len(queue), "counts": {}, "doors": {}}

    vm, gw = wall(clock, {"alarm.page": page, "alarm.ack_officer": ack})
    (inc,) = vm.incidents()
    results: list[bool] = []
    assert not vm.acknowledge(inc.ids, "card", "12345678", "  ")
    assert vm.acks.problem == "Write or pick a remark first" and not asked
    assert not vm.acknowledge(inc.ids, "card", "", "fire drill")
    assert vm.acks.problem == "Swipe your card" and not asked
    assert not vm.acknowledge(inc.ids, "pin", "12ab", "fire drill")
    assert vm.acks.problem == "A PIN is digits only" and not asked
    assert vm.acknowledge(inc.ids, "pin", "999999", "fire drill", results.append)
    assert results == [False] and len(vm.incidents()) == 1
    assert vm.acks.problem == (
        "Not recognised: this card or PIN is not a duty officer's. Nothing was acknowledged."
        " (4 tries left)"
    )
    vm.t.toggle()
    assert vm.acknowledge(inc.ids, "pin", "111111", "fire drill", results.append)
    assert vm.acks.problem == "错误次数过多，请 30 秒后再试，或改用另一种方式"
    vm.t.toggle()
    assert vm.acknowledge(
        inc.ids, "card", " 12345678 ", " fire drill, doors closed ", results.append
    )
    assert asked[-1] == {
        "ids": [5, 4, 3, 2],
        "kind": "card",
        "value": "12345678",
        "note": "fire drill, doors closed",
    }
    assert results == [False, False, True]
    assert vm.incidents() == [] and vm.ack_note == "4 alarm(s) acknowledged by 李伟 (0412)"


def test_the_chart_is_the_cores_histogram_and_live_entries_only_add_to_it(
    clock: ManualClock,
) -> None:
    """The chart is the core's count over the whole log, asked again every minute; a live
    passage adds one to its hour and never replaces the chart with a count of its own."""
    histogram = [{"entries": 100 + i} for i in range(24)]
    recent = {
        "items": [
            {"seq": 1, "at": clock.now(), "type": "access.granted", "door_id": "gate-south"},
            {"seq": 2, "at": clock.now(), "type": "access.granted", "door_id": "gate-south"},
        ]
    }
    vm, gw = wall(clock, {"stats.hourly": lambda p: histogram, "events.page": lambda p: recent})
    assert vm.chart_source == "core" and vm.hourly == [100 + i for i in range(24)]
    entry = {"seq": 3, "at": clock.now(), "type": "access.granted", "door_id": "gate-south"}
    gw.deliver("events/access.granted", entry)
    assert vm.hourly[:-1] == [100 + i for i in range(23)] and vm.hourly[-1] == 124
    clock.advance(3600)  # a new hour: the bars move on by one
    gw.deliver("events/access.granted", {**entry, "seq": 4, "at": clock.now()})
    assert vm.hourly[-1] == 1 and vm.hourly[-2] == 124 and vm.hourly[0] == 101
    histogram[-1] = {"entries": 7}
    vm.refresh_chart()
    assert vm.hourly[-1] == 7 and [m for m, _ in gw.requests].count("stats.hourly") == 2


def test_denied_passages_name_the_reason_in_the_screens_language(clock: ManualClock) -> None:
    vm, _ = wall(clock)
    refused = {
        "at": clock.now(),
        "type": "access.denied",
        "door_id": "b6-e2",
        "data": {"kind": "card", "reason": "outside schedule"},
    }
    line = vm.passage_line(refused)
    assert "refused" in line and "(outside the allowed hours)" in line and "Building 6" in line
    vm.t.toggle()
    line = vm.passage_line(refused)
    assert "拒绝" in line and "(不在通行时段)" in line and "6号楼2单元" in line
    assert "(其他原因)" in vm.passage_line({**refused, "data": {"reason": "something new"}})


def test_lists_show_how_many_and_page_through(clock: ManualClock) -> None:
    elderly = [{"name": f"老人{i}", "unit": f"{i}-1-101", "hours_unseen": 72} for i in range(70)]
    strangers = [{"track": f"s{i}", "sightings": 5, "days": 7} for i in range(10)]

    def page(p: dict[str, Any]) -> dict[str, Any]:
        start = (p["page"] - 1) * p["size"]
        return {"items": elderly[start : start + p["size"]], "total": len(elderly)}

    vm, gw = wall(clock, {"elderly.unseen": page, "strangers.repeat": lambda p: strangers})
    assert vm.paged.counts("elderly") == "8 / 70" and len(vm.lists["elderly"] or []) == 8
    vm.paged.next_page("elderly")
    assert vm.paged.counts("elderly") == "9–16 / 70"
    assert (vm.lists["elderly"] or [])[0]["name"] == "老人8"
    for _ in range(8):
        vm.paged.next_page("elderly")
    assert vm.paged.counts("elderly") == "8 / 70", "after the last page, the first again"
    assert vm.paged.counts("strangers") == "8 / 10"
    vm.paged.next_page("strangers")
    assert vm.paged.counts("strangers") == "9–10 / 10"
    assert vm.lists["visits"] is None  # not on this box: says so
    from ui.viewmodels.officer import describe_row

    row = (vm.lists["elderly"] or [])[0]
    assert describe_row(row, vm.t).endswith("not seen for 3.0 d")
    vm.t.toggle()
    assert describe_row(row, vm.t).endswith("3.0 天未出现")


def test_search_pages_many_matches_dates_lines_and_follows_the_language(
    clock: ManualClock,
) -> None:
    """A common surname matches hundreds: the wall says how many and pages through them; the
    lines carry the date; switching the language re-renders what was found."""
    people = [{"id": i, "name": f"张{i}", "unit": f"{i}-1-101"} for i in range(1, 245)]

    def search(p: dict[str, Any]) -> dict[str, Any]:
        start = (p.get("page", 1) - 1) * 20
        found = people[start : start + 20]
        passages = [
            {
                "at": clock.now() - 86400 * 3,
                "door": "b6-e2",
                "granted": False,
                "credential": "card",
                "reason": "expired",
            },
        ]
        return {
            "people": [{**f, "passages": passages} for f in found],
            "total": len(people),
            "page": p.get("page", 1),
        }

    vm, gw = wall(clock, {"passages.search": search})
    vm.search("张")
    assert vm.search_note == "20 / 244 people, 20 passages · tap for the next page"
    line = vm.search_lines()[0]
    assert line[:5] == time.strftime("%m-%d", time.localtime(clock.now() - 86400 * 3))
    assert "refused" in line and "(expired)" in line and "Building 6 entrance 2" in line
    vm.finder.next_page()
    assert gw.requests[-1] == ("passages.search", {"name": "张", "page": 2})
    assert vm.search_note.startswith("21–40 / 244 people")
    vm.t.toggle()
    assert vm.search_note.startswith("21–40 / 244 人")
    assert "拒绝" in vm.search_lines()[0] and "(已过期)" in vm.search_lines()[0]
    assert "refused" not in vm.search_lines()[0]


def test_nothing_of_the_other_language_on_the_wall(clock: ManualClock) -> None:
    """Door names, kinds, reasons and severities in the screen's language only."""
    emergency = alarm(9, "emergency", clock.now(), "critical", "gate-south")
    emergency["message"] = "South gate 南门 (main): emergency button pressed"
    vm, _ = wall(clock)
    en = vm.alarm_line(emergency)
    assert "南门" not in en and "South gate (main): emergency button pressed" in en
    assert not re.search(r"[\u4e00-\u9fff]", en)
    groups = vm.door_groups()
    for g in groups:
        assert not re.search(r"[\u4e00-\u9fff]", vm.group_title(g.key))
        for tile in g.tiles:
            assert not re.search(r"[\u4e00-\u9fff]", vm.tile_label(tile) + vm.door_name(tile.id))
    vm.t.toggle()
    for g in groups:
        assert not re.search(r"[A-Za-z]", vm.group_title(g.key))
        for tile in g.tiles:
            assert not re.search(r"[A-Za-z]", vm.tile_label(tile) + vm.door_name(tile.id))
    for key in STRINGS:
        if key.startswith(("reason.", "severity.", "alarm.", "state.")):
            assert not re.search(r"[A-Za-z]", vm.t(key)), key


def test_a_card_swiped_into_the_remark_is_told_from_typing() -> None:
    """The reader types a card number in milliseconds; a person types digits a tenth of a
    second or more apart (a phone number in the remark stays the remark)."""
    from ui.viewmodels.officer_ack import reader_burst, restamp

    text = "到场查看0012345678"
    typed = [0.0] * 4 + [10.0 + 0.004 * i for i in range(10)]
    assert reader_burst(text, typed, 10.05) == ("到场查看", "0012345678")
    slow_frame = typed[:8] + [t + 0.2 for t in typed[8:]]  # one frame held some keys back
    assert reader_burst(text, slow_frame, 10.25) == ("到场查看", "0012345678")
    by_hand = [0.0] * 4 + [10.0 + 0.15 * i for i in range(10)]
    assert reader_burst(text, by_hand, 11.6) is None
    assert reader_burst("门已关 110", [0.0] * 4 + [5.0, 5.001, 5.002], 5.003) is None  # 3 digits
    assert reader_burst(text, typed[:-1], 10.05) is None  # stamps out of step: not trusted
    # The cursor stood inside the remark: the reader's digits came in the middle.
    was, stamps = "到场查看门已关", [1.0] * 7
    now = 20.0
    for ch in "90001":
        cur = was[:4] + "".join(c for c in "90001"[: len(was) - 7]) + ch + was[-3:]
        stamps = restamp(was, cur, stamps, now)
        was, now = cur, now + 0.003
    assert was == "到场查看90001门已关" and stamps[:4] == [1.0] * 4
    assert reader_burst(was, stamps, now) == ("到场查看门已关", "90001")


def test_a_passage_said_twice_is_shown_and_counted_once(clock: ManualClock) -> None:
    """The bus delivers at least once, and a passage can come live that the first page held."""
    histogram = [{"entries": 0} for _ in range(24)]
    first = {"seq": 7, "at": clock.now(), "type": "access.granted", "door_id": "gate-south"}
    api = {"stats.hourly": lambda p: histogram, "events.page": lambda p: {"items": [first]}}
    vm, gw = wall(clock, api)
    gw.deliver("events/access.granted", first)
    entry = {**first, "seq": 8}
    gw.deliver("events/access.granted", entry)
    gw.deliver("events/access.granted", entry)
    assert [p["seq"] for p in vm.passages] == [7, 8]
    assert vm.hourly[-1] == 1


def test_a_door_cameras_alarm_says_on_a_chinese_wall_that_the_camera_came_back(
    clock: ManualClock,
) -> None:
    """A Chinese wall names a door's alarm by its kind and door; the note the core adds when the
    camera reports again (``camera_alarms.BACK``) must not be lost with the English message."""
    blind = alarm(4, "camera_blind", clock.now(), "high", "b7-e2")
    blind["message"] = (
        "camera cam7 at b7-e2 sees nothing (dark or uniform picture for 20 s): faces are not"
        " recognised there; cards, PINs and passes still work"
    )
    vm, _ = wall(clock, lang="zh")
    before = vm.alarm_line(blind)
    assert "恢复" not in before and before.endswith("7号楼2单元")
    blind["message"] += "; back online after 4 min"
    assert vm.alarm_line(blind) == before + "，4 分钟后已恢复"
    vm.t.toggle()
    assert vm.alarm_line(blind).endswith("; back online after 4 min")


def test_a_doors_quarantine_says_on_a_chinese_wall_who_flooded_it_and_with_what(
    clock: ManualClock,
) -> None:
    """The core's message names the broker user and the flood (``compound.store.quarantine``);
    a Chinese wall, naming the alarm by its kind and door, keeps both."""
    held = alarm(5, "quarantine", clock.now(), "high", "b7-e2")
    held["message"] = (
        "b7-e2: broker user(s) bridge4 quarantined: 4238 door events a second at b7-e2; the"
        " broker refuses what they send on compound/s1/door/b7-e2/event until"
        " `compound devices release`"
    )
    vm, _ = wall(clock, lang="zh")
    assert vm.alarm_line(held).endswith(
        "7号楼2单元：设备 bridge4 每秒发送 4238 条门事件，服务器拒收，直至解除隔离"
    )
    held["message"] = held["message"].replace("door events", "access requests")
    assert vm.alarm_line(held).endswith("每秒发送 4238 条开门请求，服务器拒收，直至解除隔离")
    held["message"] = held["message"].replace("access requests", "call signals")
    assert vm.alarm_line(held).endswith("每秒发送 4238 条呼叫信号，服务器拒收，直至解除隔离")
    vm.t.toggle()
    assert "4238 call signals a second" in vm.alarm_line(held)
