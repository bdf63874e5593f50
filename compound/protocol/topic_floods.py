"""Which topics a device floods the core with, and how much of each is a flood.

The flood quarantine (``compound.services.quarantine``) counts what each of these brings where
it arrives (``compound.services.topic_counts``) and quarantines the writers of a key that
brought more than its limit in one check (half a second). A key is a topic, except for zone
reports: a bridge may name its zones (``zone/<bridge>/+/state``), so a flood over many zone
names would pass a count per topic; they are counted per bridge, under the pattern itself, whose
write rule then goes whole.

Each limit is far above what an honest device sends:
- a door's events, state and command answers: a bridge keeps one event of a door on the wire at
  a time and paces a journal emptied after an outage at 48 at once, then 4 a second
  (``door_event_limit.ADAPTER_RULES``); a door's state changes a few times a second at most,
  and it answers each command once;
- a door's call signals (its panel's or its bridge's button): a handful per call;
- an indoor station's replies: one per call it is rung for;
- a bridge's list of its doors: once each time it connects;
- a bridge's zone reports: one per change of a zone (what the broker kept, all of them at once
  when the core subscribes, is not counted: ``services.topic_counts``).

Pure: topic levels in, a verdict out.
"""

from __future__ import annotations

from dataclasses import dataclass

DOOR_TOPIC_LIMIT = 100  # in one check: 200 a second
ZONE_LIMIT = DOOR_TOPIC_LIMIT  # a bridge's zones together
MAX_ZONES = 512  # zones kept per bridge (``compound.services.zones``)

# A door's topic by its last level, and what its messages are called in the record and alarm.
DOOR_TOPICS = {"event": "door events", "state": "door states", "ack": "answers to door commands"}


@dataclass(frozen=True)
class TopicFlood:
    limit: int  # messages in one check beyond which it is a flood
    what: str  # what the messages are, for the record and the officer's alarm
    door: str = ""  # the door it is at ("": none; ``source`` then says whose)
    source: str = ""

    def reason(self, rate: float) -> str:
        """``"4238 door events a second at b1-e1"``: what the record and alarm say."""
        where = f"at {self.door}" if self.door else f"from {self.source}"
        return f"{rate:.0f} {self.what} a second {where}"


def zone_key(parts: list[str]) -> list[str]:
    """The levels a zone report is counted under: its bridge's pattern."""
    return ["zone", parts[1], "+", "state"]


def flood_of(parts: list[str]) -> TopicFlood | None:
    """What a counted key (its levels after the site root) floods, or None when it is not one
    the quarantine judges."""
    match parts:
        case ["door", door, last] if last in DOOR_TOPICS:
            return TopicFlood(DOOR_TOPIC_LIMIT, DOOR_TOPICS[last], door)
        case ["intercom", door, "call"]:
            return TopicFlood(DOOR_TOPIC_LIMIT, "call signals", door)
        case ["intercom", "station", station, "reply"]:
            return TopicFlood(DOOR_TOPIC_LIMIT, "station replies", source=station)
        case ["device", bridge, "doors"]:
            return TopicFlood(DOOR_TOPIC_LIMIT, "door lists", source=bridge)
        case ["zone", bridge, "+", "state"]:
            return TopicFlood(ZONE_LIMIT, "zone reports", source=bridge)
    return None
