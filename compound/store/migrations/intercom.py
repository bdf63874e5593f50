"""Tables of the intercom: which indoor station rings for which unit, and the call records."""

from __future__ import annotations

import sqlite3

from compound.store.migrations.script import Migration, run_script


def _calls(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        -- "group" is a unit address (3-2-1501) or a desk group such as 'desk' or 'officer'.
        CREATE TABLE intercom_stations (
            station TEXT PRIMARY KEY,
            ring_group TEXT NOT NULL,
            added_at REAL NOT NULL
        );
        CREATE INDEX intercom_stations_group ON intercom_stations(ring_group);
        CREATE TABLE call_records (
            id TEXT PRIMARY KEY,
            door_id TEXT NOT NULL,
            ring_group TEXT NOT NULL,
            emergency INTEGER NOT NULL DEFAULT 0,
            started_at REAL NOT NULL,
            answered_at REAL,
            ended_at REAL NOT NULL,
            outcome TEXT NOT NULL,
            answered_by TEXT,
            forwarded_to TEXT,
            door_opened INTEGER NOT NULL DEFAULT 0,
            snapshot BLOB,
            snapshot_at REAL
        );
        CREATE INDEX call_records_started ON call_records(started_at);
        """,
    )


STEPS = (Migration(80, "intercom stations and call records", _calls),)
