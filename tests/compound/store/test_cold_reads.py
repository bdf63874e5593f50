"""Cold work reads on its own connection: a door decision never waits behind it.

A report, a periodic check or a screen's list may take long on a compound of 25,000 residents.
``Store.read`` runs it on a read-only connection of its thread, outside the lock the decisions
and the log take, so a swipe is decided and logged while such a read is still running. And the
hot queries are answered from indexes: EXPLAIN QUERY PLAN shows no full scan of people,
credentials or events.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections import Counter
from pathlib import Path

import pytest

from compound.config import AlertsConfig
from compound.domain.access import Decision, Reason, decide
from compound.domain.clock import ManualClock
from compound.domain.paging import Page
from compound.protocol.messages import AccessRequest, new_id
from compound.services import rental, reports
from compound.services.community_api import Community
from compound.services.decision_log import DecisionLog
from compound.store.db import Store


def seed(store: Store) -> int:
    store.add_unit("3-2-1501")
    store.add_door("b3-e2", "Building 3 entrance 2", ["3-2"])
    pid = store.add_person("张伟", "3-2-1501", "owner")
    store.add_card(pid, "10001")
    return pid


def test_a_decision_is_logged_while_a_cold_read_is_held(store: Store) -> None:
    seed(store)
    started, release = threading.Event(), threading.Event()
    rows: list[object] = []

    def hold() -> int:
        started.set()
        release.wait(30)
        return 1

    def cold() -> None:
        conn = store._reader()
        assert conn is not None
        conn.create_function("hold", 0, hold)
        # A read that stays open, as a slow report over a long log would.
        rows.extend(store.read("SELECT hold() AS x, COUNT(*) AS n FROM events"))

    t = threading.Thread(target=cold)
    t.start()
    try:
        assert started.wait(30)
        facts = store.facts("b3-e2", "card", "10001")
        decision = decide(facts, store.clock.now(), store.tz)
        assert decision.granted
        ev = store.append_event("access.granted", door_id="b3-e2", person_id=decision.person_id)
        assert store.events(types=["access.granted"])[-1].seq == ev.seq
        assert t.is_alive()  # the cold read is still running: nothing waited for it
    finally:
        release.set()
        t.join(30)
    assert rows and rows[0] == {"x": 1, "n": ev.seq - 1}  # it saw the log as it was when it began


def test_a_cold_read_sees_what_was_committed(store: Store) -> None:
    pid = seed(store)
    assert store.read("SELECT name FROM people WHERE id = ?", (pid,)) == [{"name": "张伟"}]
    store.add_person("李娜", "3-2-1501", "family")
    assert len(store.read("SELECT id FROM people")) == 2


def test_cold_reads_cannot_write(store: Store) -> None:
    seed(store)
    with pytest.raises(Exception, match="readonly|read-only|attempt to write"):
        store.read("DELETE FROM settings")


def plans(store: Store, run: object) -> list[tuple[str, list[str]]]:
    """Every SELECT the call runs, with its query plan."""
    seen: list[str] = []
    store.conn.set_trace_callback(seen.append)
    reader = store._reader()
    assert reader is not None
    reader.set_trace_callback(seen.append)
    try:
        run()  # type: ignore[operator]
    finally:
        store.conn.set_trace_callback(None)
        reader.set_trace_callback(None)
    out = []
    for sql in seen:
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            plan = [r[3] for r in store.conn.execute("EXPLAIN QUERY PLAN " + sql)]
            out.append((sql, plan))
    return out


HOT_TABLES = ("people", "credentials", "events")
_HEAD_READ = re.compile(r"^SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1$")


def full_scans(sql: str, plan: list[str]) -> list[str]:
    """The plan's steps that read every row of people, credentials or events ("SCAN t", or
    every entry of an index, "SCAN t USING INDEX"), except the partial index of the people
    living alone, which holds only them. Plans name tables by their alias in the query."""
    alias = {
        (m.group(2) or m.group(1)): m.group(1)
        for m in re.finditer(r"(?:FROM|JOIN)\s+(\w+)(?:\s+(?!ON\b|WHERE\b|JOIN\b)(\w+))?", sql)
    }
    out = []
    if _HEAD_READ.search(sql):
        return out  # the log's head: the last row by rowid, one row read (plan says SCAN)
    for step in plan:
        words = step.split()
        if words[0] == "SEARCH" and (
            # Searches that read (nearly) everything: every living person, every passage.
            "people_moved_out" in step or step.endswith("(type=?)")
        ):
            out.append(step)
        if words[0] != "SCAN" or "people_living_alone" in step:
            continue
        if alias.get(words[1], words[1]) in HOT_TABLES:
            out.append(step)
    return out


# What ANALYZE reports on the Xi'an sample (compound sample --size xian --days 1): with these,
# SQLite plans as it would on a real compound, not as on a database of three rows.
XIAN_STATS = [
    ("credentials", "credentials_live_lookup", "24059 12030 1"),
    ("credentials", "credentials_lookup", "24170 12085 1"),
    ("credentials", "credentials_person", "24170 2"),
    ("events", "events_door", "112943 720 1"),
    ("events", "events_passage_person", "48868 3 1"),
    ("events", "events_person", "112943 5 1"),
    ("events", "events_type_at_person", "112943 12550 3 1"),
    ("households", "households_unit", "5507 1"),
    ("people", "people_household", "24762 5"),
    ("people", "people_living_alone", "339 1"),
    ("people", "people_moved_out", "24762 24762"),
    ("people", "people_role", "24762 8254 8254"),
]


def real_size_statistics(store: Store) -> None:
    c = store.conn
    c.execute("ANALYZE")
    c.execute("DELETE FROM sqlite_stat1")
    c.executemany("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", XIAN_STATS)
    c.execute("ANALYZE sqlite_schema")  # reload the statistics


def log_decisions(store: Store) -> None:
    """A decision logged at once, one while another connection writes (journaled), merged."""
    d = DecisionLog(store, [], Counter())
    d.start()
    try:
        req = AccessRequest(new_id(), "b3-e2", "card", "10001", 1.0, "test")
        granted = Decision(True, Reason.GRANTED, "b3-e2", 1, 1)
        d.append(req, granted, 1.0, {"request_id": req.id}, None)
        other = sqlite3.connect(store.path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            assert d.append(req, granted, 2.0, {"request_id": "held"}, None) is None
        finally:
            other.execute("ROLLBACK")
            other.close()
    finally:
        d.stop()  # merges what the journal holds
    assert d.pending == 0


@pytest.mark.parametrize("statistics", ["none", "xian"])
@pytest.mark.parametrize(
    "hot",
    [
        "facts for a card",
        "facts for a PIN",
        "elderly not seen",
        "entrants this week",
        "leases ended",
        "visits due",
        "elderly not seen, one page",
        "visits due, one page",
        "entries per hour",
        "a decision logged, and one journaled then merged",
    ],
)
def test_hot_queries_read_indexes_not_tables(tmp_path: Path, hot: str, statistics: str) -> None:
    store = Store(tmp_path / "c.db", ManualClock(), tmp_path / "keys")
    try:
        pid = seed(store)
        store.set_pin(pid, "258369")
        if statistics == "xian":
            real_size_statistics(store)
        community = Community(store, AlertsConfig())
        run = {
            "facts for a card": lambda: store.facts("b3-e2", "card", "10001"),
            "facts for a PIN": lambda: store.facts("b3-e2", "pin", "258369"),
            "elderly not seen": community.watched,
            "entrants this week": community.unit_entrants,
            "leases ended": lambda: rental.sweep_leases(store, store.clock.now()),
            "visits due": lambda: rental.visits_due(store, store.clock.now()),
            "elderly not seen, one page": lambda: community.elderly_unseen_page(1, Page(2, 3)),
            "visits due, one page": lambda: rental.visits_due_page(
                store, store.clock.now(), 7.0, Page(2, 3)
            ),
            "entries per hour": lambda: reports.hourly(store, store.clock.now(), 24),
            "a decision logged, and one journaled then merged": lambda: log_decisions(store),
        }[hot]
        found = plans(store, run)
        assert found, "the call ran no query"
        bad = [(sql[:90], full_scans(sql, plan)) for sql, plan in found if full_scans(sql, plan)]
        assert bad == []
    finally:
        store.close()
