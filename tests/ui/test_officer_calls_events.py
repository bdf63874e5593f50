"""The wall's answering station and event viewer, against an in-process gateway: what the
wall shows follows the core's word on the call, replies go on the wall's own station topic,
the viewer's filters become the core's paging parameters, and the export is 0600."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path
from typing import Any

from compound.domain.clock import ManualClock
from tests.ui.officer_wall import ring, state, wall
from ui.viewmodels.officer_events import CATEGORIES, parse_when


def test_an_emergency_rings_the_wall_and_is_answered_then_the_door_opened(
    clock: ManualClock,
) -> None:
    vm, gw = wall(clock)
    assert vm.calls.current is None
    ring(gw, "c1", at=clock.now())
    call = vm.calls.current
    assert call is not None and call.emergency and call.state == "ringing"
    assert gw.subscribed("intercom/b6-e1/call/c1/state") and gw.subscribed("face/b6-e1/frame")
    gw.deliver("face/b6-e1/frame", b"\xff\xd8jpeg")
    assert call.frame == b"\xff\xd8jpeg"
    assert vm.calls.answer()
    assert gw.published[-1] == (
        "intercom/station/wall/reply",
        {"call_id": "c1", "action": "answer"},
    )
    # Not "talking" until the core says this station answered.
    assert call.state == "ringing" and call.asked == "answer"
    state(gw, "c1", "answered", unit="officer", station="wall")
    assert call.state == "answered" and call.asked == ""
    assert not vm.calls.answer()  # answered already: nothing sent
    assert vm.calls.open_door()
    assert gw.published[-1][1] == {"call_id": "c1", "action": "unlock"}
    state(gw, "c1", "door_opened", unit="officer", station="wall")
    assert vm.calls.current is None
    assert vm.calls.past[0].state == "door_opened"
    assert not gw.subscribed("intercom/b6-e1/call/c1/state")
    assert not gw.subscribed("face/b6-e1/frame")


def test_emergencies_come_before_other_calls_and_a_call_taken_elsewhere_leaves(
    clock: ManualClock,
) -> None:
    vm, gw = wall(clock)
    ring(gw, "desk1", door="b2-e1", emergency=False, at=clock.now())
    ring(gw, "sos", door="b9-e3", emergency=True, at=clock.now() + 5)
    assert vm.calls.current is not None and vm.calls.current.call_id == "sos"
    assert vm.calls.waiting == 1
    state(gw, "sos", "answered", door="b9-e3", unit="officer", station="officer-desk-2")
    assert vm.calls.current is not None and vm.calls.current.call_id == "desk1"
    assert vm.calls.past[0].state == "taken"
    vm.calls.hang_up()
    assert gw.published[-1] == (
        "intercom/station/wall/reply",
        {"call_id": "desk1", "action": "hangup"},
    )
    state(gw, "desk1", "ended", door="b2-e1")
    assert vm.calls.current is None


def test_no_reply_is_sent_while_the_bus_is_down(clock: ManualClock) -> None:
    vm, gw = wall(clock)
    ring(gw, "c1", at=clock.now())
    gw.set_connected(False)
    assert not vm.calls.answer()
    assert not gw.published
    assert vm.calls.problem == "officer.call_offline"


def test_a_retained_or_repeated_ring_does_not_ring_twice(clock: ManualClock) -> None:
    vm, gw = wall(clock)
    gw.deliver("intercom/unit/officer/ring", {"call_id": "old", "door": "b1-e1"}, retained=True)
    assert vm.calls.current is None
    ring(gw, "c1")
    ring(gw, "c1")
    assert len(vm.calls.calls) == 1


def page_api(log: list[dict[str, Any]]) -> Any:
    def page(p: dict[str, Any]) -> dict[str, Any]:
        log.append(p)
        before = p.get("before")
        seqs = [s for s in range(120, 0, -1) if before is None or s < before][: p["size"]]
        items = [
            {
                "seq": s,
                "at": 1_700_000_000 + s,
                "type": "access.granted",
                "door_id": "b6-e1",
                "person_id": s % 3,
                "data": {"kind": "card"},
            }
            for s in seqs
        ]
        more = seqs and seqs[-1] > 1
        return {"items": items, "size": p["size"], "next_before": seqs[-1] if more else None}

    return page


def test_event_filters_become_the_cores_paging_parameters(clock: ManualClock) -> None:
    asked: list[dict[str, Any]] = []
    vm, gw = wall(
        clock,
        {
            "events.page": page_api(asked),
            "person.list": lambda p: {
                "items": [{"id": 7, "name": "王小明", "unit": "3-2-1501"}],
                "total": 1,
            },
            "person.names": lambda p: {str(i): f"P{i}" for i in p["ids"]},
        },
    )
    ev = vm.events
    ev.reload()
    assert asked[-1]["since"] == int(clock.now() - 86400) and "until" not in asked[-1]
    ev.set_category("alarms")
    assert asked[-1]["types"] == CATEGORIES["alarms"]
    ev.set_door("b6-e1")
    assert asked[-1]["door"] == "b6-e1"
    ev.people.search("wxm")
    ev.pick(0)
    assert asked[-1]["person"] == 7 and ev.person_label == "王小明 3-2-1501"
    ev.set_range("all")
    assert "since" not in asked[-1]
    ev.next_page()
    assert asked[-1]["before"] == ev.cursors[-1] and ev.page_no == 2
    ev.prev_page()
    assert "before" not in asked[-1] and ev.page_no == 1
    # A range typed wrongly changes nothing and says how to write it.
    before = len(asked)
    assert not ev.set_custom("yesterday", "")
    assert "2026-05-01" in ev.note and len(asked) == before
    assert not ev.set_custom("2026-05-02", "2026-05-01")
    assert ev.set_custom("2026-05-01", "2026-05-02 12:00")
    assert asked[-1]["since"] == int(parse_when("2026-05-01") or 0)
    assert asked[-1]["until"] == int(parse_when("2026-05-02 12:00") or 0)
    # Lines in the screen's language.
    assert "entry" in ev.line(ev.items[0]) and "Building 6 entrance 1" in ev.line(ev.items[0])
    vm.t.toggle()
    assert "通行" in ev.line(ev.items[0]) and "6号楼1单元" in ev.line(ev.items[0])


def test_export_writes_every_page_to_a_file_only_its_owner_reads(
    clock: ManualClock, tmp_path: Path
) -> None:
    asked: list[dict[str, Any]] = []
    vm, gw = wall(
        clock,
        {
            "events.page": page_api(asked),
            "person.names": lambda p: {str(i): f"=P{i}" for i in p["ids"]},
        },
    )
    target = tmp_path / "events.csv"
    results: list[bool] = []
    assert vm.events.export(target, results.append)
    assert results == [True]
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    rows = list(csv.DictReader(target.read_text(encoding="utf-8-sig").splitlines()))
    assert len(rows) == 120 and rows[0]["seq"] == "120" and rows[-1]["seq"] == "1"
    assert rows[0]["person"] == "'=P0"  # a formula in a name is written as text
    assert "120" in vm.events.export_note
    assert not (tmp_path / "events.csv.part").exists()
    # A folder that does not exist: refused with a message, nothing written.
    assert not vm.events.export(tmp_path / "nope" / "x.csv")
    assert "nope" in vm.events.export_note


def test_the_bell_rings_once_for_each_new_urgent_alarm_and_each_call(
    clock: ManualClock,
) -> None:
    queue: list[dict[str, Any]] = []

    def page(p: dict[str, Any]) -> dict[str, Any]:
        return {"items": list(queue), "total": len(queue), "counts": {}, "doors": {}}

    vm, gw = wall(clock, {"alarm.page": page})
    heard: list[int] = []
    vm.bell.sound = lambda: heard.append(1)
    queue.append({"id": 1, "kind": "held_open", "severity": "high", "raised_at": 1})
    vm.refresh_alarms()
    assert vm.bell.rung == 0  # high, not critical nor an intrusion: shown, not sounded
    queue.insert(0, {"id": 2, "kind": "emergency", "severity": "critical", "raised_at": 2})
    vm.refresh_alarms()
    vm.refresh_alarms()  # the same queue asked again: no second ring
    assert vm.bell.rung == 1 and heard == [1]
    ring(gw, "c1", at=clock.now())
    assert vm.bell.rung == 2 and len(heard) == 2
