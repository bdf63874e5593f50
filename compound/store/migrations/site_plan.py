"""The compound's site plan for the officer wall's map: one image (JPEG, re-encoded by the core
from what the manager uploaded) and where each door stands on it, as fractions of the image's
width and height so that the positions survive a new image of the same plan at another size."""

from __future__ import annotations

import sqlite3

from compound.store.migrations.script import Migration, run_script


def _site_plan(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE site_plan (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            image BLOB NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            version INTEGER NOT NULL,
            updated_at REAL NOT NULL,
            updated_by TEXT NOT NULL
        );
        CREATE TABLE door_positions (
            door_id TEXT PRIMARY KEY REFERENCES doors(id) ON DELETE CASCADE,
            x REAL NOT NULL CHECK (x >= 0 AND x <= 1),
            y REAL NOT NULL CHECK (y >= 0 AND y <= 1),
            placed_at REAL NOT NULL,
            placed_by TEXT NOT NULL
        );
        """,
    )


STEPS = (Migration(180, "site plan: the plan image and door positions on it", _site_plan),)
