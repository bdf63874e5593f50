"""Finding people one page at a time, for the consoles and the command line.

Every read here goes through ``Store.read``: the reader connection of the calling thread,
outside the lock the door decisions take, so a search typed at the manager console never
holds up a swipe. Each kind of search text (``compound.domain.search.Terms``) is looked up in
an index of its own (migration 140): the initials, the name (ignoring Latin case), the unit
address, the end of the ID number, the end of the phone, the card's lookup value. The people
found are the union of those lookups, newest registration first. Only a part of a Chinese name
(``Terms.name_part``) is looked for in every name, reading the name index from end to end.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from compound.domain.model import Person, Role, UnitAddress
from compound.domain.paging import Page
from compound.domain.search import Terms, upper_bound
from compound.store.db import Store
from compound.store.migrations.id_numbers import ID_TAIL
from compound.store.migrations.search import PHONE_TAIL
from compound.store.people import _person

MAX_IDS = 200  # names asked for at once (a page of passages names at most that many people)


def _id_matches(store: Store, tail: str) -> list[int]:
    """People whose ID number is ``tail`` or ends with it. The numbers are sealed: the whole
    number is found by its keyed hash, an end by the last 4 characters of the masked form
    (indexed), and an end longer than 4 is checked on those few candidates' opened numbers."""
    found = [
        r["id"]
        for r in store.read("SELECT id FROM people WHERE id_hash = ?", (store.ids.hash(tail),))
    ]
    rows = store.read(
        f"SELECT id, id_sealed FROM people WHERE {ID_TAIL} = ?",  # noqa: S608 - a constant
        (tail[-4:],),
    )
    for r in rows:
        if len(tail) == 4 or (store.ids.open(r["id"], r["id_sealed"]) or "").endswith(tail):
            found.append(r["id"])
    return sorted(set(found))


def _hits(t: Terms, id_matches: list[int]) -> tuple[list[str], list[Any]]:
    """One SELECT of person ids per key the text can be, each answered by its own index."""
    parts: list[str] = []
    args: list[Any] = []
    if t.initials is not None:
        parts.append("SELECT id FROM people WHERE initials >= ? AND initials < ?")
        args += [t.initials, upper_bound(t.initials)]
    if t.name_start is not None:
        low = t.name_start.lower()
        parts.append(
            "SELECT id FROM people WHERE name >= ? COLLATE NOCASE AND name < ? COLLATE NOCASE"
        )
        args += [low, upper_bound(low)]
    if t.name_part is not None:
        # The one search no index answers: the text may sit anywhere in the name.
        parts.append("SELECT id FROM people WHERE instr(name, ?) > 0")
        args.append(t.name_part)
    if t.unit_start is not None:
        parts.append(
            "SELECT p.id FROM units u JOIN households h ON h.unit_id = u.id"
            " JOIN people p ON p.household_id = h.id WHERE u.address >= ? AND u.address < ?"
        )
        args += [t.unit_start, upper_bound(t.unit_start)]
    if t.id_tail is not None:
        # Resolved beforehand (``_id_matches``): a handful of ids (-1: none, a row id never is).
        wanted = id_matches or [-1]
        parts.append(f"SELECT id FROM people WHERE id IN ({','.join('?' * len(wanted))})")  # noqa: S608
        args += wanted
    if t.phone_tail is not None:
        parts.append(f"SELECT id FROM people WHERE {PHONE_TAIL} = ?")  # noqa: S608
        args.append(t.phone_tail)
    if t.card is not None:
        # Revoked cards too: "whose card was this?" is a question a manager asks.
        parts.append("SELECT person_id FROM credentials WHERE kind = 'card' AND lookup = ?")
        args.append(t.card)
    return parts, args


