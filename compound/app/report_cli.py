"""Commands for reports and the uplink: ``report`` (CSV exports for the property office and the
police) and ``uplink`` (the store-and-forward service to the city platform and its status).

Reports work on the database directly, so they answer even when the core is not running.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import threading
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compound.app.context import parsers
from compound.domain.model import InvalidInput, parse_date
from compound.services import reports, uplink
from compound.services.uplink_status import publish_status

if TYPE_CHECKING:
    from compound.app.context import Context


# -- reports -------------------------------------------------------------------------------


def _period(ctx: Context) -> tuple[float, float]:
    s = ctx.store
    a = ctx.args
    if a.date:
        return reports.day_bounds(s, _day(a.date, "date"))
    since = reports.day_bounds(s, _day(a.since, "since"))[0] if a.since else 0.0
    until = reports.day_bounds(s, _day(a.until, "until"))[1] if a.until else 1e12
    if until <= since:
        raise InvalidInput("--until must not be before --since")
    return since, until


def _day(text: str, what: str) -> date:
    day = parse_date(text, what)
    if day == date.max:  # a day's report ends at the next midnight, which no date can be
        raise InvalidInput(f"--{what} {text}: give a day before {date.max}")
    return day


def _export(ctx: Context, rows: list[dict[str, Any]], what: str) -> int:
    if ctx.args.csv:
        path = Path(ctx.args.csv)
        if not path.parent.is_dir():
            raise InvalidInput(f"folder {path.parent} does not exist")
        if path.is_dir():
            raise InvalidInput(f"{path} is a folder; give the name of the CSV file to write")
        tmp = path.with_name(path.name + ".part")
        # 0600 from the start: an export carries names, units, masked IDs and phones.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)  # a .part left over from an earlier run keeps its old mode
            with os.fdopen(fd, "w", encoding="utf-8-sig") as f:  # BOM: Excel reads 中文
                f.write(reports.to_csv(rows))
            tmp.replace(path)
        except BaseException:
            tmp.unlink(missing_ok=True)  # no half-written export left beside the target
            raise
        ctx.out({"rows": len(rows), "csv": str(path)}, f"{len(rows)} {what} written to {path}")
    else:
        ctx.out(rows, lambda: reports.to_csv(rows).rstrip("\n") or f"no {what}")
    return 0


def cmd_report_passages(ctx: Context) -> int:
    return _export(ctx, reports.passages(ctx.store, *_period(ctx)), "passages")


def cmd_report_alerts(ctx: Context) -> int:
    return _export(ctx, reports.alerts(ctx.store, *_period(ctx)), "alerts")


def cmd_report_tenants(ctx: Context) -> int:
    return _export(ctx, reports.tenants(ctx.store), "tenants")


def cmd_report_daily(ctx: Context) -> int:
    s = ctx.store
    day = (
        _day(ctx.args.date, "date")
        if ctx.args.date
        else datetime.fromtimestamp(ctx.clock.now(), s.tz).date()
    )
    d = reports.daily(s, day)
    if ctx.args.csv:
        rows = [
            {"building": b, "hour": h, "entries": n}
            for b, hours in d["entries_per_building_hour"].items()
            for h, n in enumerate(hours)
        ]
        return _export(ctx, rows, "rows")
    ctx.out(
        d,
        lambda: (
            f"{d['date']}: {d['entries_total']} entries, {d['denied_total']} refused; "
            f"alerts raised {d['alerts_raised']}, acknowledged {d['alerts_acknowledged']}, "
            f"open {d['alerts_open']}\n"
            + "\n".join(
                f"  building {b:<5} " + " ".join(f"{n:>3}" for n in hours)
                for b, hours in d["entries_per_building_hour"].items()
            )
        ),
    )
    return 0


# -- uplink --------------------------------------------------------------------------------


def uplink_bus_config(ctx: Context) -> Any:
    from compound.app.context import connection_config

    return connection_config(ctx.config.uplink, "uplink")


STATUS_EVERY_S = 15.0  # how often the box tells the platform what it holds unconfirmed


def cmd_uplink_run(ctx: Context) -> int:
    from compound.adapters.mqtt import Bus, eprint
    from compound.adapters.systemd import Notifier
    from compound.app.context import stop_on_signal

    u = ctx.config.uplink
    if u.tls_ca is None and u.host not in ("127.0.0.1", "localhost", "::1"):
        raise InvalidInput(
            f"uplink to {u.host} without TLS: set uplink.tls_ca (and tls_cert / tls_key)"
        )
    store = ctx.store
    site = ctx.config.site.id
    # the uplink asks nothing of the city broker: no reply subscription there
    cfg = dataclasses.replace(uplink_bus_config(ctx), replies=False, retry_refused=True)
    bus = Bus(cfg, ctx.topics(), f"uplink-{site}")
    sender = uplink.UplinkSender(
        store,
        bus,
        site,
        u.topic_prefix,
        u.window,
        require_platform_ack=u.require_platform_ack,
        confirm_timeout_s=u.confirm_timeout_s,
        max_unconfirmed=u.max_unconfirmed,
        backoff_cap_s=u.backoff_cap_s,
    )
    stop = stop_on_signal()
    eprint(f"uplink for site {site} to {u.host}:{u.port} ({sender.topic})")

    def drain() -> None:
        # The service is up (and the outbox keeps filling) while the city broker is away.
        bus.start(timeout=float("inf"), announce=eprint)
        sender.run(stop)

    thread = threading.Thread(target=drain, name="uplink", daemon=True)
    thread.start()
    notifier = Notifier()
    notifier.ready()
    next_prune = next_status = 0.0
    while not stop.wait(min(notifier.interval, STATUS_EVERY_S)):
        notifier.watchdog()
        if ctx.clock.monotonic() >= next_status:  # for the platform's district view
            publish_status(bus, store, site, u.topic_prefix)
            next_status = ctx.clock.monotonic() + STATUS_EVERY_S
        if ctx.clock.monotonic() >= next_prune:
            sender.prune(u.keep_sent_days * 86400)
            next_prune = ctx.clock.monotonic() + 3600
    thread.join(10)
    bus.stop()
    return 0


def cmd_uplink_status(ctx: Context) -> int:
    st = uplink.status(ctx.store)
    ctx.out(
        st,
        f"{st['waiting']} records waiting ({st['unsent_bytes']} bytes), oldest "
        f"{st['oldest_unsent_age_s'] / 3600:.1f} h; {st['unconfirmed']} sent and not yet "
        f"confirmed by the platform; {st['confirmed']} confirmed, last "
        f"#{st['last_confirmed_seq']}; {st['withheld']} withheld",
    )
    return 0


# -- parser --------------------------------------------------------------------------------


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    add, group = parsers(sub, common)
    g = group("report", "reports and CSV exports for the property office and the police")
    for name, fn, help_ in (
        ("passages", cmd_report_passages, "passages (granted and refused)"),
        ("alerts", cmd_report_alerts, "alerts raised, with acknowledgements"),
    ):
        sp = add(g, name, fn, help_)
        sp.add_argument("--date", help="one day, YYYY-MM-DD")
        sp.add_argument("--since", help="first day, YYYY-MM-DD")
        sp.add_argument("--until", help="last day, YYYY-MM-DD")
        sp.add_argument("--csv", help="write CSV to this file")
    sp = add(g, "tenants", cmd_report_tenants, "the tenant register")
    sp.add_argument("--csv", help="write CSV to this file")
    sp = add(g, "daily", cmd_report_daily, "entries per building per hour, alerts of the day")
    sp.add_argument("--date", help="YYYY-MM-DD (default today)")
    sp.add_argument("--csv", help="write the entries table as CSV to this file")

    g = group("uplink", "store-and-forward to the city platform")
    add(g, "run", cmd_uplink_run, "run the uplink service (drains the outbox over TLS)")
    add(g, "status", cmd_uplink_status, "records waiting, unconfirmed and confirmed")
