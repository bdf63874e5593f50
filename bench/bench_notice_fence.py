"""What one change of the notices costs across every door panel, at the Xi'an size: the
retained topic carrying every notice showing now to each panel (before), against the retained
"changed" word and each panel then asking for its own door's notices (now).

The compound: 62 buildings with 2 or 3 entrances and a gate, 156 doors, a door panel
registered at each (the core answers a panel for its own door: the lookup is in the time), and
a year of notices as bench_core_lists posts them (1,000, one about every 7 hours, each for 30
days: about 100 showing now; four in five for one or two buildings, the rest for the whole
compound). Per change, in-process as the core serves it (no bus: the time is the core's; the
bytes are what crosses the bus, as JSON):

- before: the retained payload worked out once (the notices showing now, each with its
  buildings, as ``panel_payload`` made it), sent to all 156 panels;
- now: the retained word (``notices.fence``) sent to all 156, and ``notice.list`` {door,
  active} asked by each panel for its door, one after another (the core's API thread serves
  them in turn), its reply sent to that panel only.

Medians of ``ROUNDS`` rounds after a warm-up; ratio = now / before, same run.

Then the herd (``bench.notice_herd``): the word to every panel at the same instant, the panels'
real view models asking the core's real API worker and handler, each panel at once (as before
the spread) and each at a random point of ``SPREAD_S`` (as now); the peak depth of the core's
request queue, the questions it shed, and when the last panel had its list. For 156 panels, and
for three a door (468: a compound with panels on both sides of its gates and a second one in
each lobby, past the queue's 200). ``HERD_ROUNDS`` seeds each, the same seeds for both ways;
medians, and the worst round's peak and shed.

    flock /work/helpers/bench.lock nice -n 10 .venv/bin/python -m bench.bench_notice_fence \
        [--scratch]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_core_lists import post_year_of_notices  # noqa: E402
from bench.common import report  # noqa: E402
from bench.notice_herd import Herd, run  # noqa: E402
from compound.domain.clock import SystemClock  # noqa: E402
from compound.ports import ACTOR  # noqa: E402
from compound.services import notices  # noqa: E402
from compound.store.db import Store  # noqa: E402
from ui.viewmodels.door_notices import SPREAD_S  # noqa: E402

BUILDINGS = 62
ROUNDS = 15
HERD_ROUNDS = 5
PANELS_A_DOOR = 3  # the larger herd


def json_bytes(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode())


def compound(store: Store) -> list[str]:
    """The doors, each with a door panel registered at it; the ids."""
    doors = ["gate"]
    store.add_door("gate", "Main gate", ["*"])
    for b in range(1, BUILDINGS + 1):
        for e in range(1, 3 + b % 2):
            store.add_unit(f"{b}-{e}-101")
            store.add_door(f"b{b}-e{e}", f"Building {b} entrance {e}", [f"{b}-{e}"])
            doors.append(f"b{b}-e{e}")
    at = store.clock.now()
    with store.transaction() as c:
        c.executemany(
            "INSERT INTO devices (name, role, doors, created_at) VALUES (?, 'panel', ?, ?)",
            [(f"panel-{d}", json.dumps([d]), at) for d in doors]
            + [
                (f"panel-{d}-{k}", json.dumps([d]), at)
                for d in doors
                for k in range(2, PANELS_A_DOOR + 1)
            ],
        )
        post_year_of_notices(c, at)
    return doors


def old_payload(store: Store, now: float) -> dict[str, Any]:
    """The retained payload as it was: every notice showing now, with its buildings."""
    keep = ("id", "text", "valid_from", "valid_until", "buildings")
    rows = notices.listing(store, now, active_only=True)
    return {"notices": [{k: r[k] for k in keep} for r in rows]}


def herds(store: Store, doors: list[str]) -> dict[str, dict[str, Any]]:
    """The word to every panel at once: asking at once against spread, both sizes."""

    def method(p: dict[str, Any]) -> Any:
        return notices.asked(store, store.clock.now(), p)

    one = [(f"panel-{d}", d) for d in doors]
    more = one + [(f"panel-{d}-{k}", d) for d in doors for k in range(2, PANELS_A_DOOR + 1)]
    out: dict[str, dict[str, Any]] = {}
    for users in (one, more):
        for spread in (0.0, SPREAD_S):
            runs: list[Herd] = []
            for seed in range(HERD_ROUNDS):
                runs.append(run(users, method, spread, seed))
            key = f"{len(users)} {'spread' if spread else 'at once'}"
            out[key] = {
                "panels": len(users),
                "spread_s": spread,
                "peak_depth_median": statistics.median(h.peak_depth for h in runs),
                "peak_depth_max": max(h.peak_depth for h in runs),
                "shed_median": statistics.median(h.shed for h in runs),
                "shed_max": max(h.shed for h in runs),
                "questions_median": statistics.median(h.questions for h in runs),
                "last_list_s_median": round(statistics.median(h.last_list_s for h in runs), 3),
                "last_list_s_max": round(max(h.last_list_s for h in runs), 3),
                "median_list_s": round(statistics.median(h.median_list_s for h in runs), 3),
            }
    return out


def herd_rows(herd: dict[str, dict[str, Any]]) -> str:
    rows = []
    for h in herd.values():
        asking = f"within {h['spread_s']:g} s" if h["spread_s"] else "at once"
        rows.append(
            f"| {h['panels']} | {asking} | {h['peak_depth_median']:g} ({h['peak_depth_max']})"
            f" | {h['shed_median']:g} ({h['shed_max']}) | {h['questions_median']:g}"
            f" | {h['median_list_s']:.2f} | {h['last_list_s_median']:.2f}"
            f" ({h['last_list_s_max']:.2f}) |"
        )
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scratch", action="store_true", help="print only, write no results")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-fence-"))
    store = Store(tmp / "c.db", SystemClock(), tmp / "keys")
    doors = compound(store)
    now = store.clock.now()
    panels = len(doors)

    def before() -> int:
        return json_bytes(old_payload(store, now)) * panels

    def after() -> tuple[int, list[int]]:
        fence = json_bytes(notices.fence(store, now)) * panels
        replies = []
        for d in doors:
            asked = {"door": d, "active": True, ACTOR: f"panel-{d}"}
            replies.append(json_bytes(notices.asked(store, now, asked)))
        return fence, replies

    old_bytes, (fence_bytes, replies) = before(), after()  # warm-up, and the bytes
    old_times, new_times = [], []
    for _ in range(ROUNDS):  # in turns, so the machine's load falls on both alike
        t0 = time.perf_counter()
        before()
        old_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        after()
        new_times.append(time.perf_counter() - t0)
    old_ms, new_ms = statistics.median(old_times) * 1000, statistics.median(new_times) * 1000
    new_bytes = fence_bytes + sum(replies)
    showing = len(old_payload(store, now)["notices"])
    per_door = [len(notices.asked(store, now, {"door": d, "active": True})) for d in doors]
    herd = herds(store, doors)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    figures = {
        "doors": panels,
        "notices": 1000,
        "showing_now": showing,
        "per_door_median": statistics.median(per_door),
        "per_door_max": max(per_door),
        "before": {"core_ms": round(old_ms, 2), "bytes": old_bytes},
        "now": {
            "core_ms": round(new_ms, 2),
            "bytes": new_bytes,
            "fence_bytes": fence_bytes,
            "reply_bytes_median": statistics.median(replies),
        },
        "ratio": {"core_ms": round(new_ms / old_ms, 2), "bytes": round(new_bytes / old_bytes, 3)},
        "herd": herd,
        "load": load,
    }
    md = f"""# One change of the notices across every door panel

