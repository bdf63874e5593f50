"""ID numbers sealed at rest: nothing in the database file shows one, and every reader still
works (search by the end of the number, the duplicate check at registration, the lookup by
number, the masked register), including on a database written before the numbers were sealed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from compound.domain.clock import ManualClock
from compound.domain.model import InvalidInput
from compound.domain.paging import Page
from compound.domain.search import terms
from compound.services import rental, reports
from compound.store import migrations
from compound.store.db import Store
from compound.store.id_numbers import IdNumberError
from compound.store.people_search import find_people

OWNER = "110101199001011234"
TENANT = "51010219880202567X"


def found(store: Store, q: str) -> list[str]:
    people, _ = find_people(store, terms(q), Page(1, 50))
    return sorted(p.name for p in people)


@pytest.fixture
def registered(store: Store) -> Store:
    store.add_unit("3-2-1501")
    store.add_person("张伟", "3-2-1501", "owner", id_number=OWNER, phone="13800135678")
    rental.register_tenant(
        store,
        {
            "name": "李娜",
            "unit": "3-2-1501",
            "id_number": TENANT.lower(),
            "by": "manager",
            "lease_start": "2026-01-01",
            "lease_end": "2027-01-01",
        },
    )
    return store


def test_the_database_file_holds_no_id_number(registered: Store, tmp_path: Path) -> None:
    """Read with sqlite3 and as raw bytes after closing (WAL checkpointed): no number, no
    column for one; the key is a 0600 file beside the database, not in it."""
    registered.close()
    conn = sqlite3.connect(tmp_path / "compound.db")
    cols = [r[1] for r in conn.execute("PRAGMA table_info(people)")]
    assert "id_number" not in cols and {"id_sealed", "id_hash", "id_masked"} <= set(cols)
    rows = conn.execute("SELECT * FROM people").fetchall()
    conn.close()
    text = repr(rows)
    assert OWNER not in text and TENANT not in text and "110***********1234" in text
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("compound.db*"))
    for number in (OWNER, TENANT, OWNER[3:-4], TENANT[3:-4]):
        assert number.encode() not in raw
    assert (tmp_path / "keys" / "id.key").stat().st_mode & 0o777 == 0o600


def test_the_store_opens_the_numbers_for_a_person(registered: Store) -> None:
    assert sorted(p.id_number or "" for p in registered.people()) == [OWNER, TENANT]


def test_search_by_the_end_of_the_number_and_by_the_whole_number(registered: Store) -> None:
    assert found(registered, "1234") == ["张伟"]
    assert found(registered, "011234") == ["张伟"]  # longer than 4: checked on the opened number
    assert found(registered, "991234") == []  # same last 4, not the same end
    assert found(registered, "567x") == ["李娜"]
    assert found(registered, OWNER) == ["张伟"]


def test_a_number_registered_twice_is_refused_until_its_holder_moves_out(
    registered: Store,
) -> None:
    with pytest.raises(InvalidInput, match="already registered"):
        registered.add_person("张三", "3-2-1501", "family", id_number=f" {OWNER.lower()} ")
    with pytest.raises(InvalidInput, match="already registered"):
        rental.register_tenant(
            registered,
            {
                "name": "王五",
                "unit": "3-2-1501",
                "id_number": TENANT,
                "by": "m",
                "lease_start": "2026-01-01",
                "lease_end": "2027-01-01",
            },
        )
    (zhang,) = [p for p in registered.people() if p.name == "张伟"]
    registered.move_out(zhang.id)
    assert registered.add_person("张伟", "3-2-1501", "owner", id_number=OWNER) != zhang.id


def test_the_lookup_by_number_and_the_masked_register(registered: Store) -> None:
    got = reports.passages_of(registered, {"id_number": OWNER.lower()})
    assert [(p["name"], p["id_number"]) for p in got["people"]] == [("张伟", "110***********1234")]
    (row,) = rental.tenant_register(registered)
    assert row["id_number"] == "510***********567X"


def test_a_sealed_number_copied_onto_another_row_does_not_open(registered: Store) -> None:
    with registered.transaction() as c:
        c.execute(
            "UPDATE people SET id_sealed = (SELECT id_sealed FROM people WHERE name = '张伟')"
            " WHERE name = '李娜'"
        )
    (li,) = [r for r in registered.query("SELECT id FROM people WHERE name = '李娜'")]
    with pytest.raises(IdNumberError, match="integrity"):
        registered.person(int(li["id"]))


def old_database(path: Path, people: list[tuple[str, str | None]]) -> sqlite3.Connection:
    """A database as the box wrote it before migration 160: numbers in clear."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE migrations (number INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
    for m in migrations.MIGRATIONS:
        if m.number < 160:
            m.step(conn)
            conn.execute("INSERT INTO migrations (number, name) VALUES (?, ?)", (m.number, m.name))
    conn.executescript(
        "INSERT INTO buildings (number) VALUES (1); INSERT INTO entrances VALUES (1, 1);"
        " INSERT INTO units (address, building, entrance, room) VALUES ('1-1-101', 1, 1, '101');"
        " INSERT INTO households (unit_id, created_at) VALUES (1, 0);"
    )
    conn.executemany(
        "INSERT INTO people (name, household_id, role, id_number, created_at)"
        " VALUES (?, 1, 'owner', ?, 0)",
        people,
    )
    return conn


def test_an_older_database_is_converted_when_the_store_opens_it(
    tmp_path: Path, clock: ManualClock
) -> None:
    """A database from before migration 160 with numbers in clear: opening it seals them in
    one step, and the people found, the duplicate check and the search work as before."""
    path = tmp_path / "old.db"
    conn = old_database(path, [("曾小贤", OWNER), ("胡一菲", None)])
    conn.close()
    store = Store(path, clock, tmp_path / "keys")
    try:
        assert [(p.name, p.id_number) for p in store.people()] == [
            ("曾小贤", OWNER),
            ("胡一菲", None),
        ]
        assert found(store, "1234") == ["曾小贤"]
        with pytest.raises(InvalidInput, match="already registered"):
            store.add_person("曾小贤", "1-1-101", "owner", id_number=OWNER)
        assert store.one("SELECT 1 FROM migrations WHERE number = 160")
    finally:
        store.close()
    assert OWNER.encode() not in b"".join(p.read_bytes() for p in tmp_path.glob("old.db*"))


def test_an_older_database_with_numbers_is_not_half_converted_without_the_key(
    tmp_path: Path,
) -> None:
    """Opened without the store (no sealing functions), the step fails and nothing changes."""
    conn = old_database(tmp_path / "old.db", [("曾小贤", OWNER)])
    with pytest.raises(sqlite3.OperationalError, match="no such function"):
        migrations.apply(conn)
    assert conn.execute("SELECT id_number FROM people").fetchall() == [(OWNER,)]
    assert not conn.execute("SELECT 1 FROM migrations WHERE number = 160").fetchone()
