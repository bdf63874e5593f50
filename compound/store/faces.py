"""Consents and encrypted face templates in the store.

Templates are AES-GCM encrypted with a key in its own 0600 file (``face.key`` in the key
folder); the person id is bound in as associated data, so a row copied onto another person
fails to decrypt instead of letting that person in. Deleting a face (by a manager, at move-out,
or after the lease ended) deletes the rows with ``secure_delete`` on, so the bytes are
overwritten in the database file. Every enrolment and deletion is logged without any biometric
data, and nothing here ever reaches the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import numpy as np

from compound.adapters import keys
from compound.adapters.crypto import Sealer, SealError
from compound.domain.face.gallery import DIM, Gallery
from compound.domain.model import CredentialKind, InvalidInput

if TYPE_CHECKING:
    import sqlite3

    from compound.store.db import Store

CONSENT_TEXT_VERSION = "face-consent-v1"
MAX_TEMPLATES = 10  # per person; the oldest go first


class TemplateError(RuntimeError):
    """A stored template failed its integrity check (altered, moved, or the wrong key)."""


@dataclass(frozen=True)
class Consent:
    id: int
    person_id: int
    given_by: str
    at: float
    text_version: str


def _aad(person_id: int) -> bytes:
    return f"compound-face-template:v1:{person_id}".encode()


class FaceStore:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._aead = Sealer(keys.load_or_create(store.key_dir / "face.key"))

    # -- crypto ----------------------------------------------------------------------------

    def seal(self, person_id: int, encoding: np.ndarray) -> tuple[bytes, bytes]:
        plain = np.asarray(encoding, dtype="<f4").reshape(DIM).tobytes()
        return self._aead.seal(plain, _aad(person_id))

    def open(self, person_id: int, nonce: bytes, ciphertext: bytes) -> np.ndarray:
        try:
            plain = self._aead.open(nonce, ciphertext, _aad(person_id))
        except SealError:
            raise TemplateError(
                f"a face template of person {person_id} fails its integrity check"
            ) from None
        return np.frombuffer(plain, dtype="<f4").astype(np.float32)

    # -- consent ---------------------------------------------------------------------------

    def consent(self, person_id: int) -> Consent | None:
        row = self.store.one(
            "SELECT * FROM face_consents WHERE person_id = ? AND withdrawn_at IS NULL"
            " ORDER BY id DESC LIMIT 1",
            (person_id,),
        )
        if row is None:
            return None
        return Consent(row["id"], row["person_id"], row["given_by"], row["at"], row["text_version"])

    def record_consent(self, person_id: int, given_by: str) -> Consent:
        given_by = given_by.strip()
        if not given_by or len(given_by) > 100:
            raise InvalidInput("say who recorded the consent (--consent-by NAME, 1-100 characters)")
        now = self.store.clock.now()
        with self.store.transaction() as c:
            person = self.store.person(person_id)
            if not person.active:
                raise InvalidInput(f"person {person_id} has moved out")
            cid = c.execute(
                "INSERT INTO face_consents (person_id, given_by, at, text_version)"
                " VALUES (?, ?, ?, ?)",
                (person_id, given_by, now, CONSENT_TEXT_VERSION),
            ).lastrowid
            self.store.append_event(
                "face.consent",
                person_id=person_id,
                data={"by": given_by, "text_version": CONSENT_TEXT_VERSION},
            )
        return Consent(int(cid or 0), person_id, given_by, now, CONSENT_TEXT_VERSION)

    # -- templates -------------------------------------------------------------------------

    def add(self, person_id: int, encodings: list[np.ndarray], by: str) -> int:
        """Store templates; needs a live consent and a non-face credential. Returns how many
        the person has now."""
        if not encodings:
            raise InvalidInput("no usable photo: nothing was stored")
        with self.store.transaction() as c:
            person = self.store.person(person_id)
            if not person.active:
                raise InvalidInput(f"person {person_id} has moved out")
            consent = self.consent(person_id)
            if consent is None:
                raise InvalidInput(
                    f"no face consent recorded for person {person_id}: record it first "
                    "(--consent-by NAME)"
                )
            require_other_credential(self.store, person_id)
            now = self.store.clock.now()
            for enc in encodings:
                nonce, ct = self.seal(person_id, enc)
                c.execute(
                    "INSERT INTO face_templates (person_id, consent_id, nonce, ciphertext,"
                    " created_at) VALUES (?, ?, ?, ?, ?)",
                    (person_id, consent.id, nonce, ct, now),
                )
            # Keep the newest few: faces change, and an old template only adds risk.
            c.execute(
                "DELETE FROM face_templates WHERE person_id = ? AND id NOT IN (SELECT id FROM"
                " face_templates WHERE person_id = ? ORDER BY id DESC LIMIT ?)",
                (person_id, person_id, MAX_TEMPLATES),
            )
            total = c.execute(
                "SELECT COUNT(*) FROM face_templates WHERE person_id = ?", (person_id,)
            ).fetchone()[0]
            live_face = c.execute(
                "SELECT 1 FROM credentials WHERE person_id = ? AND kind = 'face'"
                " AND revoked_at IS NULL",
                (person_id,),
            ).fetchone()
            if live_face is None:
                self.store.add_face_credential(person_id)
            self.store.append_event(
                "face.enrolled",
                person_id=person_id,
                data={"by": by, "templates_added": len(encodings), "templates": int(total)},
            )
            return int(total)

    def count(self, person_id: int) -> int:
        row = self.store.one(
            "SELECT COUNT(*) AS n FROM face_templates WHERE person_id = ?", (person_id,)
        )
        return int(row["n"]) if row else 0

    def delete(self, person_id: int, by: str, why: str = "deleted by manager") -> int:
        """Delete every template, withdraw the consent, revoke the face credential."""
        with self.store.transaction() as c:
            self.store.person(person_id)  # unknown person: InvalidInput
            n = self._erase(c, person_id, self.store.clock.now())
            self.store.append_event(
                "face.deleted",
                person_id=person_id,
                data={"by": by, "why": why, "templates": n},
            )
            return n

    def _erase(self, c: sqlite3.Connection, person_id: int, now: float) -> int:
        n = c.execute("DELETE FROM face_templates WHERE person_id = ?", (person_id,)).rowcount
        c.execute(
            "UPDATE face_consents SET withdrawn_at = ?"
            " WHERE person_id = ? AND withdrawn_at IS NULL",
            (now, person_id),
        )
        c.execute(
            "UPDATE credentials SET revoked_at = ? WHERE person_id = ? AND kind = 'face'"
            " AND revoked_at IS NULL",
            (now, person_id),
        )
        return int(n)

    def purge_ended_leases(self, today: date | None = None) -> list[int]:
        """Delete the faces of tenants whose lease ended before ``today`` (local date)."""
        if today is None:
            today = datetime.fromtimestamp(self.store.clock.now(), self.store.tz).date()
        rows = self.store.query(
            "SELECT DISTINCT p.id FROM people p JOIN face_templates t ON t.person_id = p.id"
            " WHERE p.lease_end IS NOT NULL AND p.lease_end < ?",
            (today.isoformat(),),
        )
        done = []
        for r in rows:
            self.delete(int(r["id"]), "system", "lease ended")
            done.append(int(r["id"]))
        return done

    def gallery(self) -> Gallery:
        """Every template of people still living here, decrypted, as one matrix."""
        rows = self.store.query(
            "SELECT t.person_id, t.nonce, t.ciphertext FROM face_templates t"
            " JOIN people p ON p.id = t.person_id WHERE p.moved_out_at IS NULL ORDER BY t.id"
        )
        if not rows:
            return Gallery.empty()
        pids = np.array([r["person_id"] for r in rows], dtype=np.int64)
        mat = np.stack([self.open(r["person_id"], r["nonce"], r["ciphertext"]) for r in rows])
        return Gallery(pids, mat)

    def signature(self) -> tuple[object, ...]:
        """Changes whenever the gallery would change: cheap to poll."""
        row = self.store.one(
            "SELECT (SELECT COUNT(*) FROM face_templates) AS n,"
            " (SELECT MAX(id) FROM face_templates) AS m,"
            " (SELECT COUNT(*) FROM people WHERE moved_out_at IS NOT NULL) AS gone"
        )
        return tuple(row.values()) if row else ()


def require_other_credential(store: Store, person_id: int) -> None:
    """Face may not be the only way in (SPC 2021 interpretation on face recognition, Art. 10):
    enrolment is refused until the person holds a live card, PIN or pass."""
    others = [
        c
        for c in store.credentials(person_id)
        if c.kind is not CredentialKind.FACE and c.revoked_at is None
    ]
    if not others:
        raise InvalidInput(
            f"person {person_id} has no card, PIN or pass: issue one first "
            f"(`compound pin set {person_id}` or `compound card add {person_id} NUMBER`); "
            "face may not be the only way in"
        )
