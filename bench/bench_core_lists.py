"""The core's lists at the Xi'an size, whole (as they were served before they were paged) and
one page (as they are served now): time per reply and reply size.

The compound is the ``xian`` sample (156 doors, 5,520 units), with an indoor station added
in every unit and 2,000 events appended so the event lists are full. Each reply is worked out
in-process the way the API serves it (no bus: the time is the core's, the bytes are what
crosses the bus), median of 20 calls after one warm-up. The "whole" column re-runs the code
the methods had before (``store.doors()`` with each door's state; ``store.stations()``;
1,000 events); the ratio is page / whole, measured in the same run.

The second table is the lists whose replies were already pages but whose reads were not:
"before" re-runs the code they had (every row read into Python, the page cut there), "after"
is the method as served now (the page picked, ordered and cut in SQLite). For them the sample
is dated back (registered 100 days ago, no visit recorded, none of the elderly let in since),
a year of notices is posted (1,000, each for the whole compound or one building), a tenants'
schedule is put on every tenant's card, a visitors' schedule on every door, and five years of
holidays listed. The notices are a year's: 1,000, one about every 7 hours, each for 30 days
(about 100 showing now), four in five for one or two buildings, the rest for the whole compound.

The third table is a building door's notices (``notice.list`` with ``door``): "before" re-runs
the query they had before migration 280 (the notices showing now, or all of them, each one's
``buildings`` text matched against the door's buildings), "after" is the method as served now
(the door's buildings searched in ``notice_buildings``); the replies are checked equal.

    flock /work/helpers/bench.lock nice -n 10 .venv/bin/python -m bench.bench_core_lists \
        [--sample /path/to/xian.db]

With ``--sample`` the compound is a copy of a database ``compound sample --size xian`` built
(its keys directory beside it copied too) instead of being built in the run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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
from compound.config import AlertsConfig, Config  # noqa: E402
from compound.domain.clock import SystemClock  # noqa: E402
from compound.domain.model import TimeWindow  # noqa: E402
from compound.domain.paging import MAX_SIZE, Page  # noqa: E402
from compound.domain.register_sheet import LAYER_FOR_CLASS  # noqa: E402
from compound.protocol.topics import Topics  # noqa: E402
from compound.services import notices, rental  # noqa: E402
from compound.services.community_api import Community  # noqa: E402
from compound.services.core import Core  # noqa: E402
from compound.store.db import Store  # noqa: E402
from compound.store.pages import read_page  # noqa: E402
from devkit.sample import counts as sample_counts  # noqa: E402
from devkit.sample import sample  # noqa: E402

CALLS = 20
NOTICE_CALLS = 400  # a door's notices take a fraction of a millisecond: more calls, in turns
WALL_ROWS = 8  # rows the officer wall asks for in its lists (ui/viewmodels/officer_lists.py)
PANEL_DOOR = "b12-e1"
# A year's public holidays, roughly (month, day): the same dates each year is enough here.
HOLIDAYS = [(1, 1), (2, 10), (2, 11), (2, 12), (2, 13), (2, 14), (2, 15), (2, 16), (4, 4),
            (4, 5), (4, 6), (5, 1), (5, 2), (5, 3), (5, 4), (5, 5), (6, 10), (9, 15), (9, 16),
            (9, 17), (10, 1), (10, 2), (10, 3), (10, 4), (10, 5), (10, 6), (10, 7)]  # fmt: skip


# visit.due as it was read before each tenant's date was kept (migration 270): every living
# tenant's date worked out in SQLite on each read, ordered by it, the page cut there.
_LAYER_SQL = (
    "COALESCE(layer, CASE hclass "
    + " ".join(f"WHEN '{c}' THEN '{lay}'" for c, lay in LAYER_FOR_CLASS.items())
    + " ELSE 'watch' END)"
)
_DUE_AT_SQL = (
    "COALESCE(last_visit, registered_at, created_at) + (CASE " + _LAYER_SQL + " "
    + " ".join(f"WHEN '{lay}' THEN {d}" for lay, d in rental.VISIT_INTERVAL_DAYS.items())
    + " END) * 86400"
)  # fmt: skip
_OLD_DUE_SQL = (
    "SELECT * FROM (SELECT p.id, p.name, p.household_id, p.created_at, u.address,"  # noqa: S608
    " tp.layer, tp.registered_at, hc.class AS hclass,"
    " (SELECT MAX(at) FROM visits v WHERE v.person_id = p.id"
    "    OR v.household_id = p.household_id) AS last_visit"
    " FROM people p JOIN households h ON h.id = p.household_id"
    " JOIN units u ON u.id = h.unit_id"
    " LEFT JOIN tenant_profiles tp ON tp.person_id = p.id"
    " LEFT JOIN household_classes hc ON hc.household_id = p.household_id"
    " WHERE p.role = 'tenant' AND p.moved_out_at IS NULL)"
    " WHERE " + _DUE_AT_SQL + " - ? <= ?"
)


def old_visits_page(store: Store, within_days: float, page: Page) -> dict[str, Any]:
    now = store.clock.now()
    rows, total = read_page(
        store, _OLD_DUE_SQL, (now, within_days * 86400), f"{_DUE_AT_SQL}, id", page
    )
    for r in rows:  # the date worked out again in Python for the reply, as it was
        layer = r["layer"] or LAYER_FOR_CLASS.get(r["hclass"] or "", "watch")
        base = r["last_visit"] or r["registered_at"] or r["created_at"]
        r["due_at"] = base + rental.VISIT_INTERVAL_DAYS[layer] * 86400
    return page.reply([rental._visit_due(r, now).as_dict(now) for r in rows], total)


class QuietBus:
    """The features' subscriptions and publishes go nowhere: only the API methods are timed."""

    def __init__(self) -> None:
        self.topics = Topics("bench")
        self.on_connect_hooks: list[Any] = []
        self.connected = False

    def __getattr__(self, name: str) -> Any:
        return lambda *a, **k: None


