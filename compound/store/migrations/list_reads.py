"""Indexes for the lists read a page at a time (``schedule.list``, ``notice.list``): how many
live credentials use a schedule and its first ones are read from an index that holds all a
count needs, and the newest notices are read in order and the read stops after the page. The
notices showing now (what every door panel asks for, and what the core republishes to them)
are read from their own index, by end time among those not withdrawn: only the notices not yet
over are visited, however many years of ended ones the table holds."""

from __future__ import annotations

import sqlite3

from compound.store.migrations.script import Migration, run_script


def _list_indexes(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE INDEX credentials_schedule ON credentials(schedule_id, revoked_at, valid_until)
            WHERE schedule_id IS NOT NULL;
        CREATE INDEX notices_newest ON notices(valid_from, id);
        """,
    )


def _current_notices(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE INDEX notices_current ON notices(valid_until, valid_from)
            WHERE withdrawn_at IS NULL;
        """,
    )


STEPS = (
    Migration(260, "lists read a page at a time: schedules' users, notices", _list_indexes),
    Migration(261, "the notices showing now, by end time", _current_notices),
)
