"""``compound import people`` at the compound's real size, against registering one by one.

The sheet is the sample compound's register (``devkit.sample_sheet``: 24,762 people of
``compound sample --size xian``, seed 1), saved as Chinese Excel saves a CSV (GBK, Chinese
header). Measured in one run, each into a fresh database holding the 156 doors:

- the import: reading and decoding the file, checking every row, checking the sheet against the
  store, writing it in one transaction (rows/s), and how long that transaction holds the
  database's write lock;
- the baseline: the same rows through the path the manager console's import uses today, the core's
  ``person.add`` handler (unit, person, card and PIN in one transaction per row; tenants through
  ``register_tenant`` as the rental register does);
- a door's view: while each runs, a second connection appends an event every 20 ms as a door
  decision does, and the longest wait for the write lock is recorded;
- what the visit_due triggers (migration 270) cost the import: the same import into a database
  whose visit_due triggers were dropped, between two imports with them, in the same run.

The load average is written down before and after each step. The results file keeps the
analysis written by hand below the part the bench writes (``bench.common.write_generated``).

Run with ``flock /work/helpers/bench.lock nice -n 10 .venv/bin/python -m bench.bench_import``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import import_doors  # noqa: E402
from bench.common import write_generated  # noqa: E402
from compound.domain import register_sheet  # noqa: E402
from compound.domain.clock import SystemClock  # noqa: E402
from compound.domain.csv_rows import decode  # noqa: E402
from compound.services import rental  # noqa: E402
from compound.store import register_import  # noqa: E402
from compound.store.db import Store, StoreError  # noqa: E402
from devkit.sample_sheet import doors_csv, people_csv, plan  # noqa: E402


class DoorProbe:
    """A door's decision as the log sees it: one event appended every 20 ms on a connection of
    its own; the longest time one append took is how long a door would have waited."""

    def __init__(self, path: Path) -> None:
        self.store = Store(path, SystemClock())
        self.waits: list[float] = []
        self.busy = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            t = time.perf_counter()
            try:
                self.store.append_event("access.denied", door_id="b1-e1", data={"probe": True})
            except StoreError:  # past the 5 s busy timeout: a door would answer "system busy"
                self.busy += 1
            self.waits.append(time.perf_counter() - t)

    def __enter__(self) -> DoorProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.store.close()


def fresh(tmp: Path, name: str, doors: str) -> Store:
    store = Store(tmp / f"{name}.db", SystemClock())
    register_import.import_doors(store, register_sheet.doors(doors), by="bench")
    return store


def run_import(store: Store, path: Path) -> dict[str, Any]:
    held = import_doors.timed_lock(store)
    with DoorProbe(store.path) as probe:
        t0 = time.perf_counter()
        text, encoding = decode(path.read_bytes())
        rows = register_sheet.people(text)
        t1 = time.perf_counter()
        r = register_import.import_people(store, rows, by="bench")
        t2 = time.perf_counter()
    return {
        "rows": r.rows,
        "encoding": encoding,
        "seconds": round(t2 - t0, 2),
        "read_and_check_s": round(t1 - t0, 2),
        "store_s": round(t2 - t1, 2),
        "rows_per_s": round(r.rows / (t2 - t0)),
        "write_lock_held_s": round(max(held), 2),
        "door_longest_wait_s": round(max(probe.waits), 3),
        "door_busy": probe.busy,
        "events": r.events,
    }


def without_visit_due(store: Store) -> int:
    """Drop the visit_due triggers (the dates are then not kept): how many were dropped."""
    with store.transaction() as c:
        names = [
            r[0]
            for r in c.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'visit_due_%'"
            ).fetchall()
        ]
        for name in names:
            c.execute(f"DROP TRIGGER {name}")
    return len(names)


def due_dates(store: Store) -> dict[str, int]:
    """Living tenants and the due dates kept for them (equal when the triggers ran)."""
    (row,) = store.read(
        "SELECT (SELECT COUNT(*) FROM people WHERE role = 'tenant' AND moved_out_at IS NULL)"
        " AS tenants, (SELECT COUNT(*) FROM visit_due) AS due"
    )
    return {"tenants": row["tenants"], "visit_due_rows": row["due"]}


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run_baseline(store: Store, path: Path) -> dict[str, Any]:
    text, _ = decode(path.read_bytes())
    rows = register_sheet.people(text)
    add = _person_add(store)
    with DoorProbe(store.path) as probe:
        t0 = time.perf_counter()
        for r in rows:
            add(r)
        t1 = time.perf_counter()
    return {
        "rows": len(rows),
        "seconds": round(t1 - t0, 2),
        "rows_per_s": round(len(rows) / (t1 - t0)),
        "door_longest_wait_s": round(max(probe.waits), 3),
        "door_busy": probe.busy,
    }


def _person_add(store: Store) -> Callable[[register_sheet.PersonRow], None]:
    from compound.services.people_api import PeopleApi

    class _Core:  # what PeopleApi reads from the core
        def __init__(self) -> None:
            self.store = store

    api = PeopleApi(_Core())  # type: ignore[arg-type]

    def add(r: register_sheet.PersonRow) -> None:
        p: dict[str, Any] = {
            "name": r.name,
            "unit": str(r.unit),
            "role": str(r.role),
            "id_number": r.id_number,
            "phone": r.phone,
            "card": r.card,
            "pin": r.pin,
            "create_unit": True,
            "lives_alone": r.lives_alone,
            "birth_year": r.birth_year,
        }
        if r.role.value == "tenant":
            with store.transaction():
                store.add_unit(str(r.unit))
                pid = rental.register_tenant(
                    store,
                    {
                        **p,
                        "lease_start": r.lease_start.isoformat() if r.lease_start else None,
                        "lease_end": r.lease_end.isoformat() if r.lease_end else None,
                        "origin": r.origin,
                        "layer": r.layer,
                        "by": "bench",
                    },
                )["id"]
                if r.card:
                    store.add_card(pid, r.card)
                if r.pin:
                    store.set_pin(pid, r.pin)
        else:
            api.person_add(p)

    return add


def _cells(r: dict[str, Any]) -> str:
    return f"{r['rows_per_s']:,} | {r['seconds']} s | {r['door_longest_wait_s']} s"


TURNS = ("without_1", "with_1", "with_2", "without_2", "without_3", "with_3")
TURN_HEAD = (
    "| import | total s | store check + write s | lock held s | rows/s | tenants' dates kept"
    " | load (1 min) before → after |\n|---|---|---|---|---|---|---|"
)


def _turn_rows(runs: dict[str, dict[str, Any]]) -> str:
    rows = []
    for name, r in runs.items():
        if name == "import":
            continue
        cells = (r["seconds"], r["store_s"], r["write_lock_held_s"], r["rows_per_s"])
        label = name.replace("_", " ").replace("with ", "with the triggers, ")
        label = label.replace("without", "without them,")
        rows.append(
            f"| {label} | " + " | ".join(str(c) for c in cells)
            + f" | {r['visit_due_rows']:,} | {_load(r)} |"
        )  # fmt: skip
    return "\n".join(rows)


def _load(r: dict[str, Any]) -> str:
    return f"{r['load_before'][0]} → {r['load_after'][0]}"


def _door_cells(r: dict[str, Any]) -> str:
    cells = (r["n"], r["p50_ms"], r["p99_ms"], r["max_ms"], r["lost"], r["reasons"])
    return " | ".join(str(c) for c in cells)


def main() -> None:
    p = plan()
    loads = {"start": load()}
    with tempfile.TemporaryDirectory(prefix="bench-import-") as d:
        tmp = Path(d)
        sheet = tmp / "people.csv"
        sheet.write_bytes(people_csv(p).encode("gbk"))
        doors = doors_csv(p)
        runs: dict[str, dict[str, Any]] = {}
        # The import as a manager runs it (the table's figures), then the triggers' cost in
        # turns, each import into a fresh database, the order swapped each time (without, with,
        # with, without, ...) so that a drift of the machine favours neither.
        for name in ("import", *TURNS):
            imp = fresh(tmp, name, doors)
            dropped = without_visit_due(imp) if name.startswith("without") else 0
            before = load()
            runs[name] = {**run_import(imp, sheet), "load_before": before, "load_after": load()}
            runs[name].update(due_dates(imp), visit_due_triggers_dropped=dropped)
            assert imp.verify_log().ok
            imp.close()
        imported = runs["import"]
        loads["baseline_start"] = load()
        base = fresh(tmp, "baseline", doors)
        baseline = run_baseline(base, sheet)
        base.close()
        loads["doors_start"] = load()
        (tmp / "doors").mkdir()
        at_doors = import_doors.run(tmp / "doors", people_csv(p), doors)
        loads["end"] = load()
    ratio = round(imported["rows_per_s"] / baseline["rows_per_s"], 1)
    turns = {k: [runs[f"{k}_{i}"] for i in (1, 2, 3)] for k in ("with", "without")}
    median = {
        k: {f: statistics.median(r[f] for r in rs) for f in ("seconds", "write_lock_held_s")}
        for k, rs in turns.items()
    }
    w, wo = median["with"], median["without"]
    hold_ratio = round(w["write_lock_held_s"] / wo["write_lock_held_s"], 2)
    time_ratio = round(w["seconds"] / wo["seconds"], 2)
    figures = {
        "import": imported,
        "baseline_person_add": baseline,
        "speedup": ratio,
        "visit_due_triggers": {
            "turns": {k: v for k, v in runs.items() if k != "import"},
            "median": median,
            "hold_with_over_without": hold_ratio,
            "time_with_over_without": time_ratio,
        },
        "load": loads,
    }
    figures["doors_during_import"] = at_doors
    idle, during = at_doors["idle"], at_doors["during_import"]
    la = " / ".join(f"{k.replace('_', ' ')} {v[0]}" for k, v in loads.items())
    md = f"""# `compound import people`: 25,000 rows

