"""Writing a checked register sheet into the store: all of it in one transaction, or nothing.

The rows arrive checked (``compound.domain.register_sheet``); here they are checked against the
store (an ID number of someone living here, a card or a PIN already in use, a door that exists)
and written. Each person gets what registering them by hand gives (``People.add_person``,
``Credentials.add_card``/``set_pin``, ``rental.register_tenant``): their unit (created if new),
the open household of that unit (a rental one for tenants), the person row with the initials the
search uses, their card and PIN, a tenant's profile, and the same hash-chained events with the
same records for the city platform. Only the way it is written differs: in batches, with the
events chained in one pass, so 25,000 rows hold the database's write lock for about a second
instead of the minutes one-by-one registration takes (``bench/results/import.md``).

The store is checked twice: first on this thread's read connection, without the write lock (a
sheet with problems never delays a door), then again inside the transaction, since someone may
have registered the same card in between.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from compound.adapters import keys
from compound.domain import validation
from compound.domain.csv_rows import MAX_ERRORS, RowError, SheetError
from compound.domain.model import InvalidInput, Role, mask_id_number
from compound.domain.register_sheet import LAYER_FOR_CLASS, DoorRow, PersonRow
from compound.protocol.messages import canonical
from compound.store.db import Store
from compound.store.log_batch import EventBatch

_CHUNK = 500  # values per IN (...) list: well under SQLite's limit on parameters


@dataclass(frozen=True)
class Imported:
    rows: int
    units_created: int = 0
    cards: int = 0
    pins: int = 0
    events: int = 0
    dry_run: bool = False


@dataclass(frozen=True)
class _Prepared:
    """One row as it will be written, as far as it can be before the transaction gives the
    person and credential ids and the events' places in the chain."""

    row: PersonRow
    unit: str
    tenant: bool
    id_hash: str | None
    masked: str | None
    card: str | None  # the card's lookup form
    pin: str | None  # the PIN's keyed hash
    added: dict[str, Any]  # the person.added event's data
    added_json: str
    uplink: tuple[str, str]  # the person record for the platform, around its person_ref


def _prepare(store: Store, rows: Sequence[PersonRow]) -> list[_Prepared]:
    out = []
    for r in rows:
        unit, role = str(r.unit), str(r.role)
        added = {"unit": unit, "role": role}
        out.append(
            _Prepared(
                row=r,
                unit=unit,
                tenant=r.role is Role.TENANT,
                # ID numbers are kept as a keyed hash beside the sealed number (id_numbers.py)
                id_hash=store.ids.hash(r.id_number) if r.id_number else None,
                masked=mask_id_number(r.id_number),
                card=validation.card_lookup(r.card) if r.card else None,
                pin=keys.lookup_hash(store.master_key, "pin", r.pin) if r.pin else None,
                added=added,
                added_json=canonical(added).decode(),
                uplink=_around(_uplink(0, r), "person_ref"),
            )
        )
    return out


def check_people(store: Store, rows: Sequence[PersonRow]) -> list[RowError]:
    """What in the sheet clashes with the store, read without the write lock."""
    return _clashes(store.read, _prepare(store, rows))


