"""Which doors ask a recognised face for the random challenge, for whom, and when.

Per door (``[[face.doors]]`` in the config), one of:

- ``always``: every face answers the challenge (the default);
- ``never``: no face does: a door whose own IR or depth face terminal tells a face from a
  picture of one, so that the challenge only slows residents down;
- ``people``: only the listed people: by role (``tenant``, ``visitor``, ``family``, ``owner``),
  by tenant layer from the rental register (``focus``, ``watch``, ``stable``: 重点层 / 关注层 /
  稳定层; set per tenant by the property office) and/or by person id;
- ``hours``: everyone, but only during the listed spans of the site's local time
  (``22:00-06:00`` runs past midnight);
- ``people or hours``: the listed people at any time, and everyone during the hours;
- ``people at hours``: the listed people, and only during the hours.

A door without a rule of its own follows its camera's ``challenge`` (``always`` or ``never``).
The question is asked after the face is named (the rule may depend on who it is), and every
doubt answers "challenge": a face not yet named, a person whose role is not known, a door with
no rule, a camera at several doors of which one asks; a tenant without a layer, where layers
are listed. Pure: plain values and the time passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from compound.domain.model import InvalidInput, Role, parse_hhmm

MODES = ("always", "never", "people", "hours", "people or hours", "people at hours")
LAYERS = {"focus": "focus", "watch": "watch", "stable": "stable"}
LAYERS.update({"重点层": "focus", "关注层": "watch", "稳定层": "stable"})
_SPAN_RE = re.compile(r"^\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$")


@dataclass(frozen=True)
class Span:
    """From ``start`` to ``end``, minutes of the day in the site's local time; an ``end`` not
    after ``start`` runs past midnight (22:00-06:00 is the night)."""

    start: int
    end: int

    @classmethod
    def parse(cls, text: str) -> Span:
        m = _SPAN_RE.match(text) if isinstance(text, str) else None
        if m is None:
            raise InvalidInput(
                f"malformed hours {text!r}: write from-to in the site's local time, "
                "e.g. 22:00-06:00 or 07:30-09:00"
            )
        try:
            start, end = parse_hhmm(m[1]), parse_hhmm(m[2])
        except InvalidInput:
            raise InvalidInput(
                f"malformed hours {text!r}: each time is HH:MM from 00:00 to 24:00, "
                "e.g. 22:00-06:00"
            ) from None
        if start == 1440:
            raise InvalidInput(f"hours {text!r} start at 24:00: write 00:00 instead")
        if start == end:
            raise InvalidInput(
                f"hours {text!r} are empty (they start where they end); for the whole day "
                'write 00:00-24:00, or challenge = "always"'
            )
        return cls(start, end)

    def covers(self, minute: int) -> bool:
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end

    def __str__(self) -> str:
        a, b = self.start, self.end
        return f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}"


@dataclass(frozen=True)
class Who:
    """What the rules may ask about a named person: the role, and a tenant's layer."""

    role: Role
    layer: str | None = None


@dataclass(frozen=True)
class DoorChallenge:
    """One door's rule; build it with ``door_challenge`` (which checks it)."""

    door: str
    mode: str = "always"
    roles: frozenset[Role] = frozenset()
    people: frozenset[int] = frozenset()
    hours: tuple[Span, ...] = ()
    layers: frozenset[str] = frozenset()

    def required(
        self, person: int | None, role: Role | None, minute: int, layer: str | None = None
    ) -> bool:
        """Must this person answer the challenge here at this minute of the local day?
        ``person`` None (not named) always must; an unknown role counts as listed, and so does
        a tenant without a layer where layers are listed."""
        if self.mode == "never":
            return False
        if self.mode == "always" or person is None or not 0 <= minute < 1440:
            return True
        listed = person in self.people or role is None or role in self.roles
        if self.layers and role == Role.TENANT:
            listed = listed or layer is None or layer in self.layers
        at_hours = any(s.covers(minute) for s in self.hours)
        if self.mode == "people":
            return listed
        if self.mode == "hours":
            return at_hours
        if self.mode == "people or hours":
            return listed or at_hours
        if self.mode == "people at hours":
            return listed and at_hours
        return True  # a mode this code does not know: challenge


