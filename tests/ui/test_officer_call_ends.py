"""How a call ends on the wall, without a display: the officer is told of an end they did not
cause (the caller hung up, nobody answered, passed on, another station took it) for a few
seconds, not of their own; and a call the core says nothing more of ends on the wall after the
core's longest ring or talk, with a hang-up sent in case only the core's messages were lost; a
call that ended before the broker confirmed its subscriptions leaves none behind."""

from __future__ import annotations

from compound.domain.clock import ManualClock
from tests.ui.officer_wall import ring, state, wall
from ui.viewmodels.officer_calls import END_SHOWN_S, RING_LIMIT_S, TALK_LIMIT_S


def test_the_caller_hanging_up_is_shown_for_a_moment(clock: ManualClock) -> None:
    vm, gw = wall(clock)
    ring(gw, "c1", at=clock.now())
    state(gw, "c1", "ended")
    assert vm.calls.current is None
    shown = vm.calls.ended_shown()
    assert shown is not None and shown.state == "ended"
    clock.advance(END_SHOWN_S + 1)
    assert vm.calls.ended_shown() is None


def test_an_end_the_officer_caused_is_not_announced(clock: ManualClock) -> None:
    vm, gw = wall(clock)
    ring(gw, "c1", at=clock.now())
    assert vm.calls.hang_up()
    state(gw, "c1", "ended")
    assert vm.calls.ended_shown() is None
    ring(gw, "c2", at=clock.now())
    state(gw, "c2", "answered", unit="officer", station="wall")
    assert vm.calls.open_door()
    state(gw, "c2", "door_opened", unit="officer", station="wall")
    assert vm.calls.ended_shown() is None


def test_a_call_passed_on_elsewhere_says_so(clock: ManualClock) -> None:
    vm, gw = wall(clock)
    ring(gw, "c1", at=clock.now())
    state(gw, "c1", "ringing", unit="desk")  # the core passed it on to the property desk
    shown = vm.calls.ended_shown()
    assert shown is not None and shown.state == "forwarded"
    assert vm.t(f"officer.call_over.{shown.state}") == "passed on to another desk"


def test_a_ringing_call_the_core_forgot_ends_on_the_wall(clock: ManualClock) -> None:
    vm, gw = wall(clock)
    ring(gw, "c1", at=clock.now())
    clock.advance(RING_LIMIT_S - 5)
    assert not vm.calls.expire() and vm.calls.current is not None
    state(gw, "c1", "ringing", unit="officer")  # the core's word: the clock starts again
    clock.advance(RING_LIMIT_S - 5)
    assert not vm.calls.expire()
    clock.advance(10)
    assert vm.calls.expire()
    assert vm.calls.current is None and vm.calls.past[0].state == "lost"
    assert gw.published[-1] == (
        "intercom/station/wall/reply",
        {"call_id": "c1", "action": "hangup"},
    )
    shown = vm.calls.ended_shown()
    assert shown is not None and shown.state == "lost"
    assert not gw.subscribed("intercom/b6-e1/call/c1/state")


def test_an_answered_call_gets_the_longer_talk_limit(clock: ManualClock) -> None:
    vm, gw = wall(clock)
    ring(gw, "c1", at=clock.now())
    assert vm.calls.answer()
    state(gw, "c1", "answered", unit="officer", station="wall")
    clock.advance(RING_LIMIT_S + 10)
    assert not vm.calls.expire() and vm.calls.current is not None
    clock.advance(TALK_LIMIT_S)
    assert vm.calls.expire() and vm.calls.current is None


def test_a_call_that_ended_before_the_broker_confirmed_leaves_nothing_subscribed(
    clock: ManualClock,
) -> None:
    vm, gw = wall(clock)
    gw.hold_subscriptions = True  # the ring's subscriptions made on the worker thread later
    ring(gw, "c1", at=clock.now())
    assert vm.calls.current is not None, "the wall rings without waiting for the broker"
    clock.advance(RING_LIMIT_S + 1)
    assert vm.calls.expire()
    ring(gw, "c2", door="b7-e1", at=clock.now())
    gw.confirm()  # c1's subscriptions made after it ended, then c2's
    assert not gw.subscribed("intercom/b6-e1/call/c1/state")
    assert not gw.subscribed("face/b6-e1/frame")
    assert gw.subscribed("intercom/b7-e1/call/c2/state") and gw.subscribed("face/b7-e1/frame")
