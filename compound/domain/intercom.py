"""The intercom call state machine: pure, clock-injected, no I/O.

The intercom service feeds it plain values: a dial (with the unit already resolved from the
door's record), a station's reply (with the group the station is registered for), a hang-up
from a door or a console, and the time. It answers with the effects to carry out, in order:
announce a state on the call's state topic, ring a group's stations, open the calling door, keep
the call's record. It never reads the store or the bus, so each rule is tested with values.

A call starts "dialing". If its group already has a live call it is "busy", otherwise it is
"ringing". A ringing call is "answered" by one station of its group. Any state ends as
"door_opened" (a station of the group opened the calling door), "rejected" or "ended" (hung
up). A call still ringing after the ring timeout is "no_answer"; an answered call ends after
the talk timeout, and its station can no longer open the door. A busy or unanswered call
rings the property desk once (not an emergency call, and only if forwarding is on); otherwise
it ends. The emergency button rings the officer's group and is never forwarded. A dial refused
before it rang is "failed": it never becomes a call, and its id is remembered so that a replay
of it is a duplicate.

Lockdown: a lockdown keeps people out, so a station's "unlock" during one opens nothing. The
call stays as it was (the resident can still talk to the visitor), the calling door is told
"unlock_refused" with the reason, and the stations ringing for the call get the same word on
their ring topic, so the indoor station can say that the door stays shut. The one exception is
the officer: a station of the officer's group opening the door of the emergency call it
answered is a responder's decision, carried out as a lockdown override (the command carries the
signed override flag and the log names the station).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STATES = (
    "dialing",
    "ringing",
    "answered",
    "door_opened",
    "rejected",
    "no_answer",
    "busy",
    "ended",
    "failed",
    "unlock_refused",  # said, not kept: the call stays answered (lockdown, module docstring)
)
LIVE = ("ringing", "answered")
ACTIONS = ("answer", "reject", "unlock", "hangup")
REFUSED_IDS_KEPT = 4096  # ids of refused dials remembered, so that a replay is a duplicate


@dataclass(frozen=True)
class CallRules:
    ring_timeout_s: float = 45.0
    desk: str = "desk"  # station group of the property desk
    officer: str = "officer"  # station group that the emergency button calls
    forward_to_desk: bool = True  # busy or unanswered calls ring the desk
    # An answered call ends after this long: an answered call left open would let its station
    # open the door minutes later, when whoever rang has long gone and someone else stands there.
    talk_timeout_s: float = 90.0


@dataclass
class Call:
    id: str
    door: str
    group: str  # the unit address, or the desk / officer group
    emergency: bool
    started_at: float
    deadline: float
    state: str = "dialing"
    answered_by: str | None = None
    answered_at: float | None = None
    forwarded_to: str | None = None
    door_opened: bool = False
    snapshot: bytes | None = None
    snapshot_at: float | None = None


@dataclass(frozen=True)
class Announce:
    """Say the call's state on its state topic, under the calling door."""

    door: str
    call_id: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Ring:
    """Ring every station registered for ``group``."""

    call_id: str
    door: str
    group: str
    emergency: bool
    at: float


@dataclass(frozen=True)
class OpenDoor:
    """Open the calling door once, for the reason given."""

    door: str
    reason: str
    override: bool = False  # the officer opening an emergency's door during a lockdown
    station: str | None = None  # who opened it (the log's actor for an override)


@dataclass(frozen=True)
class TellStations:
    """Say something to the stations ringing for ``group`` (on their ring topic)."""

    group: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Record:
    """The call is over: keep its record with this outcome."""

    call: Call
    outcome: str
    ended_at: float


Effect = Announce | Ring | OpenDoor | TellStations | Record


@dataclass
class Outputs:
    """What one input caused: effects in order, or why it changed nothing (``refused``)."""

    effects: list[Effect] = field(default_factory=list)
    refused: str | None = None


def is_stale(at: float, now: float, max_age_s: float) -> bool:
    """A dial held back and sent later (or a clock far off) would ring a flat long after the
    visitor left; it is refused like a stale access request."""
    return abs(now - at) > max_age_s


