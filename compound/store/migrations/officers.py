"""The duty officers who may acknowledge alarms at the officer wall
(``compound/store/officers.py``): a name, a badge number and the card and/or PIN they identify
with at the wall. Kept apart from the residents' credentials: an officer need not live in the
compound, and the card or PIN that names them at the wall opens no door."""

from __future__ import annotations

import sqlite3

from compound.store.migrations.script import Migration, run_script


def _officers(conn: sqlite3.Connection) -> None:
    # card: the number as looked up (no leading zeros); pin_hash: the keyed hash only.
    run_script(
        conn,
        """
        CREATE TABLE officers (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            badge TEXT NOT NULL,
            card TEXT,
            pin_hash TEXT,
            added_at REAL NOT NULL,
            added_by TEXT NOT NULL,
            removed_at REAL,
            CHECK (card IS NOT NULL OR pin_hash IS NOT NULL)
        );
        CREATE UNIQUE INDEX officers_badge ON officers(badge) WHERE removed_at IS NULL;
        CREATE UNIQUE INDEX officers_card ON officers(card)
            WHERE removed_at IS NULL AND card IS NOT NULL;
        CREATE UNIQUE INDEX officers_pin ON officers(pin_hash)
            WHERE removed_at IS NULL AND pin_hash IS NOT NULL;
        """,
    )


STEPS = (Migration(240, "duty officers who acknowledge alarms at the wall", _officers),)
