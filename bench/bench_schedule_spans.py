"""What several spans a day cost the access decision: a visitor's card at a door whose schedule
has one span, against the same card at a door whose schedule has the most a manager can write
for a gate (two sets of days with four spans each, two of them past midnight, and four holiday
spans), measured in turns in the same run. Both the whole decision as the core makes it
(``store.facts`` + ``decide``: the store read and the pure decision) and the schedule's own
check (``Schedule.allows``) alone.

    flock /work/helpers/bench.lock nice -n 10 .venv/bin/python -m bench.bench_schedule_spans
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bench.common import row, summary_ms, write
from compound.domain.access import Reason, decide
from compound.domain.clock import ManualClock
from compound.domain.schedule_hours import from_params
from compound.domain.schedules import hours
from compound.store.db import Store

GATE = {
    "hours": [
        {
            "days": "mon-fri",
            "spans": ["05:00-06:00", "06:30-09:00", "11:00-13:00", "16:30-01:00"],
        },
        {"days": "sat-sun", "spans": ["07:00-08:00", "09:00-11:00", "14:00-17:00", "20:00-02:00"]},
    ],
    "holidays": ["08:00-09:00", "10:00-11:00", "12:00-13:00", "14:00-15:00"],
}


def timed(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4000, help="decisions per kind of schedule")
    n = ap.parse_args().n
    # A Wednesday evening in the last span of the gate: every window is looked at before it.
    when = datetime(2026, 11, 18, 23, 30).timestamp()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "c.db", ManualClock(when), Path(tmp) / "keys")
        store.add_unit("3-2-1501", occupants=2)
        store.add_schedule("one", *hours("mon-sun", "00:00", "24:00", "open"))
        store.add_schedule_hours("gate", from_params(GATE))
        store.add_door("d-one", "one", ["3"], schedule="one")
        store.add_door("d-gate", "gate", ["3"], schedule="gate")
        for day in range(1, 31):  # a year's holiday list
            store.add_holiday(f"2026-10-{day:02d}", "holiday")
        pid = store.add_person("访客", "3-2-1501", "visitor")
        store.add_card(pid, "7001")
        tz = store.tz

        def decision(door: str) -> Callable[[], object]:
            def run() -> object:
                d = decide(store.facts(door, "card", "7001"), when, tz)
                assert d.reason is Reason.GRANTED, d.reason
                return d

            return run

        schedules = store.schedules()
        one = next(s for s in schedules.values() if s.name == "one")
        gate = next(s for s in schedules.values() if s.name == "gate")
        minute = 23 * 60 + 30
        runs: dict[str, list[float]] = {"one": [], "gate": [], "allows_one": [], "allows_gate": []}
        for _ in range(20):  # in turns, so a slow moment of the machine falls on both
            runs["one"] += timed(decision("d-one"), n // 20)
            runs["gate"] += timed(decision("d-gate"), n // 20)
            runs["allows_one"] += timed(lambda: one.allows(2, minute, False), n // 20)
            runs["allows_gate"] += timed(lambda: gate.allows(2, minute, False), n // 20)
        store.close()
    figures = {k: summary_ms(v) for k, v in runs.items()}
    ratio = statistics.median(runs["gate"]) / statistics.median(runs["one"])
    allows_ratio = statistics.median(runs["allows_gate"]) / statistics.median(runs["allows_one"])
    load = os.getloadavg()[0]
    figures["ratio_decision"] = round(ratio, 3)
    figures["ratio_allows"] = round(allows_ratio, 3)
    figures["windows"] = {"one": len(one.windows), "gate": len(gate.windows)}
    figures["load_avg_1m"] = round(load, 2)
    f = figures
    table = "\n".join(
        row(label, f[key])
        for label, key in (
            ("decision (store.facts + decide), one span", "one"),
            ("decision (store.facts + decide), 8 spans + 4 holiday spans", "gate"),
            ("Schedule.allows, one span", "allows_one"),
            ("Schedule.allows, 8 spans", "allows_gate"),
        )
    )
    md = f"""# Several spans a day: the cost to an access decision

A visitor's card at a door whose schedule has one span (1 window) and at a door whose schedule
has two sets of four spans, two past midnight, and four holiday spans ({f["windows"]["gate"]}
windows), in turns in the same run; a Wednesday 23:30, in the gate's last span. One-minute load
average {f["load_avg_1m"]} when it ended.

| what | n | p50 ms | p99 ms |
|---|---|---|---|
{table}

Median ratio, 8 spans against one: the whole decision {f["ratio_decision"]}, the schedule's
check alone {f["ratio_allows"]}. The decision reads the schedules' windows only (the written
form beside them is not read), as before.
"""
    write("schedule_spans", figures, md)


if __name__ == "__main__":
    main()
