"""The property office's commands for hours and calendars: schedules (``compound schedule``),
giving one to a door or a credential, the public-holiday list (``compound holiday``) and the
indoor stations (``compound station``). They write the database directly, like the other
registration commands; the core reads schedules, holidays and stations afresh for every
decision and every call, so a change applies at once.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from compound.app.context import Context, parsers
from compound.domain import schedule_hours, schedules
from compound.domain.model import InvalidInput

MAX_HOLIDAY_FILE = 1024 * 1024  # the official list for a year is under 2 kB


# -- schedules -------------------------------------------------------------------------------


def _hours(a: argparse.Namespace) -> schedule_hours.WeeklyHours:
    """``--days mon-fri --hours 06:00-09:00,16:30-22:00 --days sat-sun --hours 08:00-20:00``
    (a ``--hours`` for each ``--days``), or one span: ``--days mon-fri --from 07:00 --to 18:00``."""
    days, spans = a.days or [], a.hours or []
    if spans:
        if a.start or a.end or len(days) != len(spans):
            raise InvalidInput(
                f"give one --hours for each --days ({len(days)} --days, {len(spans)} --hours),"
                " and no --from or --to with them"
            )
        sets = [{"days": d, "spans": s.split(",")} for d, s in zip(days, spans, strict=True)]
        params: dict[str, Any] = {"hours": sets}
    else:
        if len(days) != 1 or not a.start or not a.end:
            raise InvalidInput(
                "give --days with --from and --to, or a --hours for each --days"
                " (e.g. --days mon-fri --hours 06:00-09:00,16:30-22:00)"
            )
        params = {"days": days[0], "from": a.start, "to": a.end}
    return schedule_hours.from_params({**params, "holidays": a.holidays})


def cmd_schedule_add(ctx: Context) -> int:
    d = ctx.store.add_schedule_hours(ctx.args.name, _hours(ctx.args))
    ctx.out(d, f"schedule {d['name']}: {schedule_hours.describe_text(d)}")
    return 0


def cmd_schedule_set(ctx: Context) -> int:
    d = ctx.store.set_schedule_hours(ctx.args.name, _hours(ctx.args))
    ctx.out(d, f"schedule {d['name']} now: {schedule_hours.describe_text(d)}")
    return 0


def cmd_schedule_list(ctx: Context) -> int:
    rows = ctx.store.schedule_list()

    def text() -> str:
        lines = []
        for d in rows:
            used = []
            if d["doors"]:
                used.append("doors " + ",".join(d["doors"]))
            if d["credentials"]:
                used.append(f"{len(d['credentials'])} credentials")
            lines.append(
                f"{d['name']:<16} {schedule_hours.describe_text(d)}"
                f"  ({'; '.join(used) or 'unused'})"
            )
        return "\n".join(lines) or "no schedules"

    ctx.out(rows, text)
    return 0


def cmd_schedule_remove(ctx: Context) -> int:
    r = ctx.store.remove_schedule(ctx.args.name)
    ctx.out(r, f"schedule {ctx.args.name} removed")
    return 0


def cmd_door_set_schedule(ctx: Context) -> int:
    r = ctx.store.set_door_schedule(ctx.args.door, ctx.args.schedule)
    ctx.out(
        r,
        f"door {r['door']}: visitors pass during {r['schedule']} (residents any time)"
        if r["schedule"]
        else f"door {r['door']}: visitors pass any time",
    )
    return 0


def cmd_credential_set_schedule(ctx: Context) -> int:
    r = ctx.store.set_credential_schedule(ctx.args.credential, ctx.args.schedule)
    ctx.out(
        r,
        f"credential {r['credential']} opens doors "
        + (f"during {r['schedule']}" if r["schedule"] else "any time"),
    )
    return 0


# -- holidays --------------------------------------------------------------------------------


def _holiday_text(h: dict[str, Any]) -> str:
    kind = "worked (调休)" if h["workday"] else "holiday"
    return f"{h['date']} {h['weekday']}  {kind:<12} {h['name']}"


def cmd_holiday_add(ctx: Context) -> int:
    a = ctx.args
    r = ctx.store.add_holiday(a.date, a.name or "", a.workday)
    ctx.out(
        r, f"{r['date']} {r['name']}: " + ("a worked weekend day" if a.workday else "a holiday")
    )
    return 0


def cmd_holiday_list(ctx: Context) -> int:
    rows = ctx.store.holiday_list(ctx.args.year)
    ctx.out(rows, lambda: "\n".join(_holiday_text(h) for h in rows) or "no holidays")
    return 0


def cmd_holiday_remove(ctx: Context) -> int:
    r = ctx.store.remove_holiday(ctx.args.date)
    ctx.out(r, f"{r['date']} removed from the holiday list")
    return 0


def cmd_holiday_import(ctx: Context) -> int:
    path = Path(ctx.args.file)
    try:
        with path.open("rb") as f:  # at most the limit: a device or a pipe has no size to check
            data = f.read(MAX_HOLIDAY_FILE + 1)
        if len(data) > MAX_HOLIDAY_FILE:
            raise InvalidInput(f"{path} is too large for a holiday list; nothing imported")
    except OSError as e:
        raise InvalidInput(f"cannot read {path}: {e.strerror}") from None
    rows = schedules.read_holiday_csv(data, path.name)
    r = ctx.store.import_holidays(rows, dry_run=ctx.args.dry_run)
    years = ", ".join(map(str, r["years"]))
    ctx.out(
        r,
        f"{path.name}: {r['holidays']} holidays and {r['workdays']} worked weekend days"
        f" for {years}: {r['added']} added, {r['updated']} updated, {r['unchanged']} unchanged"
        + ("; dry run, nothing written" if r["dry_run"] else ""),
    )
    return 0


# -- indoor stations -------------------------------------------------------------------------


def cmd_station_add(ctx: Context) -> int:
    ic = ctx.config.intercom
    r = ctx.store.add_station(ctx.args.station, ctx.args.unit, (ic.desk, ic.officer))
    ctx.out(r, f"station {r['station']} rings for {r['unit']}")
    return 0


def cmd_station_list(ctx: Context) -> int:
    rows = ctx.store.stations()
    ctx.out(
        rows,
        lambda: "\n".join(f"{r['station']:<20} {r['ring_group']}" for r in rows) or "no stations",
    )
    return 0


def cmd_station_remove(ctx: Context) -> int:
    r = ctx.store.remove_station(ctx.args.station)
    ctx.out(r, f"station {r['station']} removed")
    return 0


# -- parser ----------------------------------------------------------------------------------


def register_door(doors: Any, common: argparse.ArgumentParser) -> None:
    """``compound door set-schedule``, added to the ``door`` group of ``admin_cli``."""
    add, _ = parsers(None, common)
    sp = add(
        doors, "set-schedule", cmd_door_set_schedule, "the hours when visitors may pass a door"
    )
    sp.add_argument("door")
    sp.add_argument("schedule", help="a schedule name, or none (visitors any time)")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    add, group = parsers(sub, common)

    g = group("schedule", "hours when a door lets visitors in, or when a credential works")
    for verb, run, what in (
        ("add", cmd_schedule_add, "add a schedule: up to 4 spans a day, per set of days"),
        ("set", cmd_schedule_set, "give a schedule new hours; what uses it keeps it"),
    ):
        sp = add(g, verb, run, what)
        sp.add_argument("name", help="e.g. cleaners")
        sp.add_argument(
            "--days",
            action="append",
            help="mon-fri, sat-sun, or a list: mon,wed,fri; repeat with a --hours for each",
        )
        sp.add_argument(
            "--hours",
            action="append",
            help="the spans of the --days before it: 06:00-09:00,16:30-22:00 (22:00-06:00 runs"
            " past midnight)",
        )
        sp.add_argument("--from", dest="start", help="HH:MM: one span, with --to")
        sp.add_argument("--to", dest="end", help="HH:MM (24:00 for midnight)")
        sp.add_argument(
            "--holidays",
            default="closed",
            help="closed (default), open (the week's hours) or the holiday spans: 09:00-12:00",
        )
    add(g, "list", cmd_schedule_list, "list schedules and what uses them")
    sp = add(g, "remove", cmd_schedule_remove, "remove a schedule no door or credential uses")
    sp.add_argument("name")

    g = group("credential", "a person's cards, PINs, passes and face")
    sp = add(g, "set-schedule", cmd_credential_set_schedule, "the hours when a credential works")
    sp.add_argument("credential", type=int, help="credential id (see `compound person show`)")
    sp.add_argument("schedule", help="a schedule name, or none (any time)")

    g = group("holiday", "the public-holiday list (法定节假日) and worked weekend days (调休)")
    sp = add(g, "add", cmd_holiday_add, "add a public holiday (or a worked weekend day)")
    sp.add_argument("date", help="YYYY-MM-DD")
    sp.add_argument("--name", help="e.g. 国庆节")
    sp.add_argument(
        "--workday", action="store_true", help="a Saturday or Sunday that is worked (调休)"
    )
    sp = add(g, "list", cmd_holiday_list, "list holidays and worked weekend days")
    sp.add_argument("--year", type=int)
    sp = add(g, "remove", cmd_holiday_remove, "take a date off the holiday list")
    sp.add_argument("date", help="YYYY-MM-DD")
    sp = add(g, "import", cmd_holiday_import, "import the official list from a CSV file")
    sp.add_argument("file", help="date,name[,workday] per line; UTF-8 or GBK")
    sp.add_argument("--dry-run", action="store_true", help="check and count; write nothing")

    g = group("station", "indoor stations (室内机) and the unit they ring for")
    sp = add(g, "add", cmd_station_add, "register an indoor station, or move it to another unit")
    sp.add_argument("station", help="station id, as on its bus topic")
    sp.add_argument("--unit", required=True, help="3-2-1501, or the desk or officer group")
    add(g, "list", cmd_station_list, "list indoor stations")
    sp = add(g, "remove", cmd_station_remove, "remove an indoor station")
    sp.add_argument("station")
