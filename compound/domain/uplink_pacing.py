"""Pacing of resends between a box and the city platform (pure, clock-free: callers pass the
time and a random source).

When many boxes catch up at once, the platform's backlog can be longer than a box's confirm
timeout. If each box then sent everything again, the backlog would grow by the resends and every
box would time out again: congestion collapse (measured: 134 records/s against 1,400 for the
same boxes with a short backlog). Two rules keep it from starting:

- A box counts its confirm timeout from the last **progress** (its oldest unconfirmed record
  going out, or the platform's acknowledgement moving on), not from when the oldest record went
  out: a platform that is slow but moving is not a platform that lost records.
- Every resend a box starts by itself (a timeout) or on the platform's request makes the next
  one wait longer: doubling, with jitter so that a thousand boxes do not resend in step,
  bounded by ``cap_s``; progress resets it.

``Backoff`` is that delay; the platform side uses the same class for repeated "resend from N"
requests of one site, so that a site is asked once for N and not every second while its
resent records are on their way.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """A delay that doubles with every ``bump`` up to ``cap_s`` and falls back to ``base_s`` on
    ``reset``; each value drawn is jittered down by up to ``jitter`` of itself, never below
    ``base_s`` (so the first delay is exactly ``base_s`` and none exceeds ``cap_s``)."""

    base_s: float
    cap_s: float
    jitter: float = 0.5
    rng: random.Random = field(default_factory=random.Random)
    level: int = 0
    _current: float = -1.0

    def __post_init__(self) -> None:
        if self.base_s <= 0 or self.cap_s < self.base_s or not 0 <= self.jitter < 1:
            raise ValueError("need 0 < base_s <= cap_s and 0 <= jitter < 1")
        self._draw()

    def _draw(self) -> None:
        nominal = min(self.cap_s, self.base_s * (2**self.level))
        self._current = max(self.base_s, nominal * (1 - self.jitter * self.rng.random()))

    @property
    def delay(self) -> float:
        """The delay now (the same value until the next ``bump`` or ``reset``)."""
        return self._current

    def bump(self) -> float:
        """Something had to be done again: the next wait is longer. Returns it."""
        if self.base_s * (2**self.level) < self.cap_s:
            self.level += 1
        self._draw()
        return self._current

    def reset(self) -> None:
        """Progress: back to the base delay."""
        if self.level:
            self.level = 0
            self._draw()


@dataclass
class ResendGate:
    """Whether to resend now, given the last time one was started: a box answers a "resend
    from N" only once per ``backoff.delay`` unless the acknowledgement moved in between (the
    records resent last time are still on their way); requests inside the wait are coalesced
    into one that is answered when the wait is over, if still needed."""

    backoff: Backoff
    last_at: float | None = None
    waiting_from: int | None = None

    def request(self, from_seq: int, now: float) -> bool:
        """A resend from ``from_seq`` is asked for (or due) at ``now``: True to resend now."""
        if self.last_at is not None and now - self.last_at < self.backoff.delay:
            self.waiting_from = (
                from_seq if self.waiting_from is None else min(self.waiting_from, from_seq)
            )
            return False
        self.started(now)
        return True

    def due(self, now: float) -> int | None:
        """A coalesced request whose wait is over: its ``from``, once."""
        if self.waiting_from is None or self.last_at is None:
            return None
        if now - self.last_at < self.backoff.delay:
            return None
        n, self.waiting_from = self.waiting_from, None
        self.started(now)
        return n

    def started(self, now: float) -> None:
        """A resend was started (by a request or a timeout): the next waits longer."""
        if self.last_at is not None:
            self.backoff.bump()
        self.last_at = now

    def progress(self, acked_upto: int) -> None:
        """The acknowledgement moved: back to the short wait; a waiting request it covers is
        dropped."""
        self.backoff.reset()
        if self.waiting_from is not None and acked_upto >= self.waiting_from:
            self.waiting_from = None
