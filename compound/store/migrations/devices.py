"""Schema of the device credentials table (migrations 60-79)."""

from __future__ import annotations

import sqlite3

from compound.store.migrations.script import Migration, run_script


def _devices(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE devices (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            doors TEXT NOT NULL DEFAULT '[]',
            unit TEXT,
            cameras TEXT NOT NULL DEFAULT '[]',
            methods TEXT NOT NULL DEFAULT '[]',
            -- Mosquitto's $7$ PBKDF2 hash; the password itself is shown once and never stored.
            password_hash TEXT,
            created_at REAL NOT NULL,
            created_by TEXT NOT NULL DEFAULT '',
            revoked_at REAL,
            revoked_by TEXT
        );
        """,
    )


STEPS = (Migration(60, "device credentials", _devices),)
