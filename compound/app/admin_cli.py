"""The administrative commands of the box: units, doors, people, cards, PINs, passes, the
event log, lockdown, and the core and demo services."""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict
from typing import Any

from compound.adapters.mqtt import eprint
from compound.app import pass_cli, schedule_cli, setup_cli
from compound.app.context import Context, format_event, parsers, stop_on_signal
from compound.app.door_open_cli import cmd_door_unlock
from compound.domain.clock import iso
from compound.domain.model import Event
from compound.store.log_verified import verify


def cmd_init(ctx: Context) -> int:
    s = ctx.store
    site, changed, kept = setup_cli.settle_site(ctx)
    ctx.out(
        {"db": str(s.path), "site": site, "changed": changed},
        f"database ready at {s.path} (site {site})"
        + "".join(f"\nchanged {c}" for c in changed)
        + "".join(f"\nkept {k}" for k in kept),
    )
    return 0


def cmd_unit_add(ctx: Context) -> int:
    r = ctx.store.add_unit(ctx.args.unit, ctx.args.occupants)
    ctx.out(r, f"unit {r['address']} {'added' if r['created'] else 'already exists'}")
    return 0


def cmd_unit_list(ctx: Context) -> int:
    rows = ctx.store.query(
        "SELECT id, address, registered_occupants FROM units ORDER BY building, entrance, room"
    )
    ctx.out(rows, lambda: "\n".join(str(r["address"]) for r in rows) or "no units")
    return 0


def cmd_door_add(ctx: Context) -> int:
    a = ctx.args
    d = ctx.store.add_door(
        a.door,
        a.name or a.door,
        a.serves or [],
        lock_type=a.lock,
        egress=not a.no_egress,
        open_time_s=a.open_time,
        held_open_s=a.held_open,
        schedule=a.schedule,
    )
    ctx.out(
        {"id": d.id, "serves": [str(s) for s in d.serves]},
        f"door {d.id} serves {', '.join(str(s) for s in d.serves)}",
    )
    return 0


def cmd_door_list(ctx: Context) -> int:
    doors = ctx.store.doors()
    ctx.out(
        [d.as_dict() for d in doors],
        "\n".join(
            f"{d.id:<16} {d.name:<24} serves {','.join(map(str, d.serves))} ({d.lock_type})"
            for d in doors
        )
        or "no doors",
    )
    return 0


def cmd_person_add(ctx: Context) -> int:
    a = ctx.args
    pid = ctx.store.add_person(
        a.name,
        a.unit,
        a.role,
        id_number=a.id_number,
        id_type=a.id_type,
        phone=a.phone,
        lease_start=a.lease_start,
        lease_end=a.lease_end,
        lives_alone=a.lives_alone,
        birth_year=a.birth_year,
    )
    ctx.out({"id": pid}, f"person {pid} added")
    return 0


def cmd_person_list(ctx: Context) -> int:
    from compound.services.people_api import people_page

    # q, page, size, unit and role are the API's own parameters
    r = people_page(ctx.store, {**vars(ctx.args), "include_moved_out": ctx.args.all})
    rows = [
        f"{p['id']:>6} {p['name']:<12} {p['unit']:<10} {p['role']:<8}"
        f"{' moved out' if p['moved_out_at'] else ''}"
        for p in r["items"]
    ]
    ctx.out(r, "\n".join([*rows, f"page {r['page']}: {len(rows)} of {r['total']} people"]))
    return 0


def cmd_person_show(ctx: Context) -> int:
    from compound.services.people_api import person_details

    ctx.out(person_details(ctx.store, ctx.args.person))
    return 0


def cmd_person_move_out(ctx: Context) -> int:
    ev = ctx.store.move_out(ctx.args.person, by=ctx.args.by or os.environ.get("USER", "manager"))
    ctx.out(
        {"person_id": ctx.args.person, "event": ev.seq, **ev.data},
        f"person {ctx.args.person} moved out; {ev.data.get('credentials_revoked', 0)} "
        "credentials revoked, face data deleted",
    )
    return 0


def cmd_card_add(ctx: Context) -> int:
    cid = ctx.store.add_card(ctx.args.person, ctx.args.number, ctx.args.schedule)
    ctx.out({"id": cid}, f"card {cid} issued to person {ctx.args.person}")
    return 0


def cmd_pin_set(ctx: Context) -> int:
    import secrets

    pin = ctx.args.pin
    generated = pin is None
    while pin is None:
        candidate = f"{secrets.randbelow(10**6):06d}"
        if len(set(candidate)) > 2:
            pin = candidate
    cid = ctx.store.set_pin(ctx.args.person, pin, ctx.args.schedule)
    data: dict[str, Any] = {"id": cid}
    if generated:
        data["pin"] = pin  # shown once, to hand to the resident; only a keyed hash is kept
    ctx.out(data, f"PIN set for person {ctx.args.person}" + (f": {pin}" if generated else ""))
    return 0


