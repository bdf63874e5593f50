"""The wall's door tiles: each door's shown state, grouped by building and sorted naturally.

A compound has 150 and more doors; the wall shows them a building at a time (buildings in
number order: 6 before 50), the gates and garages of the whole site in a group of their own,
and every door that needs the officer (forced, held open, offline, an open alarm) in a short
list of its own first.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

from compound.domain.ordering import natural_key

DOOR_STATES = ("locked", "unlocked", "open", "held_open", "forced", "offline", "unknown")
ABNORMAL = ("forced", "alarm", "held_open", "offline")  # most urgent first
SITE_GROUP = "site"  # the group of the doors that serve the whole compound: gates, garages
# Kinds that are a door being forced or held; any other open alarm on a door shows as "alarm".
FORCED_KINDS = ("forced_open", "forced")

_DOOR_ID = re.compile(r"^b(\d+)-e(\d+)")
_SCOPE = re.compile(r"^(\d+)")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


def local_name(name: str, lang: str) -> str:
    """The part of a bilingual name ("South gate 南门 (main)") in the screen's language: the
    words with Chinese characters for zh, the others for en; a name in one language only is
    shown as it is."""
    words = name.split()
    zh = [w for w in words if _CJK.search(w)]
    en = [w for w in words if not _CJK.search(w)]
    if not zh or not en:
        return name
    return "".join(zh) if lang == "zh" else " ".join(en)


@dataclass
class DoorTile:
    id: str
    name: str
    state: str = "unknown"
    alarm: str = ""  # the kind of this door's latest open alarm, shown until acknowledged
    serves: list[str] = field(default_factory=list)

    @property
    def building(self) -> str:
        """The building the door belongs to ("12"), or ``SITE_GROUP`` for a gate or a garage:
        from what it serves when the core said, else from an id like "b12-e3"."""
        scopes = {s.split("-", 1)[0] for s in self.serves}
        if len(scopes) == 1:
            m = _SCOPE.match(next(iter(scopes)))
            return m[1] if m else SITE_GROUP
        if scopes:
            return SITE_GROUP
        m = _DOOR_ID.match(self.id)
        return m[1] if m else SITE_GROUP

    @property
    def entrance(self) -> str | None:
        """The entrance number of a building door ("3" for b12-e3), None otherwise."""
        m = _DOOR_ID.match(self.id)
        return m[2] if m and self.building != SITE_GROUP else None

    @property
    def shown_state(self) -> str:
        if self.state == "offline":
            return "offline"
        if self.alarm in FORCED_KINDS:
            return "forced"
        if self.alarm == "held_open" and self.state != "locked":
            return "held_open"
        if self.alarm and self.alarm != "held_open":
            return "alarm"
        return self.state if self.state in DOOR_STATES else "unknown"

    @property
    def abnormal(self) -> bool:
        return self.shown_state in ABNORMAL


@dataclass(frozen=True)
class DoorGroup:
    key: str  # a building number, or SITE_GROUP
    tiles: list[DoorTile]


def group_tiles(tiles: list[DoorTile]) -> list[DoorGroup]:
    """Gates and garages first, then each building in number order, doors in natural order."""
    groups: dict[str, list[DoorTile]] = {}
    for tile in tiles:
        groups.setdefault(tile.building, []).append(tile)
    keys = sorted(groups, key=lambda k: (k != SITE_GROUP, natural_key(k)))
    return [DoorGroup(k, sorted(groups[k], key=lambda t: (natural_key(t.id), t.id))) for k in keys]


def abnormal_tiles(tiles: list[DoorTile]) -> list[DoorTile]:
    """The doors that need the officer, most urgent state first, then in natural order."""
    return sorted(
        (t for t in tiles if t.abnormal),
        key=lambda t: (ABNORMAL.index(t.shown_state), natural_key(t.id)),
    )


class DoorChanges:
    """Which doors' tiles changed, by revision: a screen that last looked at revision ``r``
    asks for the doors changed since and looks at those only. At 26 door states a second
    nearly every frame the wall draws follows a door change, and reading all 156 doors to find
    the one that changed was a tenth of such a frame's own work."""

    KEPT = 512  # changes remembered; a screen further behind looks at every door

    def __init__(self) -> None:
        self.rev = 0
        self._log: deque[tuple[int, str]] = deque(maxlen=self.KEPT)

    def touch(self, door: str) -> int:
        """``door``'s tile changed: the new revision."""
        self.rev += 1
        self._log.append((self.rev, door))
        return self.rev

    def since(self, rev: int) -> set[str] | None:
        """The doors changed after revision ``rev``, or None when that is no longer known (the
        screen has not looked yet, or missed more than ``KEPT`` changes)."""
        if rev == self.rev:
            return set()
        log = self._log
        if rev < 0 or not log or log[0][0] > rev + 1:
            return None
        doors = set()
        for r, door in reversed(log):
            if r <= rev:
                break
            doors.add(door)
        return doors
