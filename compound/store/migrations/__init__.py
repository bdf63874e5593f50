"""Numbered schema migrations, recorded in the ``migrations`` table.

Each feature keeps its steps in its own module here, under its own range of numbers, and
``MIGRATIONS`` lists them all explicitly, so that the order is fixed and no two collide:

    1-19   foundation                     20-39  face templates and consent
    40-59  community safety and uplink    60-79  devices and security
    80-99  doors and intercom         100-119 indexes for the compound's real size
    120-139 schedules and holidays     140-159 searching people, paging lists
    160-169 ID numbers sealed at rest  170-179 alarm zones armed    180-199 the site plan
    200-219 visitor passes issued from indoor stations    240-249 duty officers at the wall
    250-259 notices for some buildings    260-269 lists read a page at a time
    270-279 each tenant's next visit date    280-289 notices searched by building

A step runs inside the same transaction as the row that records it, so a box that loses power
during an upgrade comes back either before or after the step, never half-way.
"""

from __future__ import annotations

import sqlite3

from compound.store.migrations import (
    community,
    devices,
    face,
    foundation,
    id_numbers,
    intercom,
    list_reads,
    notice_buildings,
    notices,
    officers,
    quarantine,
    scale,
    schedules,
    search,
    site_plan,
    station_passes,
    visit_due,
    zones,
)
from compound.store.migrations.script import Migration, run_script

__all__ = ["MIGRATIONS", "Migration", "apply", "run_script"]

MIGRATIONS: tuple[Migration, ...] = tuple(
    sorted(
        (
            *foundation.STEPS,
            *face.STEPS,
            *devices.STEPS,
            *quarantine.STEPS,
            *community.STEPS,
            *intercom.STEPS,
            *scale.STEPS,
            *search.STEPS,
            *schedules.STEPS,
            *id_numbers.STEPS,
            *station_passes.STEPS,
            *zones.STEPS,
            *site_plan.STEPS,
            *officers.STEPS,
            *notices.STEPS,
            *list_reads.STEPS,
            *visit_due.STEPS,
            *notice_buildings.STEPS,
        ),
        key=lambda m: m.number,
    )
)
if len({m.number for m in MIGRATIONS}) != len(MIGRATIONS):
    raise RuntimeError("two migrations share a number")


def apply(conn: sqlite3.Connection) -> list[int]:
    """Bring the database up to date; returns the numbers applied now."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS migrations (number INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
    )
    done = {row[0] for row in conn.execute("SELECT number FROM migrations")}
    applied = []
    for m in MIGRATIONS:
        if m.number in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated between our read and our lock.
            if conn.execute("SELECT 1 FROM migrations WHERE number = ?", (m.number,)).fetchone():
                conn.execute("ROLLBACK")
                continue
            m.step(conn)
            conn.execute("INSERT INTO migrations (number, name) VALUES (?, ?)", (m.number, m.name))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(m.number)
    return applied
