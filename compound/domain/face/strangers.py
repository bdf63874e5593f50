"""Faces that match no resident, remembered for a while so that a stranger who keeps coming
back can be counted (the "unknown face seen K times in T days" alert).

Privacy: only an anonymous, random id leaves the face service. Each entry is forgotten
``keep_s`` after it was last seen, and the memory is bounded. The service keeps a sealed copy
of each entry (``services/face_strangers.py``) so that a restart does not forget a stranger;
``remember`` says what changed (a new entry, the entries dropped) so that the copy follows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from compound.domain.face.gallery import DIM
from compound.protocol.messages import new_id


@dataclass(frozen=True)
class Sighting:
    """What one ``remember`` did: the stranger's id, whether it is new, the ids dropped (too
    old, or the oldest when the memory was full)."""

    id: str
    new: bool
    dropped: tuple[str, ...] = ()


class StrangerMemory(Protocol):
    """What a camera's watch needs: the anonymous id of a face nobody was named for."""

    def identify(self, encoding: np.ndarray, at: float) -> str: ...


class Strangers:
    def __init__(self, threshold: float, keep_s: float, capacity: int = 5000) -> None:
        self.threshold = threshold
        self.keep_s = keep_s
        self.capacity = capacity
        self._ids: list[str] = []
        self._seen: list[float] = []
        self._rows = np.zeros((0, DIM), dtype=np.float32)

    def __len__(self) -> int:
        return len(self._ids)

    def identify(self, encoding: np.ndarray, at: float) -> str:
        """The anonymous id of this stranger: the one seen before within the threshold, or a
        new one."""
        return self.remember(encoding, at).id

    def remember(self, encoding: np.ndarray, at: float) -> Sighting:
        """``identify``, saying what changed."""
        dropped = self.forget(at)
        if self._ids:
            d = np.linalg.norm(self._rows - encoding.astype(np.float32), axis=1)
            i = int(np.argmin(d))
            if d[i] <= self.threshold:
                self._seen[i] = at
                return Sighting(self._ids[i], False, tuple(dropped))
        if len(self._ids) >= self.capacity:
            oldest = int(np.argmin(self._seen))
            dropped.append(self._ids[oldest])
            self._drop([oldest])
        sid = "s" + new_id()[:11]
        self._add(sid, at, encoding)
        return Sighting(sid, True, tuple(dropped))

    def restore(self, entries: Iterable[tuple[str, float, np.ndarray]], at: float) -> list[str]:
        """Take back entries kept from before a restart (id, last seen, encoding); the ones
        already too old, and the oldest beyond the capacity, are not taken: their ids are
        returned so that the kept copy drops them too."""
        rows = sorted(entries, key=lambda e: -e[1])
        known = set(self._ids)
        skipped = []
        for sid, seen, encoding in rows:
            if sid in known:
                continue
            if at - seen > self.keep_s or len(self._ids) >= self.capacity:
                skipped.append(sid)
                continue
            self._add(sid, seen, encoding)
            known.add(sid)
        return skipped

    def forget(self, at: float) -> list[str]:
        """Drop the entries not seen for ``keep_s``; their ids."""
        old = [i for i, t in enumerate(self._seen) if at - t > self.keep_s]
        ids = [self._ids[i] for i in old]
        if old:
            self._drop(old)
        return ids

    def _add(self, sid: str, at: float, encoding: np.ndarray) -> None:
        self._ids.append(sid)
        self._seen.append(at)
        self._rows = np.vstack([self._rows, encoding.astype(np.float32).reshape(1, DIM)])

    def _drop(self, rows: list[int]) -> None:
        gone = set(rows)
        keep = [i for i in range(len(self._ids)) if i not in gone]
        self._ids = [self._ids[i] for i in keep]
        self._seen = [self._seen[i] for i in keep]
        self._rows = self._rows[keep]
