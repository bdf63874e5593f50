"""The manager console's people panel and the officer wall's names, without a display: a search
and its pages asked of the core's own ``person.list`` code over an in-process gateway."""

from __future__ import annotations

from typing import Any

import pytest

from compound.domain.clock import ManualClock
from compound.services.people_api import people_page
from compound.store.db import Store
from ui.gateway import LocalGateway
from ui.i18n import Strings
from ui.viewmodels.manager import ManagerVM
from ui.viewmodels.officer import OfficerVM
from ui.viewmodels.people import PAGE_SIZE


@pytest.fixture
def site(store: Store) -> Store:
    store.add_unit("1-1-101")
    for i in range(40):
        store.add_person(f"住户{i:02d}", "1-1-101", "owner")
    store.add_unit("3-2-1501")
    store.add_person("王小明", "3-2-1501", "owner")
    return store


def console(store: Store) -> tuple[ManagerVM, LocalGateway]:
    gw = LocalGateway(
        {
            "person.list": lambda p: people_page(store, p),
            "unit.add": lambda p: store.add_unit(p["unit"]),
            "person.add": lambda p: {"id": store.add_person(p["name"], p["unit"], p["role"])},
        }
    )
    return ManagerVM(gw, Strings("en")), gw


def test_console_opens_on_one_page_and_pages_through(site: Store) -> None:
    vm, gw = console(site)
    vm.load()
    people = vm.people
    assert people.total == 41 and len(people.items) == PAGE_SIZE and people.pages == 3
    assert people.items[0]["name"] == "王小明"  # the newest registration first
    assert gw.requests[-1] == ("person.list", {"page": 1, "size": PAGE_SIZE})
    people.previous_page()
    assert people.page == 1 and len(gw.requests) == 2  # nothing before the first page
    people.next_page()
    people.next_page()
    assert people.page == 3 and len(people.items) == 41 - 2 * PAGE_SIZE
    people.next_page()
    assert people.page == 3 and len(gw.requests) == 4  # nothing after the last


def test_search_asks_the_core_from_the_first_page_and_registration_keeps_it(site: Store) -> None:
    vm, gw = console(site)
    vm.load()
    vm.people.next_page()
    vm.people.search(" wxm ")
    assert gw.requests[-1] == ("person.list", {"page": 1, "size": PAGE_SIZE, "q": "wxm"})
    assert [p["name"] for p in vm.people.items] == ["王小明"] and vm.people.total == 1
    vm.people.search("wxm")
    assert len(gw.requests) == 4, "the same text is not asked again"
    vm.register({"name": "王晓梅", "unit": "3-2-1501", "role": "owner"})
    assert vm.people.query == "wxm" and [p["name"] for p in vm.people.items] == ["王晓梅", "王小明"]
    vm.people.search("nobody")
    assert vm.people.items == [] and vm.people.note == "No one matches"
    vm.people.search("王" * 10_000)
    assert vm.people.items == [] and vm.people.note.startswith("search text too long")


def test_only_the_latest_search_is_shown_when_answers_cross(site: Store) -> None:
    """Two workers carry the requests: the answer to "w" may come after the one to "wxm"."""
    vm, gw = console(site)
    gw.hold_replies = True
    vm.people.search("w")
    vm.people.search("wxm")
    gw.held.reverse()
    gw.release()
    assert vm.people.query == "wxm" and [p["name"] for p in vm.people.items] == ["王小明"]


def test_a_page_gone_past_the_end_goes_back_to_the_last_one(site: Store) -> None:
    vm, gw = console(site)
    vm.load()
    vm.people.next_page()
    vm.people.next_page()
    for p in list(vm.people.items):
        site.move_out(int(p["id"]))
    vm.refresh_people()
    assert vm.people.page == 2 and vm.people.total == 2 * PAGE_SIZE
    assert len(vm.people.items) == PAGE_SIZE


def test_wall_names_passages_without_the_person_list(site: Store, clock: ManualClock) -> None:
    """The wall asks names for the people in the passages it shows, once each, never the list."""
    pid = int(site.one("SELECT id FROM people WHERE name = '王小明'")["id"])  # type: ignore[index]
    asked: list[list[int]] = []

    def names(p: dict[str, Any]) -> dict[str, str]:
        asked.append(p["ids"])
        return {str(i): f"#{i}名" if i != pid else "王小明" for i in p["ids"]}

    recent = [
        {"seq": s, "at": clock.now(), "type": "access.granted", "person_id": who, "door_id": "g"}
        for s, who in ((3, pid), (2, 1), (1, pid))
    ]
    gw = LocalGateway(
        {"person.names": names, "events.page": lambda p: {"items": recent, "size": p["size"]}}
    )
    vm = OfficerVM(gw, Strings("en"), clock)
    vm.load()
    assert asked == [[1, pid]] and "王小明" in vm.passage_line(vm.passages[-1])
    for who in (pid, 1, pid):
        gw.deliver("events/access.granted", {**recent[0], "seq": 9, "person_id": who})
    assert asked == [[1, pid]], "names already known are not asked again"
    gw.deliver("events/access.granted", {**recent[0], "seq": 10, "person_id": 7})
    assert asked[-1] == [7] and "#7名" in vm.passage_line(vm.passages[-1])
    assert "person.list" not in {m for m, _ in gw.requests}


def test_an_older_alarm_answer_never_replaces_a_newer_one(clock: ManualClock) -> None:
    """The gateway asks on two threads, so answers can cross: the wall asked for the alarm
    queue (empty), an alarm was raised and it asked again; the older, empty answer arriving
    last must not clear the alarm off the wall."""
    open_alarms: list[dict[str, Any]] = []
    gw = LocalGateway(
        {"alarm.page": lambda p: {"items": list(open_alarms), "total": len(open_alarms)}}
    )
    gw.hold_replies = True
    vm = OfficerVM(gw, Strings("en"), clock)
    vm.refresh_alarms()  # answered with no alarms, but held
    first = gw.held.pop()
    open_alarms.append({"id": 7, "kind": "forced_open", "severity": "high", "raised_at": 0.0})
    vm.refresh_alarms()
    gw.release()  # the newer answer first
    first()  # then the older one
    assert [a["id"] for a in vm.alarms] == [7] and vm.alarm_total == 1
