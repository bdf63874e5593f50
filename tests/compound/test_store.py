"""The store: migrations, registration rules, the hash-chained log and its verification."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from compound.domain.clock import ManualClock
from compound.domain.model import InvalidInput, UnitAddress
from compound.store.db import Store, StoreError


def test_pragmas_are_durable(store: Store) -> None:
    """WAL with synchronous=FULL and foreign keys: a committed row survives a power cut."""
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_migrations_are_recorded_and_not_rerun(tmp_path: Path, clock: ManualClock) -> None:
    s = Store(tmp_path / "a.db", clock, tmp_path / "k")
    numbers = [r["number"] for r in s.query("SELECT number FROM migrations ORDER BY number")]
    assert numbers[0] == 1
    s.close()
    again = Store(tmp_path / "a.db", clock, tmp_path / "k")
    assert [r["number"] for r in again.query("SELECT number FROM migrations ORDER BY number")] == (
        numbers
    )
    again.close()


def test_unit_add_creates_building_and_entrance_once(store: Store) -> None:
    assert store.add_unit("3-2-1501")["created"]
    assert not store.add_unit("3-2-1501")["created"]
    assert store.one("SELECT COUNT(*) AS n FROM entrances")["n"] == 1  # type: ignore[index]


@pytest.mark.parametrize("bad", ["3-2", "3/2/1501", "0-1-101", "a-b-c", "3-2-15", ""])
def test_malformed_room_numbers_are_refused(store: Store, bad: str) -> None:
    with pytest.raises(InvalidInput, match="room number"):
        store.add_unit(bad)


def test_person_in_unknown_unit_is_refused_and_nothing_written(store: Store) -> None:
    before = store.verify_log().events
    with pytest.raises(InvalidInput, match="unknown unit 9-9-909"):
        store.add_person("张伟", "9-9-909", "owner")
    assert store.people() == []
    assert store.verify_log().events == before


def test_duplicate_id_number_is_refused(store: Store) -> None:
    store.add_unit("3-2-1501")
    store.add_person("张伟", "3-2-1501", "owner", id_number="110101199001011234")
    with pytest.raises(InvalidInput, match="already registered"):
        store.add_person("张三", "3-2-1501", "family", id_number="110101199001011234")
    assert len(store.people()) == 1


def test_id_number_is_free_again_after_move_out(store: Store) -> None:
    store.add_unit("3-2-1501")
    pid = store.add_person("张伟", "3-2-1501", "tenant", id_number="110101199001011234")
    store.move_out(pid)
    assert store.add_person("张伟", "3-2-1501", "tenant", id_number="110101199001011234") != pid


def test_lease_end_before_start_is_refused(store: Store) -> None:
    store.add_unit("3-2-1501")
    with pytest.raises(InvalidInput, match="before lease start"):
        store.add_person(
            "王芳", "3-2-1501", "tenant", lease_start="2027-01-01", lease_end="2026-12-31"
        )
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        store.add_person("王芳", "3-2-1501", "tenant", lease_end="31/12/2026")


def test_card_pin_and_pass_lookups(store: Store, clock: ManualClock) -> None:
    store.add_unit("3-2-1501")
    pid = store.add_person("张伟", "3-2-1501", "owner")
    store.add_card(pid, "0012345")
    store.set_pin(pid, "258369")
    _, token = store.issue_pass(pid, clock.now(), clock.now() + 3600)
    assert store.find_credential("card", "12345")[1].id == pid  # type: ignore[union-attr]
    assert store.find_credential("pin", "258369")[1].id == pid  # type: ignore[union-attr]
    assert store.find_credential("pass", token)[1].id == pid  # type: ignore[union-attr]
    assert store.find_credential("pin", "258368") == (None, None)
    # Secrets are not stored: neither the PIN nor the token appears in the table.
    dump = "\n".join(store.conn.iterdump())
    assert "258369" not in dump and token not in dump


def test_weak_or_reused_pins_are_refused(store: Store) -> None:
    store.add_unit("3-2-1501")
    a = store.add_person("张伟", "3-2-1501", "owner")
    b = store.add_person("李娜", "3-2-1501", "family")
    with pytest.raises(InvalidInput, match="too easy"):
        store.set_pin(a, "123456")
    store.set_pin(a, "258369")
    with pytest.raises(InvalidInput, match="already in use"):
        store.set_pin(b, "258369")


def test_move_out_revokes_every_credential(store: Store, clock: ManualClock) -> None:
    store.add_unit("3-2-1501")
    pid = store.add_person("张伟", "3-2-1501", "owner")
    store.add_card(pid, "777")
    clock.advance(10)
    ev = store.move_out(pid)
    assert ev.data["credentials_revoked"] == 1
    assert all(c.revoked_at is not None for c in store.credentials(pid))
    with pytest.raises(InvalidInput, match="already moved out"):
        store.move_out(pid)


def test_log_is_chained_and_verifies(store: Store) -> None:
    store.add_unit("1-1-101")
    for i in range(5):
        store.append_event("test.tick", data={"i": i})
    check = store.verify_log()
    assert check.ok and check.events == 6
    events = store.events(limit=10)
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))


def test_database_refuses_edits_to_the_log(store: Store) -> None:
    store.append_event("test.tick")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("UPDATE events SET type = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("DELETE FROM events")


def test_verify_reports_first_altered_event(store: Store) -> None:
    """Someone with file access drops the trigger and edits a row: verify finds it."""
    for i in range(4):
        store.append_event("test.tick", data={"i": i})
    store.conn.execute("DROP TRIGGER events_no_update")
    store.conn.execute("UPDATE events SET data = '{\"i\":99}' WHERE seq = 3")
    check = store.verify_log()
    assert not check.ok and check.first_broken == 3 and "altered" in check.problem


def test_verify_reports_a_deleted_event(store: Store) -> None:
    for i in range(4):
        store.append_event("test.tick", data={"i": i})
    store.conn.execute("DROP TRIGGER events_no_delete")
    store.conn.execute("DELETE FROM events WHERE seq = 2")
    check = store.verify_log()
    assert not check.ok and check.first_broken == 3


def test_event_and_outbox_commit_together(store: Store) -> None:
    """A failure after the event is written leaves neither the event nor its outbox row."""
    with pytest.raises(RuntimeError), store.transaction():
        store.append_event("access.granted", uplink={"type": "passage"})
        raise RuntimeError("power cut")
    assert store.events() == []
    assert store.query("SELECT * FROM outbox") == []
    store.append_event("access.granted", uplink={"type": "passage"})
    assert len(store.query("SELECT * FROM outbox")) == 1


def test_alarm_ack_is_logged_and_not_repeatable(store: Store) -> None:
    alarm = store.raise_alarm("forced_open", "b3: forced", door_id="b3")
    acked = store.acknowledge_alarm(alarm.id, "officer Li", "checked, wind")
    assert acked.acknowledged_by == "officer Li"
    with pytest.raises(InvalidInput, match="already acknowledged"):
        store.acknowledge_alarm(alarm.id, "officer Li")
    assert [e.type for e in store.events()][-2:] == ["alarm.raised", "alarm.acknowledged"]


def test_not_a_database_gives_a_clear_error(tmp_path: Path, clock: ManualClock) -> None:
    bad = tmp_path / "x.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a compound database"):
        Store(bad, clock, tmp_path / "k")


def test_door_scopes(store: Store) -> None:
    door = store.add_door("b3-e2", "B3 E2", ["3-2"])
    assert door.serves_unit(UnitAddress.parse("3-2-1501"))
    assert not door.serves_unit(UnitAddress.parse("3-1-1501"))
    with pytest.raises(InvalidInput, match="already exists"):
        store.add_door("b3-e2", "again", ["3"])
    with pytest.raises(InvalidInput, match="door id"):
        store.add_door("b3/e2", "slash", ["3"])
