"""Frames in, access requests out: the decisions of the face service, without its I/O.

For each frame: analyse the faces, search the door's gallery with the nearest one, and follow
the person in front of the camera (the largest face) over frames. A request goes to the core
only when ``agree_frames`` recent frames name the same person and no frame named anyone else,
the face has shown itself alive (blink and motion), and that person was not just let in.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from compound.domain.face.gallery import Gallery, MatchRules
from compound.domain.face.liveness import LivenessRules, LivenessWindow, Verdict
from compound.domain.face.model import Box, Recognizer
from compound.domain.face.strangers import Strangers
from compound.protocol.messages import AccessRequest, new_id

LOST_AFTER_S = 1.5  # a face gone this long is a new visit: agreement and liveness start over


@dataclass(frozen=True)
class FaceSeen:
    box: Box
    person_id: int | None
    distance: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "box": self.box.as_dict(),
            "person_id": self.person_id,
            "distance": None if self.distance is None else round(self.distance, 4),
        }


@dataclass(frozen=True)
class Outcome:
    at: float
    faces: list[FaceSeen]
    status: str  # what the door panel tells the person in front of it
    live: Verdict | None = None
    request: AccessRequest | None = None
    track: str | None = None
    # set once per visit, on the frame that decided this face belongs to no resident
    stranger: str | None = None

    def as_dict(self, camera: str, door: str) -> dict[str, Any]:
        return {
            "camera": camera,
            "door": door,
            "at": self.at,
            "status": self.status,
            "faces": [f.as_dict() for f in self.faces],
            "live": self.live.reason if self.live else None,
            "request_id": self.request.id if self.request else None,
            "track": self.track,
            "stranger": self.stranger,
        }


@dataclass
class _Track:
    id: str
    last_seen: float
    names: deque[int | None]
    liveness: LivenessWindow
    distances: dict[int, float] = field(default_factory=dict)
    stranger: str | None = None


class Pipeline:
    def __init__(
        self,
        recognizer: Recognizer,
        gallery: Gallery,
        *,
        door_id: str,
        camera_id: str,
        rules: MatchRules | None = None,
        agree_frames: int = 3,
        liveness: LivenessRules | None = None,
        check_liveness: bool = True,
        cooldown_s: float = 5.0,
        strangers: Strangers | None = None,
    ) -> None:
        self.recognizer = recognizer
        self.gallery = gallery
        self.door_id = door_id
        self.camera_id = camera_id
        self.rules = rules or MatchRules()
        self.agree_frames = agree_frames
        self.liveness_rules = liveness or LivenessRules()
        self.check_liveness = check_liveness
        self.cooldown_s = cooldown_s
        self.strangers = strangers
        self._track: _Track | None = None
        self._granted_at: dict[int, float] = {}

    def set_gallery(self, gallery: Gallery) -> None:
        self.gallery = gallery
        self._track = None

    def process(self, rgb: np.ndarray, at: float) -> Outcome:
        found = self.recognizer.analyse(rgb)
        seen = []
        for f in found:
            m = self.gallery.search(f.encoding)
            pid = self.rules.accept(m)
            seen.append(FaceSeen(f.box, pid, m.distance if pid is not None else None))
        if not found:
            if self._track and at - self._track.last_seen > LOST_AFTER_S:
                self._track = None
            return Outcome(at, [], "no face")
        i = max(range(len(found)), key=lambda k: found[k].box.area)
        subject, name = found[i], seen[i].person_id
        track = self._track
        if track is None or at - track.last_seen > LOST_AFTER_S:
            track = _Track(
                new_id()[:12],
                at,
                deque(maxlen=self.agree_frames + 2),
                LivenessWindow(self.liveness_rules),
            )
            self._track = track
        track.last_seen = at
        track.names.append(name)
        track.liveness.add(at, subject.landmarks)
        dist = seen[i].distance
        if name is not None and dist is not None:
            track.distances[name] = dist
        named = {n for n in track.names if n is not None}
        if name is None:
            stranger = None
            if (
                self.strangers is not None
                and track.stranger is None
                and not named
                and len(track.names) >= self.agree_frames
            ):
                # As many frames as a resident needs to be named, and nobody named: a stranger.
                track.stranger = stranger = self.strangers.identify(subject.encoding, at)
            return Outcome(at, seen, "not recognised", track=track.id, stranger=stranger)
        if len(named) > 1 or sum(1 for n in track.names if n == name) < self.agree_frames:
            return Outcome(at, seen, "recognising", track=track.id)
        verdict = track.liveness.verdict() if self.check_liveness else Verdict(True, "not checked")
        if not verdict.live:
            return Outcome(at, seen, "look at the camera and blink", verdict, track=track.id)
        last = self._granted_at.get(name)
        if last is not None and at - last < self.cooldown_s:
            return Outcome(at, seen, "recognised", verdict, track=track.id)
        self._granted_at[name] = at
        req = AccessRequest(
            id=new_id(),
            door_id=self.door_id,
            kind="face",
            value=str(name),
            at=at,
            source=f"face:{self.camera_id}"[:64],
            score=track.distances.get(name),
        )
        return Outcome(at, seen, "recognised", verdict, req, track.id)
