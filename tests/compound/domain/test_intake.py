"""Fairness and shedding of door requests, with plain values and a hand-moved clock."""

from __future__ import annotations

from compound.domain.intake import DoorIntake, IntakeRules

RULES = IntakeRules(rate_per_s=10.0, burst=5, queue=3, total=6)


def offer(intake: DoorIntake[object], door: str, item: object, now: float) -> str | None:
    """What the core does with a request: admit by rate, then queue."""
    if not intake.admit(door, now):
        return "rate"
    return intake.put(door, item)


def test_a_flooding_door_is_shed_and_another_door_still_gets_in() -> None:
    intake: DoorIntake[str] = DoorIntake(RULES)
    shed = [offer(intake, "d1", f"flood-{i}", now=0.0) for i in range(1000)]
    assert shed[:3] == [None, None, None]  # its queue holds three
    assert set(shed[3:5]) == {"queue"} and set(shed[5:]) == {"rate"}  # then its bucket is empty
    assert offer(intake, "d2", "swipe", now=0.0) is None
    assert intake.shed == {"d1": 997}
    # Taken in turn: the other door's swipe comes after one flood request, not after all.
    assert [intake.take() for _ in range(2)] == [("d1", "flood-0"), ("d2", "swipe")]
    assert [x for x in iter(intake.take, None)] == [("d1", "flood-1"), ("d1", "flood-2")]
    assert len(intake) == 0 and intake.take() is None


def test_the_bucket_refills_at_its_rate() -> None:
    intake: DoorIntake[int] = DoorIntake(IntakeRules(rate_per_s=10.0, burst=2, queue=100))
    assert [offer(intake, "d1", i, now=0.0) for i in range(3)] == [None, None, "rate"]
    assert offer(intake, "d1", 3, now=0.05) == "rate"  # half a token
    assert offer(intake, "d1", 4, now=0.1) is None  # one token after 0.1 s at 10/s
    assert offer(intake, "d1", 5, now=10.0) is None and offer(intake, "d1", 6, now=10.0) is None
    assert offer(intake, "d1", 7, now=10.0) == "rate"  # refilled only up to the burst


def test_the_total_bound_holds_across_doors() -> None:
    intake: DoorIntake[int] = DoorIntake(RULES)
    results = [offer(intake, f"d{i}", i, now=0.0) for i in range(8)]
    assert results == [None] * 6 + ["full", "full"]
    assert len(intake) == 6


def test_round_robin_keeps_each_doors_order() -> None:
    intake: DoorIntake[str] = DoorIntake(IntakeRules(queue=10, burst=10))
    for i in range(3):
        offer(intake, "a", f"a{i}", 0.0)
    offer(intake, "b", "b0", 0.0)
    offer(intake, "c", "c0", 0.0)
    order = [item for _, item in iter(intake.take, None)]
    assert order == ["a0", "b0", "c0", "a1", "a2"]