def timed(fn: Callable[[], Any], calls: int = CALLS) -> tuple[float, int]:
    """Median milliseconds of ``calls`` calls after a warm-up, and the reply's JSON bytes."""
    reply = fn()
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, len(json.dumps(reply, ensure_ascii=False).encode())


NOTICE_EVERY_S = 26_000  # 1,000 notices of 30 days: about 100 showing at any time


def notice_buildings(i: int) -> str:
    """The i-th notice's buildings: one in five for the whole compound, one in seven of the
    rest for two buildings, the others for one (of the sample's 62)."""
    if i % 5 == 0:
        return ""
    one = 1 + i % 62
    return f"{one},{1 + (one + 30) % 62}" if i % 7 == 0 else str(one)


def post_year_of_notices(c: Any, at: float) -> None:
    """1,000 notices posted every NOTICE_EVERY_S up to ``at``, each showing 30 days, most for
    one or two buildings (``notice_buildings``), through the connection ``c``."""
    c.executemany(
        "INSERT INTO notices (text, valid_from, valid_until, posted_by, posted_at,"
        " buildings) VALUES (?, ?, ?, 'office', ?, ?)",
        [
            (
                f"通知 {i}: 本周六上午九点至十一点停水，请提前储水。物业电话 029-8888 {i:04d}",
                at - (1000 - i) * NOTICE_EVERY_S,
                at - (1000 - i) * NOTICE_EVERY_S + 30 * 86400,
                at - (1000 - i) * NOTICE_EVERY_S,
                notice_buildings(i),
            )
            for i in range(1000)
        ],
    )


def old_door_notices(store: Store, door: str, active: bool, page: Page) -> list[dict[str, Any]]:
    """``notice.list`` with a door as it was before migration 280: the notices (showing now,
    by their end-time index) whose ``buildings`` text names one of the door's, or is empty."""
    now = store.clock.now()
    served = notices.door_buildings(store, door)
    where, args, table = [], [], "notices"
    if active:
        where.append("withdrawn_at IS NULL AND valid_from <= ? AND valid_until > ?")
        args += [now, now]
        table = "notices INDEXED BY notices_current"
    if served is not None:
        where.append(
            "(COALESCE(buildings, '') = '' OR EXISTS (SELECT 1 FROM json_each(?)"
            " WHERE instr(',' || buildings || ',', ',' || value || ',') > 0))"
        )
        args.append(json.dumps(sorted(served)))
    rows = store.read(
        f"SELECT * FROM {table} WHERE {' AND '.join(where)}"  # noqa: S608
        " ORDER BY valid_from DESC, id DESC LIMIT ? OFFSET ?",
        (*args, page.size, page.offset),
    )
    for r in rows:
        r["active"] = r["withdrawn_at"] is None and r["valid_from"] <= now < r["valid_until"]
        r["buildings"] = [b for b in str(r.get("buildings") or "").split(",") if b]
    return rows


