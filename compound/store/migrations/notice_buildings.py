"""Each notice's buildings as rows of their own (``notice_buildings``), so that a door panel's
question (the notices showing now at this door) is a search of an index by building and end
time instead of a pass over every notice showing now, matching "1,12" text in each.

A row says: this notice is for this building ("12", as the notices' ``buildings`` column and a
door's served scope "12-1" spell it), or "*" for a notice to the whole compound (an empty
column). The notice's end time is kept beside it, so that the index reads only the notices of
these buildings not yet over, however many years of ended ones there are; a notice's end is
never changed once posted, and a trigger would carry the change if it were.

The ``buildings`` column stays what the replies show (the list as posted) and what the rows
are made from: SQLite makes them, in the transaction that writes the notice, whichever code
writes it (``notices.post``, a test's or a bench's own INSERT), and the foreign key removes
them with their notice. The migration makes the rows of every notice already posted the same
way, so each keeps the doors it was shown at.
"""

from __future__ import annotations

import sqlite3

from compound.store.migrations.script import Migration, run_script

WHOLE_COMPOUND = "*"

# The column's comma-separated numbers as a JSON array of strings ("1,12" -> ["1","12"]), or
# ["*"] when it is empty: split exactly where the text match split it before (each piece
# between commas, as written), so every notice reaches the same doors as it did.
_PIECES = (
    "CASE WHEN COALESCE({b}, '') = '' THEN '[\"" + WHOLE_COMPOUND + "\"]'"
    " ELSE '[\"' || replace({b}, ',', '\",\"') || '\"]' END"
)


def _rows_of(notice: str, source: str = "") -> str:
    """An INSERT of the rows of ``notice`` (NEW in a trigger; an alias ``source`` names)."""
    pieces = _PIECES.format(b=f"{notice}.buildings")
    insert = "INSERT OR IGNORE INTO notice_buildings (notice_id, building, valid_until) SELECT"
    rows = f"{notice}.id, value, {notice}.valid_until FROM {source}json_each({pieces})"
    return f"{insert} {rows}"


_TABLE = """
CREATE TABLE notice_buildings (
    notice_id INTEGER NOT NULL REFERENCES notices(id) ON DELETE CASCADE,
    building TEXT NOT NULL,
    valid_until REAL NOT NULL,
    PRIMARY KEY (notice_id, building)
) WITHOUT ROWID;
-- A door's notices showing now: a range of this index for each building it serves and one
-- for the whole compound, by end time.
CREATE INDEX notice_buildings_current ON notice_buildings(building, valid_until);
"""
_POSTED = f"""
CREATE TRIGGER notice_buildings_posted AFTER INSERT ON notices BEGIN
    {_rows_of("NEW")};
END;
"""
# Never done today (a notice is posted and withdrawn, never edited): kept right if it is.
_CHANGED = f"""
CREATE TRIGGER notice_buildings_changed AFTER UPDATE OF buildings, valid_until ON notices BEGIN
    DELETE FROM notice_buildings WHERE notice_id = OLD.id;
    {_rows_of("NEW")};
END;
"""  # noqa: S608 - our own statements


def _notice_buildings(conn: sqlite3.Connection) -> None:
    run_script(conn, _TABLE + _POSTED + _CHANGED + _rows_of("n", "notices n, ") + ";\n")


STEPS = (Migration(280, "each notice's buildings, searched by building", _notice_buildings),)
