"""The door state machine on a manual clock: life-safety rules without any hardware."""

from __future__ import annotations

from compound.domain.clock import ManualClock
from firmware_bridge.door_state import DoorMachine, DoorSetup, Outputs


def names(out: Outputs) -> list[str]:
    return [t for t, _ in out.events]


def online(setup: DoorSetup, clock: ManualClock) -> DoorMachine:
    m = DoorMachine(setup)
    m.link(True, clock.now())
    return m


def test_boot_is_offline_then_secure_not_released(clock: ManualClock) -> None:
    """Nothing unlocks on boot: the first contact with the board drives the locked output."""
    strike = DoorMachine(DoorSetup("a", "strike"))
    mag = DoorMachine(DoorSetup("b", "maglock"))
    assert strike.state == mag.state == "offline"
    assert strike.link(True, clock.now()).relay is False  # strike unpowered = locked
    assert mag.link(True, clock.now()).relay is True  # maglock powered = locked
    assert strike.state == mag.state == "locked"


def test_unlock_pulse_then_relock_after_open_time(clock: ManualClock) -> None:
    """A grant releases the door for its own open time, then it locks by itself."""
    m = online(DoorSetup("a", "strike", open_time_s=7), clock)
    out = m.unlock(clock.now(), None, "card")
    assert out.relay is True and names(out) == ["unlocked"]
    clock.advance(6.9)
    assert m.tick(clock.now()).relay is None and m.state == "unlocked"
    clock.advance(0.2)
    out = m.tick(clock.now())
    assert out.relay is False and names(out) == ["locked"] and m.state == "locked"


def test_relock_when_door_closes(clock: ManualClock) -> None:
    """One grant, one passage: closing the door relocks it before the pulse ends."""
    m = online(DoorSetup("a", "maglock"), clock)
    m.unlock(clock.now(), 5, "card")
    assert names(m.contact(True, clock.now())) == ["opened"]
    assert m.state == "open"
    out = m.contact(False, clock.now())
    assert names(out) == ["closed", "locked"] and out.relay is True  # maglock re-energised


def test_forced_open_when_opened_without_grant(clock: ManualClock) -> None:
    """A door opened while locked is forced: alarm, whatever the lock type."""
    m = online(DoorSetup("a"), clock)
    out = m.contact(True, clock.now())
    assert names(out) == ["opened", "forced_open"] and m.state == "forced"
    assert out.relay is None  # an alarm never moves the lock


def test_held_open_alarm_once(clock: ManualClock) -> None:
    """A door left open past its limit raises one held-open alarm, not one per tick."""
    m = online(DoorSetup("a", held_open_s=30), clock)
    m.unlock(clock.now(), None, "card")
    m.contact(True, clock.now())
    clock.advance(29)
    assert names(m.tick(clock.now())) == ["locked"]  # pulse over, door still open
    clock.advance(1)
    assert names(m.tick(clock.now())) == ["held_open"] and m.state == "held_open"
    clock.advance(10)
    assert names(m.tick(clock.now())) == []


def test_exit_button_opens_locally_even_in_lockdown(clock: ManualClock) -> None:
    """Request-to-exit needs no core and is not stopped by lockdown."""
    m = online(DoorSetup("a"), clock)
    m.set_lockdown(True, clock.now())
    out = m.exit_button(clock.now())
    assert out.relay is True and names(out) == ["exit_button", "unlocked"]
    assert names(m.contact(True, clock.now())) == ["opened"]  # not forced


def test_lockdown_refuses_unlock_and_cancels_pulse(clock: ManualClock) -> None:
    """Lockdown: even a verified command does not release the door."""
    m = online(DoorSetup("a"), clock)
    m.unlock(clock.now(), None, "card")
    out = m.set_lockdown(True, clock.now())
    assert out.relay is False and m.state == "locked"
    assert m.unlock(clock.now(), None, "card").relay is None and not m.released


def test_fire_releases_egress_doors_until_cleared(clock: ManualClock) -> None:
    """The fire input holds egress doors released; nothing relocks them until it clears."""
    m = online(DoorSetup("a", "maglock", egress=True), clock)
    out = m.fire_input(True, clock.now())
    assert out.relay is False and names(out) == ["fire_release"]  # maglock power cut
    assert m.lock(clock.now(), "operator").relay is None
    m.contact(True, clock.now())
    m.contact(False, clock.now())
    clock.advance(3600)
    m.tick(clock.now())
    assert m.released and m.state == "unlocked"
    out = m.fire_input(False, clock.now())
    assert out.relay is True and names(out) == ["fire_cleared"] and m.state == "locked"


def test_fire_leaves_non_egress_door_alone(clock: ManualClock) -> None:
    """A door that is not on an escape route (a plant room) stays locked in a fire."""
    m = online(DoorSetup("a", egress=False), clock)
    out = m.fire_input(True, clock.now())
    assert out.relay is None and not m.released


def test_offline_refuses_and_return_does_not_unlock(clock: ManualClock) -> None:
    """Board gone mid-pulse: on return the door is driven locked, the pulse is forgotten."""
    m = online(DoorSetup("a", "strike"), clock)
    m.unlock(clock.now(), 60, "card")
    assert names(m.link(False, clock.now())) == ["offline"] and m.state == "offline"
    assert m.unlock(clock.now(), None, "card").relay is None
    out = m.link(True, clock.now())
    assert out.relay is False and m.state == "locked"


def test_tamper_alarm_on_rising_edge(clock: ManualClock) -> None:
    """Tamper alarms once when the switch opens, again only after it was restored."""
    m = online(DoorSetup("a"), clock)
    assert names(m.tamper_input(True, clock.now())) == ["tamper"]
    assert names(m.tamper_input(True, clock.now())) == []
    m.tamper_input(False, clock.now())
    assert names(m.tamper_input(True, clock.now())) == ["tamper"]
