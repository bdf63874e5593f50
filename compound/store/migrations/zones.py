"""Alarm zones armed and disarmed by the officer, or armed by a schedule
(``compound/store/zone_arming.py``): a zone without a row is armed, so a zone newly wired
reports from the start."""

from __future__ import annotations

import sqlite3

from compound.store.migrations.script import Migration, run_script


def _zone_arming(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE zone_arming (
            bridge TEXT NOT NULL,
            zone TEXT NOT NULL,
            armed INTEGER NOT NULL CHECK (armed IN (0, 1)),
            by TEXT NOT NULL,
            actor TEXT NOT NULL DEFAULT '',
            at REAL NOT NULL,
            PRIMARY KEY (bridge, zone)
        );
        """,
    )


def _zone_schedules(conn: sqlite3.Connection) -> None:
    # Armed only within a schedule's hours (``compound zone arm Z --schedule night``); no
    # foreign key: a schedule removed later leaves the zone armed at all hours, never silent.
    run_script(conn, "ALTER TABLE zone_arming ADD COLUMN schedule_id INTEGER;")


STEPS = (
    Migration(170, "alarm zones: armed or disarmed, by whom", _zone_arming),
    Migration(171, "alarm zones armed by schedule", _zone_schedules),
)
