"""Faces followed from frame to frame by where they are. Pure: no I/O.

A detected box continues the track whose last box it overlaps most (intersection over union),
or, for a face that moved fast, whose centre is within ``max_shift`` face widths; otherwise it
starts a new track. A track not seen for ``lost_s`` is over. Everything the service learns about
a face (its encoding, its liveness, its challenge) belongs to a track, so the expensive encoding
is computed once per track rather than once per frame; ``restart`` ends a track on the spot when
the face turns out not to be one continuous face (a cut between photos).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from compound.domain.face.model import Box


@dataclass(frozen=True)
class TrackRules:
    min_iou: float = 0.3
    max_shift: float = 0.5  # centre movement between frames, in face widths
    lost_s: float = 1.5  # a face unseen this long has gone; it comes back as a new track


@dataclass
class Track:
    id: str
    box: Box
    first_seen: float
    last_seen: float
    frames: int = 1


def iou(a: Box, b: Box) -> float:
    w = min(a.right, b.right) - max(a.left, b.left)
    h = min(a.bottom, b.bottom) - max(a.top, b.top)
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / float(a.area + b.area - inter)


def shift(a: Box, b: Box) -> float:
    """Centre distance in face widths (of the larger face)."""
    dx = (a.left + a.right - b.left - b.right) / 2
    dy = (a.top + a.bottom - b.top - b.bottom) / 2
    return float((dx * dx + dy * dy) ** 0.5) / max(1, a.width, b.width)


class Tracker:
    def __init__(self, rules: TrackRules | None, new_id: Callable[[], str]) -> None:
        self.rules = rules or TrackRules()
        self._new_id = new_id
        self._tracks: dict[str, Track] = {}

    def __len__(self) -> int:
        return len(self._tracks)

    def active(self, at: float) -> bool:
        """Is any face being followed (seen within ``lost_s``)?"""
        return any(at - t.last_seen <= self.rules.lost_s for t in self._tracks.values())

    def ids(self) -> set[str]:
        return set(self._tracks)

    def update(self, boxes: list[Box], at: float) -> list[Track]:
        """The track of each box, in the order of ``boxes``."""
        r = self.rules
        for tid in [k for k, t in self._tracks.items() if at - t.last_seen > r.lost_s]:
            del self._tracks[tid]
        pairs = []
        for tid, t in self._tracks.items():
            for i, b in enumerate(boxes):
                o = iou(t.box, b)
                s = shift(t.box, b)
                if o >= r.min_iou or s <= r.max_shift:
                    # overlap first; a face that moved fast ranks by how little it moved
                    pairs.append((o if o >= r.min_iou else -s, tid, i))
        pairs.sort(key=lambda p: p[0], reverse=True)
        out: list[Track | None] = [None] * len(boxes)
        used: set[str] = set()
        for _score, tid, i in pairs:
            if tid in used or out[i] is not None:
                continue
            t = self._tracks[tid]
            t.box, t.last_seen, t.frames = boxes[i], at, t.frames + 1
            out[i] = t
            used.add(tid)
        for i, b in enumerate(boxes):
            if out[i] is None:
                t = Track(self._new_id(), b, at, at)
                self._tracks[t.id] = t
                out[i] = t
        return [t for t in out if t is not None]

    def restart(self, track_id: str, at: float) -> Track:
        """End a track and start a new one where it was (it was not one face after all)."""
        old = self._tracks.pop(track_id)
        t = Track(self._new_id(), old.box, at, at)
        self._tracks[t.id] = t
        return t


def follow_box(box: Box, before: np.ndarray, after: np.ndarray, width: int, height: int) -> Box:
    """The box moved and scaled as the landmarks moved (centre and eye distance), so that the
    landmark model is given the face where it now is."""
    c0, c1 = before.mean(axis=0), after.mean(axis=0)
    s0 = float(np.linalg.norm(before[42:48].mean(0) - before[36:42].mean(0)))
    s1 = float(np.linalg.norm(after[42:48].mean(0) - after[36:42].mean(0)))
    k = s1 / s0 if s0 > 0 else 1.0
    cx = (box.left + box.right) / 2 + float(c1[0] - c0[0])
    cy = (box.top + box.bottom) / 2 + float(c1[1] - c0[1])
    hw, hh = box.width * k / 2, box.height * k / 2
    return Box(
        max(0, int(cy - hh)),
        min(width, int(cx + hw)),
        min(height, int(cy + hh)),
        max(0, int(cx - hw)),
    )
