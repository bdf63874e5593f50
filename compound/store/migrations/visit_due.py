"""Each living tenant's next visit date, kept beside them (``visit_due``), so that ``visit.due``
reads one page from an index instead of working out every tenant's date to order them.

The date is their last visit (to them, or to their household), else their registration, plus
the days between visits for their layer (their own, else their household class's): half a
month, a quarter, half a year. SQLite keeps it: triggers on people, tenant profiles, household
classes and visits recompute the tenants a change touches, whichever code writes it (the API,
the CSV import, the sample, a test's own INSERT), finding them by their id or household (not
by the role index: that would read every living tenant on each write). A due date does not
depend on the time of day, so nothing has to age the table.

The intervals and the class-to-layer table are written here as numbers, frozen with the
triggers they make: a box keeps the triggers it was migrated with. Changing the rule
(``compound/services/rental.py``, ``compound/domain/register_sheet.py``) needs a new migration
that drops and recreates these triggers and refreshes the table; a test fails until then.
"""

from __future__ import annotations

import sqlite3

from compound.store.migrations.script import Migration, run_script

INTERVAL_DAYS = {"focus": 15.0, "watch": 91.0, "stable": 182.0}
LAYER_FOR_CLASS = {"focus": "focus", "general": "watch", "trusted": "stable"}

_LAYER = (
    "COALESCE(tp.layer, CASE hc.class "
    + " ".join(f"WHEN '{c}' THEN '{lay}'" for c, lay in LAYER_FOR_CLASS.items())
    + " ELSE 'watch' END)"
)
_DAYS = (
    f"(CASE {_LAYER} "
    + " ".join(f"WHEN '{lay}' THEN {d}" for lay, d in INTERVAL_DAYS.items())
    + " END)"
)
_LAST_VISIT = (
    "(SELECT MAX(v.at) FROM visits v WHERE v.person_id = p.id OR v.household_id = p.household_id)"
)


def _refresh(which: str) -> str:
    """Statements that recompute the due date of the people ``which`` picks (a condition on
    ``p``, the people table): dropped first, then written again for those still tenants."""
    drop = "DELETE FROM visit_due WHERE person_id IN (SELECT p.id FROM people p WHERE"
    return (
        f"{drop} {which});\n"  # noqa: S608 - our own conditions, written in this module
        "INSERT INTO visit_due (person_id, due_at)"
        f" SELECT p.id, COALESCE({_LAST_VISIT}, tp.registered_at, p.created_at) + {_DAYS} * 86400"
        " FROM people p LEFT JOIN tenant_profiles tp ON tp.person_id = p.id"
        " LEFT JOIN household_classes hc ON hc.household_id = p.household_id"
        # The "+" keeps SQLite from reading every living tenant by the role index and testing
        # each against ``which``: the change's own person or household picks the rows.
        f" WHERE +p.role = 'tenant' AND +p.moved_out_at IS NULL AND ({which});\n"
    )


def _trigger(name: str, event: str, table: str, which: str) -> str:
    return f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {_refresh(which)} END;\n"


_PERSON_NEW, _PERSON_OLD = "p.id = NEW.person_id", "p.id = OLD.person_id"
_HOUSE_NEW, _HOUSE_OLD = "p.household_id = NEW.household_id", "p.household_id = OLD.household_id"
_VISIT_NEW = f"{_PERSON_NEW} OR {_HOUSE_NEW}"
_VISIT_OLD = f"{_PERSON_OLD} OR {_HOUSE_OLD}"
_PEOPLE_COLUMNS = "role, household_id, created_at, moved_out_at"

# Each trigger: (name, after what, on which table, the people whose date it recomputes).
RULES = (
    ("visit_due_person_added", "INSERT", "people", "p.id = NEW.id"),
    (
        "visit_due_person_changed",
        f"UPDATE OF {_PEOPLE_COLUMNS}",
        "people",
        "p.id = NEW.id OR p.id = OLD.id",
    ),
    ("visit_due_profile_added", "INSERT", "tenant_profiles", _PERSON_NEW),
    (
        "visit_due_profile_changed",
        "UPDATE OF person_id, layer, registered_at",
        "tenant_profiles",
        f"{_PERSON_NEW} OR {_PERSON_OLD}",
    ),
    ("visit_due_profile_removed", "DELETE", "tenant_profiles", _PERSON_OLD),
    ("visit_due_class_added", "INSERT", "household_classes", _HOUSE_NEW),
    (
        "visit_due_class_changed",
        "UPDATE OF household_id, class",
        "household_classes",
        f"{_HOUSE_NEW} OR {_HOUSE_OLD}",
    ),
    ("visit_due_class_removed", "DELETE", "household_classes", _HOUSE_OLD),
    ("visit_due_visit_added", "INSERT", "visits", _VISIT_NEW),
    (
        "visit_due_visit_changed",
        "UPDATE OF person_id, household_id, at",
        "visits",
        f"{_VISIT_NEW} OR {_VISIT_OLD}",
    ),
    ("visit_due_visit_removed", "DELETE", "visits", _VISIT_OLD),
)
_REMOVED = (
    "CREATE TRIGGER visit_due_person_removed AFTER DELETE ON people"
    " BEGIN DELETE FROM visit_due WHERE person_id = OLD.id; END;\n"
)
TRIGGERS = "".join(_trigger(*rule) for rule in RULES) + _REMOVED


def _visit_due(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE visit_due (
            person_id INTEGER PRIMARY KEY,
            due_at REAL NOT NULL
        );
        -- A page of the visits due is a range of this index, read in order and cut.
        CREATE INDEX visit_due_at ON visit_due(due_at, person_id);
        """
        + TRIGGERS
        + _refresh("p.role = 'tenant'"),
    )


STEPS = (Migration(270, "each tenant's next visit date, kept by triggers", _visit_due),)
