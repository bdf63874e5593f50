"""Numbered schema migrations, recorded in the ``migrations`` table.

Each feature keeps its schema next to its code and registers its steps here under its own
range of numbers, so that the order is fixed and no two features collide:

    1-19   foundation (this module)       20-39  face templates and consent
    40-59  community safety and uplink    60-79  devices and security
    80-99  doors and intercom

A step runs inside the same transaction as the row that records it, so a box that loses power
during an upgrade comes back either before or after the step, never half-way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

Step = Callable[[sqlite3.Connection], None]

MIGRATIONS: dict[int, tuple[str, Step]] = {}


def migration(number: int, name: str) -> Callable[[Step], Step]:
    def register(fn: Step) -> Step:
        if number in MIGRATIONS and MIGRATIONS[number][1] is not fn:
            raise RuntimeError(f"migration {number} registered twice")
        MIGRATIONS[number] = (name, fn)
        return fn

    return register


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run several statements inside the caller's transaction.

    ``executescript`` would commit first, which would break the one-step-one-transaction rule.
    """
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            conn.execute(pending)
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement in migration: {pending.strip()[:60]}")


def _load_feature_schemas() -> None:
    # Imported for their @migration side effect; listed here so the order of loading is visible.
    import compound.schema  # noqa: F401

    for module in FEATURE_SCHEMAS:
        __import__(module)


# Modules that register migrations of their own, besides compound.schema.
FEATURE_SCHEMAS: list[str] = [
    "compound.face.schema",
    "compound.devices_schema",
    "compound.community.schema",
    "compound.intercom_schema",
]


def apply(conn: sqlite3.Connection) -> list[int]:
    """Bring the database up to date; returns the numbers applied now."""
    _load_feature_schemas()
    conn.execute(
        "CREATE TABLE IF NOT EXISTS migrations (number INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
    )
    done = {row[0] for row in conn.execute("SELECT number FROM migrations")}
    applied = []
    for number in sorted(MIGRATIONS):
        if number in done:
            continue
        name, step = MIGRATIONS[number]
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated between our read and our lock.
            if conn.execute("SELECT 1 FROM migrations WHERE number = ?", (number,)).fetchone():
                conn.execute("ROLLBACK")
                continue
            step(conn)
            conn.execute("INSERT INTO migrations (number, name) VALUES (?, ?)", (number, name))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(number)
    return applied
