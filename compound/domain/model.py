"""Domain values of a compound: where people live, who they are, what lets them in.

All values are frozen dataclasses; the store builds them from rows and the access policy reads
them. Nothing here does I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class InvalidInput(ValueError):
    """A value given by a person (CLI, console, CSV) that cannot be accepted as it is.

    The message is shown to that person as it stands, so it says what is wrong and what to do.
    """


class Role(StrEnum):
    OWNER = "owner"
    FAMILY = "family"
    TENANT = "tenant"
    VISITOR = "visitor"


class CredentialKind(StrEnum):
    FACE = "face"
    CARD = "card"
    PIN = "pin"
    PASS = "pass"  # noqa: S105 - visitor pass, shown as a QR code


class LockType(StrEnum):
    # A magnetic lock needs power to stay locked (fail-safe: it opens when power is cut);
    # an electric strike needs power to open (fail-secure).
    MAGLOCK = "maglock"
    STRIKE = "strike"


_UNIT_RE = re.compile(r"^(\d{1,3})-(\d{1,2})-(\d{3,5})$")
_SCOPE_RE = re.compile(r"^(\d{1,3})(?:-(\d{1,2}))?(?:-(\d{3,5}))?$")


@dataclass(frozen=True, order=True)
class UnitAddress:
    """A room number as written on the door panel: building-entrance-room, e.g. ``3-2-1501``."""

    building: int
    entrance: int
    room: str

    @classmethod
    def parse(cls, text: str) -> UnitAddress:
        m = _UNIT_RE.match(text.strip())
        if not m:
            raise InvalidInput(
                f"malformed room number {text!r}: write building-entrance-room, e.g. 3-2-1501"
            )
        building, entrance, room = int(m[1]), int(m[2]), m[3]
        if building == 0 or entrance == 0:
            raise InvalidInput(f"malformed room number {text!r}: building and entrance start at 1")
        return cls(building, entrance, room)

    @property
    def floor(self) -> int:
        return int(self.room[:-2])

    def __str__(self) -> str:
        return f"{self.building}-{self.entrance}-{self.room}"


@dataclass(frozen=True)
class Scope:
    """What a door serves: a whole building (``3``), one entrance (``3-2``) or one unit."""

    building: int | None = None  # None: the whole compound (a main gate)
    entrance: int | None = None
    room: str | None = None

    @classmethod
    def parse(cls, text: str) -> Scope:
        text = text.strip()
        if text in ("*", "all", "site"):
            return cls()
        m = _SCOPE_RE.match(text)
        if not m:
            raise InvalidInput(
                f"malformed door scope {text!r}: write a building (3), an entrance (3-2), "
                "a unit (3-2-1501) or * for the whole compound"
            )
        return cls(int(m[1]), int(m[2]) if m[2] else None, m[3])

    def covers(self, unit: UnitAddress) -> bool:
        if self.building is None:
            return True
        if self.building != unit.building:
            return False
        if self.entrance is not None and self.entrance != unit.entrance:
            return False
        return self.room is None or self.room == unit.room

    def __str__(self) -> str:
        if self.building is None:
            return "*"
        parts = [str(self.building)]
        if self.entrance is not None:
            parts.append(str(self.entrance))
        if self.room is not None:
            parts.append(self.room)
        return "-".join(parts)


def mask_id_number(number: str | None) -> str | None:
    """Shown on screens and sent upstream: first 3 and last 4 characters only."""
    if not number:
        return number
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_phone(number: str | None) -> str | None:
    """A phone number as shown on screens, in exports and sent upstream: masked like an ID
    number (first 3 and last 4 characters), after dropping the spaces and dashes."""
    if not number:
        return number
    return mask_id_number(number.replace(" ", "").replace("-", ""))


def parse_date(text: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"malformed {what} {text!r}: write YYYY-MM-DD, e.g. 2027-06-30"
        ) from None


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    unit: UnitAddress
    role: Role
    household_id: int
    id_number: str | None = None
    phone: str | None = None
    lease_start: date | None = None
    lease_end: date | None = None
    moved_out_at: float | None = None
    lives_alone: bool = False
    birth_year: int | None = None

    @property
    def active(self) -> bool:
        return self.moved_out_at is None


@dataclass(frozen=True)
class Credential:
    id: int
    person_id: int
    kind: CredentialKind
    valid_from: float | None = None
    valid_until: float | None = None
    revoked_at: float | None = None
    schedule_id: int | None = None
    label: str = ""


@dataclass(frozen=True)
class Door:
    id: str  # stable name used on the bus, e.g. "b3-e2-main"
    name: str
    serves: tuple[Scope, ...]
    lock_type: LockType = LockType.STRIKE
    egress: bool = True  # on an escape route: fire input releases it
    open_time_s: float = 5.0
    held_open_s: float = 60.0
    schedule_id: int | None = None  # hours when non-residents (visitors) may pass

    def as_dict(self) -> dict[str, object]:
        """The form listed by the CLI and the API."""
        return {
            "id": self.id,
            "name": self.name,
            "serves": [str(s) for s in self.serves],
            "lock_type": str(self.lock_type),
            "egress": self.egress,
            "open_time_s": self.open_time_s,
        }

    def serves_unit(self, unit: UnitAddress) -> bool:
        return any(s.covers(unit) for s in self.serves)


@dataclass(frozen=True)
class TimeWindow:
    """Open from ``start`` to ``end`` (minutes after midnight, local time) on the given weekdays
    (0 = Monday). ``end`` may be 1440."""

    weekdays: frozenset[int]
    start: int
    end: int

    def __post_init__(self) -> None:
        if not (0 <= self.start < self.end <= 1440):
            raise InvalidInput("a time window needs 00:00 <= start < end <= 24:00")
        if not self.weekdays <= frozenset(range(7)):
            raise InvalidInput("weekdays are 0 (Monday) to 6 (Sunday)")


WORKING_DAYS = frozenset(range(5))  # Monday to Friday


@dataclass(frozen=True)
class Schedule:
    id: int
    name: str
    windows: tuple[TimeWindow, ...]
    # On a public holiday these windows apply instead of the weekday ones (empty: closed).
    holiday_windows: tuple[TimeWindow, ...] = ()

    def allows(self, weekday: int, minute: int, holiday: bool, workday: bool = False) -> bool:
        """``workday``: a Saturday or Sunday that is worked (调休); the hours of its own weekday
        apply and so do those of windows that cover every working day, Monday to Friday."""
        if holiday:
            return any(w.start <= minute < w.end for w in self.holiday_windows)
        return any(
            (weekday in w.weekdays or (workday and WORKING_DAYS <= w.weekdays))
            and w.start <= minute < w.end
            for w in self.windows
        )


def parse_hhmm(text: str) -> int:
    m = re.match(r"^(\d{1,2}):(\d{2})$", text.strip())
    if not m or int(m[1]) > 24 or int(m[2]) > 59 or (int(m[1]) == 24 and int(m[2]) != 0):
        raise InvalidInput(f"malformed time {text!r}: write HH:MM, e.g. 07:30")
    return int(m[1]) * 60 + int(m[2])


@dataclass(frozen=True)
class Event:
    """One line of the append-only, hash-chained event log."""

    seq: int
    at: float
    type: str
    door_id: str | None = None
    person_id: int | None = None
    data: dict[str, object] = field(default_factory=dict)
    prev_hash: str = ""
    hash: str = ""

    def as_dict(self) -> dict[str, object]:
        """The form streamed to the UIs and returned by the API (no hashes)."""
        return {
            "seq": self.seq,
            "at": self.at,
            "type": self.type,
            "door_id": self.door_id,
            "person_id": self.person_id,
            "data": self.data,
        }


@dataclass(frozen=True)
class Alarm:
    id: int
    raised_at: float
    kind: str
    severity: str
    door_id: str | None
    message: str
    acknowledged_at: float | None = None
    acknowledged_by: str | None = None
    note: str | None = None


def display_name(name: str) -> str:
    """What a door panel may show to whoever stands in front of it: the family name only."""
    name = name.strip()
    if not name:
        return ""
    if name.isascii():
        return name.split()[-1] if " " in name else name
    return name[0] + "*" * (len(name) - 1)
