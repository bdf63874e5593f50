"""Duty officers in the store: who may acknowledge alarms at the officer wall, and finding the
officer a card or PIN presented at the wall belongs to.

A PIN is kept only as a keyed hash (under its own purpose, so it never matches a resident's
door PIN hash), a card number without its leading zeros, as for residents' cards. Adding and
removing an officer is logged with who did it; the PIN and the card are never logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compound.adapters import keys
from compound.domain import validation
from compound.domain.model import InvalidInput
from compound.store.base import row_id
from compound.store.db import Store

PIN_PURPOSE = "officer-pin"
KINDS = ("card", "pin")
# A live officer already holding this badge, card or PIN.
TAKEN = {
    "badge": "SELECT 1 FROM officers WHERE removed_at IS NULL AND badge = ?",
    "card": "SELECT 1 FROM officers WHERE removed_at IS NULL AND card = ?",
    "pin": "SELECT 1 FROM officers WHERE removed_at IS NULL AND pin_hash = ?",
}


@dataclass(frozen=True)
class Officer:
    id: int
    name: str
    badge: str
    has_card: bool
    has_pin: bool

    @property
    def label(self) -> str:
        """How the log and the wall name them: "李伟 (0412)"."""
        return f"{self.name} ({self.badge})"


def _officer(r: dict[str, Any]) -> Officer:
    return Officer(r["id"], r["name"], r["badge"], r["card"] is not None, r["pin_hash"] is not None)


def add_officer(
    store: Store, name: str, badge: str, card: str | None, pin: str | None, by: str
) -> Officer:
    name, badge, by = name.strip(), badge.strip(), by.strip()
    if not name or len(name) > 64:
        raise InvalidInput("give the officer's name (1 to 64 characters)")
    if not badge or len(badge) > 32 or not badge.isprintable():
        raise InvalidInput("give the officer's badge number (1 to 32 characters)")
    if not by:
        raise InvalidInput("say who adds the officer (--by NAME)")
    if not card and not pin:
        raise InvalidInput("an officer identifies at the wall by card or PIN: give --card or --pin")
    lookup = validation.card_lookup(validation.card_number(card)) if card else None
    pin_hash = keys.lookup_hash(store.master_key, PIN_PURPOSE, validation.pin(pin)) if pin else None
    with store.transaction() as c:
        taken = {
            column: c.execute(TAKEN[column], (value,)).fetchone() is not None
            for column, value in (("badge", badge), ("card", lookup), ("pin", pin_hash))
            if value is not None
        }
        if taken.get("badge"):
            raise InvalidInput(f"badge {badge} is already a duty officer's")
        if taken.get("card"):
            raise InvalidInput("that card already names another officer; use another card")
        if taken.get("pin"):
            raise InvalidInput("choose another PIN")  # never say whose it is
        oid = row_id(
            c.execute(
                "INSERT INTO officers (name, badge, card, pin_hash, added_at, added_by)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (name, badge, lookup, pin_hash, store.clock.now(), by),
            ).lastrowid
        )
        store.append_event(
            "officer.added",
            data={
                "officer_id": oid,
                "name": name,
                "badge": badge,
                "by": by,
                "card": lookup is not None,
                "pin": pin_hash is not None,
            },
        )
    return Officer(oid, name, badge, lookup is not None, pin_hash is not None)


def remove_officer(store: Store, badge: str, by: str) -> Officer:
    if not by.strip():
        raise InvalidInput("say who removes the officer (--by NAME)")
    with store.transaction() as c:
        row = store.one("SELECT * FROM officers WHERE badge = ? AND removed_at IS NULL", (badge,))
        if row is None:
            raise InvalidInput(f"no duty officer with badge {badge!r}")
        c.execute("UPDATE officers SET removed_at = ? WHERE id = ?", (store.clock.now(), row["id"]))
        store.append_event(
            "officer.removed",
            data={"officer_id": row["id"], "name": row["name"], "badge": badge, "by": by.strip()},
        )
    return _officer(row)


def officers(store: Store) -> list[Officer]:
    rows = store.query("SELECT * FROM officers WHERE removed_at IS NULL ORDER BY badge")
    return [_officer(r) for r in rows]


def identify(store: Store, kind: str, value: str) -> Officer | None:
    """The duty officer (not removed) whose card or PIN ``value`` is; None for anything else,
    malformed values included: the caller says only that it was not recognised."""
    value = value.strip()
    if kind == "card":
        if not value.isdigit() or len(value) > 20:
            return None
        row = store.one(
            "SELECT * FROM officers WHERE card = ? AND removed_at IS NULL",
            (validation.card_lookup(value),),
        )
    elif kind == "pin":
        if not value.isdigit() or not 6 <= len(value) <= 8:
            return None
        row = store.one(
            "SELECT * FROM officers WHERE pin_hash = ? AND removed_at IS NULL",
            (keys.lookup_hash(store.master_key, PIN_PURPOSE, value),),
        )
    else:
        return None
    return None if row is None else _officer(row)
