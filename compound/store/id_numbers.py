"""ID numbers (身份证号) at rest: sealed, with only what lookups need beside them.

An ID number is personal information the box must keep but rarely show. The ``people`` table
holds, for each number:

- ``id_sealed``: the number encrypted (AES-GCM, ``compound.adapters.crypto``) with a key of its
  own, ``id.key`` in the key directory (0600, outside the database), bound to the person's row,
  so a copy of the database, a backup or a report file read with sqlite3 never shows it;
- ``id_hash``: a keyed hash (HMAC-SHA256 under a sub-key of ``id.key``) for equality: the
  duplicate check at registration, the unique index over the people living here, the lookup by
  full number. Without the key it cannot be checked against a guess, which a plain hash of an
  18-character number with a birth date inside it could;
- ``id_masked``: the masked form the screens, reports and the city platform already get (first
  3 and last 4 characters, ``mask_id_number``); the search by "the end of the ID number" reads
  its last 4 through an index, and a longer end is checked on the few candidates' opened numbers.

The store opens a number only to build a ``Person`` (a manager's own view, an export that asks
for it); every other reader uses the hash or the masked form. Migration 160
(``migrations/id_numbers.py``) converts the rows of an older database in one transaction,
through the SQL functions ``register`` adds to the store's connection.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3

from compound.adapters import keys
from compound.adapters.crypto import NONCE_BYTES, Sealer, SealError
from compound.domain.model import mask_id_number

KEY_FILE = "id.key"


class IdNumberError(RuntimeError):
    """A sealed ID number does not open: altered, copied from another row, or another key."""


def _aad(person_id: int) -> bytes:
    return f"compound-id-number:v1:{person_id}".encode()


class IdNumbers:
    def __init__(self, key: bytes) -> None:
        self._sealer = Sealer(keys.derive(key, "id-number:seal"))
        self._mac = keys.derive(key, "id-number:lookup")

    def hash(self, number: str) -> str:
        """The keyed hash of a number as validated (upper case, no spaces)."""
        return hmac.new(self._mac, number.strip().upper().encode(), hashlib.sha256).hexdigest()

    def seal(self, person_id: int, number: str) -> bytes:
        nonce, ct = self._sealer.seal(number.encode(), _aad(person_id))
        return nonce + ct

    def open(self, person_id: int, sealed: bytes | None) -> str | None:
        if sealed is None:
            return None
        try:
            plain = self._sealer.open(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _aad(person_id))
        except SealError:
            raise IdNumberError(
                f"the ID number of person {person_id} fails its integrity check"
            ) from None
        return plain.decode()

    def register(self, conn: sqlite3.Connection) -> None:
        """The SQL functions migration 160 converts clear numbers with (this connection only)."""
        conn.create_function("id_seal", 2, self.seal)
        conn.create_function("id_hash", 1, self.hash, deterministic=True)
        conn.create_function("id_mask", 1, mask_id_number, deterministic=True)
