"""Units, households and people in the store: registering them and moving them out.

A unit's building and entrance rows are created with it. A person joins the open household of
their unit (owners and family in one, tenants in a rental household of their own), and their
record goes to the city platform with the ID number masked. The ID number itself is kept sealed
(``id_numbers.py``): duplicates are found by its keyed hash, and it is opened only to build a
``Person``. Moving out revokes every credential
and deletes the face data in one transaction, closes the household when it empties, and keeps
the passage history.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from compound.domain import validation
from compound.domain.model import Event, InvalidInput, Person, Role, UnitAddress, mask_id_number
from compound.domain.search import initials
from compound.store.base import StoreBase, row_id
from compound.store.id_numbers import IdNumbers


class People(StoreBase):
    def add_unit(self, address: str | UnitAddress, occupants: int | None = None) -> dict[str, Any]:
        addr = address if isinstance(address, UnitAddress) else UnitAddress.parse(address)
        if occupants is not None:
            occupants = validation.occupants(occupants)
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
        name = validation.person_name(name)
        name_initials = initials(name)  # the search finds 王小明 by "wxm"; outside the lock
        addr = unit if isinstance(unit, UnitAddress) else UnitAddress.parse(unit)
        role = validation.role(role)
        start, end = validation.lease(lease_start, lease_end)
        if id_number is not None:
            id_number = validation.id_number(id_number)
        if phone is not None:
            phone = validation.phone(phone)
        if birth_year is not None:
            birth_year = validation.birth_year(birth_year)
        now = self.clock.now()
        with self.transaction() as c:
            unit_id = self.unit_id(addr)
            id_hash = self.ids.hash(id_number) if id_number is not None else None
            if id_hash is not None:
                dup = c.execute(
                    "SELECT id FROM people WHERE id_hash = ? AND moved_out_at IS NULL",
                    (id_hash,),
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
            pid = row_id(
                c.execute(
                    "INSERT INTO people (name, household_id, role, id_type, id_hash, id_masked,"
                    " phone, lease_start, lease_end, lives_alone, birth_year, created_at,"
                    " initials) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        name,
                        hh_id,
                        str(role),
                        id_type,
                        id_hash,
                        mask_id_number(id_number),
                        phone,
                        start.isoformat() if start else None,
                        end.isoformat() if end else None,
                        int(lives_alone),
                        birth_year,
                        now,
                        name_initials,
                    ),
                ).lastrowid
            )
            if id_number is not None:  # sealed to its row, so it is sealed once the row exists
                c.execute(
                    "UPDATE people SET id_sealed = ? WHERE id = ?",
                    (self.ids.seal(pid, id_number), pid),
                )
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
            return pid

    def person(self, person_id: int) -> Person:
        row = self.one(_PERSON_SQL + " WHERE p.id = ?", (person_id,))
        if row is None:
            raise InvalidInput(f"unknown person {person_id}")
        return _person(row, self.ids)

    def people(
        self, unit: UnitAddress | None = None, include_moved_out: bool = False
    ) -> list[Person]:
        sql, args = _PERSON_SQL + " WHERE 1=1", []
        if unit is not None:
            sql += " AND u.address = ?"
            args.append(str(unit))
        if not include_moved_out:
            sql += " AND p.moved_out_at IS NULL"
        return [_person(r, self.ids) for r in self.query(sql + " ORDER BY p.id", tuple(args))]

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


_PERSON_SQL = (
    "SELECT p.*, u.address AS unit_address FROM people p"
    " JOIN households h ON h.id = p.household_id JOIN units u ON u.id = h.unit_id"
)


def _person(r: dict[str, Any], ids: IdNumbers) -> Person:
    return Person(
        id=r["id"],
        name=r["name"],
        unit=UnitAddress.parse(r["unit_address"]),
        role=Role(r["role"]),
        household_id=r["household_id"],
        id_number=ids.open(r["id"], r["id_sealed"]),
        phone=r["phone"],
        lease_start=date.fromisoformat(r["lease_start"]) if r["lease_start"] else None,
        lease_end=date.fromisoformat(r["lease_end"]) if r["lease_end"] else None,
        moved_out_at=r["moved_out_at"],
        lives_alone=bool(r["lives_alone"]),
        birth_year=r["birth_year"],
    )
