"""``compound platform ...``: the city platform's reference receiver (``ingest``), its district
view (``status``, the same as ``report``) and that view as a read-only HTTP JSON API (``serve``),
over PostgreSQL. Not a box command: it runs at the city, against the cluster's MQTT gateway,
with the platform's own broker credential."""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from compound.adapters.http_json import JsonApi
from compound.adapters.mqtt import Bus, BusConfig, eprint
from compound.adapters.platform_db import SERVER_FAILED, PlatformDb, failed_during
from compound.domain.refusals import known_kinds
from compound.protocol.topics import Topics
from compound.services import district_view
from compound.services.ingest_leases import WorkerLeases
from compound.services.platform_ingest import Ingest
from compound.services.platform_links import LinkWatch


def _dsn(args: argparse.Namespace) -> str:
    dsn = args.platform_db or os.environ.get("COMPOUND_PLATFORM_DB")
    if not dsn:
        raise SystemExit("compound: give --db postgresql://... (or COMPOUND_PLATFORM_DB)")
    return str(dsn)


@contextmanager
def _platform_db(args: argparse.Namespace, changing: bool) -> Iterator[PlatformDb]:
    """The platform database for one command's work, closed after it. A server that fails
    part way (the connection cut mid-query) is one line saying where, what and what became of
    the work, as one that cannot be reached is."""
    dsn = _dsn(args)
    db = PlatformDb(dsn)
    try:
        yield db
    except SERVER_FAILED as e:
        raise failed_during(dsn, e, changing) from None
    finally:
        db.close()


def cmd_ingest(ctx: Any) -> int:
    a = ctx.args
    cfg = BusConfig(
        host=a.host,
        port=a.port,
        username=a.user,
        password=a.password or os.environ.get("COMPOUND_PLATFORM_PASSWORD"),
        protocol=a.mqtt_protocol,
        tls_ca=a.ca,
        replies=False,
        retry_refused=True,
    )
    if a.buckets < 1 or a.lease_s < 1:
        raise SystemExit("compound: --buckets and --lease-s must be at least 1")
    db = PlatformDb(_dsn(a))
    client_id = a.client_id or f"ingest-{os.getpid()}"
    bus = Bus(cfg, Topics("city"), client_id)
    leases = WorkerLeases(db.dsn, a.worker or client_id, buckets=a.buckets, lease_s=a.lease_s)
    ingest = Ingest(db, bus, prefix=a.prefix, leases=leases, registered_only=a.registered_only)
    links = LinkWatch(PlatformDb(db.dsn), bus, prefix=a.prefix)  # its own connection
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    bus.start(timeout=a.timeout, announce=eprint)
    thread = ingest.start(stop)
    links_thread = links.start(stop)
    eprint(f"compound platform ingest: {a.host}:{a.port} -> PostgreSQL, prefix {a.prefix!r}")
    try:
        while not stop.wait(a.report_s):
            eprint(f"ingest: {ingest.stats}")
    finally:
        stop.set()
        thread.join(10)
        links_thread.join(10)
        bus.stop()
        db.close()
        links.db.close()
    return 0


def cmd_register(ctx: Any) -> int:
    a = ctx.args
    bad = [s for s in a.sites if not district_view.SITE_ID.fullmatch(s)]
    if bad:
        raise SystemExit(
            f"compound: {bad[0]!r} is not a site id (letters, digits, '.', '_', '-';"
            " at most 64; it is a topic level)"
        )
    if a.next_seq < 1:
        raise SystemExit("compound: --next-seq must be at least 1")
    with _platform_db(a, changing=True) as db:
        for site in a.sites:
            have = db.register_site(site, a.next_seq)
            if have is None:
                print(f"{site}: registered, next record #{a.next_seq}")
            else:
                print(f"{site}: already registered, next record #{have} (left as it is)")
    return 0


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def cmd_status(ctx: Any) -> int:
    """The district view (``status``; ``report`` is the same command under its older name)."""
    with _platform_db(ctx.args, changing=False) as db:
        view = district_view.district(db)
    if ctx.json:
        print(json.dumps(view, ensure_ascii=False))
        return 0
    sites, refused = view["sites"], view["refused"]
    print(
        f"{'site':<16} {'link':>8} {'waiting':>8} {'records':>9} {'next':>8} {'dups':>6}"
        f" {'last record':>12} {'lag':>8} {'per hour':>9} {'passages/h':>11}"
        f" {'open alarms':>12} {'110':>4}"
    )
    for s in sites:
        waiting = "-" if s["records_waiting"] is None else s["records_waiting"]
        print(
            f"{s['site']:<16} {s['link'] or '?':>8} {waiting:>8} {s['records']:>9}"
            f" {s['next_seq']:>8} {s['duplicates']:>6}"
            f" {_age(s['last_record_age_s']) + ' ago':>12}"
            f" {_age(s['lag_s']):>8} {s['records_last_hour']:>9} {s['passages_last_hour']:>11}"
            f" {s['open_alarms']:>12} {s['open_110']:>4}"
        )
    if not sites:
        print("no site has sent anything yet")
    for a in view["alarms"]:
        print(
            f"ALARM refused from {a['site']}: {a['count']} record(s) not acknowledged,"
            f" {a['kind']}: {a['reason']} (first {_age(a['since_s'])} ago, last"
            f" {_age(a['last_s'])} ago); acknowledge: compound platform acknowledge"
            f" {a['site']} --kind {a['kind']}"
        )
    for r in refused:
        print(
            f"REFUSED from {r['site']}: {r['count']} record(s), {r['reason']}"
            f" (last {_age(r['age_s'])} ago); nothing of them was stored"
        )
    return 0


