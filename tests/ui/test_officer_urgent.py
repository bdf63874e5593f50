"""The wall's pop-up for urgent alarms, without a display: only alarms raised while the wall
runs pop up (critical ones, emergencies and intrusions, or what the wall's config says), with the
core's picture or "no picture"; one at a time; closed, or gone when the alarm is acknowledged
elsewhere."""

from __future__ import annotations

import base64
from typing import Any

from compound.config import WallConfig
from compound.domain.clock import ManualClock
from tests.ui.officer_wall import alarm, wall
from ui.viewmodels.officer_alarms import UrgentRule

JPEG = b"\xff\xd8" + b"a picture"


def test_urgent_alarms_raised_while_the_wall_runs_pop_up_with_their_picture(
    clock: ManualClock,
) -> None:
    t0 = clock.now()
    queue = [alarm(1, "emergency", t0 - 600, "critical", "b1-e1")]  # open before the wall

    def page(p: dict[str, Any]) -> dict[str, Any]:
        return {"items": list(queue), "total": len(queue), "counts": {}, "doors": {}}

    def snapshot(p: dict[str, Any]) -> dict[str, Any]:
        if p["id"] == 3:
            return {"jpeg": base64.b64encode(JPEG).decode(), "at": t0}
        return {"none": "no_frame"}

    vm, gw = wall(clock, {"alarm.page": page, "alarm.snapshot": snapshot})
    assert vm.urgent.current is None, "alarms open before the wall started do not pop up"
    queue[:0] = [
        alarm(3, "emergency", t0, "critical", "b2-e1"),
        alarm(4, "zone", t0, "critical", None),
    ]
    queue.append(alarm(2, "held_open", t0, "medium", "b3-e1"))  # not urgent: no pop-up
    gw.deliver("events/alarm.raised", {"type": "alarm.raised"})
    assert [u.id for u in vm.urgent.waiting] == [3, 4]
    first = vm.urgent.current
    assert first is not None and first.picture == "jpeg" and first.jpeg == JPEG
    assert first.taken_at == t0
    assert [m for m, p in gw.requests if m == "alarm.snapshot"] == ["alarm.snapshot"]
    vm.urgent.dismiss()
    second = vm.urgent.current
    assert second is not None and second.id == 4 and second.picture == "none"
    queue[:] = [a for a in queue if a["id"] != 4]  # acknowledged at another console
    vm.refresh_alarms()
    assert vm.urgent.current is None
    gw.deliver("events/alarm.raised", {"type": "alarm.raised"})
    assert vm.urgent.current is None, "a pop-up closed is not shown again"


def test_a_wall_without_the_snapshot_method_says_no_picture(clock: ManualClock) -> None:
    queue: list[dict[str, Any]] = []

    def page(p: dict[str, Any]) -> dict[str, Any]:
        return {"items": list(queue), "total": len(queue), "counts": {}, "doors": {}}

    vm, gw = wall(clock, {"alarm.page": page})
    queue.append(alarm(9, "emergency_unanswered", clock.now(), "critical", "b2-e1"))
    vm.refresh_alarms()
    u = vm.urgent.current
    assert u is not None and u.picture == "none"


def test_intrusions_pop_up_and_sound_and_the_set_is_the_walls_to_choose(
    clock: ManualClock,
) -> None:
    """A door forced open or tampered with is high, not critical, yet it interrupts the officer
    by default; a wall configured otherwise ([wall] in the config) follows its own list."""
    t0 = clock.now()
    queue: list[dict[str, Any]] = []

    def page(p: dict[str, Any]) -> dict[str, Any]:
        return {"items": list(queue), "total": len(queue), "counts": {}, "doors": {}}

    vm, gw = wall(clock, {"alarm.page": page})
    vm.refresh_alarms()  # primed on an empty queue
    queue[:] = [
        alarm(5, "forced_open", t0, "high", "b3-e1"),
        alarm(6, "tamper", t0, "high", "b3-e2"),
        alarm(7, "held_open", t0, "medium", "b3-e1"),
        *(alarm(100 + k, "elderly_unseen", t0 - k, "low") for k in range(3)),
    ]
    vm.refresh_alarms()
    assert [u.id for u in vm.urgent.waiting] == [5, 6] and vm.bell.rung == 1
    # The config's defaults and the wall's are one list.
    cfg = WallConfig()
    assert UrgentRule() == UrgentRule(frozenset(cfg.urgent_severities), frozenset(cfg.urgent_kinds))
    # A wall told to interrupt for emergencies and low alarms only: a forced door waits in the
    # queue, an elderly resident not seen pops up and sounds.
    queue[:] = []
    quiet, _ = wall(clock, {"alarm.page": page})
    quiet.bell.rule = UrgentRule(frozenset({"low"}), frozenset({"emergency"}))
    quiet.refresh_alarms()
    queue[:] = [alarm(8, "forced_open", t0, "high", "b3-e1"), alarm(9, "elderly_unseen", t0, "low")]
    quiet.refresh_alarms()
    assert [u.id for u in quiet.urgent.waiting] == [9] and quiet.bell.rung == 1
