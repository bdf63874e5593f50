"""The alert rules: pure logic over logged events and a clock.

Two kinds of rule. Event rules watch the event log as it is written (failed attempts at a door,
an unknown face that keeps coming back, an intrusion zone, a count above a warning line) and keep
a little state in memory; the extension primes them at start by replaying the recent log, so a
restart neither forgets a half-counted window nor fires again for it. Condition rules (an
elderly resident not seen, a unit with far more entrants than occupants) are evaluated on a
periodic tick from facts the extension reads from the database.

A rule fires a ``Firing`` for one subject (a door, a person, a unit, a face track). The
extension turns it into an alarm, keeping at most one open alarm per rule and subject. Event
rules consume the events that made them fire, so the next alarm needs a fresh threshold of
events; condition rules fire once per occurrence of the condition (``last_raised`` tells them an
alarm was already raised for it), so an acknowledged alarm stays acknowledged while the
condition lasts.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from compound.config import AlertsConfig, CountRuleConfig
from compound.domain.model import Event


@dataclass(frozen=True)
class Firing:
    rule: str
    subject: str
    severity: str
    message: str
    door_id: str | None = None
    person_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


class EventRule(Protocol):
    name: str
    types: frozenset[str]
    window_s: float

    def observe(self, ev: Event) -> list[Firing]: ...


class FailedAttempts:
    """Consecutive denials at one door within a window; a grant at that door resets the count."""

    name = "failed_attempts"
    types = frozenset({"access.denied", "access.granted"})

    def __init__(self, threshold: int, window_s: float, severity: str) -> None:
        self.threshold, self.window_s, self.severity = threshold, window_s, severity
        self._fails: dict[str, deque[float]] = {}

    def observe(self, ev: Event) -> list[Firing]:
        door = ev.door_id or "?"
        if ev.type == "access.granted":
            self._fails.pop(door, None)
            return []
        fails = self._fails.setdefault(door, deque())
        _expire(fails, ev.at - self.window_s)
        fails.append(ev.at)
        if len(fails) < self.threshold:
            return []
        n = len(fails)
        fails.clear()
        return [
            Firing(
                self.name,
                door,
                self.severity,
                f"{door}: {n} failed attempts in a row",
                door_id=ev.door_id,
                data={"failures": n, "window_s": self.window_s},
            )
        ]


class CountAbove:
    """More than a warning line of events of one type within a sliding window (预警触发)."""

    def __init__(self, cfg: CountRuleConfig) -> None:
        self.cfg = cfg
        self.name = f"count:{cfg.name}"
        self.types = frozenset({cfg.event_type})
        self.window_s = cfg.window_s
        self._seen: dict[str, deque[float]] = {}

    def observe(self, ev: Event) -> list[Firing]:
        subject = (ev.door_id or "?") if self.cfg.per_door else self.cfg.event_type
        seen = self._seen.setdefault(subject, deque())
        _expire(seen, ev.at - self.window_s)
        seen.append(ev.at)
        if len(seen) < self.cfg.threshold:
            return []
        n = len(seen)
        seen.clear()
        where = f" at {subject}" if self.cfg.per_door else ""
        return [
            Firing(
                self.name,
                subject,
                self.cfg.severity,
                f"{self.cfg.name}: {n} × {self.cfg.event_type}{where} "
                f"within {_span(self.window_s)}",
                door_id=ev.door_id if self.cfg.per_door else None,
                data={"count": n, "event_type": self.cfg.event_type, "window_s": self.window_s},
            )
        ]


class UnknownFaceRepeats:
    """An unknown face (anonymous track id from the face service) seen K times in T days.

    Consumes ``face.unknown`` events whose data carry ``track``. Sightings of one track closer
    together than ``gap_s`` are one visit: a stranger standing at a camera for a minute is one
    sighting, not sixty.
    """

    name = "unknown_face"
    types = frozenset({"face.unknown"})

    def __init__(self, count: int, days: float, gap_s: float, severity: str) -> None:
        self.count, self.window_s, self.gap_s, self.severity = count, days * 86400, gap_s, severity
        self._visits: dict[str, deque[float]] = {}
        self._last: dict[str, float] = {}

    def observe(self, ev: Event) -> list[Firing]:
        track = ev.data.get("track")
        if not isinstance(track, str) or not track:
            return []
        last = self._last.get(track)
        self._last[track] = ev.at
        if last is not None and ev.at - last < self.gap_s:
            return []
        visits = self._visits.setdefault(track, deque())
        _expire(visits, ev.at - self.window_s)
        visits.append(ev.at)
        if len(visits) < self.count:
            return []
        n = len(visits)
        visits.clear()
        return [
            Firing(
                self.name,
                track,
                self.severity,
                f"unknown face {track} seen {n} times within {_span(self.window_s)}",
                door_id=ev.door_id,
                data={"track": track, "sightings": n, "camera": ev.data.get("camera")},
            )
        ]


class ZoneAlarm:
    """An intrusion or perimeter zone tripped (110 区域报警): an alarm at once."""

    name = "zone"
    types = frozenset({"door.intrusion", "door.perimeter"})
    window_s = 0.0

    def __init__(self, severity: str) -> None:
        self.severity = severity

    def observe(self, ev: Event) -> list[Firing]:
        what = ev.type.split(".", 1)[1]
        zone = str(ev.data.get("zone", ev.door_id or "?"))
        return [
            Firing(
                self.name,
                f"{what}:{zone}",
                self.severity,
                f"{what} alarm, zone {zone}",
                door_id=ev.door_id,
                data={"zone": zone, "what": what},
            )
        ]


class AlertEngine:
    """The event rules of one site; thread-safe, fed every committed event."""

    def __init__(self, cfg: AlertsConfig) -> None:
        self.cfg = cfg
        self.rules: list[EventRule] = [
            FailedAttempts(cfg.failed_attempts, cfg.failed_window_s, cfg.failed_severity),
            UnknownFaceRepeats(
                cfg.unknown_face_count,
                cfg.unknown_face_days,
                cfg.unknown_face_gap_s,
                cfg.unknown_face_severity,
            ),
            ZoneAlarm(cfg.zone_severity),
            *(CountAbove(c) for c in cfg.count_rules),
        ]
        self.types = frozenset().union(*(r.types for r in self.rules))
        self.max_window_s = max(r.window_s for r in self.rules)
        self._lock = threading.Lock()

    def observe(self, ev: Event) -> list[Firing]:
        if ev.type not in self.types:
            return []
        out: list[Firing] = []
        with self._lock:
            for rule in self.rules:
                if ev.type in rule.types:
                    out.extend(rule.observe(ev))
        return out

    def prime(self, events: Iterable[Event]) -> int:
        """Replay past events into the windows without firing; returns how many were read."""
        n = 0
        for ev in events:
            self.observe(ev)
            n += 1
        return n


# -- condition rules -----------------------------------------------------------------------


@dataclass(frozen=True)
class Watched:
    """An elderly person living alone: when they were last let in by a door (or registered)."""

    person_id: int
    name: str
    unit: str
    registered_at: float
    last_seen: float | None

    @property
    def reference(self) -> float:
        return self.last_seen if self.last_seen is not None else self.registered_at


def elderly_unseen(
    people: Iterable[Watched],
    now: float,
    hours: float,
    severity: str,
    last_raised: Mapping[str, float],
) -> list[Firing]:
    """Everyone not seen for ``hours``; once per absence (an alarm raised after they were last
    seen covers this absence, acknowledged or not)."""
    out = []
    for w in people:
        subject = str(w.person_id)
        if now - w.reference < hours * 3600:
            continue
        if last_raised.get(subject, -math.inf) >= w.reference:
            continue
        out.append(
            Firing(
                "elderly_unseen",
                subject,
                severity,
                f"{w.name} ({w.unit}), living alone, not seen at any door for "
                f"{(now - w.reference) / 3600:.0f} h",
                person_id=w.person_id,
                data={"unit": w.unit, "last_seen": w.last_seen, "hours": hours},
            )
        )
    return out


@dataclass(frozen=True)
class UnitEntrants:
    unit: str
    registered: int
    distinct_entrants: int


def group_rental_threshold(registered: int, factor: float, min_extra: int) -> int:
    """The smallest number of distinct entrants that is "far above" ``registered``."""
    return max(math.floor(registered * factor) + 1, registered + min_extra)


def group_rental(
    units: Iterable[UnitEntrants],
    now: float,
    factor: float,
    min_extra: int,
    window_s: float,
    severity: str,
    last_raised: Mapping[str, float],
) -> list[Firing]:
    """Units whose distinct entrants in the window are far above their registered occupants
    (群租); at most one alarm per unit per window."""
    out = []
    for u in units:
        limit = group_rental_threshold(u.registered, factor, min_extra)
        if u.distinct_entrants < limit:
            continue
        if last_raised.get(u.unit, -math.inf) > now - window_s:
            continue
        out.append(
            Firing(
                "group_rental",
                u.unit,
                severity,
                f"unit {u.unit}: {u.distinct_entrants} different people entered within "
                f"{_span(window_s)}, {u.registered} registered (suspected group rental)",
                data={
                    "unit": u.unit,
                    "registered": u.registered,
                    "distinct_entrants": u.distinct_entrants,
                    "threshold": limit,
                },
            )
        )
    return out


def _expire(times: deque[float], before: float) -> None:
    while times and times[0] <= before:
        times.popleft()


def _span(seconds: float) -> str:
    if seconds >= 86400 and seconds % 86400 == 0:
        return f"{seconds / 86400:.0f} d"
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:.0f} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"