def cmd_acknowledge(ctx: Any) -> int:
    """Acknowledge the open refusal alarms of one site (or ``--all-sites``), of some kinds or
    all: the counts stay, the alarm closes until the next refusal."""
    a = ctx.args
    if (a.site is None) == (not a.all_sites):
        raise SystemExit("compound: give one SITE, or --all-sites")
    with _platform_db(a, changing=True) as db:
        try:
            alarms = district_view.to_acknowledge(db, a.site, a.kind)
        except district_view.BadRequest as e:
            raise SystemExit(f"compound: {e}") from None
        done = db.acknowledge_refused([(x.site, x.reason, x.total) for x in alarms])
    if not done:
        print("no refusal alarm open" + (f" for {a.site}" if a.site else ""))
    for site, reason, n in done:
        print(f"{site}: {n} refused record(s) acknowledged ({reason})")
    return 0


def _listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise SystemExit(f"compound: --listen {value!r}: give HOST:PORT, e.g. 127.0.0.1:8080")
    return host.strip("[]") or "127.0.0.1", int(port)


def cmd_serve(ctx: Any) -> int:
    """The district view over HTTP, read-only JSON, from the same queries as ``status``."""
    host, port = _listen(ctx.args.listen)
    db = PlatformDb(_dsn(ctx.args))

    def answer(path: str) -> tuple[int, dict[str, Any]]:
        try:
            return district_view.answer(db, path)
        except Exception as e:  # the database went away: say so, reconnect for the next one
            eprint(f"platform serve: database error: {e}")
            try:
                db.reconnect()
            except Exception as again:
                eprint(f"platform serve: database not back yet: {again}")
            return 503, {"error": "the platform database is not answering"}

    try:
        api = JsonApi(host, port, answer)
    except OSError as e:
        db.close()
        raise SystemExit(f"compound: cannot listen on {host}:{port}: {e}") from None
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    api.start()
    h, p = api.address
    eprint(f"compound platform serve: http://{h}:{p}/district (read-only JSON)")
    try:
        stop.wait()
    finally:
        api.stop()
        db.close()
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    g = sub.add_parser(
        "platform",
        help="the city platform's receiver (PostgreSQL)",
        description="the city platform's receiver (PostgreSQL)",
    )
    actions = g.add_subparsers(dest="action", required=True, metavar="ACTION")

    def add(name: str, fn: Any, help_: str) -> argparse.ArgumentParser:
        sp: argparse.ArgumentParser = actions.add_parser(
            name, help=help_, description=help_, parents=[common]
        )
        sp.add_argument(
            "--db", dest="platform_db", help="postgresql://... (or $COMPOUND_PLATFORM_DB)"
        )
        sp.set_defaults(fn=fn)
        return sp

    sp = add("ingest", cmd_ingest, "commit every site's records to PostgreSQL, then acknowledge")
    sp.add_argument("--host", default="127.0.0.1", help="the cluster's MQTT gateway")
    sp.add_argument("--port", type=int, default=1883)
    sp.add_argument("--user", default="platform")
    sp.add_argument("--password", help="or $COMPOUND_PLATFORM_PASSWORD")
    sp.add_argument("--ca", help="CA file: connect with TLS")
    sp.add_argument("--prefix", default="city")
    sp.add_argument("--client-id")
    sp.add_argument("--worker", help="this worker's name among several (default: its client id)")
    sp.add_argument("--buckets", type=int, default=64, help="site buckets shared among the workers")
    sp.add_argument(
        "--lease-s",
        type=float,
        default=5.0,
        help="a dead worker's sites go to the others after this",
    )
    sp.add_argument(
        "--mqtt-protocol", type=int, default=4, choices=(4, 5), help="4 for NATS's gateway"
    )
    sp.add_argument("--timeout", type=float, default=30.0)
    sp.add_argument("--report-s", type=float, default=60.0)
    sp.add_argument(
        "--registered-only",
        action="store_true",
        help="refuse records of sites not registered (compound platform register)",
    )
    sp = add("register", cmd_register, "register sites, so that --registered-only takes them")
    sp.add_argument("sites", nargs="+", metavar="SITE")
    sp.add_argument(
        "--next-seq",
        type=int,
        default=1,
        help="the first record expected (a box whose earlier records went elsewhere)",
    )
    view = (
        "the district view: per site the link (online / offline) and records waiting on the"
        " box, as it last said; records held, next record, duplicates, the last record's"
        " age and lag, records and passages in the last hour, open alarms and those for 110,"
        " and records refused"
    )
    add("status", cmd_status, view + "; refusals not acknowledged are alarms")
    add("report", cmd_status, view + " (the same as status)")
    sp = add(
        "acknowledge",
        cmd_acknowledge,
        "acknowledge refusal alarms (the counts stay; the next refusal opens the alarm again)",
    )
    sp.add_argument("site", nargs="?", metavar="SITE")
    sp.add_argument("--all-sites", action="store_true", help="every site's open alarms")
    sp.add_argument(
        "--kind",
        action="append",
        metavar="KIND",
        help="only this kind (repeatable): " + ", ".join(known_kinds()),
    )
    sp = add("serve", cmd_serve, "the district view as a read-only HTTP JSON API")
    sp.add_argument(
        "--listen",
        default="127.0.0.1:8080",
        metavar="HOST:PORT",
        help="where to answer (default 127.0.0.1:8080; port 0: any free port)",
    )
