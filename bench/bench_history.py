"""The long history: one person's and one unit's history, log verify and the core's memory on
the 200-day Xi'an database (about 10 million events).

The database is the benchmark fixture, built beforehand (about 20 minutes, not part of this
run):

    compound --db /work/tmp-history/h200/c.db sample --size xian --days 200

and, as the baseline measured in the same run, the same compound with 7 days of history:

    compound --db /work/tmp-history/p/c.db sample --size xian --days 7

Measured:

- the history queries as the officer wall asks them, through the core's own API methods
  (``events.page`` for a person and for a unit, ``passages.search`` for a person), for random
  people and units: the first time each is asked in a fresh process, then again; the same on
  the 7-day database, and the ratio of the two (a page of history should not cost more on a
  longer log);
- the same through the running core over Mosquitto, as the wall sees them;
- ``compound log verify`` (the whole chain), a day of passages appended (50,000 events through
  the store's append path), then ``compound log verify --incremental`` (from the signed mark
  the full one left);
- the core's resident memory after it starts on the database, and after the queries.

    flock /work/helpers/bench.lock nice -n 10 .venv/bin/python -m bench.bench_history \\
        --db /work/tmp-history/h200/c.db --baseline /work/tmp-history/p/c.db

Appending the day changes the fixture (one more day at its end); run it on a copy to keep it.
Results in bench/results/history.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import pct, write  # noqa: E402
from compound.adapters.broker import Mosquitto, free_port  # noqa: E402
from compound.adapters.mqtt import Bus, BusConfig  # noqa: E402
from compound.config import Config  # noqa: E402
from compound.domain.clock import SystemClock  # noqa: E402
from compound.protocol.topics import Topics  # noqa: E402
from compound.services.community_api import CommunityApi  # noqa: E402
from compound.services.lists_api import ListsApi  # noqa: E402
from compound.store.db import Store  # noqa: E402
from devkit.sample_history import add_history  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PASSAGES = ["access.granted", "access.denied"]
WEEK = 7 * 86400.0

Call = Callable[[str, dict[str, Any]], Any]


def run_queries(call: Call, pairs: list[tuple[int, str]], now: float) -> dict[str, list[Any]]:
    """What the wall asks about one person and one unit, for each (person, unit): the newest
    page of events, the newest page of passages and the page after it, and (for a person) the
    passage search, (for a unit) its passages of the last 7 days."""
    out: dict[str, list[Any]] = {}

    def timed(name: str, method: str, params: dict[str, Any]) -> Any:
        t0 = time.perf_counter()
        reply = call(method, params)
        dt = time.perf_counter() - t0
        size = len(json.dumps(reply, ensure_ascii=False).encode())
        out.setdefault(name, []).append((dt, size))
        return reply

    for person, unit in pairs:
        for who, key in (("person", person), ("unit", unit)):
            timed(f"{who}: events, newest page", "events.page", {who: key, "size": 25})
            page = {who: key, "types": PASSAGES, "size": 25}
            first = timed(f"{who}: passages, newest page", "events.page", page)
            if first.get("next_before") is not None:
                older = {**page, "before": first["next_before"]}
                timed(f"{who}: passages, next page", "events.page", older)
        timed("person: passage search (newest 60)", "passages.search", {"person": person})
        week = {"unit": unit, "types": PASSAGES, "since": int(now - WEEK), "size": 25}
        timed("unit: passages, last 7 days", "events.page", week)
    return out


def stats(samples: list[tuple[float, int]]) -> dict[str, float]:
    ms = [s[0] * 1000 for s in samples]
    return {
        "n": len(ms),
        "p50_ms": round(pct(ms, 50), 3),
        "p99_ms": round(pct(ms, 99), 3),
        "max_ms": round(max(ms), 3),
        "max_kb": round(max(s[1] for s in samples) / 1024, 1),
    }


def in_process(db: Path, n: int, seed: int) -> dict[str, Any]:
    """The API methods as the core runs them, on a fresh store: a first pass and a second."""
    store = Store(db, SystemClock())
    try:
        core: Any = SimpleNamespace(store=store, clock=store.clock, config=Config())
        api = {**ListsApi(core).offers().api, **CommunityApi(core).offers().api}
        rng = random.Random(seed)  # noqa: S311 - picking samples
        people = [r["id"] for r in store.read("SELECT id FROM people")]
        units = [r["address"] for r in store.read("SELECT address FROM units")]
        pairs = [(rng.choice(people), rng.choice(units)) for _ in range(n)]
        now = float(store.read("SELECT MAX(at) AS t FROM events")[0]["t"])
        first = run_queries(lambda m, p: api[m](p), pairs, now)
        again = run_queries(lambda m, p: api[m](p), pairs, now)
    finally:
        store.close()
    return {
        "first": {k: stats(v) for k, v in first.items()},
        "again": {k: stats(v) for k, v in again.items()},
    }


def counts(db: Path) -> dict[str, Any]:
    store = Store(db, SystemClock())
    try:
        one = store.read(
            "SELECT MAX(seq) AS events, MIN(at) AS first, MAX(at) AS last FROM events"
        )[0]
        passages = store.read(
            "SELECT COUNT(*) AS n FROM events WHERE type IN ('access.granted', 'access.denied')"
        )[0]["n"]
    finally:
        store.close()
    size = sum(p.stat().st_size for p in db.parent.glob(db.name + "*") if p.is_file())
    return {
        "events": one["events"],
        "passages": passages,
        "days": round((one["last"] - one["first"]) / 86400, 1),
        "db_mb": round(db.stat().st_size / 2**20, 1),
        "db_and_beside_mb": round(size / 2**20, 1),
    }


def cli(db: Path, *args: str) -> dict[str, Any]:
    """A ``compound`` command as its own process: its wall and CPU time and its JSON."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "compound.app.cli", "--db", str(db), *args, "--json"],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    try:
        out = json.loads(done.stdout)
    except json.JSONDecodeError:  # --help, or a failure
        out = {"error": done.stderr[-300:]} if done.returncode else {}
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "rc": done.returncode, "out": out}


