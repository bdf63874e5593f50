"""Which cameras the face config wires to which doors, and whether a face may be asked the
random challenge at a door: read by the face service, which deals the challenges, and by the
core, which tells each door panel about its own door (``door.show``), so that a panel, a device
on the bus that need not run on the box, never reads the box's config."""

from __future__ import annotations

from compound.camera_config import CameraWiring
from compound.config import FaceConfig
from compound.domain.face.challenge_policy import DoorChallenge, camera_policy


def cameras_of(config: FaceConfig) -> list[CameraWiring]:
    """The cameras of the config; the one-camera keys (source, camera, door) when none."""
    if config.cameras:
        return list(config.cameras)
    if not config.source:
        return []
    return [
        CameraWiring(
            id=config.camera,
            source=config.source,
            doors=[config.door] if config.door else [],
            fps=config.fps,
            challenge="always" if config.liveness else "never",
        )
    ]


def door_asks_challenge(config: FaceConfig, door: str) -> bool:
    """Whether a face at ``door`` may ever be asked the challenge: as the face service decides
    it for each camera (it deals challenges when one of the camera's doors asks anyone, each
    door by its ``[[face.doors]]`` rule, else by the camera's ``challenge``), True when any
    camera watching the door does. True for a door that asks by ``people`` or by ``hours``,
    which ask some faces at some hours only: whether this face is asked now, the face service
    says itself on each attempt (status "challenge" on ``face/<camera>/result``), and the panel
    follows that. False only where every such camera asks nobody (the door has its own IR or
    depth terminal); True too when no camera watches it: nothing is known."""
    # Only each rule's mode counts here; the face service checks the rest when it starts.
    rules = [DoorChallenge(d.id, d.challenge) for d in config.doors]
    watching = [c for c in cameras_of(config) if door in c.doors]
    if not watching:
        return True
    return any(camera_policy(c.doors, c.challenge, rules).asks_anyone() for c in watching)