def find_people(
    store: Store,
    terms: Terms | None,
    page: Page,
    *,
    unit: UnitAddress | None = None,
    role: Role | None = None,
    include_moved_out: bool = False,
) -> tuple[list[Person], int]:
    """One page of the people matching ``terms`` (everyone when None) and the filters, newest
    registration first, and how many match in all."""
    ctes, args = [], list[Any]()
    source = "people p"
    if terms is not None:
        ids = _id_matches(store, terms.id_tail) if terms.id_tail is not None else []
        parts, args = _hits(terms, ids)
        # Materialized and joined first (CROSS JOIN fixes the order): the few people found,
        # never a walk over everyone probing the hits.
        ctes.append(f"hits(id) AS MATERIALIZED ({' UNION '.join(parts)})")
        source = "hits CROSS JOIN people p ON p.id = hits.id"
    where, filters = ["1=1"], list[Any]()
    if unit is not None:
        # A unit's few residents by people_household; the unary + keeps the planner from
        # walking every resident by people_moved_out instead.
        where.append(
            "p.household_id IN (SELECT fh.id FROM households fh"
            " JOIN units fu ON fu.id = fh.unit_id WHERE fu.address = ?)"
        )
        filters.append(str(unit))
    if not include_moved_out:
        where.append("+p.moved_out_at IS NULL" if unit is not None else "p.moved_out_at IS NULL")
    if role is not None:
        where.append("+p.role = ?" if unit is not None else "p.role = ?")
        filters.append(str(role))
    # Without a unit, people alone are counted and paged (indexes people_moved_out and
    # people_role give both in id order); the unit of the page's rows is read last.
    body = f" FROM {source} WHERE {' AND '.join(where)}"
    head = f"WITH {', '.join(ctes)} " if ctes else ""
    if terms is not None:
        # The people found are read once, as ids (a few thousand at most for a common
        # surname): counting and paging them in two statements read every name twice.
        found = store.read(f"{head}SELECT p.id{body} ORDER BY p.id DESC", (*args, *filters))
        wanted = [r["id"] for r in found[page.offset : page.offset + page.size]]
        return _by_id(store, wanted), len(found)
    total = store.read(f"{head}SELECT COUNT(*) AS n{body}", (*args, *filters))[0]["n"]
    if page.offset >= total:
        return [], total  # past the end: no need to read any row
    ctes.append(f"pg(id) AS MATERIALIZED (SELECT p.id{body} ORDER BY p.id DESC LIMIT ? OFFSET ?)")
    rows = store.read(
        f"WITH {', '.join(ctes)} SELECT p.*, u.address AS unit_address"  # noqa: S608 - values bound
        " FROM pg CROSS JOIN people p ON p.id = pg.id"
        " JOIN households h ON h.id = p.household_id JOIN units u ON u.id = h.unit_id"
        " ORDER BY p.id DESC",
        (*args, *filters, page.size, page.offset),
    )
    return [_person(r, store.ids) for r in rows], total


def _by_id(store: Store, ids: list[int]) -> list[Person]:
    """These people with their unit, newest registration first."""
    if not ids:
        return []
    rows = store.read(
        "SELECT p.*, u.address AS unit_address FROM people p"  # noqa: S608 - marks only
        " JOIN households h ON h.id = p.household_id JOIN units u ON u.id = h.unit_id"
        f" WHERE p.id IN ({','.join('?' * len(ids))}) ORDER BY p.id DESC",
        tuple(ids),
    )
    return [_person(r, store.ids) for r in rows]


def find_units(store: Store, start: str | None, page: Page) -> tuple[list[dict[str, Any]], int]:
    """One page of the units whose address starts with ``start`` (all when None), by building,
    entrance and room, and how many there are."""
    cond, args = "", list[Any]()
    if start is not None:
        cond, args = " WHERE address >= ? AND address < ?", [start, upper_bound(start)]
    total = store.read(f"SELECT COUNT(*) AS n FROM units{cond}", tuple(args))[0]["n"]  # noqa: S608
    rows = store.read(
        f"SELECT * FROM units{cond} ORDER BY building, entrance, room LIMIT ? OFFSET ?",  # noqa: S608
        (*args, page.size, page.offset),
    )
    return rows, total


def names_of(store: Store, ids: Iterable[int]) -> dict[int, str]:
    """The names of up to ``MAX_IDS`` people (moved out too: old passages still name them)."""
    wanted = sorted(set(ids))[:MAX_IDS]
    if not wanted:
        return {}
    marks = ",".join("?" * len(wanted))
    rows = store.read(f"SELECT id, name FROM people WHERE id IN ({marks})", tuple(wanted))  # noqa: S608
    return {int(r["id"]): str(r["name"]) for r in rows}
