"""Small helpers shared by the benchmarks: percentiles, markdown table rows and writing the
results files."""

from __future__ import annotations

import json
import platform
import statistics
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (0-100) by nearest rank."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * (len(s) - 1))))
    return s[k]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    ms = [x * 1000 for x in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 4),
        "p99_ms": round(pct(ms, 99), 4),
        "max_ms": round(max(ms), 4),
    }


def row(label: str, s: dict[str, float]) -> str:
    """One markdown table row: label | n | p50 | p99."""
    return f"| {label} | {s['n']} | {s['p50_ms']} | {s['p99_ms']} |"


def table_rows(rows: Mapping[str, Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Markdown table rows: each row's name, then its values under ``columns``."""
    return "\n".join(
        f"| {name} | " + " | ".join(str(v[c]) for c in columns) + " |" for name, v in rows.items()
    )


def column_totals(rows: Mapping[str, Mapping[str, Any]], columns: Sequence[str]) -> dict[str, Any]:
    """The sum of each of ``columns`` over the rows (a table's total row)."""
    return {c: sum(v[c] for v in rows.values()) for c in columns}


def _meta() -> dict[str, str]:
    return {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, 2 shared cores",
    }


def _measured(markdown: str, meta: Mapping[str, str]) -> str:
    return (
        markdown.strip() + f"\n\n_Measured {meta['when']}, "
        f"Python {meta['python']}, {meta['machine']}._\n"
    )


def write(name: str, figures: dict[str, Any], markdown: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    meta = _meta()
    (RESULTS / f"{name}.json").write_text(
        json.dumps({"meta": meta, **figures}, indent=2, ensure_ascii=False) + "\n"
    )
    (RESULTS / f"{name}.md").write_text(_measured(markdown, meta))
    print(markdown)


GENERATED_START = "<!-- written by the bench from here to the end mark; the rest is kept -->"
GENERATED_END = "<!-- end of what the bench writes -->"


def write_generated(name: str, figures: dict[str, Any], markdown: str) -> None:
    """Like ``write``, but a results file that also holds text written by hand keeps it: only
    what lies between ``GENERATED_START`` and ``GENERATED_END`` is replaced. A file without
    the marks gets them at its top, with what it held kept below."""
    RESULTS.mkdir(exist_ok=True)
    meta = _meta()
    (RESULTS / f"{name}.json").write_text(
        json.dumps({"meta": meta, **figures}, indent=2, ensure_ascii=False) + "\n"
    )
    path = RESULTS / f"{name}.md"
    block = f"{GENERATED_START}\n{_measured(markdown, meta)}{GENERATED_END}"
    old = path.read_text() if path.exists() else ""
    start, end = old.find(GENERATED_START), old.find(GENERATED_END)
    if 0 <= start < end:
        new = old[:start] + block + old[end + len(GENERATED_END) :]
    else:
        new = block + "\n" + ("\n" + old if old.strip() else "")
    path.write_text(new)
    print(markdown)


def report(name: str, figures: dict[str, Any], markdown: str, scratch: bool) -> None:
    """A bench's ending: with ``scratch`` the figures and the table are only printed; otherwise
    written to bench/results/<name>.md and .json (and the figures printed as one line)."""
    if scratch:
        print(json.dumps(figures, indent=1))
        print(markdown)
    else:
        write(name, figures, markdown)
        print(json.dumps(figures))
