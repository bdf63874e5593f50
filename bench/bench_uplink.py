"""The city link down for 120 h of a busy compound's traffic, then drained.

    .venv/bin/python bench/bench_uplink.py [--hours 120] [--per-hour 4200]

Traffic model (25,000 residents, see docs/scaling.md): about 4 passages a resident a day,
100,000 a day, rounded to 4,200 passages an hour, plus 12 alarms an hour (forced, held open,
tamper, intrusion) and one face enrolment an hour whose outbox record carries a face template
on purpose, as a probe: the uplink's guard must send a tombstone in its place.

1. Fill: the events go through ``Store.append_event`` (hash chain, event row and outbox row in
   one transaction) and ``Store.raise_alarm``, 2,000 to an outer transaction, with the records'
   times spread over the outage. The database file (after a WAL checkpoint) is measured before
   and after: bytes per hour of traffic and the total at the end of the outage.
2. Drain: only now does the upstream Mosquitto start (TLS, as in production). The real
   ``UplinkSender`` drains the outbox with the configured window (32 unacknowledged records);
   a ``PlatformConsumer`` on the upstream broker de-duplicates and releases in order. Checked:
   every outbox row arrives, in sequence order, none twice after de-duplication, no template
   or biometric key on the wire.
3. Baseline in the same run: the same envelopes published from memory through the same Bus
   (paho, QoS 1, TLS) with the same 32-record window, no database: the ratio says what the
   outbox bookkeeping costs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import write  # noqa: E402
from compound.adapters.broker import Mosquitto, free_port  # noqa: E402
from compound.adapters.mqtt import Bus, BusConfig, Delivery, Message  # noqa: E402
from compound.domain.clock import ManualClock  # noqa: E402
from compound.domain.uplink_records import Withheld, envelope, guard  # noqa: E402
from compound.protocol.topics import Topics  # noqa: E402
from compound.services.uplink import UplinkSender, status  # noqa: E402
from compound.services.uplink_platform import PlatformConsumer, PlatformLink  # noqa: E402
from compound.store.db import Store  # noqa: E402

SITE = "c001"
ALARMS_PER_HOUR = 12
TEMPLATE = "QUJD" * 300  # stands in for an encoded face template
ALARM_KINDS = ("forced_open", "held_open", "tamper", "intrusion")


def db_bytes(store: Store) -> int:
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(
        p.stat().st_size
        for p in (store.path, Path(f"{store.path}-wal"))
        if p.exists()  # the WAL is empty after the checkpoint; counted if it is not
    )


def prepare(store: Store, doors: int = 40) -> None:
    store.set_setting("site_id", SITE)
    store.add_unit("1-1-101")
    for i in range(doors):
        store.add_door(f"b{i}", f"Building {i} entrance", ["1-1"])


def fill(store: Store, hours: float, per_hour: int, start: float, batch: int = 2000) -> int:
    """Write ``hours`` of traffic through the store; returns the number of outbox rows added."""
    passages = round(hours * per_hour)
    alarm_every = max(1, per_hour // ALARMS_PER_HOUR)
    step = 3600.0 / per_hour
    written = 0
    i = 0
    while i < passages:
        with store.transaction():
            for _ in range(min(batch, passages - i)):
                at = start + i * step
                door = f"b{i % 40}"
                person = 1 + (i * 7919) % 25000
                store.append_event(
                    "access.granted",
                    at=at,
                    door_id=door,
                    data={"kind": "card", "reason": "granted", "request_id": f"r{i}"},
                    uplink={
                        "type": "passage",
                        "door": door,
                        "credential": "card",
                        "person_ref": person,
                        "at": at,
                    },
                )
                written += 1
                if i % alarm_every == 0:
                    kind = ALARM_KINDS[(i // alarm_every) % len(ALARM_KINDS)]
                    store.raise_alarm(kind, f"{kind} at {door}", door_id=door, at=at)
                    written += 1
                if i % per_hour == 0:  # the probe: a record that must never leave the box
                    store.append_event(
                        "face.enrolled",
                        at=at,
                        data={"person": person},
                        uplink={"type": "face", "person_ref": person, "template": TEMPLATE},
                    )
                    written += 1
                i += 1
    return written


def tls_broker(work: Path) -> tuple[Mosquitto, str]:
    from tests.compound.community.tls_certs import make_certs

    certs = make_certs(work)
    port = free_port()
    conf = (
        f"listener {port} 127.0.0.1\n"
        f"cafile {certs['ca']}\ncertfile {certs['cert']}\nkeyfile {certs['key']}\n"
        "allow_anonymous true\n"
        # A platform broker queues for a slow subscriber rather than drop (EMQX does too).
        "max_queued_messages 0\nmax_inflight_messages 100\n"
        # Started as root, Mosquitto drops to its own user and could not read the key files.
        "user root\n"
    )
    return Mosquitto(port=port, extra_config=conf, workdir=work), certs["ca"]


def _clean(payload: bytes) -> bool:
    """No key anywhere in the message names biometric or image data."""
    try:
        guard(json.loads(payload))
    except Withheld:
        return False
    except ValueError:
        return True  # not JSON: the consumer counts it invalid
    return True


class Platform:
    """The city side: a subscriber on the upstream broker feeding a PlatformConsumer, and a
    scan of every byte it received for anything biometric."""

    def __init__(self, cfg: BusConfig, first_seq: int) -> None:
        self.consumer = PlatformConsumer(start={SITE: first_seq})
        self.received = 0
        self.biometric_hits = 0
        self.expect = 0
        self.bus = Bus(cfg, Topics("city"), f"platform-{os.getpid()}")
        # The shipped contract: the platform acknowledges what it holds, and the box marks a
        # record done only then (not at the broker's PUBACK).
        self.link = PlatformLink(self.bus, self.consumer, prefix="city", on_message=self._on)

    def _on(self, m: Message) -> None:
        self.received += 1
        if TEMPLATE[:64].encode() in m.payload or not _clean(m.payload):
            self.biometric_hits += 1

    def holds(self) -> int:
        st = self.consumer.sites.get(SITE)
        return len(st.records) if st is not None else 0


def drain(store: Store, cfg: BusConfig, window: int, timeout: float) -> dict[str, Any]:
    first = store.one("SELECT MIN(seq) AS s, COUNT(*) AS n FROM outbox WHERE sent_at IS NULL")
    assert first is not None
    platform = Platform(cfg, first["s"])
    platform.expect = first["n"]
    platform.bus.start(timeout=10)
    platform.link.start()
    edge = Bus(cfg, Topics(SITE), f"uplink-{os.getpid()}")
    edge.start(timeout=10)
    sender = UplinkSender(
        store, edge, SITE, prefix="city", window=window, require_platform_ack=True
    )
    stop = threading.Event()
    t0 = time.monotonic()
    thread = threading.Thread(target=sender.run, args=(stop,), daemon=True)
    thread.start()
    give_up = t0 + timeout
    while platform.holds() < platform.expect and time.monotonic() < give_up:
        time.sleep(0.01)
    platform_s = time.monotonic() - t0
    deadline = time.monotonic() + 30
    while status(store)["confirmed"] < first["n"] and time.monotonic() < deadline:
        time.sleep(0.05)
    confirmed_s = time.monotonic() - t0
    stop.set()
    thread.join(10)
    edge.stop()
    platform.link.stop()
    platform.bus.stop()
    st = platform.consumer.sites.get(SITE)
    records = st.records if st else []
    seqs = [r["seq"] for r in records]
    want = [r["seq"] for r in store.query("SELECT seq FROM outbox ORDER BY seq")]
    ids = [r["id"] for r in records]
    return {
        "records": first["n"],
        "drain_s": round(platform_s, 2),
        "all_confirmed_s": round(confirmed_s, 2),
        "confirmed": status(store)["confirmed"],
        "records_per_s": round(len(records) / platform_s) if platform_s else None,
        "delivered_in_order": seqs == want,
        "lost": len(set(want) - set(seqs)),
        "duplicates_after_dedup": len(ids) - len(set(ids)),
        "duplicates_dropped_by_platform": st.duplicates if st else 0,
        "gaps": len(platform.consumer.gaps(SITE)),
        "withheld_tombstones": sum(1 for r in records if "withheld" in r),
        "biometric_messages_on_wire": platform.biometric_hits,
        "left_unsent": status(store)["unsent"],
        "resends": sender.stats.resends,
    }


def baseline(envelopes: list[dict[str, Any]], cfg: BusConfig, window: int) -> float:
    """Records per second: the same envelopes from memory, same Bus, QoS 1, same window."""
    sink = Bus(cfg, Topics("city"), f"baseline-sink-{os.getpid()}")
    got = threading.Event()
    count = [0]

    def on(m: Message) -> None:
        count[0] += 1
        if count[0] >= len(envelopes):
            got.set()

    sink.subscribe("city/base/outbox", on)
    sink.start(timeout=10)
    bus = Bus(cfg, Topics(SITE), f"baseline-{os.getpid()}")
    bus.start(timeout=10)
    inflight: list[Delivery] = []
    t0 = time.monotonic()
    for env in envelopes:
        while len(inflight) >= window:
            inflight = [d for d in inflight if not d.done()]
            if len(inflight) >= window:
                time.sleep(0.0002)
        inflight.append(bus.publish_tracked("city/base/outbox", env))
    got.wait(600)
    elapsed = time.monotonic() - t0
    bus.stop()
    sink.stop()
    return count[0] / elapsed


def outage(
    work: Path,
    hours: float = 120,
    per_hour: int = 4200,
    window: int = 32,
    baseline_records: int = 50_000,
) -> dict[str, Any]:
    """The whole run: fill ``hours`` of traffic with the link down, then drain and compare."""
    start = 1_800_000_000.0
    clock = ManualClock(start)
    store = Store(work / "compound.db", clock, work / "keys")
    try:
        prepare(store)
        empty = db_bytes(store)
        t0 = time.monotonic()
        written = fill(store, hours, per_hour, start)
        fill_s = time.monotonic() - t0
        # what fill wrote and the log checkpoints the store queued with it
        outbox1 = store.one("SELECT COUNT(*) AS n FROM outbox")
        full = db_bytes(store)
        clock.advance(hours * 3600)
        unsent = status(store)
        broker, ca = tls_broker(work)
        broker.start()
        try:
            cfg = BusConfig(port=broker.port, tls_ca=ca)
            d = drain(store, cfg, window, timeout=1800)
            rows = store.query(
                "SELECT seq, event_seq, kind, payload, created_at, withheld FROM outbox"
                " ORDER BY seq LIMIT ?",
                (baseline_records,),
            )
            envs = [envelope(SITE, r) for r in rows]
            base_rate = baseline(envs, cfg, window)
        finally:
            broker.cleanup()
        events = store.one("SELECT COUNT(*) AS n FROM events")
        return {
            "traffic": {
                "hours": hours,
                "passages_per_hour": per_hour,
                "alarms_per_hour": ALARMS_PER_HOUR,
                "face_probes_per_hour": 1,
                "outbox_rows": outbox1["n"] if outbox1 else 0,
                "events": events["n"] if events else 0,
            },
            "fill": {
                "seconds": round(fill_s, 1),
                "records_per_s": round(written / fill_s),
                "db_bytes_empty": empty,
                "db_bytes_full": full,
                "db_bytes_per_hour": round((full - empty) / hours),
                "db_mb_at_end": round(full / 1e6, 1),
                "outbox_unsent_bytes": unsent["unsent_bytes"],
                "oldest_unsent_age_h": round(unsent["oldest_unsent_age_s"] / 3600, 1),
            },
            "drain": {**d, "window": window},
            "baseline": {
                "records": len(envs),
                "records_per_s": round(base_rate),
                "what": "same envelopes from memory, same Bus (paho), QoS 1, TLS, same window",
            },
            "drain_vs_baseline": round(d["records_per_s"] / base_rate, 2),
        }
    finally:
        store.close()


def ok(f: dict[str, Any]) -> bool:
    d = f["drain"]
    return bool(
        d["delivered_in_order"]
        and d["lost"] == 0
        and d["duplicates_after_dedup"] == 0
        and d["gaps"] == 0
        and d["biometric_messages_on_wire"] == 0
        and d["left_unsent"] == 0
        and d["withheld_tombstones"] >= f["traffic"]["hours"] // 1
    )


def markdown(f: dict[str, Any]) -> str:
    t, fi, d, b = f["traffic"], f["fill"], f["drain"], f["baseline"]
    return "\n".join(
        [
            f"# Uplink: {t['hours']:g} h outage, then drained",
            "",
            f"Traffic model: 25,000 residents x ~4 passages a day = {t['passages_per_hour']:,}"
            f" passages an hour, {t['alarms_per_hour']} alarms an hour, one face-enrolment probe"
            " an hour carrying a template (must be withheld).",
            "",
            "| figure | value |",
            "|---|---|",
            f"| outbox rows queued | {t['outbox_rows']:,} |",
            f"| fill through Store (batched transactions) | {fi['records_per_s']:,} records/s |",
            f"| database bytes per hour of traffic | {fi['db_bytes_per_hour']:,} |",
            f"| database at the end of the outage | {fi['db_mb_at_end']} MB |",
            f"| outbox payload bytes unsent | {fi['outbox_unsent_bytes']:,} |",
            f"| drain time (all records held by the platform) | {d['drain_s']} s |",
            f"| all records confirmed by the platform's acknowledgement | "
            f"{d['all_confirmed_s']} s ({d['confirmed']:,} rows) |",
            f"| drain rate (UplinkSender, window {d['window']}, TLS) | "
            f"{d['records_per_s']:,} records/s |",
            f"| baseline: {b['what']} | {b['records_per_s']:,} records/s |",
            f"| drain / baseline | {f['drain_vs_baseline']} |",
            f"| delivered in order | {d['delivered_in_order']} |",
            f"| lost | {d['lost']} |",
            f"| duplicates after de-dup | {d['duplicates_after_dedup']} |",
            f"| gaps | {d['gaps']} |",
            f"| tombstones (face probes withheld) | {d['withheld_tombstones']} |",
            f"| messages on the wire with biometric data | {d['biometric_messages_on_wire']} |",
        ]
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=120)
    ap.add_argument("--per-hour", type=int, default=4200)
    ap.add_argument("--window", type=int, default=32)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        f = outage(Path(tmp), args.hours, args.per_hour, args.window)
    write("uplink", f, markdown(f))
    print(json.dumps(f["drain"]))
    return 0 if ok(f) else 1


if __name__ == "__main__":
    sys.exit(main())
