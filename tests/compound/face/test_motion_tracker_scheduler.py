"""The cheap parts that decide where the expensive detector runs: the motion gate, the tracker
and the camera scheduler, on plain arrays and a manual clock."""

from __future__ import annotations

import itertools

import numpy as np

from compound.domain.clock import ManualClock
from compound.domain.face.model import Box
from compound.domain.face.motion import MotionGate, MotionRules
from compound.domain.face.scheduler import Scheduler, SchedulerRules
from compound.domain.face.tracker import Tracker, TrackRules, iou


def _scene(seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)


def test_a_still_scene_closes_the_gate_and_a_person_opens_it() -> None:
    """An idle camera must not cost detector calls; someone walking in must."""
    gate = MotionGate(MotionRules(hold_s=1.0))
    scene = _scene()
    noisy = np.clip(scene.astype(int) + 8, 0, 255).astype(np.uint8)  # codec noise, a cloud
    assert gate.update(scene, 0.0)  # a scene never seen is looked at once
    assert not gate.update(noisy, 2.0)
    assert not gate.update(scene, 2.5)
    person = scene.copy()
    person[100:300, 250:400] = 240
    assert gate.update(person, 3.0)
    assert gate.update(person, 3.5)  # held open while the person stands there
    for t in range(4, 40):  # the scene learns the new thing; the gate closes again
        open_ = gate.update(person, float(t))
    assert not open_


def test_tracker_follows_a_moving_face_and_splits_two() -> None:
    """A face keeps its track while it moves; a second face gets its own; a lost one ends."""
    ids = (f"t{i}" for i in itertools.count())
    tr = Tracker(TrackRules(lost_s=1.0), lambda: next(ids))
    a = tr.update([Box(100, 200, 200, 100)], 0.0)[0]
    b = tr.update([Box(110, 215, 210, 115), Box(100, 500, 200, 400)], 0.1)
    assert b[0].id == a.id and b[1].id != a.id and b[0].frames == 2
    fast = tr.update([Box(100, 250, 200, 150)], 0.2)[0]  # moved half a face: same person
    assert fast.id == a.id
    later = tr.update([Box(100, 250, 200, 150)], 1.5)[0]
    assert later.id not in (a.id, b[1].id)
    cut = tr.restart(later.id, 1.6)
    assert cut.id != later.id and tr.ids() == {cut.id}
    assert iou(Box(0, 10, 10, 0), Box(0, 10, 10, 0)) == 1.0


def test_scheduler_serves_a_waiting_face_first_and_starves_nobody() -> None:
    """Faces go first, but a camera with only motion is served within max_wait_s."""
    clock = ManualClock()
    s = Scheduler(SchedulerRules(max_wait_s=1.0), clock.now)
    s.ready("idle-motion", face=False)
    clock.advance(0.1)
    s.ready("door-a", face=True)
    assert s.next() == "door-a"
    # door-a keeps a face in view and is ready again at once, many times over
    served = []
    for _ in range(20):
        s.ready("door-a", face=True)
        served.append(s.next())
        clock.advance(0.1)
    assert "idle-motion" in served
    assert served.index("idle-motion") <= 10
    assert s.next() is None


def test_scheduler_keeps_the_first_waiting_time() -> None:
    """Announcing again does not push a camera back in the queue."""
    clock = ManualClock()
    s = Scheduler(SchedulerRules(max_wait_s=5.0), clock.now)
    s.ready("a", face=False)
    clock.advance(0.5)
    s.ready("b", face=False)
    s.ready("a", face=False)
    assert s.next() == "a"
    s.forget("b")
    assert s.next() is None


def test_scheduler_skips_a_camera_another_worker_serves() -> None:
    """Two workers never serve one camera at once: a camera being served keeps its place and
    goes first once it is free."""
    clock = ManualClock()
    s = Scheduler(SchedulerRules(max_wait_s=5.0), clock.now)
    s.ready("a", face=True)
    clock.advance(0.1)
    s.ready("b", face=True)
    assert s.next(skip={"a"}) == "b"
    assert s.next(skip={"a"}) is None and len(s) == 1
    assert s.next() == "a"


def test_scheduler_serves_a_full_look_before_a_check() -> None:
    """A person not yet named waits for a full look; a followed face's check can wait, but
    not past max_wait_s."""
    clock = ManualClock()
    s = Scheduler(SchedulerRules(max_wait_s=1.0), clock.now)
    s.ready("followed", face=True, look=False)
    clock.advance(0.1)
    s.ready("arriving", face=False, look=True)
    assert s.next() == "arriving"
    s.ready("arriving", face=True, look=True)
    clock.advance(1.0)  # the check has now waited 1.1 s
    assert s.next() == "followed"
