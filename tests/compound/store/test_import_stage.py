"""The import's scratch database: deleted after use, and not needed where it cannot be attached."""

from __future__ import annotations

import os
import time
from pathlib import Path

from compound.domain import register_sheet
from compound.store import register_import
from compound.store.db import Store

SHEET = (
    "name,unit,role,id_number,phone,lease_start,lease_end,card,pin\n"
    "王小明,3-2-1501,owner,110101199003074514,13800000001,,,20001,\n"
    "李丽,3-2-1502,tenant,110101199003075418,13800000002,2026-01-01,2026-12-31,20002,482913\n"
)


def _count(store: Store, table: str) -> int:
    return int(store.query(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"])  # noqa: S608


def test_the_scratch_file_is_gone_after_the_import(store: Store) -> None:
    r = register_import.import_people(store, register_sheet.people(SHEET), by="test")
    assert r.rows == 2 and _count(store, "people") == 2 and _count(store, "credentials") == 3
    folder: Path = store.path.parent
    assert not [p for p in folder.iterdir() if p.name.startswith(".import-")]
    assert store.verify_log().ok


def test_inside_an_open_transaction_the_rows_are_inserted_directly(store: Store) -> None:
    with store.transaction():  # nothing can be attached here: the same rows, from Python
        r = register_import.import_people(store, register_sheet.people(SHEET), by="test")
    assert r.rows == 2 and _count(store, "people") == 2 and _count(store, "tenant_profiles") == 1
    assert store.verify_log().ok
    people = store.query("SELECT name, household_id FROM people ORDER BY id")
    assert [p["name"] for p in people] == ["王小明", "李丽"]


def test_a_scratch_folder_a_killed_import_left_is_removed_by_the_next(store: Store) -> None:
    """A SIGKILL between staging and the copy left the folder with names and phone numbers in
    it for good; one that is not an hour old may be another import's, running, and stays."""
    folder: Path = store.path.parent
    stale, fresh = folder / ".import-killed", folder / ".import-running"
    for f in (stale, fresh):
        f.mkdir()
        (f / "stage.db").write_bytes(b"x")
    hours_ago = time.time() - 2 * 3600
    os.utime(stale, (hours_ago, hours_ago))
    register_import.import_people(store, register_sheet.people(SHEET), by="test")
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".import-")) == [fresh.name]
