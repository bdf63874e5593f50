"""Notices from the property office to the door panels: text, a validity period, and the
buildings it is for (none: the whole compound).

A door panel asks ``notice.list`` {door, active} for the notices showing now at its door (those
for a building it serves and those for the whole compound, newest first, a page at a time), and
is answered for its own door only, as ``door.show`` answers it (``asked``). The retained notice
topic says only that the notices showing now changed (``fence``: who starts or reconnects gets
it at once): each panel then asks again. It carried the notices themselves once, every
building's to every panel, which made a panel's question for its own door no limit at all.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from compound.domain.model import InvalidInput
from compound.domain.paging import MAX_SIZE, Page, flag, page_of
from compound.services.panel_asker import panel_door
from compound.store.db import Store
from compound.store.migrations.notice_buildings import WHOLE_COMPOUND

MAX_TEXT = 500
MAX_DAYS = 366
LISTED = 500  # notices in a list asked for without a page (the panels' and the command line's)
# What a door panel is given of each notice: what it shows and checks, not who posted it.
PANEL_KEYS = ("id", "text", "valid_from", "valid_until", "buildings")


def parse_time(value: Any, what: str, tz: Any) -> float:
    """Epoch seconds, or an ISO date / date-time in the site's time zone."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value or "").strip()
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"malformed {what} {text!r}: write YYYY-MM-DD or YYYY-MM-DDTHH:MM"
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return dt.timestamp()


