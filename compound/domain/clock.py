"""Injected time.

Everything that depends on "now" receives a ``Clock`` so that tests move time by hand instead
of sleeping. Wall time is epoch seconds (float, UTC); ``monotonic`` is for measuring intervals.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Wall-clock time in epoch seconds (UTC)."""
        ...

    def monotonic(self) -> float:
        """A clock that never goes backwards, for timeouts."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


@dataclass
class ManualClock:
    """A clock that only moves when told to; for tests and simulations."""

    t: float = field(default=1_790_000_000.0)  # 2026-09-21, an arbitrary fixed start
    mono: float = 1000.0

    def now(self) -> float:
        return self.t

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock cannot move backwards")
        self.t += seconds
        self.mono += seconds

    def set(self, when: datetime) -> None:
        t = when.timestamp()
        self.mono += max(0.0, t - self.t)
        self.t = t


def iso(ts: float) -> str:
    """Epoch seconds as an ISO-8601 UTC string with milliseconds, for logs and payloads."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
