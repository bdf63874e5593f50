"""Who may ask a door to open, with what: the three request channels of a door.

The broker does not say who published a message; its ACL fixes who can write each topic. So a
door's access requests come on three topics, one per kind of sender, and the topic is the
sender (``compound.protocol.topics``):

- ``access/<door>/request``: the door's bridge, for its card reader (and a reader's keypad);
- ``access/<door>/request/panel``: the door's panel, for a PIN typed or a visitor pass shown;
- ``access/<door>/request/face``: the face service, for a face it matched.

Each channel asserts only what its sender can know: a panel has no card reader, so a panel taken
over cannot replay a card it overheard; nothing but the face service can name a person by face.
And each channel is a queue and a rate of its own at the core, so a flooding panel is shed (and
quarantined at the broker) without silencing its door's card reader.

Pure: topic levels in, names out.
"""

from __future__ import annotations

from dataclasses import dataclass

READER = "reader"
PANEL = "panel"
FACE = "face"

KINDS: dict[str, tuple[str, ...]] = {
    READER: ("card", "pin"),
    PANEL: ("pin", "pass"),
    FACE: ("face",),
}

# The last topic level after ``request`` that names each channel ("" for the reader's).
_SUFFIX = {"": READER, "panel": PANEL, "face": FACE}


@dataclass(frozen=True)
class Channel:
    door: str
    sender: str  # READER, PANEL or FACE

    @property
    def key(self) -> str:
        """The intake's queue and rate key: the reader's is the door itself."""
        return self.door if self.sender == READER else f"{self.door}/{self.sender}"

    def allows(self, kind: str) -> bool:
        return kind in KINDS[self.sender]


def channel_of(levels: list[str]) -> Channel | None:
    """The channel of a topic split after ``compound/<site>/`` (``Topics.split``); None when the
    topic is not a door's request topic."""
    if len(levels) == 3 and levels[0] == "access" and levels[2] == "request":
        return Channel(levels[1], READER)
    if len(levels) == 4 and levels[0] == "access" and levels[2] == "request":
        sender = _SUFFIX.get(levels[3])
        if sender:
            return Channel(levels[1], sender)
    return None


def from_key(key: str) -> Channel:
    """The channel an intake key names (the inverse of ``Channel.key``)."""
    door, _, sender = key.partition("/")
    return Channel(door, sender if sender in (PANEL, FACE) else READER)
