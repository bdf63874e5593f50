"""The wall's alarm queue as incidents: alarms of one kind raised within a few seconds of each
other are one incident (one fire input releases every egress door of a board and raises an
alarm for each), acknowledged together; emergencies come first, then the core's order
(severity, then newest)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

EMERGENCY_KINDS = ("emergency", "emergency_unanswered")
GROUP_S = 10.0  # alarms of one kind raised this close together are one incident


@dataclass(frozen=True)
class UrgentRule:
    """Which alarms pop up over the wall and sound: by severity or by kind (the config's
    ``[wall]`` section, ``compound/config/wall.py``, whose defaults these are)."""

    severities: frozenset[str] = frozenset({"critical"})
    kinds: frozenset[str] = frozenset({*EMERGENCY_KINDS, "forced_open", "tamper", "zone_tamper"})

    def __call__(self, alarm: dict[str, Any]) -> bool:
        return alarm.get("severity") in self.severities or alarm.get("kind") in self.kinds


@dataclass
class Incident:
    kind: str
    severity: str
    alarms: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        return [int(a["id"]) for a in self.alarms if a.get("id") is not None]

    @property
    def first(self) -> dict[str, Any]:
        return self.alarms[0]

    @property
    def raised_at(self) -> float:
        """When the incident began: its earliest alarm."""
        return min(float(a.get("raised_at") or 0) for a in self.alarms)

    @property
    def latest_at(self) -> float:
        """Its newest alarm: what the officer reads first (a door released a minute later is
        news, the first one is "since when")."""
        return max(float(a.get("raised_at") or 0) for a in self.alarms)

    @property
    def times(self) -> tuple[float, float]:
        """(newest, first): the row's time and its "since"."""
        return self.latest_at, self.raised_at

    @property
    def doors(self) -> list[str]:
        return list(dict.fromkeys(str(a["door_id"]) for a in self.alarms if a.get("door_id")))

    @property
    def emergency(self) -> bool:
        return self.kind in EMERGENCY_KINDS


def incidents(alarms: list[dict[str, Any]], window: float = GROUP_S) -> list[Incident]:
    """Alarms (in the core's order) as incidents, emergencies first, the order kept otherwise."""
    out: list[Incident] = []
    for a in alarms:
        kind, severity = str(a.get("kind") or ""), str(a.get("severity") or "")
        at = float(a.get("raised_at") or 0)
        same = next(
            (
                inc
                for inc in out
                if inc.kind == kind
                and inc.severity == severity
                and not inc.emergency
                and any(abs(float(b.get("raised_at") or 0) - at) <= window for b in inc.alarms)
            ),
            None,
        )
        if same is None:
            out.append(Incident(kind, severity, [a]))
        else:
            same.alarms.append(a)
    return sorted(out, key=lambda inc: not inc.emergency)


class Bell:
    """The wall's sound: once for each new urgent alarm in the queue (``UrgentRule``: critical
    ones, emergencies and intrusions by default), and for each call that rings the wall. The
    screen gives the player (``sound``); a wall without audio counts the rings all the same."""

    def __init__(self, rule: UrgentRule | None = None) -> None:
        self.rule = rule or UrgentRule()
        self.seen: set[int] = set()
        self.sound: Callable[[], None] | None = None
        self.rung = 0
        # told of the urgent alarms each queue brings and of the ids still open (the pop-up)
        self.urgent: Callable[[list[dict[str, Any]], set[int]], None] | None = None

    def check(self, alarms: list[dict[str, Any]]) -> None:
        urgent = {int(a["id"]) for a in alarms if a.get("id") is not None and self.rule(a)}
        fresh = urgent - self.seen
        self.seen |= urgent
        if fresh:
            self.ring()
        if self.urgent is not None:
            new = [a for a in alarms if a.get("id") is not None and int(a["id"]) in fresh]
            self.urgent(new, {int(a["id"]) for a in alarms if a.get("id") is not None})

    def call(self, _call: Any) -> None:
        """A call rings the wall."""
        self.ring()

    def ring(self) -> None:
        self.rung += 1
        if self.sound is not None:
            self.sound()
