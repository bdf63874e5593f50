"""What a value given by a person must look like before the store records it.

Plain functions over plain values: a person's name, role, ID and phone numbers and lease dates;
card numbers, PINs and visitor-pass validity; a door's id, what it serves, its lock and its
times; an intercom station's id and what it rings for. Each returns the value in the form that
is kept (trimmed, upper-cased, parsed) or raises ``InvalidInput`` with a message the person can
act on. Checks that need the database (a unit that exists, an ID number already registered)
stay in the store.
"""

from __future__ import annotations

import math
import re
from datetime import date

from compound.domain.model import InvalidInput, LockType, Role, Scope, UnitAddress, parse_date
from compound.protocol.topics import valid_segment

# Longest a visitor pass may last: anyone staying longer is registered as a tenant.
MAX_PASS_S = 31 * 86400

# -- people --------------------------------------------------------------------------------


def person_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("a person needs a name of 1 to 100 characters")
    # A line break in a name split the lists and exports that give a person one line.
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise InvalidInput(f"a name is one line of letters, not {name!r}")
    return name


# Free text a manager types: long enough for any real one, bounded so that nothing is cut.
MAX_ORIGIN = 200  # 户籍地: a province, city, county and street with room to spare
MAX_VISIT_NOTES = 2000


def origin(value: str) -> str | None:
    text = value.strip()
    if len(text) > MAX_ORIGIN:
        raise InvalidInput(f"a tenant's origin is at most {MAX_ORIGIN} characters, not {len(text)}")
    return text or None


def visit_notes(value: str) -> str:
    text = value.strip()
    if len(text) > MAX_VISIT_NOTES:
        raise InvalidInput(f"visit notes are at most {MAX_VISIT_NOTES} characters, not {len(text)}")
    return text


def role(value: str | Role) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput(
            f"unknown role {value!r}: use owner, family, tenant or visitor"
        ) from None


def as_date(value: str | date | None, what: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return parse_date(value, what)


def lease(start: str | date | None, end: str | date | None) -> tuple[date | None, date | None]:
    first, last = as_date(start, "lease start"), as_date(end, "lease end")
    if first and last and last < first:
        raise InvalidInput(f"lease end {last} is before lease start {first}")
    return first, last


def id_number(value: str) -> str:
    # Kept upper-case so that the same document typed twice is caught as a duplicate.
    value = value.strip().upper()
    if not re.fullmatch(r"[0-9A-Z]{6,20}", value):
        raise InvalidInput(f"malformed ID number {value!r}: 6-20 letters and digits")
    return value


def phone(value: str) -> str:
    if not re.fullmatch(r"\+?[0-9 -]{5,20}", value):
        raise InvalidInput(f"malformed phone number {value!r}")
    return value


def birth_year(value: object) -> int:
    # As a register sheet's column is checked (register_sheet): the elderly checks count on it.
    if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2099:
        raise InvalidInput(f"a birth year is from 1900 to 2099 (e.g. 1948), not {value!r}")
    return value


def occupants(value: object) -> int:
    # The group-rental alarm compares a unit's entrants with this number.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 99:
        raise InvalidInput(f"registered occupants are 0 to 99 people, not {value!r}")
    return value


# -- credentials ---------------------------------------------------------------------------


def card_number(number: str) -> str:
    number = number.strip()
    if not re.fullmatch(r"[0-9]{1,20}", number):
        raise InvalidInput(f"malformed card number {number!r}: digits only, as the reader prints")
    return number


def card_lookup(number: str) -> str:
    """The form a card number is kept and looked up in: readers differ in leading zeros."""
    return number.strip().lstrip("0") or "0"


def pin(value: str) -> str:
    if not re.fullmatch(r"[0-9]{6,8}", value):
        raise InvalidInput("a PIN is 6 to 8 digits")
    if len(set(value)) == 1 or value in "0123456789" or value in "9876543210":
        raise InvalidInput("that PIN is too easy to guess; avoid repeated or running digits")
    return value


def pass_validity(valid_from: float, valid_until: float) -> None:
    # Not a number compares false with everything, and SQLite keeps it as NULL: a pass with no
    # end at all. Refused with the rest.
    if not (math.isfinite(valid_from) and math.isfinite(valid_until)):
        raise InvalidInput("a pass needs a start and an end in hours (e.g. 4 or 0.5)")
    if valid_until <= valid_from:
        raise InvalidInput("a pass must end after it starts")
    if valid_until - valid_from > MAX_PASS_S:
        raise InvalidInput("a visitor pass lasts at most 31 days; register a tenant instead")


# -- doors ---------------------------------------------------------------------------------


def door_id(value: str) -> str:
    # The id is a level of the door's bus topics, so it must be a valid topic segment.
    if not valid_segment(value):
        raise InvalidInput(
            f"door id {value!r} must be 1-64 letters, digits, '_', '.', '-' (e.g. b3-e2)"
        )
    return value


def door_name(value: str) -> str:
    # Shown on every door's tile at the wall and on its panel: a line that fits, or the id.
    name = value.strip()
    if len(name) > 64 or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise InvalidInput(f"a door's name is one line of at most 64 characters, not {name[:70]!r}")
    return name


def door_scopes(serves: list[str]) -> list[Scope]:
    if not serves:
        raise InvalidInput(
            "a door must serve at least one building, entrance or unit "
            "(--serves 3, --serves 3-2, or --serves '*' for a main gate)"
        )
    return [Scope.parse(s) for s in serves]


def lock_type(value: str) -> LockType:
    try:
        return LockType(value)
    except ValueError:
        raise InvalidInput(f"unknown lock type {value!r}: use maglock or strike") from None


def door_times(open_time_s: float, held_open_s: float) -> None:
    if not 1 <= open_time_s <= 60:
        raise InvalidInput("door open time must be between 1 and 60 seconds")
    if not 5 <= held_open_s <= 3600:
        raise InvalidInput("held-open alarm time must be between 5 and 3600 seconds")


# -- intercom stations ---------------------------------------------------------------------


def station_id(value: str) -> str:
    # The id is a level of the station's bus topic (intercom/station/<id>/reply).
    if not valid_segment(value):
        raise InvalidInput("station id: 1-64 letters, digits, '_', '.', '-'")
    return value


def ring_group(value: str, desks: tuple[str, ...]) -> str:
    """What a station rings for: a unit (3-2-1501) or one of the desk groups (``desks``, from
    ``[intercom]``: the property desk and the officer)."""
    value = value.strip()
    if value in desks:
        return value
    try:
        return str(UnitAddress.parse(value))
    except InvalidInput:
        raise InvalidInput(
            f"a station rings for a unit (building-entrance-room, e.g. 3-2-1501) or for"
            f" {' or '.join(desks)}, not {value!r}"
        ) from None
