"""Indexes for a compound of the real size (25,000 residents, 50,000 passages a day).

The periodic checks ask "when was this person last let in" (elderly living alone) and "who was
let in during the last week" (group rental). Both read only passages; partial indexes on the
granted events and a (type, at, person) index, which replaces (type, at), answer them from
the indexes alone, without touching the rest of the log, and the
few hundred people living alone are found without reading the other 25,000. A card or PIN is
looked up by its value among revoked ones too (to tell "revoked" from "unknown"), which the
unique index of live credentials alone cannot answer: without ``credentials_lookup`` every
swipe read the whole credentials table.
"""

from __future__ import annotations

import sqlite3

from compound.store.migrations.script import Migration, run_script


def _passage_indexes(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE INDEX events_passage_person ON events(person_id, at)
            WHERE type = 'access.granted';
        DROP INDEX events_type;
        CREATE INDEX events_type_at_person ON events(type, at, person_id);
        CREATE INDEX credentials_lookup ON credentials(kind, lookup);
        CREATE INDEX people_living_alone ON people(id)
            WHERE lives_alone = 1 AND moved_out_at IS NULL;
        """,
    )


def _household_indexes(conn: sqlite3.Connection) -> None:
    # A unit's residents and a household's members were found by reading every person.
    run_script(
        conn,
        """
        CREATE INDEX people_household ON people(household_id);
        CREATE INDEX households_unit ON households(unit_id);
        """,
    )


STEPS = (
    Migration(100, "scale: passage indexes for the periodic checks", _passage_indexes),
    Migration(101, "scale: people by household, households by unit", _household_indexes),
)
