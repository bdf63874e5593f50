"""``compound pass issue|list|revoke``: the property office's visitor passes, and its view of
those residents issued from their indoor stations (``pass.station_issue``). They write the
database directly; the core reads a pass's state afresh for every decision, so a revoked pass is
refused at once."""

from __future__ import annotations

import os
import time
from datetime import datetime
from typing import Any

from compound.app.context import AddCommand, Context
from compound.domain import validation
from compound.domain.clock import iso
from compound.domain.model import InvalidInput

# How far ahead the office may date a pass: a visit, not a standing arrangement.
MAX_START_AHEAD_S = 366 * 86400


def cmd_pass_issue(ctx: Context) -> int:
    a = ctx.args
    s = ctx.store
    if a.person is None and not (a.unit and a.name):
        raise InvalidInput("give --person ID, or --unit and --name for a new visitor")
    now = ctx.clock.now()
    start = now if a.start is None else _parse_when(a.start)
    if start > now + MAX_START_AHEAD_S:
        raise InvalidInput(f"a pass starts within a year from now, not {a.start}")
    until = start + a.hours * 3600
    validation.pass_validity(start, until)
    # One transaction: a pass refused leaves no new visitor behind.
    with s.transaction():
        person = a.person
        if person is None:
            person = s.add_person(a.name, a.unit, "visitor", phone=a.phone)
        cid, token = s.issue_pass(person, start, until)
    ctx.out(
        {"id": cid, "person": person, "token": token, "valid_from": start, "valid_until": until},
        f"pass {cid} for person {person}, valid until {iso(until)}\n"
        f"token (put in the QR code): {token}",
    )
    return 0


def _parse_when(text: str) -> float:
    try:
        return datetime.fromisoformat(text).timestamp()
    except (ValueError, OverflowError):
        raise InvalidInput(f"malformed time {text!r}: write YYYY-MM-DDTHH:MM") from None


def cmd_pass_list(ctx: Context) -> int:
    a = ctx.args
    sql = (
        "SELECT c.id, p.name AS visitor, u.address AS unit, c.valid_until, c.revoked_at,"
        " sp.station, sp.uses, sp.max_uses FROM credentials c"
        " JOIN people p ON p.id = c.person_id JOIN households h ON h.id = p.household_id"
        " JOIN units u ON u.id = h.unit_id"
        " LEFT JOIN station_passes sp ON sp.credential_id = c.id WHERE c.kind = 'pass'"
    )
    args: list[Any] = []
    if a.unit:
        sql += " AND u.address = ?"
        args.append(a.unit)
    if not a.all:
        sql += " AND c.revoked_at IS NULL AND c.valid_until > ?"
        args.append(ctx.clock.now())
    rows = ctx.store.query(sql + " ORDER BY c.id DESC LIMIT 200", tuple(args))

    def text() -> str:
        lines = []
        for r in rows:
            until = time.strftime("%Y-%m-%d %H:%M", time.localtime(r["valid_until"]))
            by = (
                f"station {r['station']}, {r['uses']}/{r['max_uses']} uses"
                if r["station"]
                else "office"
            )
            gone = " REVOKED" if r["revoked_at"] else ""
            lines.append(
                f"{r['id']:>6} {r['unit']:<10} {r['visitor']:<12} until {until} ({by}){gone}"
            )
        return "\n".join(lines) or "no live visitor passes"

    ctx.out(rows, text)
    return 0


def cmd_pass_revoke(ctx: Context) -> int:
    a = ctx.args
    row = ctx.store.one("SELECT kind FROM credentials WHERE id = ?", (a.id,))
    if row is None or row["kind"] != "pass":
        raise InvalidInput(f"no visitor pass {a.id}; see `compound pass list`")
    by = a.by or os.environ.get("USER", "manager")
    ctx.store.revoke_credential(a.id, by)
    ctx.out({"id": a.id, "revoked": True, "by": by}, f"pass {a.id} revoked by {by}")
    return 0


def register(g: Any, add: AddCommand) -> None:
    """Added to the ``compound pass`` group (``admin_cli``)."""
    sp = add(g, "list", cmd_pass_list, "live visitor passes, the office's and the stations'")
    sp.add_argument("--unit", help="only the passes to this unit")
    sp.add_argument("--all", action="store_true", help="revoked and expired ones too")
    sp = add(g, "revoke", cmd_pass_revoke, "revoke a visitor pass (it opens nothing after)")
    sp.add_argument("id", type=int, help="the pass's id (compound pass list)")
    sp.add_argument("--by", help="who revokes it (logged)")
