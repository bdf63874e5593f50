"""Indexes for finding people and alarms by what a screen searches and sorts them by.

The manager console searches people as the manager types: by name, pinyin initials, unit,
the end of an ID or phone number, a card. Each of those is a range or an equality on an index
of its own, so a search reads a few index pages, never the 25,000 people; only a part of a
Chinese name (anywhere in it) reads every name. The initials are worked out in Python
(pypinyin) and kept in a column the store fills when it registers a person; this step fills
it for everyone already registered.

The officer's alarm queue is sorted by severity, then newest first, one page at a time: an
index in that order, over the open alarms, gives any page without sorting them all.
"""

from __future__ import annotations

import sqlite3

from compound.domain.search import initials
from compound.store.migrations.script import Migration, run_script

# The severity order the alarm queue is sorted by; the query must use the same expression.
SEVERITY_RANK = (
    "(CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END)"
)
# The last four digits of a phone, without the spaces and dashes it may be written with.
PHONE_TAIL = "substr(replace(replace(phone, ' ', ''), '-', ''), -4)"
ID_TAIL = "substr(id_number, -4)"


def _people_search(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE people ADD COLUMN initials TEXT")
    rows = conn.execute("SELECT id, name FROM people").fetchall()
    conn.executemany(
        "UPDATE people SET initials = ? WHERE id = ?", [(initials(name), pid) for pid, name in rows]
    )
    run_script(
        conn,
        f"""
        CREATE INDEX people_initials ON people(initials);
        CREATE INDEX people_name_nocase ON people(name COLLATE NOCASE);
        CREATE INDEX people_id_tail ON people({ID_TAIL});
        CREATE INDEX people_phone_tail ON people({PHONE_TAIL});
        CREATE INDEX people_moved_out ON people(moved_out_at);
        CREATE INDEX people_role ON people(role, moved_out_at);
        """,
    )


def _alarm_queue(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        f"""
        CREATE INDEX alarms_open_rank ON alarms({SEVERITY_RANK}, raised_at DESC)
            WHERE acknowledged_at IS NULL;
        CREATE INDEX alarms_rank ON alarms({SEVERITY_RANK}, raised_at DESC);
        CREATE INDEX alarms_kind ON alarms(kind, acknowledged_at);
        """,
    )


STEPS = (
    Migration(
        140, "search: people's initials and the indexes the people search uses", _people_search
    ),
    Migration(141, "search: alarms by severity and time, and by kind", _alarm_queue),
)
