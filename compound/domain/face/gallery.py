"""The gallery: enrolled templates as one numpy matrix, searched in one vectorised operation.

Pure: no I/O. A door gets the subset of people whose unit it serves, so a stranger at a building
door is compared with that building's few hundred residents, not with the whole compound; fewer
candidates means fewer chances of a false match.

Decision rules for a compound of thousands (dlib's 0.6 is a 1:1 tolerance):
- the best distance must be at most ``threshold`` (0.45 by default, from the measurements in
  docs/face.md),
- the best person must be ahead of every other person by ``margin``: two people close to the
  same face means the face is ambiguous, and an ambiguous face opens nothing,
- several consecutive frames must agree (see ``pipeline.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from compound.domain.face.model import Match

DIM = 128


@dataclass(frozen=True)
class MatchRules:
    threshold: float = 0.45
    margin: float = 0.08

    def accept(self, m: Match) -> int | None:
        """The person this match identifies, or None."""
        if m.person_id is None or m.distance > self.threshold:
            return None
        if m.second_distance - m.distance < self.margin:
            return None
        return m.person_id


class Gallery:
    """Templates (rows) and the person each belongs to; several rows per person."""

    def __init__(self, person_ids: np.ndarray, templates: np.ndarray) -> None:
        templates = np.ascontiguousarray(templates, dtype=np.float32).reshape(-1, DIM)
        person_ids = np.asarray(person_ids, dtype=np.int64).reshape(-1)
        if len(person_ids) != len(templates):
            raise ValueError("one person id per template row")
        self.person_ids = person_ids
        self.templates = templates
        # |a-b|^2 = |a|^2 - 2a.b + |b|^2: the row norms are computed once, so a search is one
        # matrix-vector product over the whole gallery.
        self._sq = np.einsum("ij,ij->i", templates, templates)

    @classmethod
    def empty(cls) -> Gallery:
        return cls(np.zeros(0, dtype=np.int64), np.zeros((0, DIM), dtype=np.float32))

    def __len__(self) -> int:
        return len(self.person_ids)

    @property
    def people(self) -> set[int]:
        return set(int(p) for p in np.unique(self.person_ids))

    def subset(self, people: Iterable[int]) -> Gallery:
        keep = np.isin(self.person_ids, np.fromiter(people, dtype=np.int64))
        return Gallery(self.person_ids[keep], self.templates[keep])

    def distances(self, encoding: np.ndarray) -> np.ndarray:
        e = np.asarray(encoding, dtype=np.float32).reshape(DIM)
        d2 = self._sq - 2.0 * (self.templates @ e) + float(e @ e)
        return np.sqrt(np.maximum(d2, 0.0))

    def search(self, encoding: np.ndarray) -> Match:
        if len(self) == 0:
            return Match(None, float("inf"), float("inf"))
        d = self.distances(encoding)
        i = int(np.argmin(d))
        best_pid = int(self.person_ids[i])
        others = d[self.person_ids != best_pid]
        second = float(others.min()) if len(others) else float("inf")
        return Match(best_pid, float(d[i]), second)
