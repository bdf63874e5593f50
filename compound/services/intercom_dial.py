"""Which unit a dial reaches, checked before anything rings.

A dial names a unit in full ("3-2-1501") or only a room ("805"). The core finds the unit, and
refuses the dial before it rings when the door does not exist, the number is malformed, the
door does not serve the unit, no such unit is registered, or the unit has no indoor station to
ring. Each refusal carries a short code (``DialRefused.code``) that the caller's screen turns
into a sentence in its own language; the message is for logs and consoles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from compound.domain.model import Door, InvalidInput, UnitAddress

if TYPE_CHECKING:
    from compound.store.db import Store

# The codes a refused dial may carry on its state topic ("failed", with "code").
DIAL_CODES = (
    "unknown_door",
    "bad_number",
    "not_served",
    "ambiguous_room",
    "no_such_unit",
    "no_station",
    "stale",
)


class DialRefused(InvalidInput):
    """A dial the core will not ring, with the code a screen translates."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def refusal_code(e: Exception) -> str:
    return e.code if isinstance(e, DialRefused) else "bad_number"


def resolve_dial(store: Store, door_id: str, room: str | None, unit: str | None) -> str:
    """The unit address a dial at ``door_id`` rings; DialRefused when it must not ring."""
    door = store.door(door_id)
    if door is None:
        raise DialRefused("unknown_door", f"unknown door {door_id!r}")
    try:
        if unit:
            addr = UnitAddress.parse(unit)
        elif room:
            addr = _room_only(store, door, room)
        else:
            raise DialRefused("bad_number", "a dial names a unit or a room")
    except DialRefused:
        raise
    except (InvalidInput, ValueError) as e:
        raise DialRefused("bad_number", str(e)) from e
    if not door.serves_unit(addr):
        raise DialRefused("not_served", f"{addr} cannot be called from door {door_id}")
    if store.one("SELECT 1 FROM units WHERE address = ?", (str(addr),)) is None:
        raise DialRefused("no_such_unit", f"no unit {addr} is registered")
    row = store.one("SELECT 1 FROM intercom_stations WHERE ring_group = ?", (str(addr),))
    if row is None:
        raise DialRefused("no_station", f"unit {addr} has no indoor station registered")
    return str(addr)


def _room_only(store: Store, door: Door, room: str) -> UnitAddress:
    """A room dialled without building and entrance: the door's one entrance if it serves
    exactly one, otherwise the one registered unit with that room among those it serves."""
    entrances = [s for s in door.serves if s.entrance is not None and s.room is None]
    if len(entrances) == 1 and len(door.serves) == 1:
        s = entrances[0]
        return UnitAddress.parse(f"{s.building}-{s.entrance}-{room}")
    rows = store.query("SELECT address FROM units WHERE room = ?", (room,))
    found = [a for r in rows if door.serves_unit(a := UnitAddress.parse(str(r["address"])))]
    if not found:
        raise DialRefused("no_such_unit", f"no unit with room {room} is served by door {door.id}")
    if len(found) > 1:
        raise DialRefused(
            "ambiguous_room",
            f"room {room} is in more than one entrance here: dial building-entrance-room",
        )
    return found[0]
