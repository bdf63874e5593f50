"""A box upgraded to schedules with several spans keeps every schedule it had: migration 121
gives each one the written form its windows make (one span a one-span list, a night one
overnight span), the windows that decide are left as they were, and the doors and credentials
that named a schedule still name it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from compound.domain.clock import ManualClock
from compound.domain.model import TimeWindow
from compound.domain.schedules import hours
from compound.store import migrations
from compound.store.db import Store

OLD = {
    # name: (days, from, to, holidays) as ``compound schedule add`` wrote them before
    "cleaners": ("mon-fri", "07:00", "18:00", "closed"),
    "guards": ("sat-sun", "22:00", "06:00", "open"),
    "evening": ("mon", "20:00", "00:00", "closed"),
}


def enc(ws: list[TimeWindow]) -> str:
    """Windows as the store has always saved them."""
    return json.dumps([[sorted(w.weekdays), w.start, w.end] for w in ws])


def test_every_schedule_keeps_its_hours_and_gets_its_spans(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE migrations (number INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
    for m in migrations.MIGRATIONS:
        if m.number < 121:
            m.step(conn)
            conn.execute("INSERT INTO migrations (number, name) VALUES (?, ?)", (m.number, m.name))
    saved = {}
    for name, (days, start, end, hol) in OLD.items():
        week, holiday = hours(days, start, end, hol)
        saved[name] = (enc(week), enc(holiday))
        conn.execute(
            "INSERT INTO schedules (name, windows, holiday_windows) VALUES (?, ?, ?)",
            (name, *saved[name]),
        )
    conn.execute(
        "INSERT INTO doors (id, name, lock_type, schedule_id) VALUES ('b1-e1', 'B1', 'strike',"
        " (SELECT id FROM schedules WHERE name = 'guards'))"
    )
    assert 121 in migrations.apply(conn)
    rows = conn.execute("SELECT name, windows, holiday_windows FROM schedules").fetchall()
    assert {r[0]: (r[1], r[2]) for r in rows} == saved  # what decides is untouched
    conn.close()

    store = Store(path, ManualClock(0.0), tmp_path / "keys")
    try:
        listed = {s["name"]: s for s in store.schedule_list()}
        assert listed["cleaners"]["hours"] == [
            {"days": "mon-fri", "spans": [{"from": "07:00", "to": "18:00"}]}
        ]
        assert listed["cleaners"]["holidays"] == "closed"
        # The night that was saved as an evening and the next morning is one span again.
        assert listed["guards"]["hours"] == [
            {"days": "sat-sun", "spans": [{"from": "22:00", "to": "06:00"}]}
        ]
        assert listed["guards"]["holiday_hours"] == [{"from": "22:00", "to": "06:00"}]
        assert listed["guards"]["doors"] == ["b1-e1"]
        assert listed["evening"]["hours"][0]["spans"] == [{"from": "20:00", "to": "24:00"}]
        # A schedule added after the upgrade keeps its form beside its windows.
        store.add_schedule("later", *hours("mon-fri", "07:00", "09:00", "closed"))
        stored = store.query("SELECT hours FROM schedules WHERE name = 'later'")[0]["hours"]
        assert json.loads(stored) == {"sets": [[[0, 1, 2, 3, 4], [[420, 540]]]], "holiday": []}
    finally:
        store.close()
