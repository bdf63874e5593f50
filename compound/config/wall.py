"""The officer wall's section of the config file: which alarms interrupt the officer.

An alarm whose severity is in ``urgent_severities`` or whose kind is in ``urgent_kinds`` pops up
over the wall with the door camera's picture and sounds the wall's alert; the others wait in the
alarm queue. By default: every critical alarm, the emergency calls (answered or not), and the
intrusions a door reports at high severity: a door forced open and a reader or lock tampered
with (``compound/services/door_feed.py``), and a zone's loop cut (``services/zones.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from compound.config.checks import ConfigError
from compound.config.services import SEVERITIES

URGENT_KINDS = ("emergency", "emergency_unanswered", "forced_open", "tamper", "zone_tamper")


@dataclass(frozen=True)
class WallConfig:
    urgent_severities: list[str] = field(default_factory=lambda: ["critical"])
    urgent_kinds: list[str] = field(default_factory=lambda: list(URGENT_KINDS))

    def __post_init__(self) -> None:
        wrong = [s for s in self.urgent_severities if s not in SEVERITIES]
        if wrong:
            raise ConfigError(
                f"[wall] urgent_severities: {wrong[0]!r} is no severity; "
                f"allowed: {', '.join(SEVERITIES)}"
            )
        bad = [k for k in self.urgent_kinds if not k or not k.replace("_", "").isalnum()]
        if bad:
            raise ConfigError(
                f"[wall] urgent_kinds: {bad[0]!r} is no alarm kind (letters, digits and _)"
            )
