"""1:N search and the match rules, on synthetic templates."""

from __future__ import annotations

import numpy as np
import pytest

from compound.domain.face.gallery import Gallery, MatchRules
from compound.domain.face.model import Match


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.normal(size=(n, 128)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True) * 0.9


def test_search_matches_brute_force_and_names_the_second_person() -> None:
    """The one-matrix-product search must give the same nearest template and distance as a
    plain per-row norm, and the second distance must come from another person."""
    rng = np.random.default_rng(1)
    t = _unit(rng, 300)
    pids = np.repeat(np.arange(100), 3)
    g = Gallery(pids, t)
    q = t[37] + rng.normal(scale=0.01, size=128).astype(np.float32)
    m = g.search(q)
    brute = np.linalg.norm(t - q, axis=1)
    assert m.person_id == pids[int(np.argmin(brute))] == 12
    assert m.distance == pytest.approx(brute.min(), abs=1e-4)
    assert m.second_distance == pytest.approx(brute[pids != 12].min(), abs=1e-4)


def test_subset_keeps_only_people_the_door_serves() -> None:
    """A door's gallery holds only its residents: someone enrolled elsewhere is not found."""
    rng = np.random.default_rng(2)
    t = _unit(rng, 6)
    g = Gallery(np.array([1, 1, 2, 2, 3, 3]), t)
    sub = g.subset([1, 3])
    assert sub.people == {1, 3}
    assert sub.search(t[2]).person_id != 2


def test_empty_gallery_finds_nobody() -> None:
    """With nobody enrolled, every face is unknown (never an index error)."""
    m = Gallery.empty().search(np.zeros(128, dtype=np.float32))
    assert m.person_id is None
    assert MatchRules().accept(m) is None


@pytest.mark.parametrize(
    ("distance", "second", "expected"),
    [
        (0.30, 0.80, 7),  # clear match
        (0.46, 0.90, None),  # above the threshold
        (0.40, 0.45, None),  # another person nearly as close: ambiguous
        (0.44, float("inf"), 7),  # only one person enrolled
    ],
)
def test_rules_threshold_and_margin(distance: float, second: float, expected: int | None) -> None:
    """Distance alone is not enough at compound scale: an ambiguous face opens nothing."""
    assert MatchRules(0.45, 0.08).accept(Match(7, distance, second)) == expected
