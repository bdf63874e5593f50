"""ID numbers sealed at rest (``compound/store/id_numbers.py``): the clear ``id_number`` column
goes, ``id_sealed``, ``id_hash`` and ``id_masked`` take its place, and every existing row is
converted in the step's one transaction.

The conversion uses the SQL functions the store registers on its connection (``id_seal``,
``id_hash``, ``id_mask``), which hold the key; a database with ID numbers opened any other way
stops here with SQLite's "no such function", and keeps its rows as they were.
"""

from __future__ import annotations

import sqlite3

from compound.store.migrations.script import Migration, run_script

# What the search's index is built on: the last 4 characters, read from the masked form.
ID_TAIL = "substr(id_masked, -4)"


def _seal_id_numbers(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        ALTER TABLE people ADD COLUMN id_sealed BLOB;
        ALTER TABLE people ADD COLUMN id_hash TEXT;
        ALTER TABLE people ADD COLUMN id_masked TEXT;
        """,
    )
    if conn.execute("SELECT 1 FROM people WHERE id_number IS NOT NULL LIMIT 1").fetchone():
        conn.execute(
            "UPDATE people SET id_sealed = id_seal(id, id_number), id_hash = id_hash(id_number),"
            " id_masked = id_mask(id_number) WHERE id_number IS NOT NULL"
        )
    run_script(
        conn,
        f"""
        DROP INDEX IF EXISTS people_id_number;
        DROP INDEX IF EXISTS people_id_tail;
        ALTER TABLE people DROP COLUMN id_number;
        CREATE UNIQUE INDEX people_id_hash ON people(id_hash)
            WHERE id_hash IS NOT NULL AND moved_out_at IS NULL;
        -- The lookup by number finds people who moved out too (their passages stay).
        CREATE INDEX people_id_hash_all ON people(id_hash);
        CREATE INDEX people_id_tail ON people({ID_TAIL});
        """,
    )


STEPS = (Migration(160, "ID numbers sealed: id_sealed, id_hash, id_masked", _seal_id_numbers),)
