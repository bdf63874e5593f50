"""The holiday list learns worked weekend days (调休): ``holidays.workday = 1`` marks a Saturday or
Sunday that is a working day, on which working-day hours apply instead of weekend ones (120).

Schedules learn several spans a day (121): ``schedules.hours`` keeps the form a schedule was
written in (sets of days, each with its spans, and the holiday spans) for the console and the
CLI to show and edit. Every schedule saved before gets the form its windows give: its one span
becomes a one-span list, and an evening to 24:00 with the next morning from 00:00 becomes one
overnight span again. The windows, which decide, are not touched.
"""

from __future__ import annotations

import json
import sqlite3

from compound.domain.model import TimeWindow
from compound.domain.schedule_hours import from_windows
from compound.store.migrations.script import Migration, run_script


def _workdays(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        ALTER TABLE holidays ADD COLUMN workday INTEGER NOT NULL DEFAULT 0
            CHECK (workday IN (0, 1));
        """,
    )


def _written_hours(conn: sqlite3.Connection) -> None:
    run_script(conn, "ALTER TABLE schedules ADD COLUMN hours TEXT;")
    rows = conn.execute("SELECT id, windows, holiday_windows FROM schedules").fetchall()
    for sid, windows, holiday_windows in rows:
        written = from_windows(_windows(windows), _windows(holiday_windows))
        conn.execute("UPDATE schedules SET hours = ? WHERE id = ?", (written.dumps(), sid))


def _windows(text: str) -> list[TimeWindow]:
    return [TimeWindow(frozenset(d), s, e) for d, s, e in json.loads(text)]


STEPS = (
    Migration(120, "worked weekend days in the holiday list", _workdays),
    Migration(121, "schedules keep the spans they were written in", _written_hours),
)
