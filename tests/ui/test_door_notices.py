"""The door panel asks the core for its own door's notices (``notice.list`` {door, active},
a page at a time) and asks again when the retained topic says they changed; an older core's
notices on the topic, and a list that ignores the door or the page, still show right. Against
the in-process gateway and a manual clock; the real core's side is in
tests/security/test_panel_own_door.py and tests/compound/community/test_api_bus.py."""

from __future__ import annotations

from typing import Any

from compound.domain.clock import ManualClock
from compound.domain.model import InvalidInput
from compound.domain.paging import MAX_SIZE, page_of
from tests.ui.fake_doors import door_api
from ui.gateway import LocalGateway
from ui.i18n import Strings
from ui.viewmodels.door import DoorPanelVM
from ui.viewmodels.door_notices import MAX_PAGES, RETRY_S

DOOR = "b3-e2"
DOORS = [{"id": DOOR, "name": "3号楼2单元", "serves": ["3-2"]}]


def notice(i: int, buildings: list[str] | None = None) -> dict[str, Any]:
    return {"id": i, "text": f"第{i}条通知", "buildings": buildings or []}


def asked(gw: LocalGateway) -> list[dict[str, Any]]:
    return [p for m, p in gw.requests if m == "notice.list"]


def test_the_panel_asks_for_its_own_doors_notices_page_after_page(clock: ManualClock) -> None:
    """450 notices showing at the door: three pages asked, every notice shown, in order."""
    showing = [notice(i) for i in range(450, 0, -1)]

    def listing(p: dict[str, Any]) -> list[dict[str, Any]]:
        page = page_of(p)
        return showing[page.offset : page.offset + page.size]

    gw = LocalGateway({**door_api(DOORS), "notice.list": listing})
    vm = DoorPanelVM(gw, Strings("zh"), clock, DOOR)
    vm.load()
    first = {"door": DOOR, "active": True, "page": 1, "size": MAX_SIZE}
    assert asked(gw) == [first, {**first, "page": 2}, {**first, "page": 3}]
    assert [n["text"] for n in vm.notices] == [n["text"] for n in showing]
    assert vm.notice_count == "1/450" and vm.notice_text == "第450条通知"


def test_a_change_on_the_topic_asks_again_and_an_earlier_answer_coming_late_is_dropped(
    clock: ManualClock,
) -> None:
    calls = iter([[notice(1)], [notice(2), notice(1)]])
    gw = LocalGateway({**door_api(DOORS), "notice.list": lambda p: next(calls)})
    vm = DoorPanelVM(gw, Strings("zh"), clock, DOOR)
    gw.hold_replies = True
    vm.load()
    gw.deliver("notice", {"changed": "9f"}, retained=True)
    assert len(asked(gw)) == 2 and vm.notices == []
    gw.release()  # the first answer (one notice) comes, then the second (two)
    assert [n["text"] for n in vm.notices] == ["第2条通知", "第1条通知"]
    gw.api["notice.list"] = lambda p: [notice(3)]
    gw.deliver("notice", {"changed": "a0"}, retained=True)  # asked: the answer held back
    gw.deliver("notice", {"notices": [notice(4)]}, retained=True)  # an older core's own list
    gw.release()  # the answer to the question before it is dropped
    assert [n["text"] for n in vm.notices] == ["第4条通知"]


def test_an_unanswered_question_keeps_what_is_shown_and_is_asked_again(
    clock: ManualClock,
) -> None:
    def lost(p: dict[str, Any]) -> list[dict[str, Any]]:
        raise InvalidInput("the core is not reachable now; try again")

    gw = LocalGateway({**door_api(DOORS), "notice.list": lambda p: [notice(1)]})
    vm = DoorPanelVM(gw, Strings("zh"), clock, DOOR)
    vm.load()
    assert [n["text"] for n in vm.notices] == ["第1条通知"]
    gw.api["notice.list"] = lost  # every panel asked at once: this one's question was shed
    gw.deliver("notice", {"changed": "77"}, retained=True)
    assert asked(gw)[-1]["door"] == DOOR and [n["text"] for n in vm.notices] == ["第1条通知"]
    gw.api["notice.list"] = lambda p: [notice(2), notice(1)]
    clock.advance(RETRY_S - 1)
    vm.tick()
    assert len(asked(gw)) == 2
    clock.advance(1)
    vm.tick()
    assert len(asked(gw)) == 3 and [n["text"] for n in vm.notices] == ["第2条通知", "第1条通知"]
    clock.advance(RETRY_S)
    vm.tick()
    assert len(asked(gw)) == 3  # answered: no more questions until the next change


def test_an_older_core_that_ignores_the_door_and_the_page(clock: ManualClock) -> None:
    """It answers every door's notices, the same 250 for every page: the panel stops at the
    page that brings nothing new and shows those for its buildings and the whole compound."""
    every = [notice(i, [str(1 + i % 5)] if i % 2 else []) for i in range(250, 0, -1)]
    gw = LocalGateway({**door_api(DOORS), "notice.list": lambda p: list(every)})
    vm = DoorPanelVM(gw, Strings("zh"), clock, DOOR)
    vm.load()
    assert 2 == len(asked(gw)) < MAX_PAGES
    want = [n["text"] for n in every if not n["buildings"] or n["buildings"] == ["3"]]
    assert [n["text"] for n in vm.notices] == want and len(want) == 150
