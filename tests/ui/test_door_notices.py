"""The door panel asks the core for its own door's notices (``notice.list`` {door, active},
a page at a time) and asks again when the retained topic says they changed, each panel after a
random part of ``SPREAD_S`` so that 156 panels do not ask in the same instant; a question
without an answer is asked again with a capped backoff, and the banner says to use a card while
the core does not answer; an older core's notices on the topic, and a list that ignores the
door or the page, still show right. Against the in-process gateway, a manual clock and a
chosen random source; the real core's side is in tests/security/test_panel_own_door.py and
tests/compound/community/test_api_bus.py, the figures at compound scale in
bench/bench_notice_fence.py."""

from __future__ import annotations

from typing import Any

from compound.adapters.mqtt import BusError
from compound.domain.clock import ManualClock
from compound.domain.model import InvalidInput
from compound.domain.paging import MAX_SIZE, page_of
from tests.ui.fake_doors import door_api
from ui.gateway import LocalGateway
from ui.i18n import Strings
from ui.viewmodels.door import DoorPanelVM
from ui.viewmodels.door_notices import MAX_PAGES, RETRY_FIRST_S, RETRY_MAX_S, SPREAD_S

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
    vm = DoorPanelVM(gw, Strings("zh"), clock, DOOR, notice_spread_s=0)  # asks at once
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


def test_after_a_change_each_panel_asks_once_at_its_own_point_of_the_window(
    clock: ManualClock,
) -> None:
    """The word comes to every panel at once; this one draws 0.6 of ``SPREAD_S`` and asks at
    its first tick after that, once, though two more words come while it waits; the same word
    said again (the core restarting) asks nothing, a new one asks again."""
    showing = [notice(1)]
    gw = LocalGateway({**door_api(DOORS), "notice.list": lambda p: list(showing)})
    vm = DoorPanelVM(gw, Strings("zh"), clock, DOOR, rand=lambda: 0.6)
    vm.load()  # started: asks at once, nothing shown to wait for
    assert len(asked(gw)) == 1 and [n["text"] for n in vm.notices] == ["第1条通知"]
    showing.insert(0, notice(2))
    gw.deliver("notice", {"changed": "a1"}, retained=True)
    clock.advance(0.6 * SPREAD_S - 1)
    vm.tick()
    gw.deliver("notice", {"changed": "b2"})  # changed again while it waits
    assert len(asked(gw)) == 1 and [n["text"] for n in vm.notices] == ["第1条通知"]
    clock.advance(1)
    vm.tick()
    gw.deliver("notice", {"changed": "c3"})  # and again, as its question is answered
    assert len(asked(gw)) == 2 and [n["text"] for n in vm.notices] == ["第2条通知", "第1条通知"]
    clock.advance(SPREAD_S)
    vm.tick()
    assert len(asked(gw)) == 3  # the word after the question: asked once more
    gw.deliver("notice", {"changed": "c3"}, retained=True)  # the same word again
    showing.insert(0, notice(3))
    gw.deliver("notice", {"changed": "d4"}, retained=True)
    clock.advance(SPREAD_S)
    vm.tick()
    assert len(asked(gw)) == 4 and vm.notices[0]["text"] == "第3条通知"


def test_the_window_is_drawn_for_each_change() -> None:
    """Two panels drawing 0.1 and 0.9 ask 0.8 of the window apart; the window is the panel's
    to set."""
    times = []
    for r in (0.1, 0.9):
        clock = ManualClock(1000.0)
        gw = LocalGateway({**door_api(DOORS), "notice.list": lambda p: []})
        vm = DoorPanelVM(gw, Strings("zh"), clock, DOOR, notice_spread_s=20.0, rand=lambda r=r: r)
        gw.deliver("notice", {"changed": "a1"}, retained=True)
        while not asked(gw):
            clock.advance(0.5)
            vm.tick()
        times.append(clock.now() - 1000.0)
    assert times == [2.0, 18.0]


def test_a_panel_started_while_the_core_is_down_keeps_asking_with_a_capped_backoff(
    clock: ManualClock,
) -> None:
    """No answer at all: asked again after 2, 4, 8, 16, 30, 30 s (the random part 0 here),
    the banner telling residents to use their card meanwhile; the core's answer shows the
    notices, clears the banner and ends the questions until the next change."""
    up = False

    def listing(p: dict[str, Any]) -> list[dict[str, Any]]:
        if not up:
            raise BusError("no answer from the core to 'notice.list' within 5 s")
        return [notice(1)]

    gw = LocalGateway({**door_api(DOORS), "notice.list": listing})
    vm = DoorPanelVM(gw, Strings("zh"), clock, DOOR, rand=lambda: 0.0)
    vm.load()
    assert vm.banner == "服务暂不可用，请刷卡" and vm.notice_text == "暂无通知"
    start, waits = clock.now(), []
    while len(waits) < 6:
        clock.advance(0.5)
        vm.tick()
        if len(asked(gw)) > len(waits) + 1:
            waits.append(clock.now() - start)
            start = clock.now()
    assert waits == [RETRY_FIRST_S, 4.0, 8.0, 16.0, RETRY_MAX_S, RETRY_MAX_S]
    assert vm.banner == "服务暂不可用，请刷卡"
    up = True
    clock.advance(RETRY_MAX_S)
    vm.tick()
    assert [n["text"] for n in vm.notices] == ["第1条通知"] and vm.banner == ""
    n = len(asked(gw))
    gw.deliver("notice", {"changed": "e5"}, retained=True)  # only a change asks again
    clock.advance(SPREAD_S)
    vm.tick()
    assert len(asked(gw)) == n + 1


def test_a_refused_question_is_asked_again_without_the_banner_and_panels_fall_out_of_step(
    clock: ManualClock,
) -> None:
    """A refusal is an answer (the core is up): no banner, what is shown stays, asked again
    after the backoff, each wait shortened by up to half at random (0.5 here: three quarters)."""
    refuse = False

    def listing(p: dict[str, Any]) -> list[dict[str, Any]]:
        if refuse:
            raise InvalidInput("the credential of 'panel-b3-e2' was revoked")
        return [notice(1)]

    gw = LocalGateway({**door_api(DOORS), "notice.list": listing})
    vm = DoorPanelVM(gw, Strings("zh"), clock, DOOR, notice_spread_s=0, rand=lambda: 0.5)
    vm.load()
    refuse = True
    gw.deliver("notice", {"changed": "77"}, retained=True)
    assert len(asked(gw)) == 2 and vm.banner == "" and vm.notices[0]["text"] == "第1条通知"
    clock.advance(0.75 * RETRY_FIRST_S)
    vm.tick()
    assert len(asked(gw)) == 3
    refuse = False
    clock.advance(0.75 * 4.0)
    vm.tick()
    assert len(asked(gw)) == 4 and vm.banner == ""


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
