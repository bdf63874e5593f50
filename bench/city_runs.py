"""The runs of ``bench/bench_city.py``, each on its own set of sites in one three-node NATS
cluster and one PostgreSQL: a drain of records already waiting (``drain``, with the ingest in
this process or as ``compound platform ingest`` processes sharing the sites), steady traffic at
a paced rate with the latency from a box's append to the platform's commit (``steady``), and
the same with a node killed in the middle (``steady(kill_at_s=...)``)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.city_watch import ClusterWatch, append, copy_box
from bench.common import pct
from compound.adapters.mqtt import Bus
from compound.adapters.platform_db import PlatformDb
from compound.domain.clock import SystemClock
from compound.protocol.topics import Topics
from compound.services.platform_ingest import Ingest
from compound.services.uplink import UplinkSender, status
from compound.store.db import Store
from devkit.city_cluster import PLATFORM_USER, CityCluster
from devkit.postgres import TempPostgres


def sites_of(tag: str, n: int) -> list[str]:
    return [f"{tag}-c{i:03d}" for i in range(n)]


class Fleet:
    """Boxes with real stores, buses and senders, spread over the nodes."""

    def __init__(
        self, cluster: CityCluster, sites: list[str], work: Path, *, failover: bool = False
    ) -> None:
        self.sites = sites
        self.stores = {s: Store(work / f"{s}.db", SystemClock(), work / f"keys-{s}") for s in sites}
        self.buses = {
            s: Bus(
                cluster.bus_config(s, i % len(cluster.members), failover=failover),
                Topics(s),
                f"uplink-{s}",
            )
            for i, s in enumerate(sites)
        }
        self.senders = {
            s: UplinkSender(self.stores[s], self.buses[s], s, require_platform_ack=True)
            for s in sites
        }
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def connect(self) -> float:
        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=10) as pool:
            list(pool.map(lambda b: b.start(timeout=300), self.buses.values()))
        return time.monotonic() - t0

    def run(self) -> None:
        for sender in self.senders.values():
            t = threading.Thread(target=sender.run, args=(self.stop,), daemon=True)
            t.start()
            self.threads.append(t)

    def confirmed(self) -> bool:
        return all(status(st)["unconfirmed"] == 0 for st in self.stores.values())

    def close(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(10)
        for b in self.buses.values():
            b.stop()

    def stats(self, key: str) -> int:
        return sum(int(getattr(s.stats, key)) for s in self.senders.values())


def check(pg: TempPostgres, fleet: Fleet) -> tuple[int, int]:
    """(lost, duplicated) in PostgreSQL against every box's outbox; closes the boxes' stores."""
    db = PlatformDb(pg.dsn)
    lost = dup = 0
    try:
        for s, store in fleet.stores.items():
            want = {r["seq"] for r in store.query("SELECT seq FROM outbox")}
            got = db.site_seqs(s)
            lost += len(want - set(got))
            dup += len(got) - len(set(got))
    finally:
        db.close()
        for store in fleet.stores.values():
            store.close()
    return lost, dup


def committed(pg: TempPostgres, sites: list[str]) -> int:
    db = PlatformDb(pg.dsn)
    try:
        seqs = db.next_seqs()
    finally:
        db.close()
    return sum(seqs.get(s, 1) - 1 for s in sites)


class InProcessIngest:
    def __init__(
        self,
        cluster: CityCluster,
        pg: TempPostgres,
        on_commit: Callable[[dict[str, int]], None] | None = None,
    ) -> None:
        self.db = PlatformDb(pg.dsn)
        self.bus = Bus(cluster.bus_config(PLATFORM_USER, 0), Topics("city"), "ingest-bench")
        self.ingest = Ingest(self.db, self.bus, on_commit=on_commit)
        self.bus.start(timeout=60)
        self.stop = threading.Event()
        self.thread = self.ingest.start(self.stop)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)
        self.bus.stop()
        self.db.close()


def worker_processes(cluster: CityCluster, pg: TempPostgres, n: int, log: Path) -> list[Any]:
    """``n`` ``compound platform ingest`` processes, each on its own node, sharing the sites;
    returns once the buckets are shared among all of them."""
    procs = []
    for i in range(n):
        cfg = cluster.bus_config(PLATFORM_USER, i % 3)
        name = f"bench-w{n}-{i}"
        cmd = [
            sys.executable, "-m", "compound.app.cli", "platform", "ingest", "--db", pg.dsn,
            "--port", str(cfg.port), "--user", PLATFORM_USER, "--password", str(cfg.password),
            "--mqtt-protocol", "4", "--worker", name, "--client-id", name, "--lease-s", "3",
            "--report-s", "600",
        ]  # fmt: skip
        with log.open("ab") as out:
            procs.append(subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT))
    db = PlatformDb(pg.dsn)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            rows = db._conn.execute(
                "SELECT owner, COUNT(*) FROM ingest_leases WHERE owner LIKE %s"
                " AND expires_at > now() GROUP BY owner",
                (f"bench-w{n}-%",),
            ).fetchall()
            db._conn.commit()
            if len(rows) == n and sum(int(r[1]) for r in rows) == 64:
                break
            time.sleep(0.3)
    finally:
        db.close()
    return procs


def drain(
    cluster: CityCluster,
    pg: TempPostgres,
    work: Path,
    tag: str,
    boxes: int,
    per_box: int,
    workers: int = 0,
    *,
    template: Path | None = None,
) -> dict[str, Any]:
    """Every box holds ``per_box`` records, then all drain at once. ``workers`` 0: the ingest
    in this process; otherwise that many ``compound platform ingest`` processes. With
    ``template`` (from ``fill``) the boxes are copies of those, not filled here."""
    sites = sites_of(tag, boxes)
    if template is not None:
        for i, s in enumerate(sites):
            copy_box(template, i, work, s)
    fleet = Fleet(cluster, sites, work)
    if template is None:
        for st in fleet.stores.values():
            for i in range(per_box):
                append(st, i)
    procs: list[Any] = []
    ingest = None
    if workers:
        procs = worker_processes(cluster, pg, workers, work / f"{tag}-workers.log")
    else:
        ingest = InProcessIngest(cluster, pg)
    total = boxes * per_box
    watch = ClusterWatch(cluster)
    try:
        t_connect = fleet.connect()
        t0 = time.monotonic()
        watch.start()
        fleet.run()
        deadline = t0 + 900
        while time.monotonic() < deadline and committed(pg, sites) < total:
            time.sleep(0.25)
        t_pg = time.monotonic() - t0
        while time.monotonic() < deadline and not fleet.confirmed():
            time.sleep(0.25)
        t_conf = time.monotonic() - t0
    finally:
        watch.stop()
        fleet.close()
        if ingest is not None:
            ingest.close()
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(30)
    lost, dup = check(pg, fleet)
    return {
        "run": tag,
        "boxes": boxes,
        "records": total,
        "ingest_workers": workers or 1,
        "ingest": "processes" if workers else "in the bench process",
        "seconds_to_connect_all": round(t_connect, 1),
        "seconds_to_postgres": round(t_pg, 2),
        "seconds_to_confirmed": round(t_conf, 2),
        "records_per_s": round(total / t_pg, 1),
        "lost": lost,
        "duplicated": dup,
        "sender_resends": fleet.stats("resends"),
        "sender_timeouts": fleet.stats("timeouts"),
        "sender_resends_after_probe": fleet.stats("resends_after_probe"),
        "sender_reconnects": fleet.stats("reconnects"),
        "resend_requests_heard": fleet.stats("resend_requests"),
        "resend_requests_held": fleet.stats("resend_requests_held"),
        "ingest_duplicates_dropped": ingest.ingest.stats.duplicates if ingest else None,
        "ingest_resend_requests": ingest.ingest.stats.resend_requests if ingest else None,
        "ingest_received": ingest.ingest.stats.received if ingest else None,
        "ingest_acks": ingest.ingest.stats.acks if ingest else None,
        **watch.figures(),
    }


def steady(
    cluster: CityCluster,
    pg: TempPostgres,
    work: Path,
    tag: str,
    boxes: int,
    per_hour: float,
    seconds: float,
    *,
    kill_at_s: float | None = None,
) -> dict[str, Any]:
    """Boxes append at ``per_hour`` records an hour each (evenly spread) for ``seconds``; the
    latency of every record from the box's append call (the event and its outbox row committed
    in the box's SQLite) to the platform's commit. With ``kill_at_s``, node 3 is SIGKILLed then
    and the boxes carry on through the others: for each site, the time from the kill until a
    record appended after the kill is committed."""
    sites = sites_of(tag, boxes)
    fleet = Fleet(cluster, sites, work, failover=kill_at_s is not None)
    appended: dict[str, dict[int, float]] = {s: {} for s in sites}
    kill_seq: dict[str, int] = {}
    latencies: list[float] = []
    done = dict.fromkeys(sites, 1)
    first_after_kill: dict[str, float] = {}
    killed_at: list[float] = []

    def on_commit(nexts: dict[str, int]) -> None:
        now = time.time()
        for s, nxt in nexts.items():
            if s not in done:
                continue
            for seq in range(done[s], nxt):
                latencies.append(now - appended[s][seq])
            if s in kill_seq and nxt - 1 > kill_seq[s] and s not in first_after_kill:
                first_after_kill[s] = now - killed_at[0]
            done[s] = max(done[s], nxt)

    ingest = InProcessIngest(cluster, pg, on_commit)
    fleet.connect()
    fleet.run()
    interval = 3600.0 / per_hour / boxes  # one append somewhere every this often
    victim = cluster.members[2]
    on_victim = [s for i, s in enumerate(sites) if i % 3 == 2]
    t0 = time.monotonic()
    n = 0
    try:
        while (elapsed := time.monotonic() - t0) < seconds:
            if kill_at_s is not None and not killed_at and elapsed >= kill_at_s:
                killed_at.append(time.time())
                kill_seq.update({x: len(appended[x]) for x in sites})
                cluster.kill(victim)
            s = sites[n % boxes]
            appended[s][n // boxes + 1] = time.time()  # its outbox seq: a fresh box starts at 1
            append(fleet.stores[s], n // boxes)
            n += 1
            time.sleep(max(0.0, t0 + n * interval - time.monotonic()))
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not fleet.confirmed():
            time.sleep(0.25)
    finally:
        fleet.close()
        ingest.close()
        if victim.proc is None:
            cluster.start_node(victim)
            cluster.wait_ready(60)
    lost, dup = check(pg, fleet)
    out: dict[str, Any] = {
        "run": tag,
        "boxes": boxes,
        "records": n,
        "rate_per_box_per_hour": per_hour,
        "seconds": seconds,
        "latency_p50_s": round(pct(latencies, 50), 3),
        "latency_p99_s": round(pct(latencies, 99), 3),
        "latency_max_s": round(max(latencies), 3) if latencies else None,
        "latencies_measured": len(latencies),
        "lost": lost,
        "duplicated": dup,
        "sender_timeouts": fleet.stats("timeouts"),
        "sender_reconnects": fleet.stats("reconnects"),
    }
    if kill_at_s is not None:
        mine = [first_after_kill[s] for s in on_victim if s in first_after_kill]
        others = [v for s, v in first_after_kill.items() if s not in on_victim]
        out.update(
            {
                "boxes_on_killed_node": len(on_victim),
                "resume_s_on_killed_node_p50": round(pct(mine, 50), 2),
                "resume_s_on_killed_node_max": round(max(mine), 2) if mine else None,
                "resumed_on_killed_node": len(mine),
                "resume_s_other_boxes_p50": round(pct(others, 50), 2),
                "resume_s_other_boxes_max": round(max(others), 2) if others else None,
            }
        )
    return out
