"""The stranger memory of the face service, kept sealed in the store across restarts.

The memory itself is ``domain/face/strangers.py`` (pure): which face is which anonymous id,
forgotten ``stranger_memory_h`` after it was last seen. This keeps the sealed copy in step
(``store/face_strangers.py``): a new stranger is written, a sighting moves its time, a dropped
one is deleted, and ``expire`` (run on a schedule by the service) deletes from the store the
rows past the limit, so that a stranger not seen for seven days is gone from the disk, not
merely skipped when read. The cameras share one memory; a lock keeps it whole.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from compound.domain.face.strangers import Strangers
from compound.store.face_strangers import StrangerStore

log = logging.getLogger(__name__)

EXPIRE_EVERY_S = 600.0  # a stranger past the limit stays on disk at most this much longer


class KeptStrangers:
    def __init__(self, memory: Strangers, kept: StrangerStore) -> None:
        self.memory = memory
        self.kept = kept
        self._lock = threading.Lock()

    def load(self, now: float) -> int:
        """Delete what is past the limit, then take back the rest; how many were taken."""
        with self._lock:
            self.kept.purge(now - self.memory.keep_s)
            skipped = self.memory.restore(self.kept.load(), now)
            self.kept.delete(skipped)
            return len(self.memory)

    def identify(self, encoding: np.ndarray, at: float) -> str:
        with self._lock:
            s = self.memory.remember(encoding, at)
            try:
                if s.new:
                    self.kept.add(s.id, at, encoding)
                else:
                    self.kept.seen(s.id, at)
                self.kept.delete(s.dropped)
            except Exception:  # the store busy or failing: the memory still counts the visit
                log.exception("stranger %s not kept on disk", s.id)
            return s.id

    def expire(self, now: float) -> int:
        """Forget, and delete from the store, the strangers not seen within the limit."""
        with self._lock:
            self.memory.forget(now)
            return self.kept.purge(now - self.memory.keep_s)
