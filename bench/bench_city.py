"""The city tier, measured: COMPOUNDS simulated compounds (the real ``UplinkSender``, each with
its own SQLite outbox, broker credential and connection) drain PER_BOX records each through a
NATS cluster's MQTT gateway into ``compound platform ingest`` and PostgreSQL, once against a
three-node cluster and once against a single node, in the same run; and the raw PostgreSQL
commit rate of the same records, without a broker. Checks: every record of every site in
PostgreSQL exactly once, in order (0 lost, 0 duplicated).

    nice .venv/bin/python -m bench.bench_city [--compounds 100] [--per-box 300]

Writes bench/results/city.md and city.json.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.common import write
from compound.adapters.mqtt import Bus
from compound.adapters.platform_db import PlatformDb
from compound.domain.clock import SystemClock
from compound.protocol.topics import Topics
from compound.services.platform_ingest import Ingest
from compound.services.uplink import UplinkSender, status
from compound.store.db import Store
from devkit.city_cluster import PLATFORM_USER, CityCluster
from devkit.postgres import TempPostgres


def fill(store: Store, n: int) -> None:
    """``n`` passages through the event log (hash chain, event and outbox row together)."""
    for i in range(n):
        store.append_event(
            "access.granted",
            door_id="b1",
            data={"kind": "card"},
            uplink={"type": "passage", "door": "b1", "credential": "card", "n": i},
        )


def drain(
    nodes: int, compounds: int, per_box: int, pg: TempPostgres, work: Path, creps: int
) -> dict[str, Any]:
    sites = [f"n{nodes}-c{i:03d}" for i in range(compounds)]
    cluster = CityCluster(sites=sites, nodes=nodes, consumer_replicas=creps).start()
    stores = {}
    for s in sites:
        stores[s] = Store(work / f"{s}.db", SystemClock(), work / f"keys-{s}")
        fill(stores[s], per_box)
    db = PlatformDb(pg.dsn)
    pbus = Bus(cluster.bus_config(PLATFORM_USER, 0), Topics("city"), f"ingest-{nodes}")
    ingest = Ingest(db, pbus)
    pbus.start(timeout=30)
    stop = threading.Event()
    ingest_thread = ingest.start(stop)
    buses, senders, threads = [], [], []
    try:
        for i, s in enumerate(sites):
            bus = Bus(cluster.bus_config(s, i % nodes), Topics(s), f"uplink-{s}")
            senders.append(UplinkSender(stores[s], bus, s, window=32, require_platform_ack=True))
            buses.append(bus)
        c0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=10) as pool:
            list(pool.map(lambda b: b.start(timeout=300), buses))
        t_connect = time.monotonic() - c0
        t0 = time.monotonic()
        for sender in senders:
            t = threading.Thread(target=sender.run, args=(stop,), kwargs={"idle_s": 0.05})
            t.start()
            threads.append(t)
        total = compounds * per_box
        deadline = t0 + 900
        while time.monotonic() < deadline and ingest.stats.committed < total:
            time.sleep(0.2)
        t_ingest = time.monotonic() - t0
        while time.monotonic() < deadline:
            if all(status(st)["unconfirmed"] == 0 for st in stores.values()):
                break
            time.sleep(0.5)
        t_confirmed = time.monotonic() - t0
    finally:
        stop.set()
        for t in threads:
            t.join(10)
        ingest_thread.join(10)
        for b in buses:
            b.stop()
        pbus.stop()
        cluster.stop()
    lost = dup = 0
    for s in sites:
        seqs = db.site_seqs(s)
        lost += len(set(range(1, per_box + 1)) - set(seqs))
        dup += len(seqs) - len(set(seqs))
    db.close()
    for st in stores.values():
        st.close()
    return {
        "nodes": nodes,
        "compounds": compounds,
        "records": total,
        "consumer_replicas": creps,
        "seconds_to_connect_all": round(t_connect, 1),
        "seconds_to_postgres": round(t_ingest, 2),
        "seconds_to_confirmed": round(t_confirmed, 2),
        "records_per_s": round(total / t_ingest, 1),
        "lost": lost,
        "duplicated": dup,
        "duplicates_dropped": ingest.stats.duplicates,
        "resend_requests": ingest.stats.resend_requests,
        "sender_resends": sum(x.stats.resends for x in senders),
    }


def raw_postgres(pg: TempPostgres, n: int, batch: int = 2000) -> float:
    db = PlatformDb(pg.dsn)
    recs = [
        {"site": "raw", "seq": i + 1, "id": f"raw:{i + 1}", "kind": "k", "record": {"n": i}}
        for i in range(n)
    ]
    t0 = time.monotonic()
    for i in range(0, n, batch):
        db.commit_batch({"raw": (1, recs[i : i + batch])})
    dt = time.monotonic() - t0
    db.close()
    return n / dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--compounds", type=int, default=100)
    ap.add_argument("--per-box", type=int, default=300)
    ap.add_argument("--consumer-replicas", type=int, default=1)
    a = ap.parse_args()
    pg = TempPostgres().start()
    runs = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-city-") as tmp:
            for nodes in (3, 1):
                work = Path(tmp) / f"n{nodes}"
                work.mkdir()
                runs.append(drain(nodes, a.compounds, a.per_box, pg, work, a.consumer_replicas))
                print(runs[-1], flush=True)
        raw = raw_postgres(pg, a.compounds * a.per_box)
    finally:
        pg.stop()
    three, one = runs
    md = [
        "# The city tier: compounds draining through a NATS cluster into PostgreSQL",
        "",
        f"{a.compounds} simulated compounds (real `UplinkSender`, own SQLite outbox, own broker "
        f"credential and MQTT connection), {a.per_box} records each, drained through NATS "
        "2.9.10's MQTT gateway (JetStream, MQTT streams replicated on every node) into one "
        "`compound platform ingest` worker and PostgreSQL 15 (commit, then acknowledge). "
        "Boxes spread over the nodes; the ingest on node 1. Everything on this 2-core "
        "machine, run with `nice`.",
        "",
        f"MQTT consumers (one per QoS 1 subscription: three per box) with "
        f"{a.consumer_replicas} replica(s); connecting the boxes is timed apart from the drain.",
        "",
        "| cluster | boxes connected (s) | records | to PostgreSQL (s) | records/s "
        "| all confirmed on the boxes (s) | lost | duplicated | duplicates dropped "
        "| resend requests |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        md.append(
            f"| {r['nodes']} node(s) | {r['seconds_to_connect_all']} | {r['records']:,} "
            f"| {r['seconds_to_postgres']} "
            f"| {r['records_per_s']:,} | {r['seconds_to_confirmed']} | {r['lost']} "
            f"| {r['duplicated']} | {r['duplicates_dropped']} | {r['resend_requests']} |"
        )
    ratio = three["records_per_s"] / one["records_per_s"] if one["records_per_s"] else 0
    md += [
        "",
        f"Three nodes drain at {ratio:.2f}x the single node's rate.",
        f"Raw PostgreSQL commit rate of the same records (batches of 2,000, no broker): "
        f"{raw:,.0f} records/s.",
    ]
    write("city", {"runs": runs, "raw_postgres_records_per_s": round(raw, 1)}, "\n".join(md))


if __name__ == "__main__":
    main()