def verify_and_append(db: Path, seed: int) -> dict[str, Any]:
    start = cli(db, "--help")  # Python starting and importing the command line, nothing else
    full = cli(db, "log", "verify")
    store = Store(db, SystemClock())
    try:
        last = float(store.read("SELECT MAX(at) AS t FROM events")[0]["t"])
        t0, c0 = time.monotonic(), time.process_time()
        added = add_history(store, 1, seed, last + 86400)
        append = {
            "events": added,
            "wall_s": round(time.monotonic() - t0, 2),
            "cpu_s": round(time.process_time() - c0, 2),
        }
    finally:
        store.close()
    incremental = cli(db, "log", "verify", "--incremental")
    nothing_new = cli(db, "log", "verify", "--incremental")
    return {
        "start": start,
        "full": full,
        "append_day": append,
        "incremental": incremental,
        "again": nothing_new,
    }


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def core_run(db: Path, n: int, seed: int, work: Path) -> dict[str, Any]:
    """The real core on the database: its memory, and the history asked over Mosquitto."""
    store = Store(db, SystemClock())
    site = store.setting("site_id", "demo") or "demo"
    store.close()
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    broker = Mosquitto(port=port, workdir=work / "mosquitto").start()
    cfg = work / "core.toml"
    cfg.write_text(
        f'[site]\nid = "{site}"\n[broker]\nport = {port}\n'
        f'[store]\npath = "{db}"\nkey_dir = "{db.parent / "keys"}"\n'
    )
    core = subprocess.Popen(
        [sys.executable, "-m", "compound.app.cli", "--config", str(cfg), "core"],
        stdout=subprocess.DEVNULL, stderr=open(work / "core.log", "ab"), cwd=ROOT,  # noqa: SIM115
    )  # fmt: skip
    bus = Bus(BusConfig(port=port), Topics(site), "bench-history")
    out: dict[str, Any] = {}
    try:
        bus.start(timeout=30)
        t0 = time.monotonic()
        while True:
            try:
                bus.request("status", {}, timeout=5)
                break
            except Exception:  # noqa: BLE001 - waiting for the core to answer at all
                if time.monotonic() - t0 > 300 or core.poll() is not None:
                    raise RuntimeError((work / "core.log").read_text()[-2000:]) from None
        out["ready_s"] = round(time.monotonic() - t0, 1)
        time.sleep(2)
        out["rss_start_mb"] = round(rss_mb(core.pid), 1)
        rng = random.Random(seed + 1)  # noqa: S311 - picking samples
        store = Store(db, SystemClock())
        people = [r["id"] for r in store.read("SELECT id FROM people")]
        units = [r["address"] for r in store.read("SELECT address FROM units")]
        now = float(store.read("SELECT MAX(at) AS t FROM events")[0]["t"])
        store.close()
        pairs = [(rng.choice(people), rng.choice(units)) for _ in range(n)]
        timed = run_queries(lambda m, p: bus.request(m, p, timeout=30), pairs, now)
        out["over_mqtt"] = {k: stats(v) for k, v in timed.items()}
        out["rss_end_mb"] = round(rss_mb(core.pid), 1)
    finally:
        bus.stop()
        core.terminate()
        core.wait(30)
        broker.cleanup()
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, default=Path("/work/tmp-history/h200/c.db"))
    ap.add_argument("--baseline", type=Path, default=Path("/work/tmp-history/p/c.db"))
    ap.add_argument("--n", type=int, default=500, help="random (person, unit) pairs")
    ap.add_argument("--over-mqtt", type=int, default=150, help="pairs asked of the real core")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-verify", action="store_true", help="skip log verify and the day added")
    args = ap.parse_args()
    for db in (args.db, args.baseline):
        if not db.is_file():
            print(f"no database {db}: build it first (see this module's docstring)")
            return 2
    figures: dict[str, Any] = {"load_average_start": list(os.getloadavg())}
    figures["fixture"] = counts(args.db)
    figures["baseline"] = counts(args.baseline)
    figures["queries"] = in_process(args.db, args.n, args.seed)
    figures["queries_baseline"] = in_process(args.baseline, args.n, args.seed)
    figures["core"] = core_run(args.db, args.over_mqtt, args.seed, args.db.parent / "bench")
    if not args.no_verify:
        figures["log"] = verify_and_append(args.db, args.seed)
        figures["fixture_after"] = counts(args.db)
    figures["load_average_end"] = list(os.getloadavg())
    write("history", figures, markdown(figures))
    return 0


