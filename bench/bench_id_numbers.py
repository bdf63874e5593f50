"""ID numbers sealed at rest, at the compound's size: what sealing costs.

Three figures, each against a baseline measured in the same run:

1. Converting an older database (migration 160) of 25,000 people with ID numbers in clear:
   the store's open with the conversion, against the same open of a database already converted
   (the baseline: everything but the sealing).
2. Registering a person (``Store.add_person``) with an ID number (keyed hash for the duplicate
   check, seal, masked form) against one without: median of 300 each.
3. The people search by the end of an ID number (the masked tail's index, then the candidates
   opened) against the search by the end of a phone number (a plain expression index): median
   of 50 each, through ``people_page`` as the consoles call it.

Run: ``nice -n 10 .venv/bin/python bench/bench_id_numbers.py``; results in
``bench/results/id_numbers.md`` and ``.json``.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import write  # noqa: E402
from compound.domain.clock import SystemClock  # noqa: E402
from compound.services.people_api import people_page  # noqa: E402
from compound.store import migrations  # noqa: E402
from compound.store.db import Store  # noqa: E402

N = 25_000
CONVERT = (
    "opening an older database (migration 160 converts every row in one transaction)"
    " vs opening it again, converted"
)
ADD = (
    "`add_person` with an ID number (hash, duplicate check, seal, mask) vs without,"
    " 300 each, interleaved, median"
)
SEARCH = (
    "people search by the last 6 of an ID number (masked tail's index, candidates opened)"
    " vs by the last 4 of a phone (plain index), median of 50"
)


def number(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789") for _ in range(17)) + rng.choice("0123456789X")


def old_database(path: Path, rng: random.Random) -> list[tuple[str, str]]:
    """A database as the box wrote it before migration 160, with N people in clear."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE migrations (number INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
    conn.execute("BEGIN")
    for m in migrations.MIGRATIONS:
        if m.number < 160:
            m.step(conn)
            conn.execute("INSERT INTO migrations (number, name) VALUES (?, ?)", (m.number, m.name))
    conn.execute("INSERT INTO buildings (number) VALUES (1)")
    conn.execute("INSERT INTO entrances VALUES (1, 1)")
    conn.executemany(
        "INSERT INTO units (address, building, entrance, room) VALUES (?, 1, 1, ?)",
        [(f"1-1-{r}", str(r)) for r in range(101, 5601)],
    )
    conn.execute("INSERT INTO households (unit_id, created_at) SELECT id, 0 FROM units")
    people = [(f"居民{i}", number(rng), "138" + f"{rng.randrange(10**8):08d}") for i in range(N)]
    conn.executemany(
        "INSERT INTO people (name, household_id, role, id_number, phone, created_at, initials)"
        " VALUES (?, 1 + abs(random()) % 5500, 'owner', ?, ?, 0, 'jm')",
        people,
    )
    conn.execute("COMMIT")
    conn.close()
    return [(n, p) for _, n, p in people]


def timed_open(path: Path, keys: Path) -> float:
    t0 = time.perf_counter()
    Store(path, SystemClock(), keys).close()
    return time.perf_counter() - t0


def median_ms(fn: object, n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main() -> None:
    rng = random.Random(14)
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        people = old_database(work / "old.db", rng)
        shutil.copy(work / "old.db", work / "copy.db")
        convert_s = timed_open(work / "old.db", work / "keys")
        reopen_s = timed_open(work / "old.db", work / "keys")  # converted: the baseline
        store = Store(work / "old.db", SystemClock(), work / "keys")
        # Interleaved, each pair in a unit of its own: the machine's load and the households'
        # growth weigh on both alike.
        timed: dict[bool, list[float]] = {True: [], False: []}
        for k in range(300):
            for sealed in (k % 2 == 0, k % 2 == 1):
                unit, idn = f"1-1-{101 + k}", number(rng) if sealed else None
                t0 = time.perf_counter()
                store.add_person(f"新{k}{sealed}", unit, "family", id_number=idn)
                timed[sealed].append(time.perf_counter() - t0)
        with_id = statistics.median(timed[True]) * 1000
        without = statistics.median(timed[False]) * 1000
        someone_id, someone_phone = people[4321]
        people_page(store, {"q": someone_id[-6:]})  # warm-up: the reader connection
        id_ms = median_ms(lambda: people_page(store, {"q": someone_id[-6:], "size": 50}), 50)
        phone_ms = median_ms(lambda: people_page(store, {"q": someone_phone[-4:], "size": 50}), 50)
        found = people_page(store, {"q": someone_id[-6:]})["total"]
        store.close()
    figures = {
        "people": N,
        "convert_open_s": round(convert_s, 3),
        "baseline_open_s": round(reopen_s, 3),
        "add_person_with_id_ms": round(with_id, 3),
        "add_person_without_id_ms": round(without, 3),
        "search_id_tail6_ms": round(id_ms, 3),
        "search_phone_tail4_ms": round(phone_ms, 3),
        "id_tail_found": found,
    }
    md = f"""# ID numbers sealed at rest: what it costs

{N:,} people, one run with `nice` on the shared 2-core machine
(`bench/bench_id_numbers.py`). Each figure has its baseline from the same run.

| | sealed | baseline | ratio |
|---|---|---|---|
| {CONVERT} | {convert_s:.2f} s | {reopen_s:.3f} s | {convert_s / reopen_s:.0f}x |
| {ADD} | {with_id:.2f} ms | {without:.2f} ms | {with_id / without:.2f}x |
| {SEARCH} | {id_ms:.2f} ms | {phone_ms:.2f} ms | {id_ms / phone_ms:.2f}x |

The conversion is a one-off at the upgrade, inside one transaction (a door decision waits for
it like for any write; run the upgrade in a quiet hour). The search by an ID number's end
found {found} person(s) for 6 digits: the last 4 narrow {N:,} people to a handful through the
index, and only those few are opened.
"""
    write("id_numbers", figures, md)


if __name__ == "__main__":
    main()
