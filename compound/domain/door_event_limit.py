"""How many events a door may send: a token bucket per door, and what passes a flood anyway.

The broker lets a bridge write only its own doors' events, but nothing else bounds how many,
and the core logs every one (forced, held, tamper and fire as alarms). A bridge taken over, or
a door input chattering, could fill the log and the officer's alarm queue. A real door makes a
handful of events a minute and at most a few a second (opened, closed, held, forced, its fire
input), so each door may send ``burst`` events at once and ``rate_per_s`` a second after that:
far above a door, far below what fills a log. The adapter that keeps events until the core
logs them (``firmware_bridge.event_delivery``) paces itself under these figures
(``ADAPTER_RULES``), so an honest bridge emptying its journal after an outage is never taken
for a flood.

An event over the limit is dropped and counted. A flood starts with the first event dropped
and lasts ``flood_window_s``; its start is reported once (one alarm per door per flood, not one
per event). Within a flood, the first event of each life-safety kind (``LIFE_SAFETY``) still
passes: a fire or a break-in at a door whose bridge floods (an attacker hiding a forced door in
noise, a stuck input chattering) must still reach the officer. Only the first of each kind: an
attacker who floods with ``forced_open`` itself gets one through per window, not thousands;
the flood alarm already sent the officer to that door.

Pure: time comes in as a monotonic value; nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from compound.domain.intake import TokenBucket

# Event kinds that may not be lost in a flood (``firmware_bridge.door_state`` makes them).
LIFE_SAFETY = frozenset({"fire_release", "forced_open", "tamper"})


@dataclass(frozen=True)
class EventRules:
    burst: int = 60  # events a door may send at once; a busy door makes a few a second
    rate_per_s: float = 5.0  # events a second after the burst, sustained
    flood_window_s: float = 600.0  # one alarm per door in this long, however long it floods
    max_doors: int = 4096  # doors remembered before idle ones are forgotten


# What an honest adapter keeps under: a fifth below the core's figures, so that a burst the
# broker delivers bunched together still fits.
ADAPTER_RULES = EventRules(burst=48, rate_per_s=4.0)


@dataclass(frozen=True)
class Verdict:
    admit: bool  # handle the event
    flood_started: bool = False  # this event began a flood at its door: report it, once
    for_safety: bool = False  # admitted over the limit as the flood's first of a life-safety kind


@dataclass
class _Door:
    bucket: TokenBucket
    flood_since: float | None = None
    passed: set[str] = field(default_factory=set)  # life-safety kinds let through this flood


class DoorEventLimiter:
    """Per-door buckets and floods. Not thread-safe: the core checks on one thread."""

    def __init__(self, rules: EventRules | None = None) -> None:
        self.rules = rules or EventRules()
        self._doors: dict[str, _Door] = {}
        self.dropped: dict[str, int] = {}  # events dropped, per door, since start

    def check(self, door: str, kind: str, now: float) -> Verdict:
        r = self.rules
        state = self._doors.get(door)
        if state is None:
            if len(self._doors) >= r.max_doors:
                self._forget_idle(now)
            state = self._doors[door] = _Door(TokenBucket(float(r.burst), now))
        if state.bucket.take(now, r.rate_per_s, r.burst):
            return Verdict(True)
        started = state.flood_since is None or now - state.flood_since >= r.flood_window_s
        if started:
            state.flood_since = now
            state.passed.clear()
        if kind in LIFE_SAFETY and kind not in state.passed:
            state.passed.add(kind)
            return Verdict(True, flood_started=started, for_safety=True)
        self.dropped[door] = self.dropped.get(door, 0) + 1
        return Verdict(False, flood_started=started)

    def flooding(self, now: float) -> list[str]:
        """The doors whose flood window is open now."""
        w = self.rules.flood_window_s
        return sorted(
            d
            for d, s in self._doors.items()
            if s.flood_since is not None and now - s.flood_since < w
        )

    def _forget_idle(self, now: float) -> None:
        # A door whose bucket has filled again and whose flood is over holds nothing to keep.
        r = self.rules
        idle = r.burst / r.rate_per_s
        for door in [
            d
            for d, s in self._doors.items()
            if now - s.bucket.at > idle
            and (s.flood_since is None or now - s.flood_since >= r.flood_window_s)
        ]:
            del self._doors[door]
