"""A config with one camera at one door and a ``[[face.doors]]`` rule for it, for the tests of
what the door's face rule asks (the core's answer, the door panel)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from compound.camera_config import CameraWiring, FaceDoorWiring
from compound.config import Config

DOOR = "b3-e2"


def face_config(door_rule: str, shared_with: str | None = None, **who: list[Any]) -> Config:
    """The camera "cam-b3" watches DOOR (and ``shared_with``, if given) and asks the challenge;
    DOOR's own rule is ``door_rule``, with ``who`` its roles, people, hours or layers."""
    doors = [DOOR] + ([shared_with] if shared_with else [])
    cam = CameraWiring(id="cam-b3", source="replay:/nowhere", doors=doors, challenge="always")
    face = replace(Config().face, cameras=[cam], doors=[FaceDoorWiring(DOOR, door_rule, **who)])
    return replace(Config(), face=face)
