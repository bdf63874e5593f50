"""The door requests waiting for a decision: fair between doors, bounded, shed at the source.

Every key gets a token bucket and a short queue of its own. The core keys requests by door and
sender (``compound.protocol.access_channels``: the door's reader, its panel, the face service;
the broker lets each write only its own topic), so in effect every device has its own. A request
beyond the bucket's rate, or one that finds its queue full, is shed: dropped and counted against
that key alone. The decision worker takes one request from each waiting key in turn, so a device
flooding ten thousand requests a second delays the next swipe elsewhere by at most one decision.

Pure: time comes in as a monotonic value, nothing here blocks or does I/O.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class IntakeRules:
    rate_per_s: float = 20.0  # a door's sustained rate of requests; a real door sees about 1
    burst: int = 40  # what a door may send at once before the rate applies
    queue: int = 50  # requests of one door waiting for a decision
    total: int = 2000  # requests of all doors waiting for a decision


@dataclass
class TokenBucket:
    """``burst`` at once, then ``rate`` a second (also ``compound.domain.door_event_limit``)."""

    tokens: float
    at: float

    def take(self, now: float, rate: float, burst: int) -> bool:
        self.tokens = min(float(burst), self.tokens + max(0.0, now - self.at) * rate)
        self.at = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


@dataclass
class DoorIntake(Generic[T]):
    """Per-door buckets and queues, taken from in turn."""

    rules: IntakeRules = field(default_factory=IntakeRules)
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)
    _queues: dict[str, deque[T]] = field(default_factory=dict)
    _turn: deque[str] = field(default_factory=deque)  # doors with something waiting, in turn
    _size: int = 0
    shed: dict[str, int] = field(default_factory=dict)  # requests dropped, per door

    def admit(self, door: str, now: float) -> bool:
        """Whether a request from ``door`` is within its rate; asked before anything is done with
        the request, so a flood costs a lookup per message. A refusal is counted as shed."""
        r = self.rules
        bucket = self._buckets.get(door)
        if bucket is None:
            if len(self._buckets) > 4 * r.total:
                self._forget_idle(now)
            bucket = self._buckets[door] = TokenBucket(float(r.burst), now)
        if bucket.take(now, r.rate_per_s, r.burst):
            return True
        self.shed[door] = self.shed.get(door, 0) + 1
        return False

    def put(self, door: str, item: T) -> str | None:
        """Queue an admitted request; or say why it was shed ("queue", "full")."""
        why = None
        if len(self._queues.get(door, ())) >= self.rules.queue:
            why = "queue"
        elif self._size >= self.rules.total:
            why = "full"
        if why is not None:
            self.shed[door] = self.shed.get(door, 0) + 1
            return why
        q = self._queues.setdefault(door, deque())
        if not q:
            self._turn.append(door)
        q.append(item)
        self._size += 1
        return None

    def take(self) -> tuple[str, T] | None:
        """The next request, from the door whose turn it is."""
        if not self._turn:
            return None
        door = self._turn.popleft()
        q = self._queues[door]
        item = q.popleft()
        self._size -= 1
        if q:
            self._turn.append(door)  # back of the line: the other doors go first
        else:
            del self._queues[door]
        return door, item

    def __len__(self) -> int:
        return self._size

    def _forget_idle(self, now: float) -> None:
        # Buckets full again (idle for burst/rate seconds) hold nothing worth keeping.
        idle = self.rules.burst / self.rules.rate_per_s
        for door in [d for d, b in self._buckets.items() if now - b.at > idle]:
            if door not in self._queues:
                del self._buckets[door]
