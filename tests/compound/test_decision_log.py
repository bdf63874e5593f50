"""A door decision is never held behind a long write such as a CSV import, and is never lost.

The decision log appends to the hash-chained log when the write lock is free at once, and to
the decision journal (a file of its own) when it is not; the journal is merged into the log in
order once the lock is free, and after a crash when the core starts again.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compound.adapters.broker import Mosquitto
from compound.adapters.mqtt import Bus, BusConfig, Message
from compound.app.wiring import build_core
from compound.config import Config
from compound.domain import register_sheet
from compound.domain.access import Decision, Reason
from compound.domain.clock import SystemClock
from compound.domain.model import Event
from compound.protocol.messages import AccessRequest, encode, new_id
from compound.protocol.topics import Topics
from compound.services.decision_log import DecisionLog
from compound.store import register_import
from compound.store.db import Store, StoreBusy
from compound.store.decision_journal import DecisionJournal, journal_path

WAIT_S = 60.0  # generous: the machine may be loaded; nothing here is a timing figure


def other_writer(db: Path) -> sqlite3.Connection:
    """A second connection that holds the database's write lock, as `compound import` does."""
    conn = sqlite3.connect(db, isolation_level=None, timeout=5)
    conn.execute("BEGIN IMMEDIATE")
    return conn


def request(door: str = "b3-e2", card: str = "10001") -> AccessRequest:
    return AccessRequest(new_id(), door, "card", card, 1.0, "test")


GRANTED = Decision(True, Reason.GRANTED, "b3-e2", 1, 1)


@pytest.fixture
def dlog(store: Store) -> Iterator[tuple[DecisionLog, list[tuple[Any, ...]]]]:
    hooked: list[tuple[Any, ...]] = []
    d = DecisionLog(store, [lambda r, dec, ev: hooked.append((r.id, ev.seq))], Counter())
    d.start()
    yield d, hooked
    d.stop()


def access_events(store: Store) -> list[Event]:
    return store.events(types=["access.granted", "access.denied"], limit=1000)


def test_a_transaction_with_a_wait_gives_up_when_another_connection_writes(store: Store) -> None:
    """Why: the decision log must learn at once that the lock is taken, not after 5 s."""
    conn = other_writer(store.path)
    try:
        with pytest.raises(StoreBusy), store.transaction(wait_s=0.01):
            pass
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    with store.transaction(wait_s=0.01) as c:  # free again: it is had
        c.execute("INSERT INTO settings (key, value) VALUES ('t', '1')")
    assert store.setting("t") == "1"


def test_a_transaction_with_a_wait_gives_up_when_another_thread_of_the_store_writes(
    store: Store,
) -> None:
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.transaction():
            inside.set()
            release.wait(WAIT_S)

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert inside.wait(WAIT_S)
        with pytest.raises(StoreBusy), store.transaction(wait_s=0.01):
            pass
    finally:
        release.set()
        t.join(WAIT_S)


def test_a_thread_reading_unlocked_is_not_held_by_another_threads_transaction(
    store: Store,
) -> None:
    """Why: the decision thread reads its facts while an import in the core holds the lock."""
    store.set_setting("seen", "before")
    inside, release, read = threading.Event(), threading.Event(), queue.Queue[Any]()

    def hold() -> None:
        with store.transaction() as c:
            c.execute("UPDATE settings SET value = 'uncommitted' WHERE key = 'seen'")
            inside.set()
            release.wait(WAIT_S)

    def reader() -> None:
        store.read_unlocked()
        read.put(store.setting("seen"))
        with store.transaction() as c:  # its own transaction still reads its own writes
            c.execute("UPDATE settings SET value = 'mine' WHERE key = 'seen'")
            read.put(store.setting("seen"))

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert inside.wait(WAIT_S)
        r = threading.Thread(target=reader)
        r.start()
        assert read.get(timeout=WAIT_S) == "before"  # the last committed value, at once
    finally:
        release.set()
        t.join(WAIT_S)
    r.join(WAIT_S)
    assert read.get(timeout=WAIT_S) == "mine"