def door_notices(
    store: Store, api: dict[str, Callable[[dict[str, Any]], Any]]
) -> list[tuple[str, Callable[[], Any], Callable[[], Any]]]:
    """(label, the query before migration 280, the method now) for a building door's notices;
    each pair's replies are checked equal first."""
    first = Page(1, MAX_SIZE)
    pairs: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        (
            f"door {PANEL_DOOR}: showing now",
            lambda: old_door_notices(store, PANEL_DOOR, True, first),
            lambda: api["notice.list"]({"door": PANEL_DOOR, "active": True}),
        ),
        (
            f"door {PANEL_DOOR}: all, first {MAX_SIZE}",
            lambda: old_door_notices(store, PANEL_DOOR, False, first),
            lambda: api["notice.list"]({"door": PANEL_DOOR}),
        ),
    ]
    for label, before, after in pairs:
        if before() != after():
            raise SystemExit(f"{label}: the reply changed")
    return pairs


def lived_in(store: Store, at: float) -> None:
    """The sample as a compound registered 100 days ago and used since (see the docstring)."""
    back = 100 * 86400
    with store.transaction() as c:
        c.execute("UPDATE people SET created_at = created_at - ?", (back,))
        c.execute("UPDATE tenant_profiles SET registered_at = registered_at - ?", (back,))
        post_year_of_notices(c, at)
        c.executemany(
            "INSERT OR IGNORE INTO holidays (day, name) VALUES (?, '节日')",
            [(f"{y}-{m:02d}-{d:02d}",) for y in range(2023, 2028) for m, d in HOLIDAYS],
        )
    week = [TimeWindow(frozenset(range(7)), 6 * 60, 22 * 60)]
    for name in ("tenants", "visitors", "staff", "night"):
        store.add_schedule(name, week)
    with store.transaction() as c:
        c.execute(
            "UPDATE credentials SET schedule_id = (SELECT id FROM schedules WHERE name ="
            " 'tenants') WHERE person_id IN (SELECT id FROM people WHERE role = 'tenant')"
        )
        c.execute(
            "UPDATE doors SET schedule_id = (SELECT id FROM schedules WHERE name = 'visitors')"
        )


def before_after(
    store: Store, api: dict[str, Callable[[dict[str, Any]], Any]]
) -> list[tuple[str, Callable[[], Any], Callable[[], Any]]]:
    """(label, the code the method had, the method now) for the lists read a page at a time."""
    community = Community(store, AlertsConfig())
    first = Page(1, WALL_ROWS)

    def old_elderly() -> dict[str, Any]:
        now = store.clock.now()
        rows = [
            {"person_id": w.person_id, "name": w.name, "unit": w.unit, "last_seen": w.last_seen,
             "hours_unseen": round((now - w.reference) / 3600, 1)}
            for w in community.watched()
            if now - w.reference >= 48 * 3600
        ]  # fmt: skip
        return first.cut(rows)

    def old_notices() -> list[dict[str, Any]]:
        now = store.clock.now()
        door = next(d for d in store.doors() if d.id == PANEL_DOOR)
        served = {str(s).split("-")[0] for s in door.serves}
        rows = store.read("SELECT * FROM notices ORDER BY valid_from DESC, id DESC LIMIT 500")
        out = []
        for r in rows:
            r["active"] = r["withdrawn_at"] is None and r["valid_from"] <= now < r["valid_until"]
            r["buildings"] = [b for b in str(r.get("buildings") or "").split(",") if b]
            if not r["buildings"] or served & set(r["buildings"]):
                out.append(r)
        return out[:MAX_SIZE]

    def old_current_notices() -> list[dict[str, Any]]:
        """The panel's question as SQLite planned it before notices_current (migration 261)."""
        now = store.clock.now()
        return store.read(
            "SELECT * FROM notices INDEXED BY notices_newest WHERE withdrawn_at IS NULL"
            " AND valid_from <= ? AND valid_until > ? ORDER BY valid_from DESC, id DESC"
            " LIMIT ? OFFSET 0",
            (now, now, MAX_SIZE),
        )

    def old_schedules() -> list[dict[str, Any]]:
        return [
            {**r, "doors": r["doors"][:200], "credentials": r["credentials"][:200],
             "door_count": len(r["doors"]), "credential_count": len(r["credentials"])}
            for r in store.schedule_list()[:MAX_SIZE]
        ]  # fmt: skip

    return [
        (
            f"visit.due (wall, first {WALL_ROWS})",
            lambda: old_visits_page(store, 7.0, first),
            lambda: api["visit.due"]({"size": WALL_ROWS}),
        ),
        (
            "visit.due (a year ahead: every tenant; page 20 of 50)",
            lambda: old_visits_page(store, 366.0, Page(20, 50)),
            lambda: api["visit.due"]({"within_days": 366, "page": 20, "size": 50}),
        ),
        (
            f"elderly.unseen (wall, first {WALL_ROWS})",
            old_elderly,
            lambda: api["elderly.unseen"]({"size": WALL_ROWS}),
        ),
        (
            f"notice.list (door {PANEL_DOOR}'s, first {MAX_SIZE})",
            old_notices,
            lambda: api["notice.list"]({"door": PANEL_DOOR}),
        ),
        (
            f"notice.list (panel: showing now, first {MAX_SIZE})",
            old_current_notices,
            lambda: api["notice.list"]({"active": True}),
        ),
        ("schedule.list (console)", old_schedules, lambda: api["schedule.list"]({})),
        (
            "holiday.list (console, all years)",
            lambda: store.holiday_list()[:MAX_SIZE],
            lambda: api["holiday.list"]({}),
        ),
    ]


