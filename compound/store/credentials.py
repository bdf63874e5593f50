"""Credentials in the store: issuing cards, PINs, visitor passes and face credentials, revoking
them, and finding the one a presented value belongs to.

PINs and pass tokens are kept only as keyed hashes (the key lives outside the database), so a
copy of the database does not give them away; a card number is kept without its leading zeros,
since readers differ in how many they print. No two live credentials of a kind share a value.
"""

from __future__ import annotations

import secrets
from typing import Any

from compound.adapters import keys
from compound.domain import validation
from compound.domain.model import Credential, CredentialKind, InvalidInput, Person
from compound.store.base import StoreBase, row_id


class Credentials(StoreBase):
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
            cid = row_id(
                c.execute(
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
            )
            self.append_event(
                "credential.issued",
                person_id=person_id,
                data={"kind": str(kind), "credential_id": cid, **(event_data or {})},
            )
            return cid

    def add_face_credential(self, person_id: int) -> int:
        """The credential row that lets a person's enrolled face open doors (no lookup value:
        the face service names the person it recognised)."""
        return self._add_credential(person_id, CredentialKind.FACE, None, label="face")

    def add_card(self, person_id: int, number: str, schedule: str | None = None) -> int:
        """``schedule``: the name of the hours when the card opens doors (none: any time)."""
        number = validation.card_number(number)
        with self.transaction():
            sid = self.schedule_ref(schedule)
            return self._add_credential(
                person_id,
                CredentialKind.CARD,
                validation.card_lookup(number),
                label=f"card …{number[-4:]}",
                schedule_id=sid,
                event_data={"schedule_id": sid} if sid else None,
            )

    def set_pin(self, person_id: int, pin: str, schedule: str | None = None) -> int:
        """``schedule``: the name of the hours when the PIN opens doors; without it the new PIN
        keeps the hours of the one it replaces (``"none"``: any time)."""
        pin = validation.pin(pin)
        with self.transaction() as c:
            old = c.execute(
                "SELECT schedule_id FROM credentials WHERE person_id = ? AND kind = 'pin'"
                " AND revoked_at IS NULL ORDER BY id DESC LIMIT 1",
                (person_id,),
            ).fetchone()
            if schedule is not None:
                schedule_id = self.schedule_ref(schedule)
            else:
                schedule_id = old[0] if old else None
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
                schedule_id=schedule_id,
                event_data={"schedule_id": schedule_id} if schedule_id else None,
            )

    def issue_pass(
        self, person_id: int, valid_from: float, valid_until: float, schedule_id: int | None = None
    ) -> tuple[int, str]:
        """A visitor pass: returns (credential id, token for the QR code). The token is shown
        once; only its keyed hash is kept."""
        validation.pass_validity(valid_from, valid_until)
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
                lookup = validation.card_lookup(value)
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
