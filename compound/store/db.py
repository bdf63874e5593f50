"""The box's database: the one module that opens SQLite (through sqlite-utils).

WAL with synchronous=FULL so that a committed row survives a power cut; foreign keys on;
numbered migrations. Every write runs in an explicit ``BEGIN IMMEDIATE`` transaction that this
module opens and closes itself: the event log and the outbox must commit together with the
change they record, and sqlite-utils' own helpers are kept to reads and schema work so that
none of them commits a transaction half-way.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlite_utils

from compound.adapters import keys
from compound.domain.access import Facts
from compound.domain.clock import Clock
from compound.domain.model import (
    Alarm,
    Credential,
    CredentialKind,
    Door,
    Event,
    InvalidInput,
    LockType,
    Person,
    Role,
    Schedule,
    Scope,
    TimeWindow,
    UnitAddress,
    mask_id_number,
    parse_date,
)
from compound.protocol.messages import canonical
from compound.store import migrations

GENESIS = "0" * 64


class StoreError(RuntimeError):
    """The database cannot be used (unreadable, locked, from a newer version)."""


@dataclass(frozen=True)
class LogCheck:
    ok: bool
    events: int
    first_broken: int | None = None
    problem: str = ""


def event_hash(
    prev_hash: str,
    seq: int,
    at: float,
    type_: str,
    door_id: str | None,
    person_id: int | None,
    data_json: str,
) -> str:
    content = canonical(
        {
            "seq": seq,
            "at": at,
            "type": type_,
            "door_id": door_id,
            "person_id": person_id,
            "data": json.loads(data_json),
        }
    )
    return hashlib.sha256(prev_hash.encode() + content).hexdigest()


class Store:
    def __init__(self, path: str | Path, clock: Clock, key_dir: str | Path | None = None) -> None:
        self.path = Path(path)
        self.clock = clock
        self._lock = threading.RLock()
        self._depth = 0
        self.key_dir = Path(key_dir) if key_dir else self.path.parent / "keys"
        self.event_hooks: list[Callable[[Event], None]] = []
        self._after_commit: list[Event] = []
        if str(path) != ":memory:" and self.path.is_dir():
            raise StoreError(f"{self.path} is a directory; give the path of the database file")
        try:
            self.conn = sqlite3.connect(
                str(path), isolation_level=None, check_same_thread=False, timeout=5.0
            )
            self.conn.execute("PRAGMA busy_timeout = 5000")
            mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            self.conn.execute("PRAGMA synchronous = FULL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            # Deleted rows (face templates above all) are overwritten in the file, not unlinked.
            self.conn.execute("PRAGMA secure_delete = ON")
            migrations.apply(self.conn)
        except sqlite3.OperationalError as e:
            raise StoreError(_explain(self.path, e)) from None
        except sqlite3.DatabaseError as e:
            raise StoreError(
                f"cannot read {self.path}: {e}; it is not a compound database or it is damaged"
            ) from None
        if str(path) != ":memory:" and mode.lower() != "wal":
            raise StoreError(f"cannot switch {self.path} to WAL mode (got {mode})")
        self.db = sqlite_utils.Database(self.conn)
        self.master_key = keys.load_or_create(self.key_dir / "master.key")

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    # -- transactions ----------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One explicit write transaction; nested uses join the outer one."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.conn
                finally:
                    self._depth -= 1
                return
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as e:
                raise StoreError(_explain(self.path, e)) from None
            self._depth = 1
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                self._after_commit.clear()
                raise
            finally:
                self._depth = 0
            done, self._after_commit = self._after_commit, []
        for event in done:
            for hook in list(self.event_hooks):
                hook(event)

    def query(
        self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()
    ) -> list[dict[str, Any]]:
        with self._lock:
            try:
                return list(self.db.query(sql, params))
            except sqlite3.OperationalError as e:
                raise StoreError(_explain(self.path, e)) from None

    def one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> dict[str, Any] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    # -- settings --------------------------------------------------------------------------

    def setting(self, key: str, default: str | None = None) -> str | None:
        row = self.one("SELECT value FROM settings WHERE key = ?", (key,))
        return row["value"] if row else default

    def set_setting(self, key: str, value: str) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    @property
    def site_id(self) -> str:
        return self.setting("site_id", "demo") or "demo"

    @property
    def tz(self) -> ZoneInfo:
        name = self.setting("timezone", "Asia/Shanghai") or "Asia/Shanghai"
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise StoreError(f"unknown time zone {name!r} in settings") from None

    def lockdown(self) -> bool:
        return self.setting("lockdown", "0") == "1"

    def set_lockdown(self, on: bool, by: str) -> Event:
        with self.transaction():
            self.set_setting("lockdown", "1" if on else "0")
            return self.append_event("site.lockdown", data={"on": on, "by": by})

    # -- units and people ------------------------------------------------------------------

    def add_unit(self, address: str | UnitAddress, occupants: int | None = None) -> dict[str, Any]:
        addr = address if isinstance(address, UnitAddress) else UnitAddress.parse(address)
        with self.transaction() as c:
            c.execute("INSERT OR IGNORE INTO buildings (number) VALUES (?)", (addr.building,))
            c.execute(
                "INSERT OR IGNORE INTO entrances (building, number) VALUES (?, ?)",
                (addr.building, addr.entrance),
            )
            existing = c.execute("SELECT id FROM units WHERE address = ?", (str(addr),)).fetchone()
            if existing:
                return {"id": existing[0], "address": str(addr), "created": False}
            cur = c.execute(
                "INSERT INTO units (address, building, entrance, room, registered_occupants)"
                " VALUES (?, ?, ?, ?, ?)",
                (str(addr), addr.building, addr.entrance, addr.room, occupants),
            )
            self.append_event(
                "unit.added",
                data={"unit": str(addr)},
                uplink={"type": "house", "op": "added", "unit": str(addr), "occupants": occupants},
            )
            return {"id": cur.lastrowid, "address": str(addr), "created": True}

    def unit_id(self, address: UnitAddress) -> int:
        row = self.one("SELECT id FROM units WHERE address = ?", (str(address),))
        if row is None:
            raise InvalidInput(
                f"unknown unit {address}: add it first with `compound unit add {address}`"
            )
        return int(row["id"])

    def add_person(
        self,
        name: str,
        unit: str | UnitAddress,
        role: str | Role,
        *,
        id_number: str | None = None,
        id_type: str | None = None,
        phone: str | None = None,
        lease_start: str | date | None = None,
        lease_end: str | date | None = None,
        lives_alone: bool = False,
        birth_year: int | None = None,
    ) -> int:
        name = name.strip()
        if not name or len(name) > 100:
            raise InvalidInput("a person needs a name of 1 to 100 characters")
        addr = unit if isinstance(unit, UnitAddress) else UnitAddress.parse(unit)
        try:
            role = Role(role)
        except ValueError:
            raise InvalidInput(
                f"unknown role {role!r}: use owner, family, tenant or visitor"
            ) from None
        start = _as_date(lease_start, "lease start")
        end = _as_date(lease_end, "lease end")
        if start and end and end < start:
            raise InvalidInput(f"lease end {end} is before lease start {start}")
        if id_number is not None:
            id_number = id_number.strip().upper()
            if not re.fullmatch(r"[0-9A-Z]{6,20}", id_number):
                raise InvalidInput(f"malformed ID number {id_number!r}: 6-20 letters and digits")
        if phone is not None and not re.fullmatch(r"\+?[0-9 -]{5,20}", phone):
            raise InvalidInput(f"malformed phone number {phone!r}")
        now = self.clock.now()
        with self.transaction() as c:
            unit_id = self.unit_id(addr)
            if id_number is not None:
                dup = c.execute(
                    "SELECT id FROM people WHERE id_number = ? AND moved_out_at IS NULL",
                    (id_number,),
                ).fetchone()
                if dup:
                    raise InvalidInput(
                        f"ID number already registered to person {dup[0]}; "
                        "move them out first or check the number"
                    )
            rental = 1 if role is Role.TENANT else 0
            hh = c.execute(
                "SELECT id FROM households WHERE unit_id = ? AND rental = ? AND closed_at IS NULL"
                " ORDER BY id LIMIT 1",
                (unit_id, rental),
            ).fetchone()
            if hh is None:
                hh_id = c.execute(
                    "INSERT INTO households (unit_id, rental, created_at) VALUES (?, ?, ?)",
                    (unit_id, rental, now),
                ).lastrowid
            else:
                hh_id = hh[0]
            pid = c.execute(
                "INSERT INTO people (name, household_id, role, id_type, id_number, phone,"
                " lease_start, lease_end, lives_alone, birth_year, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name,
                    hh_id,
                    str(role),
                    id_type,
                    id_number,
                    phone,
                    start.isoformat() if start else None,
                    end.isoformat() if end else None,
                    int(lives_alone),
                    birth_year,
                    now,
                ),
            ).lastrowid
            if pid is None:  # pragma: no cover - sqlite always sets it
                raise StoreError("insert returned no row id")
            self.append_event(
                "person.added",
                person_id=pid,
                data={"unit": str(addr), "role": str(role)},
                # the person record for the city platform: ID number masked, no name or face
                uplink={
                    "type": "person",
                    "op": "added",
                    "person_ref": pid,
                    "unit": str(addr),
                    "role": str(role),
                    "id_type": id_type,
                    "id_number": mask_id_number(id_number),
                    "lease_start": start.isoformat() if start else None,
                    "lease_end": end.isoformat() if end else None,
                },
            )
            return int(pid)

    def person(self, person_id: int) -> Person:
        row = self.one(_PERSON_SQL + " WHERE p.id = ?", (person_id,))
        if row is None:
            raise InvalidInput(f"unknown person {person_id}")
        return _person(row)

    def people(
        self, unit: UnitAddress | None = None, include_moved_out: bool = False
    ) -> list[Person]:
        sql, args = _PERSON_SQL + " WHERE 1=1", []
        if unit is not None:
            sql += " AND u.address = ?"
            args.append(str(unit))
        if not include_moved_out:
            sql += " AND p.moved_out_at IS NULL"
        return [_person(r) for r in self.query(sql + " ORDER BY p.id", tuple(args))]

    def move_out(self, person_id: int, by: str = "manager") -> Event:
        """Revoke every credential, delete biometric data, keep the passage history."""
        now = self.clock.now()
        with self.transaction() as c:
            person = self.person(person_id)
            if person.moved_out_at is not None:
                raise InvalidInput(f"person {person_id} has already moved out")
            templates = c.execute(
                "SELECT COUNT(*) FROM face_templates WHERE person_id = ?", (person_id,)
            ).fetchone()[0]
            # The schema's trigger deletes the face templates and withdraws the consent.
            c.execute("UPDATE people SET moved_out_at = ? WHERE id = ?", (now, person_id))
            n = c.execute(
                "UPDATE credentials SET revoked_at = ? WHERE person_id = ? AND revoked_at IS NULL",
                (now, person_id),
            ).rowcount
            withdrawn = c.execute(
                "SELECT COUNT(*) FROM face_consents WHERE person_id = ? AND withdrawn_at = ?",
                (person_id, now),
            ).fetchone()[0]
            if templates or withdrawn:
                # Recorded here, whichever process moves the person out (CLI, core, console).
                self.append_event(
                    "face.deleted",
                    person_id=person_id,
                    data={"by": "move-out", "templates": templates},
                )
            left = c.execute(
                "SELECT COUNT(*) FROM people WHERE household_id = ? AND moved_out_at IS NULL",
                (person.household_id,),
            ).fetchone()[0]
            if left == 0:
                c.execute(
                    "UPDATE households SET closed_at = ? WHERE id = ?", (now, person.household_id)
                )
            return self.append_event(
                "person.moved_out",
                person_id=person_id,
                data={"by": by, "credentials_revoked": n},
                uplink={"type": "person", "op": "moved_out", "person_ref": person_id, "at": now},
            )

    # -- credentials -----------------------------------------------------------------------

    def _add_credential(
        self,
        person_id: int,
        kind: CredentialKind,
        lookup: str | None,
        *,
        label: str = "",
        valid_from: float | None = None,
        valid_until: float | None = None,
        schedule_id: int | None = None,
        event_data: dict[str, Any] | None = None,
    ) -> int:
        with self.transaction() as c:
            person = self.person(person_id)
            if person.moved_out_at is not None:
                raise InvalidInput(f"person {person_id} has moved out; register them again first")
            if (
                lookup is not None
                and c.execute(
                    "SELECT 1 FROM credentials WHERE kind = ? AND lookup = ?"
                    " AND revoked_at IS NULL",
                    (str(kind), lookup),
                ).fetchone()
            ):
                what = {"card": "card number", "pin": "PIN"}.get(str(kind), str(kind))
                raise InvalidInput(f"that {what} is already in use; choose another")
            cid = c.execute(
                "INSERT INTO credentials (person_id, kind, lookup, label, valid_from,"
                " valid_until, schedule_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    person_id,
                    str(kind),
                    lookup,
                    label,
                    valid_from,
                    valid_until,
                    schedule_id,
                    self.clock.now(),
                ),
            ).lastrowid
            if cid is None:  # pragma: no cover - sqlite always sets it
                raise StoreError("insert returned no row id")
            self.append_event(
                "credential.issued",
                person_id=person_id,
                data={"kind": str(kind), "credential_id": cid, **(event_data or {})},
            )
            return int(cid)

    def add_face_credential(self, person_id: int) -> int:
        """The credential row that lets a person's enrolled face open doors (no lookup value:
        the face service names the person it recognised)."""
        return self._add_credential(person_id, CredentialKind.FACE, None, label="face")

    def add_card(self, person_id: int, number: str) -> int:
        number = number.strip()
        if not re.fullmatch(r"[0-9]{1,20}", number):
            raise InvalidInput(
                f"malformed card number {number!r}: digits only, as the reader prints"
            )
        return self._add_credential(
            person_id, CredentialKind.CARD, number.lstrip("0") or "0", label=f"card …{number[-4:]}"
        )

    def set_pin(self, person_id: int, pin: str) -> int:
        if not re.fullmatch(r"[0-9]{6,8}", pin):
            raise InvalidInput("a PIN is 6 to 8 digits")
        if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
            raise InvalidInput("that PIN is too easy to guess; avoid repeated or running digits")
        with self.transaction() as c:
            # One PIN per person: a new one replaces the old.
            c.execute(
                "UPDATE credentials SET revoked_at = ? WHERE person_id = ? AND kind = 'pin'"
                " AND revoked_at IS NULL",
                (self.clock.now(), person_id),
            )
            return self._add_credential(
                person_id,
                CredentialKind.PIN,
                keys.lookup_hash(self.master_key, "pin", pin),
                label="PIN",
            )

    def issue_pass(
        self, person_id: int, valid_from: float, valid_until: float, schedule_id: int | None = None
    ) -> tuple[int, str]:
        """A visitor pass: returns (credential id, token for the QR code). The token is shown
        once; only its keyed hash is kept."""
        if valid_until <= valid_from:
            raise InvalidInput("a pass must end after it starts")
        if valid_until - valid_from > 31 * 86400:
            raise InvalidInput("a visitor pass lasts at most 31 days; register a tenant instead")
        token = secrets.token_urlsafe(18)
        cid = self._add_credential(
            person_id,
            CredentialKind.PASS,
            keys.lookup_hash(self.master_key, "pass", token),
            label="visitor pass",
            valid_from=valid_from,
            valid_until=valid_until,
            schedule_id=schedule_id,
            event_data={"valid_until": valid_until},
        )
        return cid, token

    def revoke_credential(self, credential_id: int, by: str) -> None:
        with self.transaction() as c:
            row = c.execute(
                "SELECT person_id FROM credentials WHERE id = ? AND revoked_at IS NULL",
                (credential_id,),
            ).fetchone()
            if row is None:
                raise InvalidInput(f"no live credential {credential_id}")
            c.execute(
                "UPDATE credentials SET revoked_at = ? WHERE id = ?",
                (self.clock.now(), credential_id),
            )
            self.append_event(
                "credential.revoked",
                person_id=row[0],
                data={"credential_id": credential_id, "by": by},
            )

    def credentials(self, person_id: int) -> list[Credential]:
        rows = self.query("SELECT * FROM credentials WHERE person_id = ? ORDER BY id", (person_id,))
        return [_credential(r) for r in rows]

    def find_credential(self, kind: str, value: str) -> tuple[Credential | None, Person | None]:
        """The credential (live or revoked) that ``value`` presents, and its holder."""
        if kind == "face":
            try:
                pid = int(value)
            except ValueError:
                return None, None
            sql = (
                "SELECT * FROM credentials WHERE kind = 'face' AND person_id = ?"
                " ORDER BY revoked_at IS NULL DESC, id DESC LIMIT 1"
            )
            row = self.one(sql, (pid,))
        else:
            if kind == "card":
                lookup = value.strip().lstrip("0") or "0"
            elif kind in ("pin", "pass"):
                lookup = keys.lookup_hash(self.master_key, kind, value)
            else:
                return None, None
            row = self.one(
                "SELECT * FROM credentials WHERE kind = ? AND lookup = ?"
                " ORDER BY revoked_at IS NULL DESC, id DESC LIMIT 1",
                (kind, lookup),
            )
        if row is None:
            return None, None
        cred = _credential(row)
        return cred, self.person(cred.person_id)

    # -- doors and schedules ---------------------------------------------------------------

    def add_door(
        self,
        door_id: str,
        name: str,
        serves: list[str],
        *,
        lock_type: str = "strike",
        egress: bool = True,
        open_time_s: float = 5.0,
        held_open_s: float = 60.0,
        schedule: str | None = None,
    ) -> Door:
        from compound.protocol.topics import valid_segment

        if not valid_segment(door_id):
            raise InvalidInput(
                f"door id {door_id!r} must be 1-64 letters, digits, '_', '.', '-' (e.g. b3-e2)"
            )
        if not serves:
            raise InvalidInput(
                "a door must serve at least one building, entrance or unit "
                "(--serves 3, --serves 3-2, or --serves '*' for a main gate)"
            )
        scopes = [Scope.parse(s) for s in serves]
        try:
            lock = LockType(lock_type)
        except ValueError:
            raise InvalidInput(f"unknown lock type {lock_type!r}: use maglock or strike") from None
        if not 1 <= open_time_s <= 60:
            raise InvalidInput("door open time must be between 1 and 60 seconds")
        if not 5 <= held_open_s <= 3600:
            raise InvalidInput("held-open alarm time must be between 5 and 3600 seconds")
        with self.transaction() as c:
            sid = self.schedule_id(schedule) if schedule else None
            if c.execute("SELECT 1 FROM doors WHERE id = ?", (door_id,)).fetchone():
                raise InvalidInput(f"door {door_id} already exists")
            c.execute(
                "INSERT INTO doors (id, name, lock_type, egress, open_time_s, held_open_s,"
                " schedule_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (door_id, name, str(lock), int(egress), open_time_s, held_open_s, sid),
            )
            for s in scopes:
                c.execute(
                    "INSERT OR IGNORE INTO door_scopes (door_id, scope) VALUES (?, ?)",
                    (door_id, str(s)),
                )
            self.append_event(
                "door.added", door_id=door_id, data={"serves": [str(s) for s in scopes]}
            )
        door = self.door(door_id)
        if door is None:  # pragma: no cover - sqlite always sets it
            raise StoreError("insert returned no row id")
        return door

    def door(self, door_id: str) -> Door | None:
        row = self.one("SELECT * FROM doors WHERE id = ?", (door_id,))
        if row is None:
            return None
        scopes = self.query("SELECT scope FROM door_scopes WHERE door_id = ?", (door_id,))
        return _door(row, [s["scope"] for s in scopes])

    def doors(self) -> list[Door]:
        scopes: dict[str, list[str]] = {}
        for s in self.query("SELECT door_id, scope FROM door_scopes"):
            scopes.setdefault(s["door_id"], []).append(s["scope"])
        return [
            _door(r, scopes.get(r["id"], [])) for r in self.query("SELECT * FROM doors ORDER BY id")
        ]

    def add_schedule(
        self, name: str, windows: list[TimeWindow], holiday_windows: list[TimeWindow] | None = None
    ) -> int:
        def enc(ws: list[TimeWindow]) -> str:
            return json.dumps([[sorted(w.weekdays), w.start, w.end] for w in ws])

        with self.transaction() as c:
            if c.execute("SELECT 1 FROM schedules WHERE name = ?", (name,)).fetchone():
                raise InvalidInput(f"schedule {name!r} already exists")
            sid = c.execute(
                "INSERT INTO schedules (name, windows, holiday_windows) VALUES (?, ?, ?)",
                (name, enc(windows), enc(holiday_windows or [])),
            ).lastrowid
            if sid is None:  # pragma: no cover - sqlite always sets it
                raise StoreError("insert returned no row id")
            self.append_event("schedule.added", data={"name": name})
            return int(sid)

    def schedule_id(self, name: str) -> int:
        row = self.one("SELECT id FROM schedules WHERE name = ?", (name,))
        if row is None:
            raise InvalidInput(f"unknown schedule {name!r}")
        return int(row["id"])

    def schedules(self) -> dict[int, Schedule]:
        def dec(text: str) -> tuple[TimeWindow, ...]:
            return tuple(TimeWindow(frozenset(d), s, e) for d, s, e in json.loads(text))

        return {
            r["id"]: Schedule(r["id"], r["name"], dec(r["windows"]), dec(r["holiday_windows"]))
            for r in self.query("SELECT * FROM schedules")
        }

    def add_holiday(self, day: str, name: str = "") -> None:
        d = parse_date(day, "holiday date")
        with self.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO holidays (day, name) VALUES (?, ?)", (d.isoformat(), name)
            )

    def holidays(self) -> frozenset[date]:
        return frozenset(
            date.fromisoformat(r["day"]) for r in self.query("SELECT day FROM holidays")
        )

    def facts(self, door_id: str, kind: str, value: str) -> Facts:
        cred, person = self.find_credential(kind, value)
        return Facts(
            door_id=door_id,
            door=self.door(door_id),
            credential=cred,
            person=person,
            lockdown=self.lockdown(),
            schedules=self.schedules(),
            holidays=self.holidays(),
        )

    # -- the event log ---------------------------------------------------------------------

    def append_event(
        self,
        type_: str,
        *,
        at: float | None = None,
        door_id: str | None = None,
        person_id: int | None = None,
        data: dict[str, Any] | None = None,
        uplink: dict[str, Any] | None = None,
    ) -> Event:
        """Append one hash-chained event; with ``uplink``, queue that record for the city
        platform in the same transaction."""
        at = self.clock.now() if at is None else at
        data_json = canonical(data or {}).decode()
        with self.transaction() as c:
            last = c.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
            h = event_hash(prev, seq, at, type_, door_id, person_id, data_json)
            c.execute(
                "INSERT INTO events (seq, at, type, door_id, person_id, data, prev_hash, hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, at, type_, door_id, person_id, data_json, prev, h),
            )
            if uplink is not None:
                c.execute(
                    "INSERT INTO outbox (event_seq, kind, payload, created_at) VALUES (?, ?, ?, ?)",
                    (seq, type_, canonical(uplink).decode(), at),
                )
            event = Event(seq, at, type_, door_id, person_id, data or {}, prev, h)
            self._after_commit.append(event)
            return event

    def events(
        self,
        *,
        after: int = 0,
        door_id: str | None = None,
        person_id: int | None = None,
        types: list[str] | None = None,
        limit: int = 100,
        newest_first: bool = False,
    ) -> list[Event]:
        sql = "SELECT * FROM events WHERE seq > ?"
        args: list[Any] = [after]
        if door_id is not None:
            sql += " AND door_id = ?"
            args.append(door_id)
        if person_id is not None:
            sql += " AND person_id = ?"
            args.append(person_id)
        if types:
            sql += f" AND type IN ({','.join('?' * len(types))})"
            args.extend(types)
        sql += f" ORDER BY seq {'DESC' if newest_first else 'ASC'} LIMIT ?"
        args.append(limit)
        return [_event(r) for r in self.query(sql, tuple(args))]

    def verify_log(self) -> LogCheck:
        """Walk the chain from the first event; report the first row that does not fit."""
        prev, expected, n = GENESIS, 1, 0
        with self._lock:
            cur = self.conn.execute(
                "SELECT seq, at, type, door_id, person_id, data, prev_hash, hash FROM events"
                " ORDER BY seq"
            )
            for seq, at, type_, door_id, person_id, data, prev_hash, h in cur:
                n += 1
                if seq != expected:
                    return LogCheck(False, n, seq, f"gap: expected event {expected}, found {seq}")
                if prev_hash != prev:
                    return LogCheck(False, n, seq, f"event {seq} does not link to event {seq - 1}")
                try:
                    want = event_hash(prev, seq, at, type_, door_id, person_id, data)
                except (ValueError, TypeError):
                    return LogCheck(False, n, seq, f"event {seq} has unreadable data")
                if want != h:
                    return LogCheck(False, n, seq, f"event {seq} was altered (hash mismatch)")
                prev, expected = h, seq + 1
        return LogCheck(True, n)

    # -- alarms ----------------------------------------------------------------------------

    def raise_alarm(
        self,
        kind: str,
        message: str,
        *,
        severity: str = "high",
        door_id: str | None = None,
        person_id: int | None = None,
        at: float | None = None,
        data: dict[str, Any] | None = None,
    ) -> Alarm:
        at = self.clock.now() if at is None else at
        with self.transaction() as c:
            ev = self.append_event(
                "alarm.raised",
                at=at,
                door_id=door_id,
                person_id=person_id,
                data={"kind": kind, "severity": severity, "message": message, **(data or {})},
                uplink={
                    "type": "alarm",
                    "kind": kind,
                    "severity": severity,
                    "door": door_id,
                    "at": at,
                },
            )
            aid = c.execute(
                "INSERT INTO alarms (raised_at, kind, severity, door_id, person_id, message,"
                " event_seq) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (at, kind, severity, door_id, person_id, message, ev.seq),
            ).lastrowid
            if aid is None:  # pragma: no cover - sqlite always sets it
                raise StoreError("insert returned no row id")
            return Alarm(int(aid), at, kind, severity, door_id, message)

    def acknowledge_alarm(self, alarm_id: int, by: str, note: str = "") -> Alarm:
        by = by.strip()
        if not by:
            raise InvalidInput("say who acknowledges the alarm (--by NAME)")
        now = self.clock.now()
        with self.transaction() as c:
            row = c.execute(
                "SELECT acknowledged_at FROM alarms WHERE id = ?", (alarm_id,)
            ).fetchone()
            if row is None:
                raise InvalidInput(f"unknown alarm {alarm_id}")
            if row[0] is not None:
                raise InvalidInput(f"alarm {alarm_id} is already acknowledged")
            c.execute(
                "UPDATE alarms SET acknowledged_at = ?, acknowledged_by = ?, note = ? WHERE id = ?",
                (now, by, note, alarm_id),
            )
            self.append_event(
                "alarm.acknowledged", at=now, data={"alarm_id": alarm_id, "by": by, "note": note}
            )
        return self.alarm(alarm_id)

    def alarm(self, alarm_id: int) -> Alarm:
        row = self.one("SELECT * FROM alarms WHERE id = ?", (alarm_id,))
        if row is None:
            raise InvalidInput(f"unknown alarm {alarm_id}")
        return _alarm(row)

    def alarms(self, open_only: bool = False, limit: int = 200) -> list[Alarm]:
        sql = "SELECT * FROM alarms"
        if open_only:
            sql += " WHERE acknowledged_at IS NULL"
        rows = self.query(sql + " ORDER BY id DESC LIMIT ?", (limit,))
        return [_alarm(r) for r in rows]


# -- row conversion ----------------------------------------------------------------------------

_PERSON_SQL = (
    "SELECT p.*, u.address AS unit_address FROM people p"
    " JOIN households h ON h.id = p.household_id JOIN units u ON u.id = h.unit_id"
)


def _as_date(value: str | date | None, what: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return parse_date(value, what)


def _person(r: dict[str, Any]) -> Person:
    return Person(
        id=r["id"],
        name=r["name"],
        unit=UnitAddress.parse(r["unit_address"]),
        role=Role(r["role"]),
        household_id=r["household_id"],
        id_number=r["id_number"],
        phone=r["phone"],
        lease_start=date.fromisoformat(r["lease_start"]) if r["lease_start"] else None,
        lease_end=date.fromisoformat(r["lease_end"]) if r["lease_end"] else None,
        moved_out_at=r["moved_out_at"],
        lives_alone=bool(r["lives_alone"]),
        birth_year=r["birth_year"],
    )


def _credential(r: dict[str, Any]) -> Credential:
    return Credential(
        id=r["id"],
        person_id=r["person_id"],
        kind=CredentialKind(r["kind"]),
        valid_from=r["valid_from"],
        valid_until=r["valid_until"],
        revoked_at=r["revoked_at"],
        schedule_id=r["schedule_id"],
        label=r["label"],
    )


def _door(r: dict[str, Any], scopes: list[str]) -> Door:
    return Door(
        id=r["id"],
        name=r["name"],
        serves=tuple(Scope.parse(s) for s in scopes),
        lock_type=LockType(r["lock_type"]),
        egress=bool(r["egress"]),
        open_time_s=r["open_time_s"],
        held_open_s=r["held_open_s"],
        schedule_id=r["schedule_id"],
    )


def _event(r: dict[str, Any]) -> Event:
    return Event(
        r["seq"],
        r["at"],
        r["type"],
        r["door_id"],
        r["person_id"],
        json.loads(r["data"]),
        r["prev_hash"],
        r["hash"],
    )


def _alarm(r: dict[str, Any]) -> Alarm:
    return Alarm(
        r["id"],
        r["raised_at"],
        r["kind"],
        r["severity"],
        r["door_id"],
        r["message"],
        r["acknowledged_at"],
        r["acknowledged_by"],
        r["note"],
    )


def _explain(path: Path, e: sqlite3.OperationalError) -> str:
    text = str(e)
    if "locked" in text or "busy" in text:
        return f"database {path} is locked by another process; try again, or stop that process"
    if "unable to open" in text:
        return f"cannot open database {path}: check the folder exists and is writable"
    if "readonly" in text:
        return f"database {path} is read-only: check its permissions"
    return f"database {path}: {text}"