def write_costs(store: Store) -> dict[str, dict[str, float]]:
    """What keeping the due dates costs the writes that move them: median milliseconds of each
    (a committed transaction, fsync included) with the triggers, then with them dropped."""
    (row,) = store.read(
        "SELECT p.id, p.household_id FROM people p JOIN households h ON h.id = p.household_id"
        " WHERE p.role = 'tenant' AND h.rental = 1 AND p.moved_out_at IS NULL"
        " ORDER BY p.id LIMIT 1"
    )
    pid, hid = row["id"], row["household_id"]
    turn = {"layer": 0, "class": 0}

    def layer() -> None:
        turn["layer"] += 1
        rental.set_tenant_layer(store, pid, ("focus", "watch")[turn["layer"] % 2], "bench")

    def klass() -> None:
        turn["class"] += 1
        rental.set_household_class(store, hid, ("focus", "general")[turn["class"] % 2], "bench")

    writes: dict[str, Callable[[], Any]] = {
        "visit.add (a household)": lambda: rental.add_visit(
            store, {"household": hid, "by": "bench"}
        ),
        "tenant.set_layer": layer,
        "household.set_class": klass,
    }
    out = {k: {"with_ms": round(timed(fn)[0], 3)} for k, fn in writes.items()}
    with store.transaction() as c:
        for (name,) in c.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'visit_due_%'"
        ).fetchall():
            c.execute(f"DROP TRIGGER {name}")
    for k, fn in writes.items():
        out[k]["without_ms"] = round(timed(fn)[0], 3)
        out[k]["ratio"] = round(out[k]["with_ms"] / out[k]["without_ms"], 3)
    return out