def markdown(f: dict[str, Any]) -> str:
    fx, base = f["fixture"], f["baseline"]
    q, qb = f["queries"], f["queries_baseline"]
    lines = [
        "# The long history: 200 days at the Xi'an size",
        "",
        f"The fixture: `compound sample --size xian --days 200`: {fx['events']:,} events"
        f" ({fx['passages']:,} passages over {fx['days']} days), database {fx['db_mb']:,} MB"
        f" ({fx['db_and_beside_mb']:,} MB with its WAL and files beside it). Baseline in the same"
        f" run: the same compound with 7 days, {base['events']:,} events, {base['db_mb']:,} MB.",
        f"Load average (1, 5, 15 min) at the start {_load(f['load_average_start'])}, at the end"
        f" {_load(f['load_average_end'])}: a 2-core machine shared with other work.",
        "",
        "## One person's and one unit's history (target <= 5 ms)",
        "",
        "The core's API methods as the officer wall calls them, in one process on a fresh store,"
        f" for {f['queries']['again'][next(iter(q['again']))]['n']} random people and units:"
        ' "first" is the first time each is asked, "again" the same once more. Milliseconds;'
        " the ratio is the 200-day p50 (again) over the 7-day p50 (again).",
        "",
        "| query | first p50 | first p99 | first max | again p50 | again p99 | again max"
        " | 7 days p50 | ratio | reply max KB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, a in q["again"].items():
        s1, b = q["first"][name], qb["again"].get(name)
        ratio = round(a["p50_ms"] / b["p50_ms"], 2) if b and b["p50_ms"] else "-"
        lines.append(
            f"| {name} | {s1['p50_ms']} | {s1['p99_ms']} | {s1['max_ms']} | {a['p50_ms']}"
            f" | {a['p99_ms']} | {a['max_ms']} | {b['p50_ms'] if b else '-'} | {ratio}"
            f" | {a['max_kb']} |"
        )
    c = f["core"]
    n_bus = next(iter(c["over_mqtt"].values()))["n"] if c["over_mqtt"] else 0
    lines += [
        "",
        "## Through the running core over Mosquitto",
        "",
        f"`compound core` on the 200-day database answered its first request {c['ready_s']} s"
        f" after it was started. The same queries over the bus for {n_bus} other random"
        " people and units, request to"
        " reply as the wall sees it (ms):",
        "",
        "| query | p50 | p99 | max | reply max KB |",
        "|---|---|---|---|---|",
    ]
    for name, a in c["over_mqtt"].items():
        lines.append(f"| {name} | {a['p50_ms']} | {a['p99_ms']} | {a['max_ms']} | {a['max_kb']} |")
    lines += [
        "",
        f"Core resident memory: {c['rss_start_mb']} MB once started, {c['rss_end_mb']} MB after"
        " the queries (target <= 300 MB).",
    ]
    if "log" in f:
        lg = f["log"]
        full, inc, again, day = lg["full"], lg["incremental"], lg["again"], lg["append_day"]
        lines += [
            "",
            "## `compound log verify`",
            "",
            "| command | wall s | CPU s | events | result |",
            "|---|---|---|---|---|",
            f"| `log verify` (every event from the first) | {full['wall_s']} | {full['cpu_s']}"
            f" | {full['out'].get('events')} | {_ok(full)} |",
            f"| a day of passages appended (`add_history`, in process) | {day['wall_s']}"
            f" | {day['cpu_s']} | {day['events']} | - |",
            f"| `log verify --incremental` (from the mark the full one left) | {inc['wall_s']}"
            f" | {inc['cpu_s']} | {inc['out'].get('events')} (read from"
            f" {inc['out'].get('read_from')}) | {_ok(inc)} |",
            f"| `log verify --incremental`, nothing new | {again['wall_s']} | {again['cpu_s']}"
            f" | {again['out'].get('events')} | {_ok(again)} |",
            "",
            f"Each is its own process; Python starting and importing the command line alone"
            f" (`compound --help`) took {lg['start']['wall_s']} s wall, {lg['start']['cpu_s']} s"
            " CPU in the same run. The"
            " incremental verification reads only the events after the signed mark of the last"
            " verification, checks that the marked event still has the hash the mark signed and"
            " compares the head with the signed checkpoints and head file; it does not read the"
            " older events again (an old event changed in the file since is found by the full"
            " verification only).",
        ]
    return "\n".join(lines)


def _ok(r: dict[str, Any]) -> str:
    out = r["out"]
    return "intact" if out.get("ok") else f"rc {r['rc']}: {out}"


def _load(v: list[float]) -> str:
    return ", ".join(f"{x:.1f}" for x in v)


if __name__ == "__main__":
    raise SystemExit(main())
