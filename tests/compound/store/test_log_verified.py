"""Many events appended at once chain like one at a time; the chain check reads the data as
written and falls back to parsing it; an incremental verification starts from a signed mark of
the last verification and reads only the events after it."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from compound.app.cli import main
from compound.domain.clock import ManualClock
from compound.store.base import StoreError
from compound.store.db import Store
from compound.store.log import LogCheck, event_hash
from compound.store.log_verified import MARK_SETTING, read_mark, verify


def tamper(db: Path, sql: str, params: tuple[object, ...] = ()) -> None:
    """What someone with the file can do: drop the append-only triggers and edit rows."""
    c = sqlite3.connect(db)
    c.execute("DROP TRIGGER IF EXISTS events_no_update")
    c.execute(sql, params)
    c.commit()
    c.close()


def fill(store: Store, n: int, start: int = 0) -> None:
    store.append_events(
        (1_790_000_000.0 + i, "access.granted", "b3-e2", i % 7 or None, {"i": i, "名": "张伟"})
        for i in range(start, start + n)
    )


@contextmanager
def logged(tmp_path: Path, n: int, name: str = "c.db", verified: bool = False) -> Iterator[Store]:
    """A store in a file of its own holding ``n`` events, verified in full if ``verified``
    (which leaves the mark of that verification at the last one); closed after."""
    store = Store(tmp_path / name, ManualClock(), tmp_path / "keys")
    try:
        fill(store, n)
        if verified:
            assert verify(store).check.ok
        yield store
    finally:
        store.close()


def test_events_appended_at_once_chain_as_one_at_a_time(store: Store) -> None:
    one = store.append_event("access.denied", at=1_790_000_000.5, door_id='a"b', data={"k": 1})
    events = store.append_events(
        [
            (1_790_000_001, "access.granted", "b3-e2", 5, {"z": [1, 2], "a": "中"}),
            (1_790_000_002.25, "door.opened", None, None, {}),
        ]
    )
    assert [e.seq for e in events] == [one.seq + 1, one.seq + 2]
    assert events[0].prev_hash == one.hash and events[1].prev_hash == events[0].hash
    for e in events:  # the hash is the one append_event would have made
        data = json.dumps(e.data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert e.hash == event_hash(e.prev_hash, e.seq, e.at, e.type, e.door_id, e.person_id, data)
    assert store.verify_log().ok


def test_the_check_finds_a_changed_value_and_accepts_data_in_another_form(
    tmp_path: Path, store: Store
) -> None:
    fill(store, 20)
    # The same data written with spaces and keys in another order: parsed, it hashes the same.
    row = store.one("SELECT data FROM events WHERE seq = 5")
    assert row is not None
    spaced = json.dumps(json.loads(row["data"]), ensure_ascii=False, indent=1)
    tamper(store.path, "UPDATE events SET data = ? WHERE seq = 5", (spaced,))
    assert store.verify_log().ok
    for sql in (
        'UPDATE events SET data = \'{"i":6,"名":"李娜"}\' WHERE seq = 7',
        "UPDATE events SET person_id = '3' WHERE seq = 10",  # the same digits, as text
        "UPDATE events SET at = at + 1 WHERE seq = 12",
        "UPDATE events SET data = 'not json' WHERE seq = 14",
    ):
        seq = int(sql.rsplit("= ", 1)[1])
        c = sqlite3.connect(store.path)
        before = c.execute("SELECT * FROM events WHERE seq = ?", (seq,)).fetchone()
        c.close()
        tamper(store.path, sql)
        r = store.verify_log()
        assert not r.ok and r.first_broken == seq, (sql, r)
        cols = ("at", "type", "door_id", "person_id", "data")
        tamper(
            store.path,
            f"UPDATE events SET {', '.join(c + ' = ?' for c in cols)} WHERE seq = ?",  # noqa: S608
            (*before[1:6], seq),
        )
    assert store.verify_log().ok


def cli(db: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    capsys.readouterr()
    rc = main(["--db", str(db), "log", "verify", "--json", *args])
    return rc, json.loads(capsys.readouterr().out)


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMPOUND_DB", raising=False)
    monkeypatch.delenv("COMPOUND_CONFIG", raising=False)


def test_an_incremental_verification_reads_only_what_came_after_the_last(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with logged(tmp_path, 50) as store:
        db = store.path
        rc, out = cli(db, capsys, "--incremental")  # no mark yet: every event is read
        assert rc == 0 and out["read_from"] == 1 and out["trusted_at"] is None
        fill(store, 30, start=50)
        rc, out = cli(db, capsys, "--incremental")
        assert rc == 0 and (out["events"], out["read_from"]) == (80, 51)
        assert out["trusted_at"] is not None and out["ok"] is True
        # An event after the mark changed: found. The full verification finds it too.
        fill(store, 5, start=80)
        tamper(db, "UPDATE events SET door_id = 'gate' WHERE seq = 83")
        rc, out = cli(db, capsys, "--incremental")
        assert rc == 3 and out["first_broken"] == 83 and out["read_from"] == 81
        rc, out = cli(db, capsys)
        assert rc == 3 and out["first_broken"] == 83
        assert read_mark(store)[0] is not None and read_mark(store)[0].seq == 80  # type: ignore[union-attr]


def test_what_an_incremental_verification_trusts_and_what_it_does_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with logged(tmp_path, 40, verified=True) as store:  # its mark at event 40
        # The event the mark names rewritten: found without reading the others.
        tamper(store.path, "UPDATE events SET hash = ? WHERE seq = 40", ("f" * 64,))
        r = verify(store, incremental=True)
        assert not r.check.ok and r.check.first_broken == 40 and "rewritten" in r.check.problem
    with logged(tmp_path, 40, "d.db", verified=True) as store:
        # An event before the mark changed since: the incremental one does not read it (it
        # says so), the full one finds it.
        tamper(store.path, "UPDATE events SET at = at + 1 WHERE seq = 3")
        r = verify(store, incremental=True)
        assert r.check.ok and r.read_from == 41 and r.trusted_at is not None
        full = verify(store)
        assert not full.check.ok and full.check.first_broken == 3


def test_a_forged_or_damaged_mark_is_not_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with logged(tmp_path, 40, verified=True) as store:
        db = store.path
        tamper(db, "UPDATE events SET data = '{}' WHERE seq = 3")
        raw = store.setting(MARK_SETTING)
        assert raw is not None
        mark = json.loads(raw)
        # Moved on to a later event by someone without the key: its signature no longer fits.
        for forged in ({**mark, "seq": 41}, {**mark, "at": mark["at"] + 1}, "garbage"):
            store.set_setting(MARK_SETTING, json.dumps(forged))
            r = verify(store, incremental=True)
            assert not r.check.ok and r.check.first_broken == 3 and r.read_from == 1
            assert "mark of the last verification is" in r.note
        rc, out = cli(db, capsys, "--incremental")
        assert rc == 3 and "mark of the last verification" in str(out["note"])
        # A checkpoint's signature is not a mark's: copied into the mark, it is refused.
        cp = store.checkpoint()
        assert cp is not None and cp.seq == 40
        line = (tmp_path / "c.db.checkpoints").read_text().splitlines()[-1]
        store.set_setting(MARK_SETTING, line)
        assert verify(store, incremental=True).read_from == 1
        # ... while the mark a verification signed is used
        store.set_setting(MARK_SETTING, raw)
        assert verify(store, incremental=True).read_from == 41


def test_deleting_the_newest_events_is_found_by_an_incremental_verification(
    tmp_path: Path,
) -> None:
    with logged(tmp_path, 40, verified=True) as store:
        db = store.path
        fill(store, 20, start=40)  # signed into the head file as it is committed
    c = sqlite3.connect(db)
    c.execute("DROP TRIGGER IF EXISTS events_no_delete")
    c.execute("DELETE FROM events WHERE seq > 50")
    c.commit()
    c.close()
    store = Store(db, ManualClock(), tmp_path / "keys")
    try:
        r = verify(store, incremental=True)
        assert not r.check.ok and r.read_from == 41 and "missing" in r.check.problem
    finally:
        store.close()


def test_a_verification_holds_no_lock_and_events_logged_meanwhile_are_no_alarm(
    tmp_path: Path,
) -> None:
    """The walk reads on its own connection: a door decision's event is logged (and signed into
    the head file) while the walk is held half-way, and the newer signed head it finds is not
    taken for a deletion."""
    with logged(tmp_path, 300) as store:
        started, release = threading.Event(), threading.Event()
        results: list[object] = []

        def held() -> int:
            started.set()
            release.wait(30)
            return 0

        def run() -> None:
            reader = store._reader()
            assert reader is not None
            reader.set_progress_handler(held, 1000)
            try:
                results.append(store.verify_log())
            finally:
                reader.set_progress_handler(None, 0)

        t = threading.Thread(target=run)
        t.start()
        try:
            assert started.wait(30)
            ev = store.append_event("access.granted", door_id="b3-e2", person_id=1)
            assert t.is_alive()  # the event was logged while the walk was held
        finally:
            release.set()
            t.join(30)
        r = results[0]
        assert isinstance(r, LogCheck) and r.ok, r
        assert r.events in range(300, ev.seq + 1)
        assert store.verify_log() == LogCheck(True, ev.seq)


def test_a_verification_a_mark_cannot_be_saved_for_still_reports_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with logged(tmp_path, 30) as store:

        def refuse(key: str, value: str) -> None:
            raise StoreError("attempt to write a readonly database")

        monkeypatch.setattr(store, "set_setting", refuse)
        r = verify(store)
        assert r.check == LogCheck(True, 30) and "no mark saved" in r.note
        assert read_mark(store) == (None, "")
