"""``compound officer add|list|remove``: the duty officers who may acknowledge alarms at the
officer wall, identified there by their card (the wall's USB reader) or PIN.

They write the database directly, like the other registration commands; the core looks the
officer up afresh for every acknowledgement, so a removal applies at once. ``--pin -`` reads the
PIN from standard input, so it stays out of the shell's history and the process list.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from typing import Any

from compound.app.context import Context, parsers
from compound.domain.model import InvalidInput
from compound.store import officers


def cmd_officer_add(ctx: Context) -> int:
    a = ctx.args
    pin = sys.stdin.readline().strip() if a.pin == "-" else a.pin
    if a.pin == "-" and not pin:
        raise InvalidInput("--pin -: no PIN came on standard input (6 to 8 digits, one line)")
    o = officers.add_officer(ctx.store, a.name, a.badge, a.card, pin, a.by)
    how = " and ".join(w for w, has in (("card", o.has_card), ("PIN", o.has_pin)) if has)
    ctx.out(asdict(o), f"duty officer {o.label} added; identifies at the wall by {how}")
    return 0


def cmd_officer_list(ctx: Context) -> int:
    rows = officers.officers(ctx.store)

    def text() -> str:
        lines = []
        for o in rows:
            how = " ".join(w for w, has in (("card", o.has_card), ("PIN", o.has_pin)) if has)
            lines.append(f"{o.badge:<10} {o.name:<20} {how}")
        return "\n".join(lines) or "no duty officer yet: compound officer add"

    ctx.out([asdict(o) for o in rows], text)
    return 0


def cmd_officer_remove(ctx: Context) -> int:
    o = officers.remove_officer(ctx.store, ctx.args.badge, ctx.args.by)
    ctx.out(asdict(o), f"duty officer {o.label} removed: their card and PIN no longer work")
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    add, group = parsers(sub, common)
    g = group("officer", "duty officers who acknowledge alarms at the wall: add, list, remove")
    sp = add(g, "add", cmd_officer_add, "add a duty officer with their card and/or PIN")
    sp.add_argument("--name", required=True, help="the officer's name, as the log shows it")
    sp.add_argument("--badge", required=True, help="the officer's badge number")
    sp.add_argument("--card", help="the card number the wall's reader types")
    sp.add_argument("--pin", help="a PIN of 6 to 8 digits for the wall's keypad ('-': read stdin)")
    sp.add_argument("--by", required=True, help="who adds the officer (logged)")
    add(g, "list", cmd_officer_list, "the duty officers and how each identifies")
    sp = add(g, "remove", cmd_officer_remove, "remove a duty officer (by badge number)")
    sp.add_argument("badge", help="the officer's badge number")
    sp.add_argument("--by", required=True, help="who removes the officer (logged)")
