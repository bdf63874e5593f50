"""Faces that match no resident, remembered for a while so that a stranger who keeps coming
back can be counted (the "unknown face seen K times in T days" alert).

Privacy: the encodings of strangers are held in this process's memory only, never written to
disk or sent anywhere; each entry is forgotten ``keep_s`` after it was last seen, and the
memory is bounded. Only an anonymous, random id leaves the face service.
"""

from __future__ import annotations

import numpy as np

from compound.domain.face.gallery import DIM
from compound.protocol.messages import new_id


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
        self._forget(at)
        if self._ids:
            d = np.linalg.norm(self._rows - encoding.astype(np.float32), axis=1)
            i = int(np.argmin(d))
            if d[i] <= self.threshold:
                self._seen[i] = at
                return self._ids[i]
        if len(self._ids) >= self.capacity:
            oldest = int(np.argmin(self._seen))
            self._drop([oldest])
        sid = "s" + new_id()[:11]
        self._ids.append(sid)
        self._seen.append(at)
        self._rows = np.vstack([self._rows, encoding.astype(np.float32).reshape(1, DIM)])
        return sid

    def _forget(self, at: float) -> None:
        old = [i for i, t in enumerate(self._seen) if at - t > self.keep_s]
        if old:
            self._drop(old)

    def _drop(self, rows: list[int]) -> None:
        keep = [i for i in range(len(self._ids)) if i not in set(rows)]
        self._ids = [self._ids[i] for i in keep]
        self._seen = [self._seen[i] for i in keep]
        self._rows = self._rows[keep]