def test_a_decision_goes_to_the_journal_while_the_log_is_held_and_reaches_it_in_order(
    store: Store, dlog: tuple[DecisionLog, list[tuple[Any, ...]]]
) -> None:
    d, hooked = dlog
    first = request()
    assert d.append(first, GRANTED, 1.0, {"request_id": first.id}, None) is not None
    assert hooked == []  # the core runs the hooks of a decision logged at once itself
    conn = other_writer(store.path)
    held = [request() for _ in range(3)]
    try:
        for r in held:
            assert d.append(r, GRANTED, 2.0, {"request_id": r.id}, {"type": "passage"}) is None
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    # The lock is free, but the journal still holds decisions: a new one goes behind them
    # unless the merger got there first; either way the log's order is the order answered.
    last = request()
    d.append(last, GRANTED, 3.0, {"request_id": last.id}, None)
    wait_for(lambda: d.pending == 0 and len(access_events(store)) == 5)
    ids = [e.data["request_id"] for e in access_events(store)]
    assert ids == [first.id, *(r.id for r in held), last.id]
    assert store.verify_log().ok
    outbox = store.query("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'access.granted'")
    assert outbox[0]["n"] == 3  # each journaled passage's platform record came with it
    wait_for(lambda: {h[0] for h in hooked} >= {r.id for r in held})
    assert d.counters["access.journaled"] >= 3


def test_a_journal_left_by_a_killed_core_is_merged_once_at_start(store: Store) -> None:
    """Why: a decision answered from the journal must reach the log even if the core dies
    before merging it, and one merged just before the crash must not be logged twice."""
    journal = DecisionJournal(journal_path(store.path))
    a = journal.add("access.granted", 1.0, "b3-e2", None, {"request_id": "a"}, None)
    journal.add("access.denied", 2.0, "b3-e2", None, {"request_id": "b"}, None)
    # A merge that committed to the log but died before the journal forgot what it merged.
    store.append_event("access.granted", at=1.0, door_id="b3-e2", data={"request_id": "a"})
    store.set_setting("decisions.merged", f"{journal.ident}:{a}")
    journal.close()
    d = DecisionLog(store, [], Counter())
    d.start()
    try:
        assert d.pending == 0  # merged during start, before any new decision
        assert [e.data["request_id"] for e in access_events(store)] == ["a", "b"]
        assert store.verify_log().ok
    finally:
        d.stop()
    # A journal made anew (another id) is not mistaken for the old one.
    journal_path(store.path).unlink()
    fresh = DecisionJournal(journal_path(store.path))
    fresh.add("access.granted", 3.0, "b3-e2", None, {"request_id": "c"}, None)
    fresh.close()
    d = DecisionLog(store, [], Counter())
    d.start()
    d.stop()
    assert [e.data["request_id"] for e in access_events(store)] == ["a", "b", "c"]


def wait_for(cond: Any, what: str = "condition") -> None:
    done = threading.Event()
    for _ in range(int(WAIT_S * 50)):
        if cond():
            done.set()
            break
        done.wait(0.02)
    assert done.is_set(), f"timed out waiting for {what}"


# -- the real core on a real Mosquitto, with an import's transaction held open ---------------

SHEET = "姓名,房号,身份,卡号\n" + "".join(
    f"住户{i},5-1-{101 + i},业主,{70000 + i}\n" for i in range(40)
)


