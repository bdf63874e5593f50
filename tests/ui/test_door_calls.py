"""The door panel's calls never mislead: each call followed to its end, the emergency button
until the officer answers or 110 is told, refusals in the screen's language, outcomes kept for
their full time. Against the in-process gateway and a manual clock."""

from __future__ import annotations

from compound.domain.clock import ManualClock
from tests.ui.test_door_panel import DOOR, dial, panel, signals, state
from ui.i18n import STRINGS
from ui.viewmodels.door import RESULT_SHOW_S
from ui.viewmodels.door_call import CALL_ANSWER_S, REFUSAL_CODES


def test_an_unanswered_call_is_followed_to_the_desk_and_to_its_end(clock: ManualClock) -> None:
    """The core says "no_answer" and then rings the property desk: the caller is told so and
    keeps listening, through the desk's answer, to the end of the call."""
    gw, vm = panel(clock)
    call_id = dial(vm, "3-2-1501")
    topic = f"intercom/{DOOR}/call/{call_id}/state"
    state(gw, call_id, state="ringing", unit="3-2-1501")
    state(gw, call_id, state="no_answer", unit="3-2-1501")
    assert vm.status_line == "No answer" and gw.subscribed(topic)
    state(gw, call_id, state="ringing", unit="desk", forwarded_to="desk")
    assert vm.status_line == "No answer, calling the property desk…"
    assert vm.call_state and gw.subscribed(topic)
    state(gw, call_id, state="answered", unit="desk", forwarded_to="desk", station="desk-1")
    assert vm.status_line == "The property desk answered"
    state(gw, call_id, state="ended", unit="desk", forwarded_to="desk")
    assert vm.status_line == "Call ended" and vm.call_id is None
    assert not gw.subscribed(topic)


def test_no_answer_anywhere_stays_on_screen_for_its_full_time(clock: ManualClock) -> None:
    """A call that ends unanswered says so when it ends, for RESULT_SHOW_S, and the face
    service's verdict does not cover it meanwhile."""
    gw, vm = panel(clock)
    call_id = dial(vm, "3-2-1501")
    state(gw, call_id, state="ringing", unit="3-2-1501")
    state(gw, call_id, state="no_answer", unit="3-2-1501")
    state(gw, call_id, state="ended", unit="3-2-1501")
    assert vm.status_line == "No answer" and vm.call_id is None and vm.status_kind == "bad"
    clock.advance(RESULT_SHOW_S - 0.5)
    gw.deliver(f"face/{DOOR}/result", {"status": "not recognised"})
    vm.tick()
    assert vm.status_line == "No answer"
    clock.advance(1.0)
    vm.tick()
    assert vm.status_line == "Look at the camera, or dial a room"


def test_emergency_is_followed_until_the_officer_answers_or_110_is_told(
    clock: ManualClock,
) -> None:
    """Ringing the officer is a wait, shown for as long as it rings; an answer is said; an
    unanswered emergency (which the core passes to 110) says so, and the end is said."""
    gw, vm = panel(clock, "zh")
    vm.emergency()
    call_id = signals(gw)[-1]["call_id"]
    topic = f"intercom/{DOOR}/call/{call_id}/state"
    state(gw, call_id, state="ringing", unit="officer")
    assert vm.status_line == "已呼叫社区民警，请稍候" and vm.status_kind == "info"
    clock.advance(40)  # longer than any result is shown and than the core's answer time
    vm.tick()
    assert vm.status_line == "已呼叫社区民警，请稍候" and gw.subscribed(topic)
    gw.deliver(f"face/{DOOR}/result", {"status": "not recognised"})
    assert vm.status_line == "已呼叫社区民警，请稍候"
    state(gw, call_id, state="no_answer", unit="officer")
    assert vm.status_line == "无人接听，已通知110/物业"
    state(gw, call_id, state="ended", unit="officer")
    assert vm.status_line == "无人接听，已通知110/物业" and not gw.subscribed(topic)
    assert vm.calls.emergency_id is None

    vm.emergency()
    call_id = signals(gw)[-1]["call_id"]
    state(gw, call_id, state="ringing", unit="officer")
    state(gw, call_id, state="answered", unit="officer", station="officer-wall")
    assert vm.status_line == "民警已接听"
    state(gw, call_id, state="ended", unit="officer", station="officer-wall")
    assert vm.status_line == "紧急呼叫已结束"


def test_an_emergency_the_core_never_takes_up_is_said(clock: ManualClock) -> None:
    gw, vm = panel(clock)
    vm.emergency()
    clock.advance(CALL_ANSWER_S + 0.1)
    vm.tick()
    assert "did not answer" in vm.status_line and vm.calls.emergency_id is None


def test_a_room_dialled_alone_goes_to_the_core_which_names_the_unit(clock: ManualClock) -> None:
    gw, vm = panel(clock)
    call_id = dial(vm, "805")
    sig = signals(gw)[-1]
    assert sig == {"action": "dial", "call_id": call_id, "room": "805", "at": clock.now()}
    assert vm.status_line == "Calling 805…"
    state(gw, call_id, state="ringing", unit="5-1-805")
    assert vm.status_line == "Ringing 5-1-805…"


def test_every_refusal_reads_in_the_screens_language_never_the_cores_words(
    clock: ManualClock,
) -> None:
    for code in (*REFUSAL_CODES, "other"):
        zh, en = STRINGS[f"call.code.{code}"]
        assert zh and en and zh != en
    gw, vm = panel(clock, "zh")
    call_id = dial(vm, "3-2-1601")
    body = {"state": "failed", "code": "no_such_unit", "reason": "no unit 3-2-1601 is registered"}
    state(gw, call_id, **body)
    assert vm.status_line == "呼叫失败: 房号不存在，请核对"
    vm.t.toggle()
    assert vm.status_line == "Call failed: No such room, please check the number"
    vm.t.toggle()
    for body in ({"code": "something_new", "reason": "new words"}, {"reason": "old core"}):
        call_id = dial(vm, "3-2-1501")
        state(gw, call_id, state="failed", **body)
        assert vm.status_line == "呼叫失败: 无法呼叫，请联系物业"
    sent = len(gw.published)
    dial(vm, "321501")  # a mistyped number is refused here, in Chinese, and not sent
    assert vm.status_line == "呼叫失败: 房号有误，请输入 楼号-单元-房号 或房号"
    assert "malformed" not in vm.status_line and len(gw.published) == sent
