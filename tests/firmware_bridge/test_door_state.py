"""The door state machine on a manual clock: life-safety rules without any hardware."""

from __future__ import annotations

from compound.domain.clock import ManualClock
from firmware_bridge.door_state import DoorMachine, DoorSetup, Outputs


def names(out: Outputs) -> list[str]:
    return [t for t, _ in out.events]


def online(setup: DoorSetup, clock: ManualClock) -> DoorMachine:
    m = DoorMachine(setup, clock)
    m.link(True)
    return m


def test_boot_is_offline_then_secure_not_released(clock: ManualClock) -> None:
    """Nothing unlocks on boot: the first contact with the board drives the locked output."""
    strike = DoorMachine(DoorSetup("a", "strike"), clock)
    mag = DoorMachine(DoorSetup("b", "maglock"), clock)
    assert strike.state == mag.state == "offline"
    assert strike.link(True).relay is False  # strike unpowered = locked
    assert mag.link(True).relay is True  # maglock powered = locked
    assert strike.state == mag.state == "locked"


def test_unlock_pulse_then_relock_after_open_time(clock: ManualClock) -> None:
    """A grant releases the door for its own open time, then it locks by itself."""
    m = online(DoorSetup("a", "strike", open_time_s=7), clock)
    out = m.unlock(None, "card")
    assert out.relay is True and names(out) == ["unlocked"]
    clock.advance(6.9)
    assert m.tick().relay is None and m.state == "unlocked"
    clock.advance(0.2)
    out = m.tick()
    assert out.relay is False and names(out) == ["locked"] and m.state == "locked"


def test_relock_when_door_closes(clock: ManualClock) -> None:
    """One grant, one passage: closing the door relocks it before the pulse ends."""
    m = online(DoorSetup("a", "maglock"), clock)
    m.unlock(5, "card")
    assert names(m.contact(True)) == ["opened"]
    assert m.state == "open"
    out = m.contact(False)
    assert names(out) == ["closed", "locked"] and out.relay is True  # maglock re-energised


def test_forced_open_when_opened_without_grant(clock: ManualClock) -> None:
    """A door opened while locked is forced: alarm, whatever the lock type."""
    m = online(DoorSetup("a"), clock)
    out = m.contact(True)
    assert names(out) == ["opened", "forced_open"] and m.state == "forced"
    assert out.relay is None  # an alarm never moves the lock


def test_held_open_alarm_once(clock: ManualClock) -> None:
    """A door left open past its limit raises one held-open alarm, not one per tick."""
    m = online(DoorSetup("a", held_open_s=30), clock)
    m.unlock(None, "card")
    m.contact(True)
    clock.advance(29)
    assert names(m.tick()) == ["locked"]  # pulse over, door still open
    clock.advance(1)
    assert names(m.tick()) == ["held_open"] and m.state == "held_open"
    clock.advance(10)
    assert names(m.tick()) == []


def test_exit_button_opens_locally_even_in_lockdown(clock: ManualClock) -> None:
    """Request-to-exit needs no core and is not stopped by lockdown."""
    m = online(DoorSetup("a"), clock)
    m.set_lockdown(True)
    out = m.exit_button()
    assert out.relay is True and names(out) == ["exit_button", "unlocked"]
    assert names(m.contact(True)) == ["opened"]  # not forced


def test_lockdown_refuses_unlock_and_cancels_pulse(clock: ManualClock) -> None:
    """Lockdown: even a verified command does not release the door."""
    m = online(DoorSetup("a"), clock)
    m.unlock(None, "card")
    out = m.set_lockdown(True)
    assert out.relay is False and m.state == "locked"
    assert m.unlock(None, "card").relay is None and not m.released