The sample compound's register (`compound sample --size xian`, seed 1: {imported["rows"]:,}
people, {imported["events"]:,} events with the units, cards, PINs and tenant records), saved as
Chinese Excel saves CSV (GBK, Chinese header), into a fresh database with the 156 doors and the
schema as it is now (the visit_due triggers of migration 270 keep each tenant's next visit date:
{imported["visit_due_rows"]:,} dates for {imported["tenants"]:,} tenants after the import). One
run, with `nice`, on the shared 2-core machine; the baseline is the same rows through the core's
`person.add` handler (the path the manager console's import takes), one transaction per row.
Load average (1 min) during the run: {la}.

| | rows/s | total | door's longest wait for the log |
|---|---|---|---|
| `compound import people` (one transaction) | {_cells(imported)} |
| baseline: `person.add` per row | {_cells(baseline)} |

**{ratio}x** the rows per second of the per-row path. Probe appends that gave up after the
5 s busy timeout (a door would have answered "system busy"): {imported["door_busy"]} during
the import, {baseline.get("door_busy", 0)} during the per-row path.

Where the import's time goes: reading, decoding and checking every row (pinyin initials for the
search, dates, ID numbers, in-sheet duplicates) {imported["read_and_check_s"]} s, without any
lock; checking against the store (read connection, no lock) and writing {imported["store_s"]} s,
of which the one write transaction holds the database's write lock for
{imported["write_lock_held_s"]} s. That is the door's cost: a decision that wants to log while the
import commits waits for it ("door's longest wait", measured by a second connection appending an
event every 20 ms as a decision does). All-or-nothing in one SQLite transaction means one such
wait per import; the per-row path waits less each time but keeps the log busy for minutes.

