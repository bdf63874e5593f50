"""Notices for some buildings only (``compound/services/notices.py``): the building numbers a
notice is for, comma separated, or empty for the whole compound (every notice posted before)."""

from __future__ import annotations

import sqlite3

from compound.store.migrations.script import Migration, run_script


def _notice_buildings(conn: sqlite3.Connection) -> None:
    run_script(conn, "ALTER TABLE notices ADD COLUMN buildings TEXT NOT NULL DEFAULT '';")


STEPS = (Migration(250, "notices for some buildings", _notice_buildings),)
