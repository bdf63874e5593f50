"""Visitor passes a resident issues from the indoor station: which unit and station issued each
pass, for whom, and how many of its uses are spent (``compound/store/station_passes.py``)."""

from __future__ import annotations

import sqlite3

from compound.store.migrations.script import Migration, run_script


def _station_passes(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE station_passes (
            credential_id INTEGER PRIMARY KEY REFERENCES credentials(id),
            unit TEXT NOT NULL,
            station TEXT NOT NULL,
            visitor TEXT NOT NULL,
            max_uses INTEGER NOT NULL CHECK (max_uses >= 1),
            uses INTEGER NOT NULL DEFAULT 0,
            issued_at REAL NOT NULL
        );
        CREATE INDEX station_passes_unit ON station_passes(unit, issued_at);
        """,
    )


STEPS = (Migration(200, "visitor passes issued from indoor stations", _station_passes),)