## What the visit_due triggers cost the import

The same import, each into a fresh database, in turns after the one above: with the visit_due
triggers dropped ({turns["without"][0]["visit_due_triggers_dropped"]} triggers, no dates kept)
and with them, three times each, the order swapped from pair to pair.

{TURN_HEAD}
{_turn_rows(runs)}

Medians, with / without the triggers: total {w["seconds"]} / {wo["seconds"]} s (**{time_ratio}**),
write lock held {w["write_lock_held_s"]} / {wo["write_lock_held_s"]} s (**{hold_ratio}**).

## The doors while an import runs (`bench/import_doors.py`)

The real `compound core` process on Mosquitto, the 156 doors and the first
{at_doors["warm_rows"]:,} residents; a reader swipes cards that open doors (one every ~20 ms,
waiting for each result), first with nothing else running, then while the other
{at_doors["imported_rows"]:,} rows are imported by a second writer (its own connection, as
`compound import` has; {at_doors["import_s"]} s in all), until the import returns.

| card -> result | n | p50 ms | p99 ms | max ms | lost | replies |
|---|---|---|---|---|---|---|
| no import (baseline) | {_door_cells(idle)} |
| during the import | {_door_cells(during)} |

p99 during the import / p99 without: **{at_doors["p99_ratio"]}**. The import's one transaction
held the write lock for **{at_doors["write_lock_held_s"]} s** (the doors' busy timeout is 5 s);
{at_doors["journaled"]} decisions were answered from the decision journal while it did.
"""
    write_generated("import", figures, md)


if __name__ == "__main__":
    main()