def copied(built: Path, tmp: Path) -> Store:
    """A copy of a built sample (the database, its log files and the keys beside it)."""
    for f in built.parent.glob(built.name + "*"):
        shutil.copy2(f, tmp / f.name.replace(built.name, "c.db", 1))
    if (built.parent / "keys").is_dir():
        shutil.copytree(built.parent / "keys", tmp / "keys")
    return Store(tmp / "c.db", SystemClock(), tmp / "keys")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sample", type=Path, help="copy this built xian sample instead")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-lists-"))
    t0 = time.perf_counter()
    if args.sample:
        store = copied(args.sample, tmp)
        counts: dict[str, Any] = sample_counts(store)
        made = f"copied from {args.sample.name}"
    else:
        store = Store(tmp / "c.db", SystemClock(), tmp / "keys")
        counts = sample(store, "xian")
        made = f"built in {time.perf_counter() - t0:.0f} s"
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
    lived_in(store, at)
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
    read_pairs = before_after(store, api)
    by_building = door_notices(store, api)
    for label, whole, page in pairs + read_pairs + by_building:
        calls = NOTICE_CALLS if (label, whole, page) in by_building else CALLS
        w_ms, w_b = timed(whole, calls)
        p_ms, p_b = timed(page, calls)
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
    sizes = {
        "tenants": store.read(
            "SELECT COUNT(*) AS n FROM people WHERE role = 'tenant' AND moved_out_at IS NULL"
        )[0]["n"],
        "visits due": len(rental.visits_due(store, store.clock.now(), 7.0)),
        "notices showing now": len(notices.listing(store, store.clock.now(), True)),
        f"of them at {PANEL_DOOR}": len(
            notices.listing(store, store.clock.now(), True, PANEL_DOOR)
        ),
        "elderly not seen 48 h": len(Community(store, AlertsConfig()).elderly_unseen(48)),
        "notices": store.read("SELECT COUNT(*) AS n FROM notices")[0]["n"],
        "holidays": store.read("SELECT COUNT(*) AS n FROM holidays")[0]["n"],
        "schedules": store.read("SELECT COUNT(*) AS n FROM schedules")[0]["n"],
        "credentials on a schedule": store.read(
            "SELECT COUNT(*) AS n FROM credentials WHERE schedule_id IS NOT NULL"
        )[0]["n"],
    }
    costs = write_costs(store)  # last: it drops the triggers
    core.stop()
    store.close()
    load = os.getloadavg()
    md = "\n".join(
        [
            "# The core's lists: whole vs one page (xian sample)",
            "",
            f"Xi'an sample: {counts['doors']} doors, {counts['units']} units (a station in"
            f" each), {made}; 2,000 events appended. Median of {CALLS}"
            " in-process calls after a warm-up; bytes are the reply as JSON."
            " Ratio = page / whole, same run."
            f" Load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}.",
            "",
            "| list | whole ms | whole bytes | page ms | page bytes | time ratio | bytes ratio |",
            "|---|---|---|---|---|---|---|",
            *rows[: len(pairs)],
            "",
            "## Pages read from SQLite (before: every row read, the page cut in Python)",
            "",
            "Rows behind these lists: "
            + ", ".join(f"{k} {v:,}" for k, v in sizes.items())
            + ". Bytes are the reply's, the same before and after (the reply was already a"
            " page) except for notice.list: before, the newest 500 notices were read and those"
            " for the door kept, fewer than a page; now the door's own are picked in SQLite and"
            " the page holds the newest 200 of them. visit.due before: every tenant's due date"
            " worked out in SQLite on each read to order them (the method before migration"
            " 270); after: the dates kept by triggers, the page a range of their index."
            " notice.list (panel) before: the same query walking the newest-first index, as"
            " SQLite planned it before migration 261; after: the index by end time.",
            "",
            "| list | before ms | before bytes | after ms | after bytes | time ratio"
            " | bytes ratio |",
            "|---|---|---|---|---|---|---|",
            *rows[len(pairs) : len(pairs) + len(read_pairs)],
            "",
            "## A building door's notices: text matched vs searched by building",
            "",
            f"The year of notices above ({sizes['notices']:,}, {sizes['notices showing now']}"
            f" showing now, {sizes[f'of them at {PANEL_DOOR}']} of them at {PANEL_DOOR}, which"
            " serves building 12). Before: the query before migration 280 (the notices showing"
            " now read by their end-time index, each one's buildings text matched against the"
            " door's; for the whole list, every notice newest first, matched); after: the door's"
            " buildings and the whole compound searched in notice_buildings by building and end"
            f" time. Same reply (checked); median of {NOTICE_CALLS} in-process calls after a"
            " warm-up, each as the API serves it (the door looked up, the rows made into the"
            " reply); ratio = after / before, same run.",
            "",
            "| notice.list | before ms | before bytes | after ms | after bytes | time ratio"
            " | bytes ratio |",
            "|---|---|---|---|---|---|---|",
            *rows[len(pairs) + len(read_pairs) :],
            "",
            "## What keeping the due dates costs the writes that move them",
            "",
            f"Median of {CALLS} writes, each a committed transaction (synchronous=FULL), with"
            " the visit_due triggers and then, in the same run, with them dropped.",
            "",
            "| write | with triggers ms | without ms | ratio |",
            "|---|---|---|---|",
            *[
                f"| {k} | {v['with_ms']:.2f} | {v['without_ms']:.2f} | {v['ratio']:.2f} |"
                for k, v in costs.items()
            ],
        ]
    )
    write(
        "core_lists",
        {
            "counts": {k: v for k, v in counts.items() if k != "sample_cards"},
            "load": load,
            "rows_behind": sizes,
            "lists": figures,
            "writes_keeping_due_dates": costs,
        },
        md,
    )


if __name__ == "__main__":
    main()
