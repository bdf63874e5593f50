"""The access decision: may this credential open this door now?

``decide`` is pure. The store looks up the facts (door, credential, person, schedules, whether
today is a holiday or a worked weekend day, whether the site is in lockdown) and passes them in
with the time; the answer carries the reason so that the log, the door panel and the officer can
all say why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from compound.domain.model import Credential, Door, Person, Role, Schedule


class Reason(StrEnum):
    GRANTED = "granted"
    UNKNOWN_DOOR = "unknown door"
    UNKNOWN_CREDENTIAL = "unknown credential"
    REVOKED = "revoked"
    NOT_YET_VALID = "not yet valid"
    EXPIRED = "expired"
    LEASE_ENDED = "lease ended"
    MOVED_OUT = "moved out"
    OUTSIDE_SCHEDULE = "outside schedule"
    DOOR_NOT_SERVING = "door not serving this person"
    LOCKDOWN = "lockdown"
    RATE_LIMITED = "too many failed attempts"
    SYSTEM_BUSY = "system busy"  # the decision could not be logged; nothing was opened


# What a device may be told. For a card, a PIN or a face, every "this credential exists but
# not here or not now" reason reads as unknown: a device that could tell them apart could find
# valid cards and PINs, and which person ids exist. Visitor passes are 128-bit random tokens,
# so a pass holder may be told the pass has expired or is not yet valid.
_PUBLIC_REASONS = frozenset(
    {
        Reason.GRANTED,
        Reason.UNKNOWN_DOOR,
        Reason.UNKNOWN_CREDENTIAL,
        Reason.LOCKDOWN,
        Reason.RATE_LIMITED,
        Reason.OUTSIDE_SCHEDULE,
    }
)
_PUBLIC_FOR_PASSES = _PUBLIC_REASONS | {Reason.NOT_YET_VALID, Reason.EXPIRED, Reason.REVOKED}


def public_reason(kind: str, reason: Reason) -> Reason:
    """The reason a door device is told; the log keeps the real one."""
    allowed = _PUBLIC_FOR_PASSES if kind == "pass" else _PUBLIC_REASONS
    return reason if reason in allowed else Reason.UNKNOWN_CREDENTIAL


@dataclass(frozen=True)
class Decision:
    granted: bool
    reason: Reason
    door_id: str
    person_id: int | None = None
    credential_id: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "granted": self.granted,
            "reason": str(self.reason),
            "door_id": self.door_id,
            "person_id": self.person_id,
            "credential_id": self.credential_id,
        }


@dataclass(frozen=True)
class Facts:
    """Everything ``decide`` needs, looked up beforehand."""

    door_id: str
    door: Door | None
    credential: Credential | None
    person: Person | None
    lockdown: bool = False
    schedules: Mapping[int, Schedule] | None = None
    holidays: frozenset[date] = frozenset()
    # Saturdays and Sundays that are worked (调休): working-day hours apply on them.
    workdays: frozenset[date] = frozenset()


def decide(facts: Facts, now: float, tz: ZoneInfo) -> Decision:
    door, cred, person = facts.door, facts.credential, facts.person

    def deny(reason: Reason) -> Decision:
        return Decision(
            False,
            reason,
            facts.door_id,
            person.id if person else None,
            cred.id if cred else None,
        )

    if door is None:
        return deny(Reason.UNKNOWN_DOOR)
    if cred is None or person is None:
        return deny(Reason.UNKNOWN_CREDENTIAL)
    # Lockdown comes before everything a resident could do: during an incident the officer
    # decides who passes, by unlocking from the wall display.
    if facts.lockdown:
        return deny(Reason.LOCKDOWN)
    if cred.revoked_at is not None and cred.revoked_at <= now:
        return deny(Reason.REVOKED)
    if person.moved_out_at is not None and person.moved_out_at <= now:
        return deny(Reason.MOVED_OUT)
    if cred.valid_from is not None and now < cred.valid_from:
        return deny(Reason.NOT_YET_VALID)
    if cred.valid_until is not None and now >= cred.valid_until:
        return deny(Reason.EXPIRED)
    local = datetime.fromtimestamp(now, tz)
    # The lease runs to the end of its last day in the compound's own time zone.
    if person.lease_end is not None and local.date() > person.lease_end:
        return deny(Reason.LEASE_ENDED)
    if not door.serves_unit(person.unit):
        return deny(Reason.DOOR_NOT_SERVING)
    schedules = facts.schedules or {}
    holiday = local.date() in facts.holidays
    workday = local.date() in facts.workdays
    minute = local.hour * 60 + local.minute
    wanted = [cred.schedule_id]
    # Door hours bind visitors only: a resident must always be able to get home.
    if person.role is Role.VISITOR:
        wanted.append(door.schedule_id)
    for sid in wanted:
        if sid is None:
            continue
        sched = schedules.get(sid)
        # A schedule that was deleted while still referenced denies rather than opens.
        if sched is None or not sched.allows(local.weekday(), minute, holiday, workday):
            return deny(Reason.OUTSIDE_SCHEDULE)
    return Decision(True, Reason.GRANTED, facts.door_id, person.id, cred.id)