def test_fire_releases_egress_doors_until_cleared(clock: ManualClock) -> None:
    """The fire input holds egress doors released; nothing relocks them until it clears."""
    m = online(DoorSetup("a", "maglock", egress=True), clock)
    out = m.fire_input(True)
    assert out.relay is False and names(out) == ["fire_release"]  # maglock power cut
    assert m.lock("operator").relay is None
    m.contact(True)
    m.contact(False)
    clock.advance(3600)
    m.tick()
    assert m.released and m.state == "unlocked"
    out = m.fire_input(False)
    assert out.relay is True and names(out) == ["fire_cleared"] and m.state == "locked"


def test_fire_leaves_non_egress_door_alone(clock: ManualClock) -> None:
    """A door that is not on an escape route (a plant room) stays locked in a fire."""
    m = online(DoorSetup("a", egress=False), clock)
    out = m.fire_input(True)
    assert out.relay is None and not m.released


def test_offline_refuses_and_return_does_not_unlock(clock: ManualClock) -> None:
    """Board gone mid-pulse: on return the door is driven locked, the pulse is forgotten."""
    m = online(DoorSetup("a", "strike"), clock)
    m.unlock(60, "card")
    assert names(m.link(False)) == ["offline"] and m.state == "offline"
    assert m.unlock(None, "card").relay is None
    out = m.link(True)
    assert out.relay is False and m.state == "locked"


def test_tamper_alarm_on_rising_edge(clock: ManualClock) -> None:
    """Tamper alarms once when the switch opens, again only after it was restored."""
    m = online(DoorSetup("a"), clock)
    assert names(m.tamper_input(True)) == ["tamper"]
    assert names(m.tamper_input(True)) == []
    m.tamper_input(False)
    assert names(m.tamper_input(True)) == ["tamper"]


def step_wall_clock(clock: ManualClock, seconds: float) -> None:
    """The wall clock jumps (NTP correction, a person setting the date); monotonic time,
    which only moves forward with real time, does not."""
    clock.t += seconds


def pass_time(clock: ManualClock, seconds: float) -> None:
    """Real time passes: monotonic time moves; the wall clock is left where the step put it."""
    clock.mono += seconds
    clock.t += seconds


def test_wall_clock_step_back_during_a_release_does_not_extend_it(clock: ManualClock) -> None:
    """Stepped back an hour mid-release, the door still relocks after its own open time."""
    m = online(DoorSetup("a", "strike", open_time_s=5), clock)
    assert m.unlock(None, "card").relay is True
    pass_time(clock, 1)
    step_wall_clock(clock, -3600)
    pass_time(clock, 3.9)
    assert m.tick().relay is None and m.state == "unlocked"
    pass_time(clock, 0.2)
    out = m.tick()
    assert out.relay is False and names(out) == ["locked"] and m.state == "locked"


def test_wall_clock_step_forward_during_a_release_does_not_cut_it_short(
    clock: ManualClock,
) -> None:
    """Stepped forward an hour mid-release, the door stays released for its whole open time."""
    m = online(DoorSetup("a", "maglock", open_time_s=5), clock)
    assert m.unlock(None, "card").relay is False  # maglock: released = unpowered
    pass_time(clock, 1)
    step_wall_clock(clock, 3600)
    assert m.tick().relay is None and m.state == "unlocked"
    pass_time(clock, 3.9)
    assert m.tick().relay is None and m.state == "unlocked"
    pass_time(clock, 0.2)
    assert m.tick().relay is True and m.state == "locked"


def test_wall_clock_steps_do_not_move_the_held_open_alarm(clock: ManualClock) -> None:
    """The held-open limit is measured on monotonic time: a step forward raises no early
    alarm, a step back does not postpone it."""
    m = online(DoorSetup("a", held_open_s=30), clock)
    m.exit_button()
    m.contact(True)
    step_wall_clock(clock, 3600)
    pass_time(clock, 29)
    assert "held_open" not in names(m.tick())
    step_wall_clock(clock, -7200)
    pass_time(clock, 1)
    out = m.tick()
    assert names(out) == ["held_open"] and out.events[0][1] == {"seconds": 30.0}
