"""``compound platform ...``: the city platform's reference receiver (``ingest``) and what it
holds (``status``), over PostgreSQL. Not a box command: it runs at the city, against the
cluster's MQTT gateway, with the platform's own broker credential."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import threading
import time
from typing import Any

from compound.adapters.mqtt import Bus, BusConfig, eprint
from compound.adapters.platform_db import PlatformDb
from compound.protocol.topics import Topics
from compound.services.ingest_leases import WorkerLeases
from compound.services.platform_ingest import Ingest


def _dsn(args: argparse.Namespace) -> str:
    dsn = args.platform_db or os.environ.get("COMPOUND_PLATFORM_DB")
    if not dsn:
        raise SystemExit("compound: give --db postgresql://... (or COMPOUND_PLATFORM_DB)")
    return str(dsn)


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
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    bus.start(timeout=a.timeout, announce=eprint)
    thread = ingest.start(stop)
    eprint(f"compound platform ingest: {a.host}:{a.port} -> PostgreSQL, prefix {a.prefix!r}")
    try:
        while not stop.wait(a.report_s):
            eprint(f"ingest: {ingest.stats}")
    finally:
        stop.set()
        thread.join(10)
        bus.stop()
        db.close()
    return 0


def cmd_status(ctx: Any) -> int:
    db = PlatformDb(_dsn(ctx.args))
    try:
        sites = db.sites()
    finally:
        db.close()
    if ctx.json:
        print(json.dumps({"at": time.time(), "sites": sites}, ensure_ascii=False))
        return 0
    print(f"{'site':<20} {'records':>9} {'next_seq':>9} {'dups':>7} {'last commit':>12}")
    for s in sites:
        age = f"{s['last_commit_age_s']:.0f} s ago"
        print(
            f"{s['site']:<20} {s['records']:>9} {s['next_seq']:>9} {s['duplicates']:>7} {age:>12}"
        )
    return 0


SITE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def cmd_register(ctx: Any) -> int:
    a = ctx.args
    bad = [s for s in a.sites if not SITE_ID.fullmatch(s)]
    if bad:
        raise SystemExit(
            f"compound: {bad[0]!r} is not a site id (letters, digits, '.', '_', '-';"
            " at most 64; it is a topic level)"
        )
    if a.next_seq < 1:
        raise SystemExit("compound: --next-seq must be at least 1")
    db = PlatformDb(_dsn(a))
    try:
        for site in a.sites:
            have = db.register_site(site, a.next_seq)
            if have is None:
                print(f"{site}: registered, next record #{a.next_seq}")
            else:
                print(f"{site}: already registered, next record #{have} (left as it is)")
    finally:
        db.close()
    return 0


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def cmd_report(ctx: Any) -> int:
    db = PlatformDb(_dsn(ctx.args))
    try:
        sites, refused = db.district(), db.refused()
    finally:
        db.close()
    if ctx.json:
        out = {"at": time.time(), "sites": sites, "refused": refused}
        print(json.dumps(out, ensure_ascii=False))
        return 0
    print(
        f"{'site':<16} {'records':>9} {'last record':>12} {'lag':>8} {'per hour':>9}"
        f" {'passages/h':>11} {'open alarms':>12} {'110':>4}"
    )
    for s in sites:
        print(
            f"{s['site']:<16} {s['records']:>9} {_age(s['last_record_age_s']) + ' ago':>12}"
            f" {_age(s['lag_s']):>8} {s['records_last_hour']:>9} {s['passages_last_hour']:>11}"
            f" {s['open_alarms']:>12} {s['open_110']:>4}"
        )
    if not sites:
        print("no site has sent anything yet")
    for r in refused:
        print(
            f"REFUSED from {r['site']}: {r['count']} record(s), {r['reason']}"
            f" (last {_age(r['age_s'])} ago); nothing of them was stored"
        )
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
    add("status", cmd_status, "per site: records held, next_seq, duplicates, last commit")
    sp = add("register", cmd_register, "register sites, so that --registered-only takes them")
    sp.add_argument("sites", nargs="+", metavar="SITE")
    sp.add_argument(
        "--next-seq",
        type=int,
        default=1,
        help="the first record expected (a box whose earlier records went elsewhere)",
    )
    add(
        "report",
        cmd_report,
        "the district view: per site the last record and its lag, records and passages in the"
        " last hour, open alarms and those for 110",
    )
