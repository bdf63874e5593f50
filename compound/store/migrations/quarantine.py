"""Broker users quarantined for flooding (``compound/store/quarantine.py``), in the devices
range (60-79)."""

from __future__ import annotations

import sqlite3

from compound.store.migrations.script import Migration, run_script


def _quarantines(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE device_quarantines (
            id INTEGER PRIMARY KEY,
            device TEXT NOT NULL,
            door_id TEXT NOT NULL,
            shed INTEGER NOT NULL DEFAULT 0,
            since REAL NOT NULL,
            reason TEXT NOT NULL,
            released_at REAL,
            released_by TEXT
        );
        -- one open quarantine per device and door at most
        CREATE UNIQUE INDEX device_quarantines_open ON device_quarantines(device, door_id)
            WHERE released_at IS NULL;
        """,
    )


def _topics(conn: sqlite3.Connection) -> None:
    # A quarantine for flooding one topic of a door (its events, its state, its answers to
    # commands) names that topic: the user loses its write rule for it alone. NULL is the
    # older kind, named by its door: that door's access requests (or, at the pseudo-door
    # ``protocol.quarantine.AVAILABILITY``, the user's own availability).
    run_script(
        conn,
        """
        ALTER TABLE device_quarantines ADD COLUMN topic TEXT;
        DROP INDEX device_quarantines_open;
        CREATE UNIQUE INDEX device_quarantines_open
            ON device_quarantines(device, door_id, coalesce(topic, ''))
            WHERE released_at IS NULL;
        """,
    )


STEPS = (
    Migration(61, "device quarantines", _quarantines),
    Migration(62, "device quarantines for one topic", _topics),
)
