"""The door panel between calls: back to Chinese and dialling after 30 s untouched, notices
paged with a count, and a banner residents can act on. Against the in-process gateway and a
manual clock."""

from __future__ import annotations

import json
from typing import Any

from compound.domain.clock import ManualClock
from compound.protocol.messages import canonical
from ui.gateway import LocalGateway
from ui.i18n import Strings
from ui.viewmodels.door import IDLE_RESET_S, DoorPanelVM
from ui.viewmodels.door_notices import NOTICE_PAGE_CHARS, NOTICE_PAGE_S
from ui.viewmodels.door_parse import split_notice

DOOR = "b3-e2"


def panel(clock: ManualClock, lang: str = "en") -> tuple[LocalGateway, DoorPanelVM]:
    gw = LocalGateway()
    return gw, DoorPanelVM(gw, Strings(lang), clock, DOOR, notice_spread_s=0)  # asks at once


def signals(gw: LocalGateway) -> list[dict[str, Any]]:
    return [json.loads(canonical(p)) for t, p in gw.published if t == f"intercom/{DOOR}/call"]


def dial(vm: DoorPanelVM, entry: str) -> str:
    for k in entry:
        vm.key(k)
    vm.ok()
    return str(vm.call_id)


def state(gw: LocalGateway, call_id: str, **body: Any) -> None:
    gw.deliver(f"intercom/{DOOR}/call/{call_id}/state", {"call_id": call_id, **body})


def test_the_panel_returns_to_chinese_and_dialling_after_30_s_untouched(
    clock: ManualClock,
) -> None:
    gw, vm = panel(clock, "zh")
    vm.t.toggle()
    vm.set_mode("pin")
    vm.key("1")
    clock.advance(IDLE_RESET_S - 1)
    vm.tick()
    assert vm.t.lang == "en" and vm.mode == "pin" and vm.entry == "1"
    vm.key("2")  # a touch starts the wait again
    clock.advance(IDLE_RESET_S - 1)
    vm.tick()
    assert vm.t.lang == "en" and vm.entry == "12"
    clock.advance(1)
    vm.tick()
    assert vm.t.lang == "zh" and vm.mode == "dial" and vm.entry == ""
    assert vm.status_line == "请看摄像头，或拨打房号"


def test_no_idle_reset_while_a_call_is_live(clock: ManualClock) -> None:
    gw, vm = panel(clock, "zh")
    vm.t.toggle()
    call_id = dial(vm, "3-2-1501")
    state(gw, call_id, state="ringing", unit="3-2-1501")
    clock.advance(IDLE_RESET_S + 1)
    vm.tick()
    assert vm.t.lang == "en" and vm.status_line == "Ringing 3-2-1501…"


def test_notices_are_paged_with_a_count_and_none_is_dropped(clock: ManualClock) -> None:
    gw, vm = panel(clock, "zh")
    texts = [f"第{i}条通知" for i in range(1, 5)]
    showing = [{"id": i, "text": t} for i, t in enumerate(texts)]
    gw.api["notice.list"] = lambda p: list(showing)
    gw.deliver("notice", {"changed": "a1"}, retained=True)  # the core's word: ask again
    assert vm.notice_text == texts[0] and vm.notice_count == "1/4"
    clock.advance(NOTICE_PAGE_S)
    vm.tick()
    assert vm.notice_text == texts[1] and vm.notice_count == "2/4"
    vm.next_notice()
    vm.next_notice()
    assert vm.notice_text == texts[3] and vm.notice_count == "4/4"  # the 4th is there
    vm.next_notice()
    assert vm.notice_count == "1/4"
    showing[:] = [{"id": 9, "text": "周三停水"}]
    gw.deliver("notice", {"changed": "b2"}, retained=True)
    assert vm.notice_text == "周三停水" and vm.notice_count == ""
    showing.clear()
    gw.deliver("notice", {"changed": "c3"}, retained=True)
    assert vm.notice_text == "暂无通知"


def test_a_long_notice_is_split_at_sentences_not_cut_mid_sentence() -> None:
    text = "本周三上午9点至12点停水，请提前储水。" * 3 + "周四下午电梯检修，请走楼梯。" * 4
    pages = split_notice(text, NOTICE_PAGE_CHARS)
    assert len(pages) > 1 and "".join(pages) == text
    assert all(len(p) <= NOTICE_PAGE_CHARS and p.endswith("。") for p in pages)
    english = "The water is off on Wednesday from 9 to 12, please keep some water. " * 4
    pages = split_notice(english, NOTICE_PAGE_CHARS)
    assert " ".join(pages) == english.strip()
    assert all(p.endswith(".") for p in pages)


def test_a_device_taken_off_the_site_is_not_offline_any_more(clock: ManualClock) -> None:
    gw, vm = panel(clock, "zh")
    gw.deliver("device/board1/availability", b"offline", retained=True)
    assert vm.banner == "服务暂不可用，请刷卡" and "board1" not in vm.banner
    gw.deliver("device/board1/availability", b"", retained=True)  # retained state cleared
    assert vm.banner == "" and vm.availability.offline_devices == []
