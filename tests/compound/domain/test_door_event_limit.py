"""The per-door limit on door events: a burst, then a rate; one flood report per window; the
first life-safety event of each kind still passes a flood. Time is moved by hand."""

from __future__ import annotations

from compound.domain.door_event_limit import (
    ADAPTER_RULES,
    LIFE_SAFETY,
    DoorEventLimiter,
    EventRules,
)

RULES = EventRules(burst=10, rate_per_s=2.0, flood_window_s=60.0, max_doors=3)


def admitted(lim: DoorEventLimiter, door: str, n: int, now: float, kind: str = "opened") -> int:
    return sum(lim.check(door, kind, now).admit for _ in range(n))


def test_a_burst_passes_then_only_the_rate() -> None:
    lim = DoorEventLimiter(RULES)
    assert admitted(lim, "d1", 1000, 0.0) == 10
    assert lim.dropped == {"d1": 990}
    # 3 s later: 6 more (2 a second), not the 990 that were dropped.
    assert admitted(lim, "d1", 1000, 3.0) == 6
    # A long quiet spell fills the bucket to the burst, no further.
    assert admitted(lim, "d1", 1000, 1000.0) == 10


def test_a_door_within_its_rate_is_never_limited() -> None:
    """A busy real door, an event every 0.6 s for an hour, loses nothing and raises nothing."""
    lim = DoorEventLimiter(RULES)
    verdicts = [lim.check("d1", "opened", i * 0.6) for i in range(6000)]
    assert all(v.admit and not v.flood_started for v in verdicts)
    assert lim.dropped == {}


def test_one_flood_report_per_door_per_window() -> None:
    lim = DoorEventLimiter(RULES)
    starts = [lim.check("d1", "opened", t * 0.001).flood_started for t in range(5000)]
    assert starts.count(True) == 1
    assert starts.index(True) == 10  # the first event dropped
    # Still flooding a window later: reported again, once.
    later = [lim.check("d1", "opened", 61.0 + t * 0.001).flood_started for t in range(5000)]
    assert later.count(True) == 1
    assert lim.flooding(61.0) == ["d1"]
    assert lim.flooding(200.0) == []


def test_another_door_is_not_touched_by_a_flood() -> None:
    lim = DoorEventLimiter(RULES)
    admitted(lim, "d1", 10_000, 0.0)
    assert admitted(lim, "d2", 10, 0.0) == 10
    assert "d2" not in lim.dropped


def test_the_first_life_safety_event_of_each_kind_passes_a_flood() -> None:
    lim = DoorEventLimiter(RULES)
    admitted(lim, "d1", 100, 0.0)  # flooding
    fire = lim.check("d1", "fire_release", 0.0)
    assert fire.admit and fire.for_safety and not fire.flood_started
    assert not lim.check("d1", "fire_release", 0.0).admit  # the second one does not
    forced = lim.check("d1", "forced_open", 0.0)
    assert forced.admit and forced.for_safety
    assert lim.check("d1", "tamper", 0.0).admit
    assert not lim.check("d1", "held_open", 0.0).admit  # not life safety
    # A flood of forced_open itself gets one through per window, not thousands.
    assert admitted(lim, "d1", 1000, 1.0, "forced_open") == 2  # the bucket's 2 tokens
    # The next window lets the first of each kind through again.
    admitted(lim, "d1", 100, 61.0)
    assert lim.check("d1", "forced_open", 61.0).for_safety


def test_a_life_safety_event_that_starts_a_flood_passes_and_reports_it() -> None:
    lim = DoorEventLimiter(RULES)
    admitted(lim, "d1", 10, 0.0)  # the bucket is empty, no flood yet
    v = lim.check("d1", "forced_open", 0.0)
    assert v.admit and v.for_safety and v.flood_started


def test_idle_doors_are_forgotten_so_memory_stays_bounded() -> None:
    lim = DoorEventLimiter(RULES)
    for i in range(3):
        lim.check(f"d{i}", "opened", 0.0)
    lim.check("d9", "opened", 100.0)  # the others idle longer than burst/rate: forgotten
    assert len(lim._doors) == 1


def test_a_flooding_door_is_not_forgotten_while_its_window_lasts() -> None:
    """Forgetting it would reset its bucket and report its flood again at once."""
    lim = DoorEventLimiter(RULES)
    admitted(lim, "d0", 100, 0.0)
    for i in range(1, 4):
        lim.check(f"d{i}", "opened", 30.0)
    # Its bucket has filled again; flooding on, it is still in the same flood: no new report.
    assert not any(lim.check("d0", "opened", 30.0).flood_started for _ in range(100))


def test_an_honest_adapter_keeps_under_the_cores_limit() -> None:
    """The bridge paces itself by ADAPTER_RULES; the core limits by the defaults."""
    core = EventRules()
    assert ADAPTER_RULES.burst < core.burst and ADAPTER_RULES.rate_per_s < core.rate_per_s
    assert {"fire_release", "forced_open"} <= LIFE_SAFETY