class Switchboard:
    """Every live call of the box, and the ids of dials refused lately."""

    def __init__(self, rules: CallRules) -> None:
        self.rules = rules
        self.calls: dict[str, Call] = {}
        self.refused_ids: dict[str, None] = {}  # insertion-ordered, bounded

    def knows(self, call_id: str) -> bool:
        """The id names a live call or a dial refused lately (ended calls are in the store)."""
        return call_id in self.calls or call_id in self.refused_ids

    # -- inputs ----------------------------------------------------------------------------

    def refuse(
        self, call_id: str, door: str, reason: str, now: float, code: str | None = None
    ) -> Outputs:
        """A dial that never rang: the caller, listening on the call's state, is told why
        (``reason`` for people reading logs, ``code`` for a screen to translate)."""
        self.refused_ids[call_id] = None
        while len(self.refused_ids) > REFUSED_IDS_KEPT:
            del self.refused_ids[next(iter(self.refused_ids))]
        body: dict[str, Any] = {"call_id": call_id, "state": "failed", "door": door}
        body.update(reason=reason, at=now)
        if code is not None:
            body["code"] = code
        return Outputs([Announce(door, call_id, body)])

    def dial(
        self,
        call_id: str,
        door: str,
        unit: str | None,
        *,
        emergency: bool,
        now: float,
        snapshot: tuple[bytes, float] | None = None,
    ) -> tuple[Call, Outputs]:
        """A call from ``door`` to ``unit`` (ignored for an emergency: the officer is called).

        ``snapshot`` is the door camera's latest frame and when it came, kept with the record.
        """
        if emergency:
            group = self.rules.officer
        elif unit:
            group = unit
        else:
            raise ValueError("a call that is not an emergency needs a unit")
        call = Call(call_id, door, group, emergency, now, now + self.rules.ring_timeout_s)
        if snapshot is not None:
            call.snapshot, call.snapshot_at = snapshot
        busy = any(c.group == group and c.state in LIVE for c in self.calls.values())
        self.calls[call.id] = call
        out = Outputs()
        if busy:
            self._state(call, "busy", now, out)
            self._forward_or_end(call, "busy", now, out)
        else:
            self._ring(call, now, out)
        return call, out

    def reply(
        self,
        station: str,
        station_group: str | None,
        call_id: str,
        action: str,
        now: float,
        lockdown: bool = False,
    ) -> Outputs:
        """A station's reply. Only a station registered for the call's group may act on it, and
        after one station answered, only that one. ``lockdown``: the site is in lockdown (see
        the module's docstring for what an unlock does then)."""
        call = self.calls.get(call_id)
        if call is None or call.state not in LIVE:
            return Outputs(refused="reply_not_live")
        if station_group is None or station_group != call.group:
            # A station of another unit must never open this door.
            return Outputs(refused="reply_wrong_station")
        if call.answered_by is not None and call.answered_by != station:
            return Outputs(refused="reply_other_station")
        out = Outputs()
        if action == "answer" and call.state == "ringing":
            call.answered_by, call.answered_at = station, now
            call.deadline = now + self.rules.talk_timeout_s
            self._state(call, "answered", now, out)
        elif action == "unlock" and lockdown and not self._officer_override(call):
            self._refuse_unlock(call, station, now, out)
        elif action == "unlock":
            override = lockdown  # only the officer's emergency reaches here in a lockdown
            call.answered_by = station
            call.answered_at = call.answered_at or now
            reason = f"intercom: {call.group} station {station}"
            out.effects.append(OpenDoor(call.door, reason, override=override, station=station))
            call.door_opened = True
            self._state(call, "door_opened", now, out)
            self._end(call, "door_opened", now, out)
        elif action == "reject":
            self._state(call, "rejected", now, out)
            self._end(call, "rejected", now, out)
        elif action == "hangup":
            self._end(call, "ended", now, out)
        return out

    def hang_up(self, call_id: str, now: float, door: str | None = None) -> Outputs:
        """End a live call. From a door (``door`` given), only a call placed from that door."""
        call = self.calls.get(call_id)
        if call is None:
            return Outputs(refused="hangup_not_live")
        if door is not None and call.door != door:
            return Outputs(refused="hangup_wrong_door")
        out = Outputs()
        self._end(call, "ended", now, out)
        return out

    def tick(self, now: float) -> Outputs:
        """Time passes: calls ringing past their deadline are unanswered; answered calls past
        the talk time end."""
        out = Outputs()
        for call in list(self.calls.values()):
            if call.state == "ringing" and now >= call.deadline:
                self._state(call, "no_answer", now, out)
                self._forward_or_end(call, "no_answer", now, out)
            elif call.state == "answered" and now >= call.deadline:
                self._end(call, "talk_timeout", now, out)
        return out

    # -- internals -------------------------------------------------------------------------

    def _officer_override(self, call: Call) -> bool:
        return call.emergency and call.group == self.rules.officer

    def _refuse_unlock(self, call: Call, station: str, now: float, out: Outputs) -> None:
        """A lockdown: nothing opens, the call goes on, the door and the stations are told."""
        if call.answered_by is None:  # pressing unlock while ringing answers the call
            call.answered_by, call.answered_at = station, now
            call.deadline = now + self.rules.talk_timeout_s
            self._state(call, "answered", now, out)
        body: dict[str, Any] = {"call_id": call.id, "state": "unlock_refused", "door": call.door}
        body.update(unit=call.group, station=station, reason="lockdown", at=now)
        out.effects.append(Announce(call.door, call.id, body))
        words = "the site is in lockdown: the door was not opened"
        out.effects.append(TellStations(call.group, {**body, "message": words}))

    def _ring(self, call: Call, now: float, out: Outputs) -> None:
        self._state(call, "ringing", now, out)
        out.effects.append(Ring(call.id, call.door, call.group, call.emergency, now))

    def _forward_or_end(self, call: Call, why: str, now: float, out: Outputs) -> None:
        target = self.rules.desk
        if (
            self.rules.forward_to_desk
            and call.forwarded_to is None
            and call.group != target
            and not call.emergency
        ):
            call.forwarded_to = target
            call.group = target
            call.deadline = now + self.rules.ring_timeout_s
            self._ring(call, now, out)
            return
        self._end(call, why, now, out)

    def _state(self, call: Call, state: str, now: float, out: Outputs) -> None:
        call.state = state
        body: dict[str, Any] = {
            "call_id": call.id,
            "state": state,
            "door": call.door,
            "unit": call.group,
            "at": now,
        }
        if call.answered_by:
            body["station"] = call.answered_by
        if call.forwarded_to:
            body["forwarded_to"] = call.forwarded_to
        out.effects.append(Announce(call.door, call.id, body))

    def _end(self, call: Call, outcome: str, now: float, out: Outputs) -> None:
        self.calls.pop(call.id, None)
        if call.state != "ended":
            self._state(call, "ended", now, out)
        out.effects.append(Record(call, outcome, now))
