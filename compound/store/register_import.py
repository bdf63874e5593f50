"""Writing a checked register sheet into the store: all of it in one transaction, or nothing.

The rows arrive checked (``compound.domain.register_sheet``); here they are checked against the
store (an ID number of someone living here, a card or a PIN already in use, a door that exists)
and written. Each person gets what registering them by hand gives (``People.add_person``,
``Credentials.add_card``/``set_pin``, ``rental.register_tenant``): their unit (created if new),
the open household of that unit (a rental one for tenants), the person row with the initials the
search uses, their card and PIN, a tenant's profile, and the same hash-chained events with the
same records for the city platform. Only the way it is written differs: every row, id, sealed ID
number and event content is made before the write transaction, and inside it the rows go in
with ``executemany`` and the events are chained in one pass, so the database's write lock is
held for the inserts only (``bench/results/import.md``): 1.5 to 3 s for 25,000 rows. A door
decision does not wait for it: one that finds the lock taken is kept in the decision journal
and reaches the log after this commits (``services/decision_log.py``), so the import stays one
transaction, all or nothing, and every decision is still logged durably before it is answered.

The store is checked on this thread's read connection, without the write lock (a sheet with
problems never delays a door), and again inside the transaction only if someone registered a
person or issued a card or PIN in between (the next free ids tell).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from compound.adapters import keys
from compound.domain import validation
from compound.domain.csv_rows import MAX_ERRORS, RowError, SheetError
from compound.domain.model import InvalidInput, Role, mask_id_number
from compound.domain.register_sheet import LAYER_FOR_CLASS, DoorRow, PersonRow
from compound.protocol.messages import canonical
from compound.store import import_stage
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
    """Register every row or none; ``SheetError`` names each row that clashes with the store.

    Every row is made ready before the write transaction, from a snapshot of what it depends on
    (the next free ids, the units and open households it joins, their rental classes): the
    rows to insert, the ID numbers sealed to their rows' ids, the events' content. Inside, the
    snapshot is read again; if nobody registered anyone meanwhile (the usual case) only the
    events' places in the chain are left to compute before the inserts, so the write lock is
    held for the inserts and little else. If something moved, the rows are made again there."""
    prepared = _prepare(store, rows)
    wanted = {p.unit for p in prepared}
    seen = _snapshot(store.read, wanted)  # before the check: what it found holds while this does
    errors = _clashes(store.read, prepared)
    if errors:
        raise SheetError(errors, len(rows))
    cards = sum(1 for p in prepared if p.card)
    pins = sum(1 for p in prepared if p.pin)
    if dry_run:
        return Imported(len(rows), cards=cards, pins=pins, dry_run=True)
    now = store.clock.now()
    plan = _plan(store, prepared, seen, now, by)
    with import_stage.staged(store, plan.tables()) as stage, store.transaction() as c:

        def read(sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
            cur = c.execute(sql, params)
            names = [d[0] for d in cur.description or ()]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

        now_seen = _snapshot(read, wanted)
        # People and credentials are never deleted and their ids only grow: with the same next
        # ids nobody was registered and no card or PIN issued since the check, which still holds.
        if now_seen != seen:  # someone registered people or units meanwhile: check again
            errors = _clashes(read, prepared)
            if errors:
                raise SheetError(errors, len(rows))
            plan, stage = _plan(store, prepared, now_seen, now, by), False
        _write(c, plan, stage)
        store._after_commit.extend(plan.log.events)  # the event hooks see them once committed
    return Imported(len(rows), plan.units_created, cards, pins, len(plan.log.events))


@dataclass(frozen=True)
class _Snapshot:
    """What the rows written depend on, read once before the transaction and again inside."""

    next_person: int
    next_credential: int
    next_unit: int
    next_household: int
    units: dict[str, int]  # the sheet's units that exist, by address
    households: dict[tuple[int, bool], int]  # (unit, rental) -> its oldest open household
    classes: dict[int, str]  # rental class by household


def _snapshot(read: Any, wanted: set[str]) -> _Snapshot:
    def next_id(table: str) -> int:
        # Inside the write transaction nobody else inserts, so the ids after the highest are free.
        return int(read(f"SELECT COALESCE(MAX(id), 0) + 1 AS n FROM {table}")[0]["n"])  # noqa: S608

    households: dict[tuple[int, bool], int] = {}
    for r in read(
        "SELECT id, unit_id, rental FROM households WHERE closed_at IS NULL ORDER BY id DESC"
    ):
        households[(r["unit_id"], bool(r["rental"]))] = r["id"]  # descending: oldest kept
    return _Snapshot(
        next_id("people"),
        next_id("credentials"),
        next_id("units"),
        next_id("households"),
        {
            r["address"]: r["id"]
            for r in read("SELECT id, address FROM units")
            if r["address"] in wanted
        },
        households,
        {
            r["household_id"]: r["class"]
            for r in read("SELECT household_id, class FROM household_classes")
        },
    )


@dataclass
class _Plan:
    """Every row the sheet writes, with its id; the events not yet placed in the chain."""

    log: EventBatch
    buildings: list[tuple[int]] = field(default_factory=list)
    entrances: list[tuple[int, int]] = field(default_factory=list)
    units: list[tuple[Any, ...]] = field(default_factory=list)
    households: list[tuple[Any, ...]] = field(default_factory=list)
    people: list[tuple[Any, ...]] = field(default_factory=list)
    credentials: list[tuple[Any, ...]] = field(default_factory=list)
    tenants: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def units_created(self) -> int:
        return len(self.units)

    def tables(self) -> dict[str, list[tuple[Any, ...]]]:
        return {
            "units": self.units,
            "households": self.households,
            "people": self.people,
            "credentials": self.credentials,
            "tenant_profiles": self.tenants,
        }


def _plan(store: Store, prepared: list[_Prepared], s: _Snapshot, now: float, by: str) -> _Plan:
    """The rows and events registering each person by hand would give, in the same order, with
    the ids the snapshot leaves free (units and households get what AUTOINCREMENT-less integer
    keys would give them: one past the highest)."""
    plan = _Plan(EventBatch(now))
    log = plan.log
    data: dict[str, Any]
    units = dict(s.units)
    for uid, address in enumerate(sorted({p.unit for p in prepared} - set(units)), s.next_unit):
        building, entrance, room = address.split("-", 2)
        plan.buildings.append((int(building),))
        plan.entrances.append((int(building), int(entrance)))
        plan.units.append((uid, address, int(building), int(entrance), room))
        units[address] = uid
        data = {"unit": address}
        uplink = {"type": "house", "op": "added", "unit": address, "occupants": None}
        log.add("unit.added", None, data, canonical(data).decode(), canonical(uplink).decode())
    households = dict(s.households)
    hid = s.next_household
    for p in prepared:
        key = (units[p.unit], p.tenant)
        if key not in households:
            households[key] = hid
            plan.households.append((hid, key[0], int(key[1]), now))
            hid += 1
    pid, cid = s.next_person, s.next_credential
    for p in prepared:
        r = p.row
        hh = households[(units[p.unit], p.tenant)]
        sealed = store.ids.seal(pid, r.id_number) if r.id_number else None  # bound to its id
        plan.people.append(_person_row(p, pid, hh, sealed, now))
        log.add("person.added", pid, p.added, p.added_json, f"{pid}".join(p.uplink))
        if p.tenant:
            cls = s.classes.get(hh)
            layer = r.layer or (LAYER_FOR_CLASS[cls] if cls is not None else "watch")
            plan.tenants.append((pid, layer, r.origin, now, by))
            data = {"unit": p.unit, "layer": layer, "by": by}
            log.add("tenant.registered", pid, data, canonical(data).decode())
        for kind, lookup, label in _credentials(p):
            plan.credentials.append((cid, pid, kind, lookup, label, now))
            data = {"kind": kind, "credential_id": cid}  # as Credentials issues it
            log.add("credential.issued", pid, data, f'{{"credential_id":{cid},"kind":"{kind}"}}')
            cid += 1
        pid += 1
    data = {"by": by, "rows": len(prepared), "units_created": plan.units_created}
    data["credentials"] = len(plan.credentials)
    log.add("people.imported", None, data, canonical(data).decode())
    return plan


def _write(c: sqlite3.Connection, plan: _Plan, staged: bool) -> None:
    """The inserts, inside the write transaction: all that is left to do under the lock."""
    c.executemany("INSERT OR IGNORE INTO buildings (number) VALUES (?)", plan.buildings)
    c.executemany(
        "INSERT OR IGNORE INTO entrances (building, number) VALUES (?, ?)", plan.entrances
    )
    if staged:
        import_stage.copy(c)
    else:
        for table, rows in plan.tables().items():
            columns = import_stage.COLUMNS[table]
            marks = ", ".join("?" * (columns.count(",") + 1))
            c.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608
    plan.log.write(c)


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


def _person_row(
    p: _Prepared, pid: int, household: int, sealed: bytes | None, now: float
) -> tuple[Any, ...]:
    r = p.row
    start = r.lease_start.isoformat() if r.lease_start else None
    end = r.lease_end.isoformat() if r.lease_end else None
    # in the column order of import_stage.COLUMNS; the ID number sealed to its row's id
    who = (pid, r.name, household, str(r.role), r.id_type, p.id_hash, p.masked, sealed, r.phone)
    return (*who, start, end, int(r.lives_alone), r.birth_year, now, r.initials)


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
