"""Visitor passes a resident issues from the indoor station (室内机), in the store.

A pass is what the property office's passes are (``Credentials.issue_pass``): a visitor person in
the unit, a 128-bit token kept only as its keyed hash, a validity window, and so it opens the
doors that serve that unit. What is added here: which station issued it, for whom, and how many
times it may be used. The uses are counted after each granted passage (``count_use``); the last
one revokes the pass, so the next showing is refused as revoked. Limits per unit keep a
compromised station from flooding the register: at most ``per_unit_per_day`` passes a day, each
for at most ``max_hours`` and ``max_uses`` (``[station_passes]`` in the config file; 10, 48 h and 10
unless set there).
"""

from __future__ import annotations

from typing import Any

from compound.config import StationPassesConfig
from compound.domain import validation
from compound.domain.model import InvalidInput, Role, UnitAddress
from compound.store.db import Store

DEFAULT_LIMITS = StationPassesConfig()


def issue(
    store: Store,
    station: str,
    unit: str,
    visitor: str,
    hours: float,
    uses: int,
    limits: StationPassesConfig = DEFAULT_LIMITS,
) -> dict[str, Any]:
    """A pass for ``visitor`` to ``unit``, issued by ``station``; the token is in the answer
    only (shown once, as the station's QR code)."""
    visitor = validation.person_name(visitor)
    if not 0 < hours <= limits.max_hours:
        raise InvalidInput(f"a pass from the indoor station lasts up to {limits.max_hours:g} hours")
    if not 1 <= uses <= limits.max_uses:
        raise InvalidInput(f"a pass from the indoor station opens 1 to {limits.max_uses} times")
    addr = UnitAddress.parse(unit)
    now = store.clock.now()
    with store.transaction() as c:
        (today,) = c.execute(
            "SELECT COUNT(*) FROM station_passes WHERE unit = ? AND issued_at > ?",
            (str(addr), now - 86_400),
        ).fetchone()
        if today >= limits.per_unit_per_day:
            raise InvalidInput(
                f"unit {addr} has issued {today} passes in the last 24 hours, the most allowed; "
                "ask the property office"
            )
        pid = store.add_person(visitor, addr, Role.VISITOR)
        cid, token = store.issue_pass(pid, now, now + hours * 3600)
        c.execute(
            "INSERT INTO station_passes (credential_id, unit, station, visitor, max_uses,"
            " issued_at) VALUES (?, ?, ?, ?, ?, ?)",
            (cid, str(addr), station, visitor, uses, now),
        )
        store.append_event(
            "pass.station_issued",
            person_id=pid,
            data={
                "actor": station,
                "unit": str(addr),
                "credential_id": cid,
                "hours": hours,
                "uses": uses,
            },
        )
    return {
        "id": cid,
        "token": token,
        "visitor": visitor,
        "unit": str(addr),
        "valid_until": now + hours * 3600,
        "uses": uses,
    }


def listed(store: Store, unit: str) -> list[dict[str, Any]]:
    """The unit's passes from its stations, newest first (the tokens are not kept)."""
    return store.query(
        "SELECT sp.credential_id AS id, sp.visitor, sp.station, sp.max_uses, sp.uses,"
        " sp.issued_at, c.valid_until, c.revoked_at FROM station_passes sp"
        " JOIN credentials c ON c.id = sp.credential_id WHERE sp.unit = ?"
        " ORDER BY sp.issued_at DESC LIMIT 100",
        (unit,),
    )


def unit_of(store: Store, credential_id: int) -> str | None:
    row = store.one("SELECT unit FROM station_passes WHERE credential_id = ?", (credential_id,))
    return None if row is None else str(row["unit"])


def count_use(store: Store, credential_id: int) -> bool:
    """One granted passage on a station's pass; True when that was its last use (revoked)."""
    with store.transaction() as c:
        row = c.execute(
            "UPDATE station_passes SET uses = uses + 1 WHERE credential_id = ?"
            " RETURNING uses, max_uses",
            (credential_id,),
        ).fetchone()
        if row is None or row[0] < row[1]:
            return False
        if c.execute(
            "SELECT 1 FROM credentials WHERE id = ? AND revoked_at IS NULL", (credential_id,)
        ).fetchone():
            store.revoke_credential(credential_id, "its uses are spent")
        return True


def ended_visitors(store: Store, now: float, since: float = 0.0) -> tuple[list[int], float]:
    """The visitors a station's pass registered who are still on the register although their
    pass has ended (its uses spent, revoked, or expired), and the issue time the next look may
    start from: that of the oldest pass whose visitor is still registered (every pass issued
    before it is done with, so the look stays short however long the box runs)."""
    rows = store.query(
        "SELECT sp.issued_at, c.person_id, c.revoked_at, c.valid_until FROM station_passes sp"
        " JOIN credentials c ON c.id = sp.credential_id JOIN people p ON p.id = c.person_id"
        " WHERE sp.issued_at >= ? AND p.moved_out_at IS NULL AND p.role = 'visitor'"
        " ORDER BY sp.issued_at",
        (since,),
    )
    ended = [
        int(r["person_id"])
        for r in rows
        if r["revoked_at"] is not None or (r["valid_until"] is not None and r["valid_until"] <= now)
    ]
    return ended, float(rows[0]["issued_at"]) if rows else now
