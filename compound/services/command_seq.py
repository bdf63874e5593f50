"""The sequence numbers of door commands: always increasing, across restarts and clock steps.

A bridge carries out a command only if its sequence number is higher than the last one it
carried out for that door. The numbers used to be the wall clock in microseconds, so after the
clock was stepped back and the core restarted they started lower, and the bridge refused every
command until wall time caught up.

Now the core starts from the higher of the clock (microseconds) and one past a high-water mark
kept in the database (setting ``core.command_seq_reserved``), then counts up by one. The mark
is always at or above every number handed out: it is written ``AHEAD`` numbers ahead, again
when they are used up, so one write covers 10,000 commands and a crash loses nothing but
unused numbers.
"""

from __future__ import annotations

import logging
import threading

from compound.domain.clock import Clock
from compound.store.base import StoreError
from compound.store.db import Store

log = logging.getLogger(__name__)

SETTING = "core.command_seq_reserved"
AHEAD = 10_000
RESERVE_WAIT_S = 0.05  # then the mark is tried again with the next command


class CommandSeq:
    def __init__(self, store: Store, clock: Clock, ahead: int = AHEAD) -> None:
        self.store = store
        self.clock = clock
        self.ahead = ahead
        self._lock = threading.Lock()
        self.reserved = _int(store.setting(SETTING))
        self._last: int | None = None  # None until the first command after a start

    def next(self) -> int:
        with self._lock:
            if self._last is None:
                seq = max(self.reserved + 1, int(self.clock.now() * 1_000_000))
            else:
                seq = self._last + 1
            if seq > self.reserved:
                self._reserve(seq + self.ahead)
            self._last = seq
            return seq

    def _reserve(self, mark: int) -> None:
        try:
            # Not behind a long write (an import): the unlock it numbers goes out meanwhile.
            with self.store.transaction(wait_s=RESERVE_WAIT_S) as c:
                c.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?)"
                    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (SETTING, str(mark)),
                )
        except StoreError as e:
            # The command still goes out (it may be a lock); the mark is tried again with the
            # next one. Until it is written, a restart after a clock step back may start low.
            log.warning("command sequence mark not saved: %s", e)
            return
        self.reserved = mark


def _int(text: str | None) -> int:
    try:
        return max(0, int(text or 0))
    except ValueError:
        return 0
