"""The core's lists at the Xi'an size, whole (as they were served before they were paged) and
one page (as they are served now): time per reply and reply size.

The compound is the ``xian`` sample (156 doors, 5,520 units), with an indoor station added
in every unit and 2,000 events appended so the event lists are full. Each reply is worked out
in-process the way the API serves it (no bus: the time is the core's, the bytes are what
crosses the bus), median of 20 calls after one warm-up. The "whole" column re-runs the code
the methods had before (``store.doors()`` with each door's state; ``store.stations()``;
1,000 events); the ratio is page / whole, measured in the same run.

    flock /work/helpers/bench.lock nice -n 10 .venv/bin/python -m bench.bench_core_lists
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import write  # noqa: E402
from compound.app.wiring import core_features  # noqa: E402
from compound.config import Config  # noqa: E402
from compound.domain.clock import SystemClock  # noqa: E402
from compound.protocol.topics import Topics  # noqa: E402
from compound.services.core import Core  # noqa: E402
from compound.store.db import Store  # noqa: E402
from devkit.sample import sample  # noqa: E402

CALLS = 20


class QuietBus:
    """The features' subscriptions and publishes go nowhere: only the API methods are timed."""

    def __init__(self) -> None:
        self.topics = Topics("bench")
        self.on_connect_hooks: list[Any] = []
        self.connected = False

    def __getattr__(self, name: str) -> Any:
        return lambda *a, **k: None


def timed(fn: Callable[[], Any]) -> tuple[float, int]:
    """Median milliseconds of ``CALLS`` calls after a warm-up, and the reply's JSON bytes."""
    reply = fn()
    times = []
    for _ in range(CALLS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, len(json.dumps(reply, ensure_ascii=False).encode())


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-lists-"))
    store = Store(tmp / "c.db", SystemClock(), tmp / "keys")
    t0 = time.perf_counter()
    counts = sample(store, "xian")
    built_s = time.perf_counter() - t0
    at = store.clock.now()
    with store.transaction() as c:  # an indoor station in every unit, as a real compound has
        c.execute(
            "INSERT OR IGNORE INTO intercom_stations (station, ring_group, added_at)"
            " SELECT 'st-' || address, address, ? FROM units",
            (at,),
        )
    store.append_events(
        (at, "access.granted", "b1-e1", 1, {"kind": "card", "reason": "granted"})
        for _ in range(2000)
    )
    core = Core(store, QuietBus(), store.clock, Config(), features=core_features)  # type: ignore[arg-type]
    core.start()
    api = core.api

    def old_doors() -> list[dict[str, Any]]:
        return [
            {**d.as_dict(), "state": core.door_states.get(d.id, {}).get("state", "unknown")}
            for d in store.doors()
        ]

    def old_events() -> list[dict[str, Any]]:
        return [e.as_dict() for e in store.events(limit=1000, newest_first=True)]

    pairs: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        ("door.list (wall, 156 doors)", old_doors, lambda: api["door.list"]({})),
        ("door panel's own door", old_doors, lambda: api["door.show"]({"door": "b12-e1"})),
        ("console schedule page (8 doors)", old_doors, lambda: api["door.list"]({"size": 8})),
        ("station.list", store.stations, lambda: api["station.list"]({})),
        (
            "events.recent (1,000 → 200)",
            old_events,
            lambda: api["events.recent"]({"limit": 200, "newest_first": True}),
        ),  # noqa: E501
    ]
    rows, figures = [], {}
    for label, whole, page in pairs:
        w_ms, w_b = timed(whole)
        p_ms, p_b = timed(page)
        figures[label] = {
            "whole_ms": round(w_ms, 3),
            "whole_bytes": w_b,
            "page_ms": round(p_ms, 3),
            "page_bytes": p_b,
            "time_ratio": round(p_ms / w_ms, 3),
            "bytes_ratio": round(p_b / w_b, 3),
        }
        rows.append(
            f"| {label} | {w_ms:.2f} | {w_b:,} | {p_ms:.2f} | {p_b:,} | {p_ms / w_ms:.2f}"
            f" | {p_b / w_b:.3f} |"
        )
    core.stop()
    store.close()
    load = os.getloadavg()
    md = "\n".join(
        [
            "# The core's lists: whole vs one page (xian sample)",
            "",
            f"Xi'an sample: {counts['doors']} doors, {counts['units']} units (a station in"
            f" each), built in {built_s:.0f} s; 2,000 events appended. Median of {CALLS}"
            " in-process calls after a warm-up; bytes are the reply as JSON."
            " Ratio = page / whole, same run."
            f" Load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}.",
            "",
            "| list | whole ms | whole bytes | page ms | page bytes | time ratio | bytes ratio |",
            "|---|---|---|---|---|---|---|",
            *rows,
        ]
    )
    write(
        "core_lists",
        {
            "counts": {k: v for k, v in counts.items() if k != "sample_cards"},
            "load": load,
            "lists": figures,
        },
        md,
    )


if __name__ == "__main__":
    main()
