"""One camera's face decisions with tracking: detect every looked-at frame, follow faces,
encode once per track. Pure: the recogniser is passed in; no I/O.

For the largest face (the person at the door) on each frame the service looks at:
- landmarks (about 2 ms) and a small aligned patch: if the patch is unlike the previous frame's
  the face was cut to another picture, and the track starts over, with its liveness;
- the 128-d encoding (about 60 ms) only when the track has none yet, or when the face is now
  clearly better (larger and more frontal by ``reencode_gain``), at most ``max_encodings`` per
  track; each encoding is searched 1:N once. A later encoding far from the first, or naming
  someone else, is also a cut;
- once the track is named and seen on ``agree_frames`` frames, liveness (blink and motion) and,
  where the doors' ``ChallengePolicy`` asks it of this person now, a random challenge answered
  within its window (a face once asked stays asked until it answers); then one
  ``AccessRequest`` per door of this camera that serves the person, and a cooldown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Any

import numpy as np

from compound.domain.face.challenge import (
    Challenge,
    ChallengeCheck,
    ChallengeDealer,
    aligned_patch,
    face_quality,
    similarity,
)
from compound.domain.face.challenge_policy import ChallengePolicy, Who
from compound.domain.face.gallery import Gallery, MatchRules
from compound.domain.face.liveness import LivenessRules, LivenessWindow, Verdict
from compound.domain.face.model import Box, TrackingRecognizer
from compound.domain.face.pipeline import FaceSeen
from compound.domain.face.strangers import StrangerMemory
from compound.domain.face.tracker import Tracker, TrackRules, follow_box, iou, shift
from compound.protocol.messages import AccessRequest, new_id

BLINK = "look at the camera and blink"
# Eyes closed for the blink check: below this fraction of the open level. Deeper than the
# one-camera pipeline's 0.75, which the landmarks of a photo moved about reach by jitter alone.
BLINK_CLOSED = 0.65


@dataclass(frozen=True)
class WatchRules:
    agree_frames: int = 3  # frames a named track must be seen on before a request
    max_faces: int = 3  # boxes kept per frame (largest first); only the largest is judged
    reencode_gain: float = 1.3
    max_encodings: int = 3
    identity_jump: float = 0.5  # two encodings of one track further apart: not one face
    cut_similarity: float = 0.75  # aligned patches of consecutive frames less alike: a cut
    cooldown_s: float = 5.0
    challenge: bool = True
    # While one face is followed, its next box comes from its landmarks (about 2 ms) and the
    # detector (20-100 ms) runs on every n-th frame only, to find new faces and check.
    redetect_every: int = 8


@dataclass(frozen=True)
class WatchOutcome:
    at: float
    faces: list[FaceSeen]
    status: str
    requests: tuple[AccessRequest, ...] = ()
    track: str | None = None
    live: Verdict | None = None
    challenge: Challenge | None = None
    stranger: str | None = None
    cut: str | None = None  # why the track was just restarted, if it was

    def as_dict(self, camera: str, doors: list[str]) -> dict[str, Any]:
        return {
            "camera": camera,
            "door": doors[0] if doors else "",
            "doors": doors,
            "at": self.at,
            "status": self.status,
            "faces": [f.as_dict() for f in self.faces],
            "live": self.live.reason if self.live else None,
            "request_id": self.requests[0].id if self.requests else None,
            "track": self.track,
            "stranger": self.stranger,
            "challenge": self.challenge.as_dict() if self.challenge else None,
        }


@dataclass
class _Face:
    liveness: LivenessWindow
    frames: int = 0
    patch: np.ndarray | None = None
    encoding: np.ndarray | None = None
    encodings: int = 0
    best_quality: float = 0.0
    person: int | None = None
    distance: float | None = None
    stranger: str | None = None
    check: ChallengeCheck | None = None
    attempts: int = 0
    answered: bool = False
    counted: set[str] = field(default_factory=set)


class CameraWatch:
    def __init__(
        self,
        recognizer: TrackingRecognizer,
        *,
        camera_id: str,
        doors: list[str],
        gallery: Gallery,
        door_people: dict[str, set[int]],
        rules: WatchRules | None = None,
        match: MatchRules | None = None,
        liveness: LivenessRules | None = None,
        check_liveness: bool = True,
        dealer: ChallengeDealer | None = None,
        strangers: StrangerMemory | None = None,
        tracks: TrackRules | None = None,
        new_id: Callable[[], str] = new_id,
        policy: ChallengePolicy | None = None,
        tz: tzinfo = UTC,
        roles: Mapping[int, Who] | None = None,
    ) -> None:
        self.recognizer = recognizer
        self.camera_id = camera_id
        self.doors = list(doors)
        self.rules = rules or WatchRules()
        self.match = match or MatchRules()
        self.liveness_rules = liveness or LivenessRules(closed_ratio=BLINK_CLOSED)
        self.check_liveness = check_liveness
        self.dealer = dealer if self.rules.challenge else None
        # Who is asked, where and when (None: everyone, whenever the dealer is on).
        self.policy, self.tz = policy, tz
        self.roles: Mapping[int, Who] = roles or {}
        self.strangers = strangers
        self.tracker = Tracker(tracks, lambda: new_id()[:12])
        self.counters: Counter[str] = Counter()
        self._faces: dict[str, _Face] = {}
        self._granted_at: dict[int, float] = {}
        # the face followed by its landmarks: track, box, landmarks, frames since a detection
        self._follow: tuple[str, Box, np.ndarray, int] | None = None
        self.last_at = float("-inf")  # the latest frame judged: an older one is never judged
        self.set_gallery(gallery, door_people)

    def set_gallery(
        self,
        gallery: Gallery,
        door_people: dict[str, set[int]],
        roles: Mapping[int, Who] | None = None,
    ) -> None:
        if roles is not None:
            self.roles = roles
        self.gallery = gallery
        self.door_people = {d: set(door_people.get(d, set())) for d in self.doors}
        # A track named under the old gallery is judged again under the new one.
        self._faces = {}

    def tracking(self, at: float) -> bool:
        return self.tracker.active(at)

    def _new_face(self) -> _Face:
        return _Face(LivenessWindow(self.liveness_rules))

    def following(self, at: float) -> bool:
        """Is one face followed by its landmarks, so that ``follow`` can take this frame?"""
        return self._follow is not None and len(self.tracker) == 1 and self.tracker.active(at)

    def check_due(self) -> bool:
        """Has the followed face gone ``redetect_every`` frames without a detector check?"""
        f = self._follow
        return f is not None and f[3] + 1 >= self.rules.redetect_every

    def follow(self, rgb: np.ndarray, at: float) -> WatchOutcome | None:
        """The cheap step for a followed face (landmarks only, about 2 ms; no detector, no
        encoding): liveness, challenge and requests advance on every frame of the camera.
        None when the detector must look (no face followed, or the face is not what it was a
        frame ago); the caller then hands the frame to ``process``."""
        followed = self._followed(rgb, at, checked_elsewhere=True)
        if followed is None:
            self._follow = None
            return None
        self.counters["followed"] += 1
        return self._after(rgb, at, [followed[0]], followed, may_encode=False)

    def check(self, rgb: np.ndarray, at: float) -> None:
        """The detector's look at a followed face (run by whoever has detector time): one face
        where the followed one is keeps it followed; anything else (no face, another face,
        several) ends the following, so the next frame is detected in full."""
        self.checked(self.recognizer.detect(rgb))

    def checked(self, boxes: list[Box]) -> None:
        """``check`` with the detector's boxes found elsewhere (by a worker that does not hold
        this camera while the detector runs)."""
        self.counters["detect"] += 1
        self.counters["checks"] += 1
        f = self._follow
        if f is None:
            return
        tid, box, lm, _n = f
        r = self.tracker.rules
        ok = len(boxes) == 1 and (
            iou(boxes[0], box) >= r.min_iou or shift(boxes[0], box) <= r.max_shift
        )
        self._follow = (tid, box, lm, 0) if ok else None

    def _followed(
        self, rgb: np.ndarray, at: float, checked_elsewhere: bool = False
    ) -> tuple[Box, np.ndarray] | None:
        """The followed face's box and landmarks on this frame, found without the detector;
        None when the detector must look (time to check, several faces, or the face is not
        what it was a frame ago)."""
        f = self._follow
        if f is None or len(self.tracker) != 1:
            return None
        if not checked_elsewhere and f[3] + 1 >= self.rules.redetect_every:
            return None
        tid, box, prev, _n = f
        face = self._faces.get(tid)
        if face is None or face.patch is None or not self.tracker.active(at):
            return None
        if face.encodings == 0:  # not yet named: the worker's full look must come first
            return None
        self.counters["landmarks"] += 1
        lm = np.asarray(self.recognizer.landmarks(rgb, box), dtype=np.float64)
        if similarity(face.patch, aligned_patch(rgb, lm)) < self.rules.cut_similarity:
            return None
        return follow_box(box, prev, lm, rgb.shape[1], rgb.shape[0]), lm

    def process(self, rgb: np.ndarray, at: float) -> WatchOutcome:
        """One frame, detector included where needed (a new face, or a check is due)."""
        followed = self._followed(rgb, at)
        if followed is not None:
            self.counters["followed"] += 1
            boxes = [followed[0]]
        else:
            self.counters["detect"] += 1
            boxes = sorted(self.recognizer.detect(rgb), key=lambda b: -b.area)
            boxes = boxes[: self.rules.max_faces]
        return self._after(rgb, at, boxes, followed, may_encode=True)

    def _after(
        self,
        rgb: np.ndarray,
        at: float,
        boxes: list[Box],
        followed: tuple[Box, np.ndarray] | None,
        may_encode: bool,
    ) -> WatchOutcome:
        self.last_at = at
        tracks = self.tracker.update(boxes, at)
        live_ids = self.tracker.ids()
        self._faces = {k: v for k, v in self._faces.items() if k in live_ids}
        if not boxes:
            self._follow = None
            return WatchOutcome(at, [], "no face")
        box, track = boxes[0], tracks[0]
        others = [FaceSeen(b, None, None) for b in boxes[1:]]
        if followed is not None:
            lm = followed[1]
        else:
            self.counters["landmarks"] += 1
            lm = np.asarray(self.recognizer.landmarks(rgb, box), dtype=np.float64)
        patch = aligned_patch(rgb, lm)
        face = self._faces.get(track.id)
        cut = None
        if face is None:
            face = self._faces[track.id] = self._new_face()
        elif face.patch is not None and similarity(face.patch, patch) < self.rules.cut_similarity:
            cut = "picture changed"
        quality = face_quality(box, lm)
        encode = may_encode and (
            face.encodings == 0
            or cut is not None
            or (
                face.encodings < self.rules.max_encodings
                and quality >= face.best_quality * self.rules.reencode_gain
            )
        )
        enc = match = None
        if encode:
            self.counters["encode"] += 1
            enc = np.asarray(self.recognizer.encode(rgb, box, lm), dtype=np.float32)
            match = self.gallery.search(enc)
            pid = self.match.accept(match)
            if cut is None and face.encoding is not None:
                if float(np.linalg.norm(enc - face.encoding)) > self.rules.identity_jump:
                    cut = "identity changed"
                elif face.person is not None and pid is not None and pid != face.person:
                    cut = "identity changed"
        if cut is not None:
            self.counters["cuts"] += 1
            del self._faces[track.id]
            track = self.tracker.restart(track.id, at)
            face = self._faces[track.id] = self._new_face()
        face.patch = patch
        face.frames += 1
        n = self._follow[3] + 1 if followed is not None and self._follow is not None else 0
        self._follow = (track.id, box, lm, n)
        face.liveness.add(at, lm)
        if enc is not None and match is not None:
            face.encodings += 1
            face.best_quality = max(face.best_quality, quality)
            if face.encoding is None:
                face.encoding = enc
            pid = self.match.accept(match)
            if pid is not None or face.person is None:
                face.person = pid
                face.distance = match.distance if pid is not None else None
        seen = [FaceSeen(box, face.person, face.distance), *others]
        return self._judge(face, track.id, seen, lm, at, cut)

    def _asks(self, person: int, at: float) -> bool:
        """Must this named face answer the challenge at the doors it would open, now?"""
        if self.policy is None:
            return True
        doors = [d for d in self.doors if person in self.door_people.get(d, set())]
        who = self.roles.get(person)
        return self.policy.required(doors or self.doors, person, who, at, self.tz)

    def _judge(
        self,
        face: _Face,
        track: str,
        seen: list[FaceSeen],
        lm: np.ndarray,
        at: float,
        cut: str | None,
    ) -> WatchOutcome:
        if face.person is None:
            stranger = None
            if (
                self.strangers is not None
                and face.stranger is None
                and face.frames >= self.rules.agree_frames
                and face.encoding is not None
            ):
                face.stranger = stranger = self.strangers.identify(face.encoding, at)
            return WatchOutcome(at, seen, "not recognised", track=track, stranger=stranger, cut=cut)
        challenge = None
        # The challenge comes once the face has blinked and moved: "look and blink" (once asked,
        # it stays live for its track), then the prompt, held still while read, then the answer.
        ok = not self.check_liveness or face.attempts > 0
        verdict = Verdict(True, "live") if ok else face.liveness.verdict()
        if (
            self.dealer is not None
            and not face.answered
            and verdict.live
            and (face.attempts > 0 or self._asks(face.person, at))
        ):
            if face.check is None or face.check.state == "failed":
                if face.attempts >= self.dealer.rules.attempts:
                    if "refused" not in face.counted:
                        face.counted.add("refused")
                        self.counters["refused"] += 1
                    return WatchOutcome(at, seen, "not live", track=track, cut=cut)
                face.attempts += 1
                face.check = self.dealer.deal(at, lm, face.liveness.ears())
                self.counters["challenges"] += 1
            elif face.check.add(at, lm) == "passed":
                face.answered = True
            if not face.answered:
                challenge = face.check.challenge
        if face.frames < self.rules.agree_frames:
            return WatchOutcome(at, seen, "recognising", track=track, challenge=challenge, cut=cut)
        if challenge is not None:
            return WatchOutcome(
                at, seen, "challenge", track=track, live=verdict, challenge=challenge, cut=cut
            )
        if not verdict.live:
            return WatchOutcome(at, seen, BLINK, track=track, live=verdict, cut=cut)
        person = face.person
        last = self._granted_at.get(person)
        if last is not None and at - last < self.rules.cooldown_s:
            return WatchOutcome(at, seen, "recognised", track=track, live=verdict, cut=cut)
        doors = [d for d in self.doors if person in self.door_people.get(d, set())]
        if not doors:
            return WatchOutcome(at, seen, "not recognised", track=track, cut=cut)
        self._granted_at[person] = at
        reqs = tuple(
            AccessRequest(
                id=new_id(),
                door_id=d,
                kind="face",
                value=str(person),
                at=at,
                source=f"face:{self.camera_id}"[:64],
                score=face.distance,
            )
            for d in doors
        )
        self.counters["requests"] += len(reqs)
        return WatchOutcome(at, seen, "recognised", reqs, track, verdict, cut=cut)