def cmd_events(ctx: Context) -> int:
    a = ctx.args
    s = ctx.store
    evs = s.events(door_id=a.door, person_id=a.person, limit=a.limit, newest_first=True)
    evs.reverse()
    for e in evs:
        print(json.dumps(_event_json(e), ensure_ascii=False) if ctx.json else format_event(e))
    if not a.follow:
        return 0
    # With no past match, every later event is new: start from the end of the log.
    newest = s.events(limit=1, newest_first=True)
    last = evs[-1].seq if evs else (newest[0].seq if newest else 0)
    stop = stop_on_signal()
    # Said once the handler is in place: a script may wait for this line, then stop it cleanly.
    eprint(f"following new events after #{last}; Ctrl-C to stop")
    while not stop.wait(0.3):
        for e in s.events(after=last, door_id=a.door, person_id=a.person, limit=500):
            print(
                json.dumps(_event_json(e), ensure_ascii=False) if ctx.json else format_event(e),
                flush=True,
            )
            last = e.seq
    return 0


def _event_json(e: Event) -> dict[str, Any]:
    return {**e.as_dict(), "time": iso(e.at), "hash": e.hash}


def cmd_log_verify(ctx: Context) -> int:
    v = verify(ctx.store, incremental=ctx.args.incremental)
    r = v.check
    text = (
        f"event log intact: {r.events} events"
        if r.ok
        else f"event log BROKEN at event {r.first_broken}: {r.problem}"
    )
    extra: dict[str, Any] = {}
    if ctx.args.incremental:
        extra = {"read_from": v.read_from, "trusted_at": v.trusted_at, "note": v.note}
        if v.trusted_at is not None:
            read = (
                f"read events {v.read_from} to {r.events}"
                if r.events >= v.read_from
                else "no event since"
            )
            text += (
                f" ({read}; events up to {v.read_from - 1} as verified on {iso(v.trusted_at)}:"
                " run without --incremental to read them again)"
            )
    if v.note:
        text += f"; {v.note}"
        extra["note"] = v.note
    ctx.out({**asdict(r), **extra}, text)
    return 0 if r.ok else 3


def cmd_lockdown(ctx: Context) -> int:
    on = ctx.args.state == "on"
    # Through the core, like every door action: it logs the change and publishes the retained
    # lockdown state that the door adapters follow.
    ctx.api("lockdown.set", {"on": on, "by": ctx.args.by or os.environ.get("USER", "operator")})
    ctx.out({"lockdown": on}, f"lockdown {'on: only remote unlocks open doors' if on else 'off'}")
    return 0


def cmd_core(ctx: Context) -> int:
    from compound.adapters.systemd import Notifier
    from compound.app.wiring import build_core

    store = ctx.store
    bus = ctx.bus("core")
    core = build_core(store, bus, ctx.clock, ctx.config)
    core.start()
    # Stopped however this ends (Ctrl-C while the broker is awaited, a failure): the caller
    # closes the store next, and the core's threads must not be left ticking on it.
    try:
        bus.start(timeout=float("inf"), announce=eprint)
        eprint(
            f"core running for site {ctx.config.site.id} on "
            f"{ctx.config.broker.host}:{ctx.config.broker.port}"
        )
        notifier = Notifier()
        notifier.ready()
        notifier.watch(core.health, stop_on_signal(), lambda text: eprint(f"core {text}"))
    finally:
        core.stop()
        bus.stop()
    return 0


def cmd_demo(ctx: Context) -> int:
    from devkit.demo import run_demo

    return run_demo(ctx)