def post(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    text = str(p.get("text") or "").strip()
    if not text or len(text) > MAX_TEXT:
        raise InvalidInput(f"a notice needs a text of 1 to {MAX_TEXT} characters")
    by = str(p.get("by") or "").strip()
    if not by:
        raise InvalidInput("say who posts the notice (by / --by NAME)")
    now = store.clock.now()
    start = (
        now
        if p.get("valid_from") in (None, "")
        else parse_time(p["valid_from"], "valid_from", store.tz)
    )
    if p.get("valid_until") in (None, ""):
        raise InvalidInput("a notice needs an end (valid_until / --until YYYY-MM-DD)")
    end = parse_time(p["valid_until"], "valid_until", store.tz)
    if end <= start:
        raise InvalidInput("a notice must end after it starts")
    if end <= now:
        raise InvalidInput("that notice would already be over; check the end date")
    if end - start > MAX_DAYS * 86400:
        raise InvalidInput(f"a notice runs at most {MAX_DAYS} days")
    buildings = _buildings(store, p.get("buildings"))
    with store.transaction() as c:
        nid = c.execute(
            "INSERT INTO notices (text, valid_from, valid_until, posted_by, posted_at, buildings)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (text, start, end, by[:100], now, ",".join(buildings)),
        ).lastrowid
        data: dict[str, Any] = {
            "notice": nid,
            "by": by[:100],
            "valid_from": start,
            "valid_until": end,
        }
        if buildings:
            data["buildings"] = buildings
        store.append_event("notice.posted", data=data)
    return {"id": nid, "valid_from": start, "valid_until": end, "buildings": buildings}


def _buildings(store: Store, value: Any) -> list[str]:
    """Building numbers from a list or "1,3" (empty: the whole compound); each must exist."""
    if value in (None, "", []):
        return []
    items = value.replace("，", ",").split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or len(items) > 200:
        raise InvalidInput("buildings must be a list of building numbers, such as 1,3")
    wanted: set[int] = set()
    for item in items:
        text = str(item).strip()
        if isinstance(item, bool) or not text.isdigit():
            raise InvalidInput("buildings must be a list of building numbers, such as 1,3")
        wanted.add(int(text))
    known = {int(r["number"]) for r in store.read("SELECT number FROM buildings")}
    for b in sorted(wanted - known):
        raise InvalidInput(f"unknown building {b}")
    return [str(b) for b in sorted(wanted)]


def door_buildings(store: Store, door_id: str) -> set[str] | None:
    """The buildings a door serves; None for every building (a gate serving ``*``)."""
    door = store.door(door_id) if isinstance(door_id, str) else None
    if door is None:
        raise InvalidInput(f"unknown door {door_id!r}")
    scopes = [str(s) for s in door.serves]
    if "*" in scopes:
        return None
    return {s.split("-")[0] for s in scopes}


def withdraw(store: Store, notice_id: int, by: str) -> dict[str, Any]:
    if not by.strip():
        raise InvalidInput("say who withdraws the notice (--by NAME)")
    with store.transaction() as c:
        n = c.execute(
            "UPDATE notices SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL",
            (store.clock.now(), notice_id),
        ).rowcount
        if n == 0:
            raise InvalidInput(f"no current notice {notice_id}")
        store.append_event("notice.withdrawn", data={"notice": notice_id, "by": by})
    return {"id": notice_id, "withdrawn": True}


def listing(
    store: Store,
    now: float,
    active_only: bool = False,
    door: str | None = None,
    page: Page | None = None,
) -> list[dict[str, Any]]:
    """The notices, newest first; with ``door`` only those for a building it serves. One
    ``page`` of them, picked and cut in SQLite; without a page the newest ``LISTED``."""
    served = door_buildings(store, door) if door else None
    where: list[str] = []
    args: list[Any] = []
    table = "notices"
    if active_only:
        where.append("withdrawn_at IS NULL AND valid_from <= ? AND valid_until > ?")
        args += [now, now]
    if served is not None:
        # The door's own: those naming a building it serves, and those for the whole compound,
        # each building a range of the index by building and end time (migration 280).
        marks = [*sorted(served), WHOLE_COMPOUND]
        mine = f"building IN ({', '.join('?' * len(marks))})"
        args += marks
        if active_only:
            mine += " AND valid_until > ?"
            args.append(now)
        where.append(f"id IN (SELECT notice_id FROM notice_buildings WHERE {mine})")  # noqa: S608
    elif active_only:
        # The notices not yet over are few beside the years of ended ones. SQLite cannot know
        # that (it guesses a quarter of the rows for any range) and would rather walk the
        # newest-first index, which spares the sort but visits every ended notice: named here,
        # the index by end time visits only those not over, and sorts that handful.
        table = "notices INDEXED BY notices_current"
    cond = " WHERE " + " AND ".join(where) if where else ""
    size, offset = (page.size, page.offset) if page is not None else (LISTED, 0)
    rows = store.read(
        f"SELECT * FROM {table}{cond} ORDER BY valid_from DESC, id DESC"  # noqa: S608
        " LIMIT ? OFFSET ?",
        (*args, size, offset),
    )
    for r in rows:
        r["active"] = r["withdrawn_at"] is None and r["valid_from"] <= now < r["valid_until"]
        r["buildings"] = [b for b in str(r.get("buildings") or "").split(",") if b]
    return rows


def asked(
    store: Store, now: float, p: Mapping[str, Any], counters: Counter[str] | None = None
) -> list[dict[str, Any]]:
    """``notice.list`` {active, door, page, size} as the bus asks it: one page (a list).

    A door panel is answered for the door it was registered at only: without ``door`` for that
    door, any other refused in the words used for a door that does not exist (counted as
    ``api.panel_other_door``, as ``door.show`` counts it), only the notices showing now,
    whatever ``active`` says, and of each only what it shows (``PANEL_KEYS``); a device whose
    registration was revoked is refused (``panel_asker``). The consoles, the wall and the
    command line ask as they like."""
    door = p.get("door") or None
    active = flag(p, "active")
    panel = panel_door(store, p, counters)
    if panel is not None:
        door = panel if door is None else door
        if door != panel or not panel:
            if counters is not None:
                counters["api.panel_other_door"] += 1
            raise InvalidInput(f"unknown door {door!r}")
        rows = listing(store, now, True, door, page_of(p, default_size=MAX_SIZE))
        return [{k: r[k] for k in PANEL_KEYS} for r in rows]
    return listing(store, now, active, door, page_of(p, default_size=MAX_SIZE))


def fence(store: Store, now: float) -> dict[str, Any]:
    """The retained word to the door panels that the notices showing now changed: a digest of
    which are showing, so that it changes whenever one starts, ends, is posted or withdrawn
    (however many are showing; read from their index by end time, ids only)."""
    rows = store.read(
        "SELECT group_concat(id) AS ids FROM (SELECT id FROM notices INDEXED BY notices_current"
        " WHERE withdrawn_at IS NULL AND valid_from <= ? AND valid_until > ? ORDER BY id)",
        (now, now),
    )
    ids = str(rows[0]["ids"] or "") if rows else ""
    return {"changed": hashlib.sha256(ids.encode()).hexdigest()[:16]}
