"""The city tier, measured, in one run on one three-node NATS cluster (JetStream, MQTT gateway)
and one PostgreSQL, every run on its own sites (``bench/city_runs.py``):

- a short backlog (BOXES x --normal records) and a long one (--storm) drained at once: the
  records/s of each and their ratio (the resend storm);
- the same drain with 1, 2 and 3 ``compound platform ingest`` processes sharing the sites;
- steady traffic at the Xi'an rate (and five times it): latency from a box's append to the
  platform's commit, p50/p99;
- a node SIGKILLed while boxes send, with every node in their uplink config: time to resume;
- the raw PostgreSQL commit rate of the same records, without a broker.

Every run checks every record of every site in PostgreSQL exactly once (0 lost, 0 duplicated).

    nice -n 10 .venv/bin/python -m bench.bench_city [--boxes 100] [--only workers]

``--only workers`` measures the workers again and keeps the other figures of the last run;
``--only nodes`` drains the same backlog through a one-node, the three-node and a four-node
cluster, one after the other, ``--rounds`` times (the three-node rate against the one-node
broker, and what one more node adds), and keeps the other figures likewise.

Writes bench/results/city.md and city.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import city_backlog
from bench import city_runs as runs
from bench.city_backlog import XIAN_PER_HOUR, raw_postgres
from bench.common import RESULTS, write
from devkit.city_cluster import CityCluster
from devkit.postgres import TempPostgres


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--boxes", type=int, default=100)
    ap.add_argument("--normal", type=int, default=60, help="records a box, short backlog")
    ap.add_argument("--storm", type=int, default=300, help="records a box, long backlog")
    ap.add_argument("--per-worker-run", type=int, default=200, help="records a box")
    ap.add_argument("--steady-s", type=float, default=60.0)
    ap.add_argument("--failover-boxes", type=int, default=30)
    ap.add_argument(
        "--only", choices=["workers", "nodes", "backlog"], help="measure only this again"
    )
    ap.add_argument("--backlog", type=int, default=1000, help="records a box, --only backlog")
    ap.add_argument("--backlog-nodes", default="3,1", help="cluster sizes, --only backlog")
    ap.add_argument("--template", help="boxes filled before (or to fill), --only backlog")
    ap.add_argument("--per-node-run", type=int, default=200, help="records a box, --only nodes")
    ap.add_argument("--rounds", type=int, default=2, help="rounds of 1, 3, 4 nodes")
    a = ap.parse_args()
    if a.only == "workers":
        only_workers(a)
        return
    if a.only == "nodes":
        only_nodes(a)
        return
    if a.only == "backlog":
        previous = json.loads((RESULTS / "city.json").read_text())
        out = city_backlog.run(a, {k: v for k, v in previous.items() if k != "meta"})
        write("city", out, report(out, a))
        return
    tags = ["normal", "storm", "w1", "w2", "w3", "steady", "steady5x"]
    sites = [s for t in tags for s in runs.sites_of(t, a.boxes)]
    sites += runs.sites_of("failover", a.failover_boxes)
    pg = TempPostgres().start()
    cluster = CityCluster(sites=sites, nodes=3).start(timeout=120)
    out: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-city-") as tmp:

            def work(tag: str) -> Path:
                d = Path(tmp) / tag
                d.mkdir()
                return d

            def note(r: dict[str, Any]) -> dict[str, Any]:
                print(r, flush=True)
                return r

            out["raw_postgres_records_per_s"] = round(raw_postgres(pg, 30_000), 1)
            b = a.boxes
            out["normal"] = note(runs.drain(cluster, pg, work("normal"), "normal", b, a.normal))
            out["storm"] = note(runs.drain(cluster, pg, work("storm"), "storm", b, a.storm))
            out["workers"] = [
                note(runs.drain(cluster, pg, work(f"w{k}"), f"w{k}", b, a.per_worker_run, k))
                for k in (1, 2, 3)
            ]
            out["steady"] = note(
                runs.steady(cluster, pg, work("steady"), "steady", b, XIAN_PER_HOUR, a.steady_s)
            )
            out["steady5x"] = note(
                runs.steady(
                    cluster, pg, work("steady5x"), "steady5x", b, 5 * XIAN_PER_HOUR, a.steady_s / 2
                )
            )
            out["failover"] = note(
                runs.steady(
                    cluster,
                    pg,
                    work("failover"),
                    "failover",
                    a.failover_boxes,
                    7200,
                    40.0,
                    kill_at_s=10.0,
                )
            )
    finally:
        cluster.stop()
        pg.stop()
    write("city", out, report(out, a))


def only_workers(a: argparse.Namespace) -> None:
    previous = json.loads((RESULTS / "city.json").read_text())
    out = {k: v for k, v in previous.items() if k != "meta"}
    sites = [s for t in ("w1", "w2", "w3") for s in runs.sites_of(t, a.boxes)]
    pg = TempPostgres().start()
    cluster = CityCluster(sites=sites, nodes=3).start(timeout=120)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-city-") as tmp:
            out["workers"] = []
            for k in (1, 2, 3):
                work = Path(tmp) / f"w{k}"
                work.mkdir()
                r = runs.drain(cluster, pg, work, f"w{k}", a.boxes, a.per_worker_run, k)
                print(r, flush=True)
                out["workers"].append(r)
    finally:
        cluster.stop()
        pg.stop()
    out["workers_note"] = (
        f"The workers measured again on {time.strftime('%Y-%m-%d %H:%M')} in a run of their "
        f"own, with the leases renewed on their own thread (the other figures: "
        f"{previous['meta']['when']})."
    )
    write("city", out, report(out, a))


NODE_COUNTS = (1, 3, 4)


def only_nodes(a: argparse.Namespace) -> None:
    """The same drain through clusters of 1, 3 and 4 nodes (each started for its run and
    stopped after it, one PostgreSQL for all), in rounds so that a load that comes and goes on
    the machine falls on every size."""
    previous = json.loads((RESULTS / "city.json").read_text())
    out = {k: v for k, v in previous.items() if k != "meta"}
    pg = TempPostgres().start()
    runs_: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-city-") as tmp:
            for r in range(a.rounds):
                for k in NODE_COUNTS:
                    tag = f"n{k}r{r}"
                    cluster = CityCluster(sites=runs.sites_of(tag, a.boxes), nodes=k)
                    cluster.start(timeout=120)
                    try:
                        work = Path(tmp) / tag
                        work.mkdir()
                        res = runs.drain(cluster, pg, work, tag, a.boxes, a.per_node_run)
                    finally:
                        cluster.stop()
                    res["nodes"] = k
                    print(res, flush=True)
                    runs_.append(res)
    finally:
        pg.stop()
    med = {
        k: round(statistics.median(x["records_per_s"] for x in runs_ if x["nodes"] == k), 1)
        for k in NODE_COUNTS
    }
    out["nodes"] = {
        "runs": runs_,
        "median_records_per_s": {str(k): v for k, v in med.items()},
        "three_against_one": round(med[3] / med[1], 2) if med[1] else None,
        "four_against_three": round(med[4] / med[3], 2) if med[3] else None,
        "when": time.strftime("%Y-%m-%d %H:%M"),
    }
    write("city", out, report(out, a))


def nodes_section(nd: dict[str, Any]) -> list[str]:
    med = nd["median_records_per_s"]
    md = [
        "",
        "## One node, three, four: the same backlog through clusters of each size",
        "",
        f"Measured {nd['when']} in a run of its own (`--only nodes`): each cluster started for "
        "its drain and stopped after it, the sizes taken in turn, in rounds; the ingest in the "
        "bench process on node 1; boxes spread over the nodes; streams replicated on min(3, "
        "nodes) nodes (one on the single node).",
        "",
        "| nodes | round | boxes x records | connect all (s) | to PostgreSQL (s) | records/s "
        "| lost | duplicated | box resends |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in nd["runs"]:
        md.append(
            f"| {r['nodes']} | {r['run'][-1]} | {r['boxes']} x {r['records'] // r['boxes']} "
            f"| {r['seconds_to_connect_all']} | {r['seconds_to_postgres']} "
            f"| {r['records_per_s']:,} | {r['lost']} | {r['duplicated']} "
            f"| {r['sender_resends']:,} |"
        )
    md += [
        "",
        f"Medians: 1 node {med['1']:,} records/s, 3 nodes {med['3']:,}, 4 nodes {med['4']:,}. "
        f"The three-node cluster drains at {nd['three_against_one']}x the single node "
        f"(target >= 0.5x); a fourth node gives {nd['four_against_three']}x the three-node "
        "rate. (An earlier run, 60 records a box, before the resend pacing: 3 nodes 1,439 "
        "against 1 node 1,433 records/s.)",
    ]
    return md


def report(out: dict[str, Any], a: argparse.Namespace) -> str:
    n, st = out["normal"], out["storm"]
    ratio = st["records_per_s"] / n["records_per_s"] if n["records_per_s"] else 0.0
    w = out["workers"]
    s1, s5, f = out["steady"], out["steady5x"], out["failover"]
    md = [
        "# The city tier: compounds draining through a NATS cluster into PostgreSQL",
        "",
        f"{a.boxes} simulated compounds (real `UplinkSender`, own SQLite outbox, own broker "
        "credential and MQTT connection; threads of one process) send through a three-node "
        "NATS 2.9.10 cluster's MQTT gateway (JetStream, streams replicated on every node) to "
        "`compound platform ingest` and PostgreSQL 15 (commit, then acknowledge), all on this "
        "2-core machine with other work on it, run once with `nice`. Boxes are spread over the "
        "nodes; each run has its own sites in the same cluster and database.",
        "",
        "## A backlog drained at once (the resend storm)",
        "",
        "| run | boxes x records | to PostgreSQL (s) | records/s | all confirmed (s) | lost "
        "| duplicated | box resends | box timeouts | resend requests heard / held |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in (n, st):
        md.append(
            f"| {r['run']} | {r['boxes']} x {r['records'] // r['boxes']} "
            f"| {r['seconds_to_postgres']} | {r['records_per_s']:,} | {r['seconds_to_confirmed']} "
            f"| {r['lost']} | {r['duplicated']} | {r['sender_resends']:,} "
            f"| {r['sender_timeouts']} | {r['resend_requests_heard']} / "
            f"{r['resend_requests_held']} |"
        )
    md += [
        "",
        f"The long backlog drains at {ratio:.2f}x the short one's rate in the same run "
        "(before the resend pacing: 134 against 1,439 records/s, 0.09x, with 295,000 resends).",
        "",
        "## Several ingest workers (`compound platform ingest` processes sharing the sites)",
        "",
        "| workers | records | to PostgreSQL (s) | records/s | lost | duplicated |",
        "|---|---|---|---|---|---|",
    ]
    for r in w:
        md.append(
            f"| {r['ingest_workers']} | {r['records']:,} | {r['seconds_to_postgres']} "
            f"| {r['records_per_s']:,} | {r['lost']} | {r['duplicated']} |"
        )
    if out.get("workers_note"):
        md += ["", out["workers_note"]]
    if out.get("nodes"):
        md += nodes_section(out["nodes"])
    if out.get("backlog"):
        bl = out["backlog"]
        md += city_backlog.section([bl] if isinstance(bl, dict) else bl)
        if out.get("backlog_note"):
            md += ["", out["backlog_note"]]
    md += [
        "",
        "## Steady traffic: latency from a box's append to the platform's commit",
        "",
        "| rate a box | boxes | records | p50 (s) | p99 (s) | max (s) | lost | duplicated |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in (s1, s5):
        md.append(
            f"| {r['rate_per_box_per_hour']:,}/h | {r['boxes']} | {r['records']:,} "
            f"| {r['latency_p50_s']} | {r['latency_p99_s']} | {r['latency_max_s']} "
            f"| {r['lost']} | {r['duplicated']} |"
        )
    md += [
        "",
        "## A node killed while the boxes send",
        "",
        f"{f['boxes']} boxes at {f['rate_per_box_per_hour']:,} records an hour each, with all "
        "three nodes in their uplink config (`[uplink] nodes`); node 3 SIGKILLed after 10 s and "
        "left down. Time to resume: from the kill until a record the box appended after it is "
        "committed in PostgreSQL.",
        "",
        "| boxes | resumed | p50 (s) | max (s) |",
        "|---|---|---|---|",
        f"| on the killed node ({f['boxes_on_killed_node']}) | {f['resumed_on_killed_node']} "
        f"| {f['resume_s_on_killed_node_p50']} | {f['resume_s_on_killed_node_max']} |",
        f"| on the other nodes | {f['boxes'] - f['boxes_on_killed_node']} "
        f"| {f['resume_s_other_boxes_p50']} | {f['resume_s_other_boxes_max']} |",
        "",
        f"Records: {f['records']:,}, lost {f['lost']}, duplicated {f['duplicated']}; latency "
        f"over the whole run p50 {f['latency_p50_s']} s, p99 {f['latency_p99_s']} s.",
        "",
        f"Raw PostgreSQL commit rate of the same records (batches of 2,000, no broker): "
        f"{out['raw_postgres_records_per_s']:,} records/s.",
    ]
    return "\n".join(md)


if __name__ == "__main__":
    main()
