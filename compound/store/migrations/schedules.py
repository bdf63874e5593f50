"""The holiday list learns worked weekend days (调休): ``holidays.workday = 1`` marks a Saturday or
Sunday that is a working day, on which working-day hours apply instead of weekend ones."""

from __future__ import annotations

import sqlite3

from compound.store.migrations.script import Migration, run_script


def _workdays(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        ALTER TABLE holidays ADD COLUMN workday INTEGER NOT NULL DEFAULT 0
            CHECK (workday IN (0, 1));
        """,
    )


STEPS = (Migration(120, "worked weekend days in the holiday list", _workdays),)