def import_people(
    store: Store, rows: Sequence[PersonRow], *, by: str, dry_run: bool = False
) -> Imported:
    """Register every row or none; ``SheetError`` names each row that clashes with the store."""
    prepared = _prepare(store, rows)
    errors = _clashes(store.read, prepared)
    if errors:
        raise SheetError(errors, len(rows))
    cards = sum(1 for p in prepared if p.card)
    pins = sum(1 for p in prepared if p.pin)
    if dry_run:
        return Imported(len(rows), cards=cards, pins=pins, dry_run=True)
    now = store.clock.now()
    # Sealed now for the ids the rows will most likely get; again inside if someone else
    # registered a person in between (a seal is bound to its row's id).
    first = int(store.read("SELECT COALESCE(MAX(id), 0) + 1 AS n FROM people")[0]["n"])
    seals = _seals(store, prepared, first)
    with store.transaction() as c:

        def read(sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
            cur = c.execute(sql, params)
            names = [d[0] for d in cur.description or ()]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

        errors = _clashes(read, prepared)
        if errors:
            raise SheetError(errors, len(rows))
        pid = _next_id(c, "people")
        if pid != first:
            seals = _seals(store, prepared, pid)
        log = EventBatch(c, now)
        units = _units(c, log, {p.unit for p in prepared})
        households = _households(c, now, [(units[p.unit], p.tenant) for p in prepared])
        classes = dict(c.execute("SELECT household_id, class FROM household_classes").fetchall())
        cid = _next_id(c, "credentials")
        people, creds, tenants = [], [], []
        for p, sealed in zip(prepared, seals, strict=True):
            r = p.row
            hh = households[(units[p.unit], p.tenant)]
            people.append(_person_row(p, pid, hh, sealed, now))
            log.add("person.added", pid, p.added, p.added_json, f"{pid}".join(p.uplink))
            if p.tenant:
                layer = r.layer or (LAYER_FOR_CLASS[classes[hh]] if hh in classes else "watch")
                tenants.append((pid, layer, r.origin, now, by))
                data: dict[str, Any] = {"unit": p.unit, "layer": layer, "by": by}
                log.add("tenant.registered", pid, data, canonical(data).decode())
            for kind, lookup, label in _credentials(p):
                creds.append((cid, pid, kind, lookup, label, now))
                data = {"kind": kind, "credential_id": cid}  # as Credentials issues it
                log.add(
                    "credential.issued", pid, data, f'{{"credential_id":{cid},"kind":"{kind}"}}'
                )
                cid += 1
            pid += 1
        c.executemany(
            "INSERT INTO people (id, name, household_id, role, id_type, id_hash, id_masked,"
            " id_sealed, phone, lease_start, lease_end, lives_alone, birth_year, created_at,"
            " initials) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            people,
        )
        c.executemany(
            "INSERT INTO credentials (id, person_id, kind, lookup, label, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            creds,
        )
        c.executemany(
            "INSERT INTO tenant_profiles (person_id, layer, origin, registered_at, set_by)"
            " VALUES (?, ?, ?, ?, ?)",
            tenants,
        )
        created = len(log.units_created)
        data = {"by": by, "rows": len(rows), "units_created": created}
        data["credentials"] = len(creds)
        log.add("people.imported", None, data, canonical(data).decode())
        log.write()
        store._after_commit.extend(log.events)  # the event hooks see them once committed
    return Imported(len(rows), created, cards, pins, len(log.events))


def _seals(store: Store, prepared: list[_Prepared], first: int) -> list[bytes | None]:
    return [
        store.ids.seal(first + i, p.row.id_number) if p.row.id_number else None
        for i, p in enumerate(prepared)
    ]


def _around(obj: dict[str, Any], key: str) -> tuple[str, str]:
    """The canonical text of ``obj`` split where the integer value of ``key`` goes, so that
    ``str(v).join(parts) == canonical({**obj, key: v})``: sorted keys put it in one place."""
    text = canonical({**obj, key: 0}).decode()
    marker = f'"{key}":0'
    i = text.index(marker) + len(marker) - 1
    return text[:i], text[i + 1 :]


def import_doors(
    store: Store, rows: Sequence[DoorRow], *, by: str, dry_run: bool = False
) -> Imported:
    """Add every door or none, each through ``Store.add_door`` (a compound has a few hundred);
    a dry run adds them all and rolls back, so it finds every clash the real run would."""
    errors: list[RowError] = []
    try:
        with store.transaction():
            for r in rows:
                try:
                    store.add_door(
                        r.id,
                        r.name,
                        list(r.serves),
                        lock_type=r.lock,
                        egress=r.egress,
                        open_time_s=r.open_time_s,
                        held_open_s=r.held_open_s,
                        schedule=r.schedule,
                    )
                except InvalidInput as e:
                    column = "schedule" if "schedule" in str(e) else "id"
                    errors.append(RowError(r.line, column, str(e)))
            if errors:
                raise SheetError(errors, len(rows))  # rolls back every door added above
            if dry_run:
                raise _DryRun
            store.append_event("doors.imported", data={"by": by, "rows": len(rows)})
    except _DryRun:
        return Imported(len(rows), dry_run=True)
    return Imported(len(rows), events=len(rows) + 1)


class _DryRun(Exception):
    """Leaves the transaction that tried every row, rolling it back."""


# -- checks against the store ----------------------------------------------------------------


def _clashes(read: Any, prepared: list[_Prepared]) -> list[RowError]:
    errors: list[RowError] = []
    checks = (
        (
            "id_number",
            "SELECT id, id_hash FROM people WHERE moved_out_at IS NULL AND id_hash IN ({})",
            {p.id_hash: p.row.line for p in prepared if p.id_hash},
            "ID number already registered to person {}; move them out first or check the number",
        ),
        (
            "card",
            "SELECT id, lookup FROM credentials WHERE kind = 'card' AND revoked_at IS NULL"
            " AND lookup IN ({})",
            {p.card: p.row.line for p in prepared if p.card},
            "that card number is already in use",
        ),
        (
            "pin",
            "SELECT id, lookup FROM credentials WHERE kind = 'pin' AND revoked_at IS NULL"
            " AND lookup IN ({})",
            {p.pin: p.row.line for p in prepared if p.pin},
            "that PIN is already in use; choose another",
        ),
    )
    for column, sql, lines, message in checks:
        for found, value in _existing(read, sql, list(lines)):
            errors.append(RowError(lines[value], column, message.format(found)))
            if len(errors) >= MAX_ERRORS:
                break
    return sorted(errors, key=lambda e: e.line)


def _existing(read: Any, sql: str, values: list[str]) -> Iterable[tuple[Any, str]]:
    for i in range(0, len(values), _CHUNK):
        part = values[i : i + _CHUNK]
        for row in read(sql.format(",".join("?" * len(part))), tuple(part)):
            yield tuple(row.values())


# -- writing ---------------------------------------------------------------------------------


def _units(c: sqlite3.Connection, log: EventBatch, wanted: set[str]) -> dict[str, int]:
    ids = {a: i for i, a in c.execute("SELECT id, address FROM units").fetchall() if a in wanted}
    for address in sorted(wanted - set(ids)):
        building, entrance, room = address.split("-", 2)
        c.execute("INSERT OR IGNORE INTO buildings (number) VALUES (?)", (int(building),))
        c.execute(
            "INSERT OR IGNORE INTO entrances (building, number) VALUES (?, ?)",
            (int(building), int(entrance)),
        )
        ids[address] = int(
            c.execute(
                "INSERT INTO units (address, building, entrance, room) VALUES (?, ?, ?, ?)",
                (address, int(building), int(entrance), room),
            ).lastrowid
            or 0
        )
        log.units_created.append(address)
        data = {"unit": address}
        uplink = {"type": "house", "op": "added", "unit": address, "occupants": None}
        log.add("unit.added", None, data, canonical(data).decode(), canonical(uplink).decode())
    return ids


def _households(
    c: sqlite3.Connection, now: float, wanted: list[tuple[int, bool]]
) -> dict[tuple[int, bool], int]:
    """The open household each (unit, rental) joins: the oldest open one, or a new one."""
    found: dict[tuple[int, bool], int] = {}
    for hid, unit_id, rental in c.execute(
        "SELECT id, unit_id, rental FROM households WHERE closed_at IS NULL ORDER BY id DESC"
    ):
        found[(unit_id, bool(rental))] = hid  # descending: the oldest is kept
    for key in dict.fromkeys(wanted):
        if key not in found:
            found[key] = int(
                c.execute(
                    "INSERT INTO households (unit_id, rental, created_at) VALUES (?, ?, ?)",
                    (key[0], int(key[1]), now),
                ).lastrowid
                or 0
            )
    return found


def _next_id(c: sqlite3.Connection, table: str) -> int:
    # Inside the write transaction nobody else inserts, so the ids after the highest are free.
    return int(c.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").fetchone()[0])  # noqa: S608


def _person_row(
    p: _Prepared, pid: int, household: int, sealed: bytes | None, now: float
) -> tuple[Any, ...]:
    r = p.row
    return (
        pid,
        r.name,
        household,
        str(r.role),
        r.id_type,
        p.id_hash,
        p.masked,
        sealed,  # sealed to its row's id
        r.phone,
        r.lease_start.isoformat() if r.lease_start else None,
        r.lease_end.isoformat() if r.lease_end else None,
        int(r.lives_alone),
        r.birth_year,
        now,
        r.initials,
    )


def _uplink(pid: int, r: PersonRow) -> dict[str, Any]:
    # the person record for the city platform: ID number masked, no name or face
    return {
        "type": "person",
        "op": "added",
        "person_ref": pid,
        "unit": str(r.unit),
        "role": str(r.role),
        "id_type": r.id_type,
        "id_number": mask_id_number(r.id_number),
        "lease_start": r.lease_start.isoformat() if r.lease_start else None,
        "lease_end": r.lease_end.isoformat() if r.lease_end else None,
    }


def _credentials(p: _Prepared) -> list[tuple[str, str, str]]:
    out = []
    if p.card and p.row.card:
        out.append(("card", p.card, f"card …{p.row.card[-4:]}"))
    if p.pin:
        out.append(("pin", p.pin, "PIN"))
    return out