# -- parser


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    add, group = parsers(sub, common)
    sp = add(sub, "init", cmd_init, "create or upgrade the database and set the site")
    sp.add_argument("--site", help="site id used on the bus (letters, digits, - _ .)")
    sp.add_argument("--name", help="the compound's name")
    sp.add_argument("--timezone", help="IANA time zone, default Asia/Shanghai")

    sp = add(sub, "demo", cmd_demo, "run the whole appliance with simulated hardware")
    sp.add_argument("--headless", action="store_true", help="no touchscreen windows")
    sp.add_argument("--seconds", type=float, default=None, help="stop after this many seconds")
    sp.add_argument(
        "--faces",
        metavar="DIR",
        help="photos for the face part, DIR/<person>/<n>.jpg (default: $COMPOUND_DEMO_FACES, "
        "else ../shared/faces/johns beside the clone; without photos the face part is off)",
    )

    add(sub, "core", cmd_core, "run the core service (decisions, log, API)")

    g = group("unit", "units (rooms): building-entrance-room, e.g. 3-2-1501")
    sp = add(g, "add", cmd_unit_add, "add a unit, creating its building and entrance")
    sp.add_argument("unit")
    sp.add_argument("--occupants", type=int, help="registered number of occupants")
    add(g, "list", cmd_unit_list, "list units")

    g = group("door", "doors and what they serve")
    sp = add(g, "add", cmd_door_add, "add a door")
    sp.add_argument("door", help="door id used on the bus, e.g. b3-e2")
    sp.add_argument("--name", help="a name people recognise")
    sp.add_argument("--serves", action="append", help="building (3), entrance (3-2) or * ; repeat")
    sp.add_argument("--lock", default="strike", choices=["strike", "maglock"])
    sp.add_argument("--no-egress", action="store_true", help="not on an escape route")
    sp.add_argument("--open-time", type=float, default=5.0, help="unlock pulse, seconds")
    sp.add_argument("--held-open", type=float, default=60.0, help="held-open alarm after, seconds")
    sp.add_argument("--schedule", help="visitor hours schedule name")
    add(g, "list", cmd_door_list, "list doors")
    schedule_cli.register_door(g, common)
    sp = add(g, "unlock", cmd_door_unlock, "open a door remotely (through the core)")
    sp.add_argument("door")
    sp.add_argument("--reason", required=True, help="why; goes in the log")
    sp.add_argument("--by", help="who (default: $USER)")
    sp.add_argument(
        "--override", action="store_true", help="open even in lockdown (logged as an override)"
    )

    g = group("person", "residents, tenants and visitors")
    sp = add(g, "add", cmd_person_add, "register a person in a unit")
    sp.add_argument("--name", required=True)
    sp.add_argument("--unit", required=True)
    sp.add_argument("--role", required=True, choices=["owner", "family", "tenant", "visitor"])
    sp.add_argument("--id-number")
    sp.add_argument("--id-type", help="e.g. resident-id, passport")
    sp.add_argument("--phone")
    sp.add_argument("--lease-start", help="YYYY-MM-DD")
    sp.add_argument("--lease-end", help="YYYY-MM-DD; credentials stop working after this day")
    sp.add_argument("--lives-alone", action="store_true", help="elderly person living alone")
    sp.add_argument("--birth-year", type=int)
    sp = add(g, "list", cmd_person_list, "list people, one page at a time")
    sp.add_argument("q", nargs="?", help="name, initials, unit, card, end of ID or phone")
    sp.add_argument("--unit")
    sp.add_argument("--role", help="owner, family, tenant or visitor")
    sp.add_argument("--page", type=int, default=1)
    sp.add_argument("--size", type=int, default=50, help="people a page (at most 200)")
    sp.add_argument("--all", action="store_true", help="include people who moved out")
    sp = add(g, "show", cmd_person_show, "one person with their credentials")
    sp.add_argument("person", type=int)
    sp = add(
        g,
        "move-out",
        cmd_person_move_out,
        "move a person out: revoke credentials, delete face data",
    )
    sp.add_argument("person", type=int)
    sp.add_argument("--by")

    g = group("card", "access cards")
    sp = add(g, "add", cmd_card_add, "issue a card to a person")
    sp.add_argument("person", type=int)
    sp.add_argument("number", help="card number as the reader reports it")
    sp.add_argument("--schedule", help="hours when the card works (default: any time)")

    g = group("pin", "door PINs")
    sp = add(g, "set", cmd_pin_set, "set a person's PIN (a random one if not given)")
    sp.add_argument("person", type=int)
    sp.add_argument("pin", nargs="?", help="6-8 digits")
    sp.add_argument("--schedule", help="hours when it works (default: the old PIN's; none)")

    g = group("pass", "visitor passes (QR codes)")
    sp = add(g, "issue", pass_cli.cmd_pass_issue, "issue a time-boxed visitor pass")
    sp.add_argument("--person", type=int, help="an existing visitor")
    sp.add_argument("--unit", help="unit visited (new visitor)")
    sp.add_argument("--name", help="visitor's name (new visitor)")
    sp.add_argument("--phone")
    sp.add_argument("--hours", type=float, default=4.0)
    sp.add_argument("--start", help="YYYY-MM-DDTHH:MM (default now)")
    pass_cli.register(g, add)  # list, revoke

    sp = add(sub, "events", cmd_events, "show the event log")
    sp.add_argument("--follow", action="store_true", help="keep printing new events")
    sp.add_argument("--door")
    sp.add_argument("--person", type=int)
    sp.add_argument("--limit", type=int, default=50)

    g = group("log", "the hash-chained event log")
    sp = add(g, "verify", cmd_log_verify, "check the hash chain; report the first broken link")
    sp.add_argument(
        "--incremental",
        action="store_true",
        help="read only the events after the last verification that found the log whole",
    )

    sp = add(sub, "lockdown", cmd_lockdown, "lockdown: no credential opens a door")
    sp.add_argument("state", choices=["on", "off"])
    sp.add_argument("--by")