def door_challenge(
    door: str,
    mode: str,
    roles: Iterable[str] = (),
    people: Iterable[int] = (),
    hours: Iterable[str] = (),
    layers: Iterable[str] = (),
) -> DoorChallenge:
    """A door's rule from the config's words, or ``InvalidInput`` saying what to write."""
    where = f"face door {door!r}"
    if not door:
        raise InvalidInput('a [[face.doors]] entry needs the door\'s id: id = "gate"')
    if mode not in MODES:
        allowed = ", ".join(f'"{m}"' for m in MODES)
        raise InvalidInput(f"{where}: challenge {mode!r} is not known; write one of {allowed}")
    role_list, people_list, hour_list = list(roles), list(people), list(hours)
    role_set: set[Role] = set()
    for r in role_list:
        try:
            role_set.add(Role(str(r).strip().lower()))
        except ValueError:
            known = ", ".join(x.value for x in Role)
            raise InvalidInput(f"{where}: unknown role {r!r}; roles are {known}") from None
    for p in people_list:
        if isinstance(p, bool) or not isinstance(p, int) or p <= 0:
            raise InvalidInput(
                f"{where}: people are person ids (whole numbers, see `compound person show`), "
                f"not {p!r}"
            )
    layer_set: set[str] = set()
    for x in layers:
        if str(x).strip().lower() not in LAYERS and str(x).strip() not in LAYERS:
            raise InvalidInput(
                f"{where}: unknown tenant layer {x!r}; layers are focus, watch, stable "
                "(重点层 关注层 稳定层)"
            )
        layer_set.add(LAYERS.get(str(x).strip().lower()) or LAYERS[str(x).strip()])
    spans = tuple(Span.parse(h) for h in hour_list)
    wants_people = mode in ("people", "people or hours", "people at hours")
    wants_hours = mode in ("hours", "people or hours", "people at hours")
    if wants_people and not (role_set or people_list or layer_set):
        raise InvalidInput(
            f'{where}: challenge = "{mode}" needs roles (e.g. roles = ["tenant", "visitor"]), '
            'layers (e.g. layers = ["focus"]) or people (person ids)'
        )
    if wants_hours and not spans:
        raise InvalidInput(f'{where}: challenge = "{mode}" needs hours, e.g. ["22:00-06:00"]')
    if not wants_people and (role_set or people_list or layer_set):
        raise InvalidInput(
            f'{where}: roles, layers and people count only with challenge = "people", '
            f'"people or hours" or "people at hours", not "{mode}"'
        )
    if not wants_hours and spans:
        raise InvalidInput(
            f'{where}: hours count only with challenge = "hours", "people or hours" or '
            f'"people at hours", not "{mode}"'
        )
    return DoorChallenge(
        door, mode, frozenset(role_set), frozenset(people_list), spans, frozenset(layer_set)
    )


@dataclass(frozen=True)
class ChallengePolicy:
    """The rules of the doors one camera watches; a door without one asks (``always``)."""

    doors: tuple[DoorChallenge, ...] = ()

    def rule(self, door: str) -> DoorChallenge | None:
        for d in self.doors:
            if d.door == door:
                return d
        return None

    def required(
        self,
        doors: Iterable[str],
        person: int | None,
        who: Who | None,
        now: float,
        tz: tzinfo,
    ) -> bool:
        """Must this face answer the challenge before a request for any of ``doors``?
        Yes when one of them asks (one request opens them all), when there is no door, and
        when the local time cannot be told."""
        wanted = list(doors)
        if not wanted or person is None:
            return True
        try:
            local = datetime.fromtimestamp(now, tz)
        except (OverflowError, OSError, ValueError):
            return True
        minute = local.hour * 60 + local.minute
        role, layer = (who.role, who.layer) if who is not None else (None, None)
        for door in wanted:
            rule = self.rule(door)
            if rule is None or rule.required(person, role, minute, layer):
                return True
        return False

    def asks_anyone(self) -> bool:
        """Can any face be asked at these doors (so the service must deal challenges)?"""
        return any(d.mode != "never" for d in self.doors) or not self.doors


def camera_policy(
    doors: Iterable[str], camera_mode: str, rules: Iterable[DoorChallenge]
) -> ChallengePolicy:
    """A camera's doors: each door's own rule, else the camera's ``challenge`` for it."""
    by_door = {r.door: r for r in rules}
    out = []
    for d in doors:
        rule = by_door.get(d)
        if rule is None:
            rule = DoorChallenge(d, "never" if camera_mode == "never" else "always")
        out.append(rule)
    return ChallengePolicy(tuple(out))
