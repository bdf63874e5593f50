"""Commands for the community officer and the property office.

Registers: ``alert``, ``visit``, ``elderly``, ``tenant``, ``household`` and ``notice`` (reports
and the uplink are in ``report_cli``). Like the other administrative commands they work on the
database directly, so they answer even when the core is not running.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from compound.app.context import parsers
from compound.domain.clock import iso
from compound.services import notices, rental
from compound.services.community_api import Community

if TYPE_CHECKING:
    from compound.app.context import Context

# What `tenant register` passes on as it was given (the arguments of the same names).
TENANT_FIELDS = ("name", "unit", "id_type", "id_number", "origin", "phone", "lease_start",
                 "lease_end", "layer")  # fmt: skip


def _listed(
    ctx: Context, rows: list[dict[str, Any]], line: Callable[[dict[str, Any]], str], empty: str
) -> int:
    """The rows as JSON with --json, else one ``line`` each (``empty`` when there are none)."""
    ctx.out(rows, lambda: "\n".join(line(r) for r in rows) or empty)
    return 0


def _asked(ctx: Context, *names: str) -> dict[str, Any]:
    """What a command asks of the services: the arguments ``names`` and who asks."""
    return {**{n: getattr(ctx.args, n) for n in names}, "by": _who(ctx)}


def _who(ctx: Context) -> str:
    return str(getattr(ctx.args, "by", None) or os.environ.get("USER", "operator"))


# -- alerts --------------------------------------------------------------------------------


def cmd_alert_list(ctx: Context) -> int:
    sql = "SELECT * FROM alarms"
    if ctx.args.open:
        sql += " WHERE acknowledged_at IS NULL"
    rows = ctx.store.query(sql + " ORDER BY id DESC LIMIT ?", (ctx.args.limit,))
    return _listed(
        ctx,
        rows,
        lambda a: (
            f"{a['id']:>5} {iso(a['raised_at'])} {a['severity']:<8} {a['message']}"
            + ("" if a["acknowledged_at"] is None else f"  (ack {a['acknowledged_by']})")
        ),
        "no alerts",
    )


def cmd_alert_ack(ctx: Context) -> int:
    a = ctx.store.acknowledge_alarm(ctx.args.alert, ctx.args.by, ctx.args.note or "")
    ctx.out(asdict(a), f"alert {a.id} acknowledged by {a.acknowledged_by}")
    return 0


def cmd_alert_check(ctx: Context) -> int:
    r = Community(ctx.store, ctx.config.alerts).tick()
    ctx.out(r, f"{len(r['alarms'])} new alerts, {len(r['leases_ended'])} leases ended")
    return 0


# -- rental housing ------------------------------------------------------------------------


def cmd_visit_due(ctx: Context) -> int:
    now = ctx.clock.now()
    due = [v.as_dict(now) for v in rental.visits_due(ctx.store, now, ctx.args.within)]
    return _listed(
        ctx,
        due,
        lambda v: (
            f"{v['person_id']:>6} {v['name']:<10} {v['unit']:<10} {v['layer']:<7}"
            f" {'OVERDUE ' + str(v['days_overdue']) + ' d' if v['overdue'] else 'due'}"
            f" {iso(v['due_at'])[:10]}"
        ),
        "no visits due",
    )


def cmd_visit_add(ctx: Context) -> int:
    a = ctx.args
    r = rental.add_visit(
        ctx.store, {"person": a.person, "household": a.household, "by": a.by, "notes": a.notes}
    )
    ctx.out(r, f"visit {r['id']} recorded")
    return 0


def cmd_elderly_unseen(ctx: Context) -> int:
    rows = Community(ctx.store, ctx.config.alerts).elderly_unseen(ctx.args.hours)
    return _listed(
        ctx,
        rows,
        lambda r: (
            f"{r['person_id']:>6} {r['name']:<10} {r['unit']:<10} not seen {r['hours_unseen']} h"
        ),
        "everyone has been seen",
    )


def cmd_tenant_register(ctx: Context) -> int:
    r = rental.register_tenant(ctx.store, _asked(ctx, *TENANT_FIELDS))
    ctx.out(r, f"tenant {r['id']} registered ({r['layer']} layer)")
    return 0


def cmd_tenant_list(ctx: Context) -> int:
    rows = rental.tenant_register(ctx.store, ctx.args.all)
    return _listed(
        ctx,
        rows,
        lambda r: (
            f"{r['id']:>6} {r['name']:<10} {r['unit']:<10} {r['id_number'] or '':<20}"
            f" {r['layer'] or '-':<7} lease to {r['lease_end'] or '-'}"
        ),
        "no tenants",
    )


def cmd_tenant_layer(ctx: Context) -> int:
    r = rental.set_tenant_layer(ctx.store, ctx.args.person, ctx.args.layer, _who(ctx))
    ctx.out(r, f"person {r['person']} is now in the {r['layer']} layer")
    return 0


def cmd_tenant_guest(ctx: Context) -> int:
    r = rental.register_guest(
        ctx.store, _asked(ctx, "name", "unit", "id_type", "id_number", "phone", "hours")
    )
    ctx.out(r, f"guest {r['id']} registered until {iso(r['valid_until'])}; token {r['token']}")
    return 0


def cmd_household_class(ctx: Context) -> int:
    r = rental.set_household_class(ctx.store, ctx.args.household, ctx.args.cls, _who(ctx))
    ctx.out(r, f"household {r['household']} classed {r['class']}")
    return 0


# -- notices -------------------------------------------------------------------------------


def cmd_notice_post(ctx: Context) -> int:
    a = ctx.args
    r = notices.post(
        ctx.store,
        {
            "text": a.text,
            "valid_from": a.start,
            "valid_until": a.until,
            "by": _who(ctx),
            "buildings": a.buildings,
        },
    )
    where = f" for building {','.join(r['buildings'])}" if r["buildings"] else ""
    ctx.out(r, f"notice {r['id']} posted{where} until {iso(r['valid_until'])}")
    return 0


def cmd_notice_list(ctx: Context) -> int:
    rows = notices.listing(ctx.store, ctx.clock.now(), ctx.args.active, ctx.args.door)
    return _listed(
        ctx,
        rows,
        lambda r: (
            f"{r['id']:>4} {'*' if r['active'] else ' '}"
            f" {iso(r['valid_until'])[:16]}"
            f"{' [' + ','.join(r['buildings']) + ']' if r['buildings'] else ''} {r['text']}"
        ),
        "no notices",
    )


def cmd_notice_withdraw(ctx: Context) -> int:
    r = notices.withdraw(ctx.store, ctx.args.notice, _who(ctx))
    ctx.out(r, f"notice {r['id']} withdrawn")
    return 0


# -- parser --------------------------------------------------------------------------------


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    add, group = parsers(sub, common)
    g = group("alert", "alerts for the community officer (the alarms, with their rules)")
    sp = add(g, "list", cmd_alert_list, "list alerts, newest first")
    sp.add_argument("--open", action="store_true", help="only unacknowledged")
    sp.add_argument("--limit", type=int, default=200)
    sp = add(g, "ack", cmd_alert_ack, "acknowledge an alert (who, when, note)")
    sp.add_argument("alert", type=int)
    sp.add_argument("--by", required=True)
    sp.add_argument("--note")
    add(g, "check", cmd_alert_check, "run the periodic checks once (not seen, leases, 群租)")

    g = group("visit", "visits to rental tenants (以房管人)")
    sp = add(g, "due", cmd_visit_due, "tenants due or overdue for a visit")
    sp.add_argument("--within", type=float, default=7.0, help="days ahead (default 7)")
    sp = add(g, "add", cmd_visit_add, "record a visit to a tenant or a household")
    sp.add_argument("--person", type=int)
    sp.add_argument("--household", help="household id or unit address, e.g. 3-2-1501")
    sp.add_argument("--by", required=True)
    sp.add_argument("--notes", default="")

    g = group("elderly", "elderly residents living alone (特殊人群看护)")
    sp = add(g, "unseen", cmd_elderly_unseen, "not seen at any door for a while")
    sp.add_argument("--hours", type=float, help="default: alerts.elderly_unseen_h (48)")

    g = group("tenant", "tenants and short-stay guests (流动人口登记)")
    sp = add(g, "register", cmd_tenant_register, "register a tenant with ID and lease")
    sp.add_argument("--name", required=True)
    sp.add_argument("--unit", required=True)
    sp.add_argument("--id-type", default="resident-id", choices=rental.ID_TYPES)
    sp.add_argument("--id-number", required=True)
    sp.add_argument("--origin", help="where the tenant comes from (户籍地)")
    sp.add_argument("--phone")
    sp.add_argument("--lease-start", help="YYYY-MM-DD")
    sp.add_argument("--lease-end", required=True, help="YYYY-MM-DD")
    sp.add_argument("--layer", choices=rental.LAYERS, help="default: from the household class")
    sp.add_argument("--by")
    sp = add(g, "list", cmd_tenant_list, "the tenant register (ID numbers masked)")
    sp.add_argument("--all", action="store_true", help="include tenants who moved out")
    sp = add(g, "layer", cmd_tenant_layer, "set a tenant's layer: focus, watch or stable")
    sp.add_argument("person", type=int)
    sp.add_argument("layer", choices=rental.LAYERS)
    sp.add_argument("--by")
    sp = add(g, "guest", cmd_tenant_guest, "a short-stay guest (民宿/网约房) with a timed pass")
    sp.add_argument("--name", required=True)
    sp.add_argument("--unit", required=True)
    sp.add_argument("--id-type")
    sp.add_argument("--id-number")
    sp.add_argument("--phone")
    sp.add_argument("--hours", type=float, default=24.0)
    sp.add_argument("--by")

    g = group("household", "rental households")
    sp = add(g, "class", cmd_household_class, "class a household: focus, general or trusted")
    sp.add_argument("household", help="household id or unit address, e.g. 3-2-1501")
    sp.add_argument("cls", metavar="class", choices=rental.HOUSEHOLD_CLASSES)
    sp.add_argument("--by")

    g = group("notice", "notices on the door panels")
    sp = add(g, "post", cmd_notice_post, "post a notice")
    sp.add_argument("text")
    sp.add_argument("--from", dest="start", help="YYYY-MM-DD[THH:MM] (default now)")
    sp.add_argument("--until", required=True, help="YYYY-MM-DD[THH:MM]")
    sp.add_argument("--buildings", help="for these buildings only, e.g. 1,3 (default: all)")
    sp.add_argument("--by")
    sp = add(g, "list", cmd_notice_list, "list notices (* = showing now)")
    sp.add_argument("--active", action="store_true")
    sp.add_argument("--door", help="only those shown at this door's panel")
    sp = add(g, "withdraw", cmd_notice_withdraw, "take a notice down")
    sp.add_argument("notice", type=int)
    sp.add_argument("--by")
