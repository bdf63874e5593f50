"""The strangers' faces kept sealed in the store, so that a restart of the face service does
not forget a repeat visitor (the "unknown face seen K times in T days" alert counts visits over
days).

Each row is one stranger: the anonymous id, when last seen, and the 128-d descriptor sealed
with the face key (``face.key``, the key of the residents' templates; AES-GCM with the id as
associated data, so a row moved under another id fails). Nothing here is logged or sent
upstream. Rows past the memory's limit are deleted with ``secure_delete`` on, so their bytes
are overwritten in the database file.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from compound.adapters import keys
from compound.adapters.crypto import Sealer, SealError
from compound.domain.face.gallery import DIM

if TYPE_CHECKING:
    from compound.store.db import Store

log = logging.getLogger(__name__)


def _aad(stranger: str) -> bytes:
    return f"compound-face-stranger:v1:{stranger}".encode()


class StrangerStore:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._aead = Sealer(keys.load_or_create(store.key_dir / "face.key"))

    def add(self, stranger: str, at: float, encoding: np.ndarray) -> None:
        plain = np.asarray(encoding, dtype="<f4").reshape(DIM).tobytes()
        nonce, sealed = self._aead.seal(plain, _aad(stranger))
        with self.store.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO face_strangers (id, last_seen, nonce, ciphertext)"
                " VALUES (?, ?, ?, ?)",
                (stranger, at, nonce, sealed),
            )

    def seen(self, stranger: str, at: float) -> None:
        with self.store.transaction() as c:
            c.execute("UPDATE face_strangers SET last_seen = ? WHERE id = ?", (at, stranger))

    def delete(self, strangers: Iterable[str]) -> int:
        ids = list(strangers)
        if not ids:
            return 0
        with self.store.transaction() as c:
            return sum(
                c.execute("DELETE FROM face_strangers WHERE id = ?", (s,)).rowcount for s in ids
            )

    def purge(self, before: float) -> int:
        """Delete every stranger last seen before ``before``; how many."""
        with self.store.transaction() as c:
            n = c.execute("DELETE FROM face_strangers WHERE last_seen < ?", (before,)).rowcount
        return int(n)

    def load(self) -> list[tuple[str, float, np.ndarray]]:
        """Every kept stranger, opened. A row that does not open (altered, moved, or sealed
        with another key) is deleted: it can never be matched again."""
        out, bad = [], []
        for r in self.store.query("SELECT id, last_seen, nonce, ciphertext FROM face_strangers"):
            try:
                plain = self._aead.open(r["nonce"], r["ciphertext"], _aad(r["id"]))
            except SealError:
                bad.append(r["id"])
                continue
            enc = np.frombuffer(plain, dtype="<f4").astype(np.float32)
            out.append((str(r["id"]), float(r["last_seen"]), enc))
        if bad:
            log.warning("%d kept strangers do not decrypt; deleted", len(bad))
            self.delete(bad)
        return out

    def count(self) -> int:
        row = self.store.one("SELECT COUNT(*) AS n FROM face_strangers")
        return int(row["n"]) if row else 0
