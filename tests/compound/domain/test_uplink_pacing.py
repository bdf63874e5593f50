"""Resend pacing between the boxes and the platform: a delay that doubles, jittered, never past
its cap, back to the base on progress; and the gate that answers a burst of "resend from N"
requests once."""

from __future__ import annotations

import random

import pytest

from compound.domain.uplink_pacing import Backoff, ResendGate


def test_backoff_starts_at_the_base_doubles_with_jitter_and_stays_under_the_cap() -> None:
    b = Backoff(10.0, 80.0, rng=random.Random(7))
    assert b.delay == 10.0, "the first wait is exactly the base (the configured timeout)"
    seen = [b.bump() for _ in range(12)]
    assert all(10.0 <= d <= 80.0 for d in seen)
    assert 10.0 <= seen[0] <= 20.0 and 20.0 <= seen[1] <= 40.0
    assert max(seen[3:]) <= 80.0 and min(seen[3:]) >= 40.0, "capped, jittered down to half"
    b.reset()
    assert b.delay == 10.0


def test_jitter_spreads_boxes_that_back_off_together() -> None:
    """A thousand boxes timing out at the same moment must not all come back at the same
    moment."""
    delays = set()
    for seed in range(50):
        b = Backoff(10.0, 120.0, rng=random.Random(seed))
        b.bump()
        b.bump()
        delays.add(round(b.delay, 3))
    assert len(delays) > 40 and min(delays) >= 20.0 and max(delays) <= 40.0


@pytest.mark.parametrize("base, cap, jitter", [(0.0, 1.0, 0.5), (2.0, 1.0, 0.5), (1.0, 2.0, 1.0)])
def test_backoff_refuses_nonsense(base: float, cap: float, jitter: float) -> None:
    with pytest.raises(ValueError):
        Backoff(base, cap, jitter)


def test_a_burst_of_requests_is_answered_once_and_the_rest_once_after_the_wait() -> None:
    gate = ResendGate(Backoff(1.0, 30.0, rng=random.Random(1)))
    assert gate.request(100, now=0.0) is True
    assert [gate.request(100, now=t / 10) for t in range(1, 9)] == [False] * 8
    assert gate.due(0.9) is None, "still inside the wait"
    assert gate.due(1.0) == 100, "the coalesced request, once"
    assert gate.due(5.0) is None
    # a third resend without progress waits longer than the second
    assert gate.request(100, now=1.5) is False
    assert gate.backoff.delay >= 1.0
    assert gate.due(1.0 + gate.backoff.delay) == 100
    assert gate.backoff.level == 2


def test_progress_drops_a_waiting_request_it_covers_and_shortens_the_wait() -> None:
    gate = ResendGate(Backoff(1.0, 30.0, rng=random.Random(1)))
    gate.request(50, now=0.0)
    gate.request(50, now=0.2)
    gate.started(0.3)
    assert gate.backoff.level == 1
    gate.progress(acked_upto=60)
    assert gate.backoff.level == 0 and gate.waiting_from is None
    assert gate.due(10.0) is None, "the platform already holds what it asked for"
