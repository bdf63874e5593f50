"""One door's state machine: pure, clock-injected, no I/O.

The bridge feeds it what the hardware reports (door contact, exit button, fire input, tamper,
link up/down) and the commands that passed the command guard; it answers with what the relay
should do and which door events to publish. The life-safety rules live here because they must
hold with the core dead: the exit button and the fire input release the door locally, and
nothing releases it on boot, on reconnect or after the link to the board came back.

Relay polarity: a strike (fail-secure) needs power to open, a magnetic lock (fail-safe) needs
power to stay locked. The machine thinks in "released" and ``relay_on`` maps that to the coil.

Open time: one per door, the core's (``door add --open-time``). Every unlock command carries it
as ``duration_s``, and the machine keeps the last one it carried out for the exit button, so the
button and the card open for the same time; the bridge config's ``open_time_s`` only covers the
time before the first command after a start.

Time: the open time of a release and the held-open limit are measured on the clock's monotonic
time, which an NTP correction or a person setting the date cannot move: a wall clock stepped
back an hour during a release must not keep the door released for an hour, nor one stepped
forward relock it early. Wall-clock time belongs only to the events' timestamps, which the
bridge adds when it publishes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from compound.domain.clock import Clock

STATES = ("offline", "locked", "unlocked", "open", "held_open", "forced")


@dataclass(frozen=True)
class DoorSetup:
    door_id: str
    lock_type: str = "strike"  # "strike" (fail-secure) or "maglock" (fail-safe)
    egress: bool = True  # on an escape route: the fire input releases it
    open_time_s: float = 5.0
    held_open_s: float = 60.0

    def __post_init__(self) -> None:
        if self.lock_type not in ("strike", "maglock"):
            raise ValueError(f"door {self.door_id}: lock type must be strike or maglock")
        if not 0 < self.open_time_s <= 600 or not 0 < self.held_open_s <= 3600:
            raise ValueError(f"door {self.door_id}: open/held-open times out of range")


@dataclass
class Outputs:
    """What one input caused: the coil to drive (None: leave it) and events to publish."""

    relay: bool | None = None
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class DoorMachine:
    def __init__(self, setup: DoorSetup, clock: Clock) -> None:
        self.setup = setup
        self.clock = clock  # only its monotonic time is read (see the module's docstring)
        self.online = False  # until the board answers, nothing is driven: "offline"
        self.released = False
        self.relock_at: float | None = None  # monotonic
        self.door_open = False
        self.opened_at: float | None = None  # monotonic
        self.authorised_open = False  # the current opening was granted (or exit, or fire)
        self.held_alarm = False
        self.forced = False
        self.fire = False
        self.lockdown = False
        self.tamper = False
        self.last_command: str | None = None
        # The door's open time as the core last said it (the duration of its last unlock, taken
        # from the door record); the exit button uses it too. Until then: the bridge config's.
        self.open_time_s = setup.open_time_s

    # -- derived ---------------------------------------------------------------------------

    def relay_for(self, released: bool) -> bool:
        return released if self.setup.lock_type == "strike" else not released

    @property
    def relay_on(self) -> bool:
        return self.relay_for(self.released)

    @property
    def state(self) -> str:
        if not self.online:
            return "offline"
        if self.door_open:
            if self.forced:
                return "forced"
            return "held_open" if self.held_alarm else "open"
        return "unlocked" if self.released else "locked"

    def snapshot(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "released": self.released,
            "fire": self.fire,
            "lockdown": self.lockdown,
            "tamper": self.tamper,
            "lock_type": self.setup.lock_type,
        }

    def refusal(self, action: str, override: bool = False) -> str | None:
        """Why a verified ``unlock`` or ``lock`` cannot be carried out now; None if it can.
        ``override``: the command's signed override flag, the one thing that opens in lockdown."""
        if not self.online:
            return "offline"
        if action == "unlock" and self.lockdown and not override:
            return "lockdown"
        if action == "lock" and self.fire and self.setup.egress:
            return "fire"  # the fire input holds this egress door released
        return None

    # -- inputs ----------------------------------------------------------------------------

    def link(self, up: bool, door_open: bool = False) -> Outputs:
        """The board answered again (up) or stopped answering (down).

        On the way up, ``door_open`` is the contact as read now: a door found open after a
        restart is not reported as forced, since nobody knows how it came to be open.
        """
        out = Outputs()
        if up == self.online:
            return out
        self.online = up
        if up:
            self.door_open = door_open
            self.opened_at = self.clock.monotonic() if door_open else None
            self.forced = False
            self.held_alarm = False
        if not up:
            # The coil keeps whatever it had; forget any pulse so that nothing opens on return.
            self.released = self.fire and self.setup.egress
            self.relock_at = None
            out.events.append(("offline", {}))
            return out
        # Back (or first contact after boot): drive the secure state, or fire release.
        self.released = self.fire and self.setup.egress
        self.relock_at = None
        out.relay = self.relay_on
        out.events.append(("online", {}))
        return out

    def unlock(self, duration_s: float | None, reason: str, override: bool = False) -> Outputs:
        """A verified unlock command from the core. Refused while offline, and in lockdown
        unless it carries the core's signed override."""
        out = Outputs()
        if not self.online or (self.lockdown and not override):
            return out
        if duration_s:
            self.open_time_s = duration_s
        return self._pulse(self.open_time_s, reason)

    def lock(self, reason: str) -> Outputs:
        out = Outputs()
        if not self.online or (self.fire and self.setup.egress):
            return out
        self.relock_at = None
        if self.released:
            self.released = False
            out.relay = self.relay_on
            out.events.append(("locked", {"reason": reason}))
        return out

    def exit_button(self) -> Outputs:
        """Request-to-exit opens locally, lockdown or not: lockdown keeps people out, not in."""
        out = Outputs(events=[("exit_button", {})])
        if not self.online:
            return out
        pulse = self._pulse(self.open_time_s, "exit button")
        out.relay = pulse.relay
        out.events.extend(pulse.events)
        return out

    def contact(self, is_open: bool) -> Outputs:
        out = Outputs()
        if is_open == self.door_open:
            return out
        self.door_open = is_open
        if is_open:
            self.opened_at = self.clock.monotonic()
            self.authorised_open = self.released
            self.held_alarm = False
            out.events.append(("opened", {}))
            if not self.authorised_open:
                self.forced = True
                out.events.append(("forced_open", {"lock_type": self.setup.lock_type}))
            return out
        self.opened_at = None
        self.forced = False
        self.held_alarm = False
        out.events.append(("closed", {}))
        if self.released and not (self.fire and self.setup.egress):
            # Relock as soon as the door closes, not at the end of the pulse: one passage.
            self.released = False
            self.relock_at = None
            out.relay = self.relay_on
            out.events.append(("locked", {"reason": "door closed"}))
        return out

    def fire_input(self, active: bool) -> Outputs:
        out = Outputs()
        if active == self.fire:
            return out
        self.fire = active
        if not self.setup.egress:
            return out
        if active:
            self.relock_at = None
            self.released = True
            out.events.append(("fire_release", {}))
        else:
            self.released = False
            out.events.append(("fire_cleared", {}))
        if self.online:
            out.relay = self.relay_on
        return out

    def tamper_input(self, active: bool) -> Outputs:
        out = Outputs()
        if active != self.tamper:
            self.tamper = active
            if active:
                out.events.append(("tamper", {}))
        return out

    def set_lockdown(self, on: bool) -> Outputs:
        out = Outputs()
        self.lockdown = on
        if on and self.released and not self.fire:
            out = self.lock("lockdown")
        return out

    def tick(self) -> Outputs:
        """Time passes: end of the unlock pulse, held-open alarm."""
        now = self.clock.monotonic()
        out = Outputs()
        if self.relock_at is not None and now >= self.relock_at:
            self.relock_at = None
            if self.released and not (self.fire and self.setup.egress):
                self.released = False
                out.relay = self.relay_on if self.online else None
                out.events.append(("locked", {"reason": "open time over"}))
        if (
            self.door_open
            and not self.held_alarm
            and not self.forced
            and not self.fire
            and self.opened_at is not None
            and now - self.opened_at >= self.setup.held_open_s
        ):
            self.held_alarm = True
            out.events.append(("held_open", {"seconds": round(now - self.opened_at, 1)}))
        return out

    # -- internals -------------------------------------------------------------------------

    def _pulse(self, duration: float, reason: str) -> Outputs:
        out = Outputs()
        end = self.clock.monotonic() + duration
        self.relock_at = end if self.relock_at is None else max(self.relock_at, end)
        if self.door_open:
            # Someone is already in the doorway; the opening becomes authorised from now on.
            self.authorised_open = True
        if not self.released:
            self.released = True
            out.relay = self.relay_on
            out.events.append(("unlocked", {"reason": reason, "seconds": duration}))
        return out