{panels} doors with a panel each, 1,000 notices over a year, {showing} showing now; each
door's own showing now: median {statistics.median(per_door):g}, at most {max(per_door)} (the
gate). Per change, in process as the core serves it; median of {ROUNDS} rounds after a
warm-up, the two in turns. Load average at the end: {load}.

| per change | core ms | bytes to the panels |
|---|---|---|
| before: every notice showing now, retained, to each panel | {old_ms:.2f} | {old_bytes:,} |
| now: the "changed" word to each, then each panel's own list | {new_ms:.2f} | {new_bytes:,} |
| ratio now / before | {new_ms / old_ms:.2f} | {new_bytes / old_bytes:.3f} |

Before, the core worked the payload out once and the broker copied it to every panel. Now the
core answers {panels} questions in turn (its API queue holds 200: at this size they all fit;
a question shed is asked again after the panel's backoff, 2 s at first), about
{new_ms / panels:.2f} ms each, so the core's time per change grows while the bytes shrink,
and no panel is handed other buildings' notices or who posted them. The word itself is
{fence_bytes // panels} bytes a panel.

## The word to every panel at once

Each panel's real view model, ticked once a second at its own phase, asking the core's real
API worker (its queue of 200, one thread) and handler on the store above; a question shed on a
full queue is heard of after the panel's 5 s wait and asked again after its backoff (2 s, 4 s,
... up to 30 s, shortened at random by up to half). {HERD_ROUNDS} seeds each, the same for both
ways; median (worst).

| panels | asking | peak queue depth | shed | questions | median panel listed, s | last, s |
|---|---|---|---|---|---|---|
{herd_rows(herd)}

Spread over the window, the core holds a question or two at a time instead of the whole herd,
at the price of the last panel showing the new notices a few seconds later (the window and the
tick after it); residents meanwhile see the notices shown before. Past the queue's size, asking
at once sheds questions, and those panels wait out a timeout and a backoff (with the 30 s retry
the panels had before the backoff, the shed ones would have waited 35 s). The core's own time
per question is the same both ways: spreading does not make the work smaller, it keeps the queue
short, so a door panel's or a console's other question is not stuck behind 156 notice lists.
"""
    report("notice_fence", figures, md, args.scratch)
    store.close()


if __name__ == "__main__":
    main()