class HeldImport:
    """Holds every import's write transaction open, after its inserts, until released."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.inside, self.release = threading.Event(), threading.Event()
        write = register_import._write

        def held(c: sqlite3.Connection, plan: Any, staged: bool) -> None:
            write(c, plan, staged)
            self.inside.set()
            self.release.wait(WAIT_S * 2)

        monkeypatch.setattr(register_import, "_write", held)


@pytest.fixture
def site(
    mosquitto: Mosquitto, tmp_path: Path, topics: Topics
) -> Iterator[tuple[Store, Any, Bus, queue.Queue[tuple[str, dict[str, Any]]]]]:
    store = Store(tmp_path / "core.db", SystemClock(), tmp_path / "keys")
    store.add_unit("3-2-1501")
    store.add_door("b3-e2", "B3 E2", ["3-2"])
    store.add_card(store.add_person("张伟", "3-2-1501", "owner"), "10001")
    cfg = BusConfig(port=mosquitto.port)
    core_bus = Bus(cfg, topics, "core")
    core = build_core(store, core_bus, store.clock, Config())
    core.start()
    core_bus.start(timeout=30)
    seen: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()

    def put(m: Message) -> None:
        seen.put((m.topic, json.loads(m.payload)))

    client = Bus(cfg, topics, "reader")
    client.subscribe(topics.access_result("b3-e2"), put)
    client.subscribe(topics.door_cmd("b3-e2"), put)
    client.subscribe(topics.events("access.granted"), put)
    client.subscribe(topics.events("door.remote_unlock"), put)
    client.start(timeout=30)
    yield store, core, client, seen
    client.stop()
    core.stop()
    core_bus.stop()
    store.close()


def next_on(seen: queue.Queue[tuple[str, dict[str, Any]]], topic: str, **match: Any) -> Any:
    while True:
        t, body = seen.get(timeout=WAIT_S)
        if t == topic and all(body.get(k) == v for k, v in match.items()):
            return body


@pytest.mark.integration
@pytest.mark.parametrize("where", ["cli", "console"])
def test_a_door_is_answered_and_opened_while_an_import_holds_the_log(
    site: Any, topics: Topics, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, where: str
) -> None:
    """Why: a 25,000-row import holds the write lock for seconds; a swipe meanwhile must be
    answered, its door opened, and its decision logged after the import, chain intact.
    ``cli``: `compound import` in its own connection; ``console``: ``people.import`` over the
    bus, run by the core itself (its own lock held by the API thread)."""
    store, core, client, seen = site
    held = HeldImport(monkeypatch)
    done: queue.Queue[Any] = queue.Queue()

    def run_import() -> None:
        try:
            if where == "cli":
                other = Store(store.path, SystemClock(), tmp_path / "keys")
                try:
                    rows = register_sheet.people(SHEET)
                    done.put(register_import.import_people(other, rows, by="test").rows)
                finally:
                    other.close()
            else:
                done.put(client.request("people.import", {"csv": SHEET}, timeout=WAIT_S * 2))
        except Exception as e:  # noqa: BLE001 - handed to the test thread
            done.put(e)

    t = threading.Thread(target=run_import)
    t.start()
    try:
        assert held.inside.wait(WAIT_S), "the import never reached its write"
        req = AccessRequest(new_id(), "b3-e2", "card", "10001", store.clock.now(), "test")
        client.publish(topics.access_request("b3-e2"), encode(req))
        result = next_on(seen, topics.access_result("b3-e2"), request_id=req.id)
        assert result["granted"] is True
        cmd = next_on(seen, topics.door_cmd("b3-e2"))
        assert cmd["action"] == "unlock"
        if where == "cli":  # a remote open too (in-process, the API thread is the import's)
            params = {"door": "b3-e2", "reason": "a delivery", "by": "desk"}
            opened = client.request("door.unlock", params, timeout=WAIT_S)
            assert next_on(seen, topics.door_cmd("b3-e2"), id=opened["command_id"])
        assert not done.qsize(), "the import finished before the swipe: nothing was held"
    finally:
        held.release.set()
        t.join(WAIT_S * 2)
    outcome = done.get(timeout=WAIT_S)
    assert not isinstance(outcome, Exception), outcome
    logged = next_on(seen, topics.events("access.granted"))
    assert logged["data"]["request_id"] == req.id
    imported = store.events(types=["people.imported"])[-1]
    assert logged["seq"] > imported.seq  # merged once the import committed
    assert core.counters["access.journaled"] == (2 if where == "cli" else 1)
    if where == "cli":
        remote = next_on(seen, topics.events("door.remote_unlock"))
        assert remote["seq"] > logged["seq"] and remote["data"]["reason"] == "a delivery"
    assert store.verify_log().ok
