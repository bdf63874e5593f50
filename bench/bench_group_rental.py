"""The group-rental check (群租) on a week of history, before and after keeping the entrants.

On `compound sample --size xian --days 7` (about 350,000 passages in the window), times:

- baseline: the former check, which read the week's distinct entrants from the log at every
  check (the query is kept here as it was);
- first check: ``RecentEntrants`` reading the week once (the first check after a start);
- a later check: after a quarter hour of new passages (about 520, the rate of 50,000 a day),
  what every check after the first costs.

Median of 5 of each (the later check: 5 rounds of new passages, each checked once).

    nice -n 10 .venv/bin/python bench/bench_group_rental.py [--db PATH]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import write  # noqa: E402
from compound.domain.clock import ManualClock  # noqa: E402
from compound.services.entrants import RecentEntrants  # noqa: E402
from compound.store.db import Store  # noqa: E402

WEEK = 7 * 86400.0
BASELINE = (  # the check as it was: the week's distinct entrants read from the log each time
    "WITH entrants AS (SELECT DISTINCT person_id FROM events"
    "   WHERE type = 'access.granted' AND at > ? AND person_id IS NOT NULL)"
    " SELECT u.address, u.registered_occupants AS reg,"
    " (SELECT COUNT(*) FROM households h2"
    "   JOIN people p2 INDEXED BY people_household ON p2.household_id = h2.id"
    "   WHERE h2.unit_id = u.id AND p2.moved_out_at IS NULL"
    "   AND p2.role != 'visitor') AS residents,"
    " COUNT(*) AS n"
    " FROM entrants w JOIN people p ON p.id = w.person_id"
    " JOIN households h ON h.id = p.household_id JOIN units u ON u.id = h.unit_id"
    " GROUP BY u.id"
)


def ms(f: Any) -> float:
    t = time.perf_counter()
    f()
    return (time.perf_counter() - t) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", help="a database made by `compound sample --size xian --days 7`")
    args = ap.parse_args()
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="bench-group-") as d:
        db = Path(args.db) if args.db else Path(d) / "week.db"
        if not args.db:
            subprocess.run(
                [sys.executable, "-m", "compound.app.cli", "--db", str(db), "sample",
                 "--size", "xian", "--days", "7"],
                check=True, cwd=root, capture_output=True,
            )  # fmt: skip
        head = Store(db, ManualClock())
        now = float(head.read("SELECT MAX(at) AS t FROM events")[0]["t"]) + 1
        head.close()
        clock = ManualClock(t=now)
        store = Store(db, clock)
        try:
            figures = measure(store, clock)
        finally:
            store.close()
    b, first, later = figures["baseline_ms"], figures["first_ms"], figures["later_ms"]
    md = f"""# The group-rental check on a week of history

`compound sample --size xian --days 7`: {figures["passages_in_window"]:,} passages in the
week's window, {figures["entrants"]:,} distinct entrants. Median of 5, with `nice`, on the shared
2-core machine (load average {figures["load"]} at the end).

| check | ms |
|---|---|
| baseline: the week's entrants read from the log at every check | {b} |
| `RecentEntrants`, the first check after a start (reads the week once) | {first} |
| `RecentEntrants`, every later check (a quarter hour of new passages) | {later} |

A later check is **{round(b / later, 1)}x** faster than reading the week again, and its cost does
not grow with the history: it reads the log since the last check by sequence number, then the
entrants' units by primary key, and looks further only at units with at least
`group_rental_min_extra` entrants (only those can fire). Units flagged: {figures["units_flagged"]}
by both (the same units).
"""
    write("group_rental", figures, md)


def measure(store: Store, clock: ManualClock) -> dict[str, Any]:
    since = clock.now() - WEEK
    baseline = [ms(lambda: store.read(BASELINE, (since,))) for _ in range(5)]
    firsts = []
    for _ in range(5):
        fresh = RecentEntrants(store)
        firsts.append(ms(lambda fresh=fresh: fresh.units(since, 3)))
    entrants = RecentEntrants(store)
    entrants.units(since, 3)
    people = [r["id"] for r in store.read("SELECT id FROM people WHERE moved_out_at IS NULL")]
    rng = random.Random(7)  # noqa: S311 - sample passages
    later = []
    for _ in range(5):
        clock.advance(900)
        with store.transaction():
            for _ in range(520):
                store.append_event(
                    "access.granted", door_id="gate-south", person_id=rng.choice(people), data={}
                )
        since = clock.now() - WEEK
        later.append(ms(lambda since=since: entrants.units(since, 3)))
    flagged_new = {u.unit for u in entrants.units(since, 3) if u.distinct_entrants >= 3}
    rows = store.read(BASELINE, (since,))
    flagged_old = {r["address"] for r in rows if r["n"] >= 3}
    assert flagged_new == flagged_old, "the kept entrants differ from the week read again"
    import os

    return {
        "baseline_ms": round(statistics.median(baseline), 1),
        "first_ms": round(statistics.median(firsts), 1),
        "later_ms": round(statistics.median(later), 1),
        "passages_in_window": store.read(
            "SELECT COUNT(*) AS n FROM events WHERE type = 'access.granted' AND at > ?", (since,)
        )[0]["n"],
        "entrants": len(entrants._latest),
        "units_flagged": len(flagged_new),
        "load": round(os.getloadavg()[0], 2),
    }


if __name__ == "__main__":
    main()
