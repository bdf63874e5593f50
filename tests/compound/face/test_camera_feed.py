"""One camera's reader hands frames to the worker oldest first, within two seconds of frames,
and gives the rest back to be followed in order once the worker has found the face: so the
first seconds of a visit (often the blink) are not lost while the workers served other
cameras; frames the reader could not follow go back to the front of the queue, in order. The
worker that finds no face on a frame drops that frame and older ones only: the
newer ones (the face walking in, and its blink) stay waiting, a second of them at most. The
reader's motion gate stops the detector half a second after a face has left, and keeps a
person who stood still while the workers were busy. Unit tests: sources that are never opened
or play prepared arrays on a manual clock; a worker that knows where the face is."""

from __future__ import annotations

import threading

import numpy as np

from compound.adapters.camera import Frame
from compound.camera_config import CameraWiring
from compound.config import FaceConfig
from compound.domain.clock import ManualClock, SystemClock
from compound.domain.face.model import Box
from compound.domain.face.motion import MotionGate
from compound.protocol.topics import Topics
from compound.services.camera_feed import CameraFeed, CameraSpec
from compound.services.face_cameras import FaceCameras
from compound.store.db import Store


class _Unopened:
    name, live = "unopened", True

    def open(self) -> None: ...
    def skip(self) -> None: ...
    def read(self) -> Frame | None:
        return None

    def close(self) -> None: ...


def _feed(offered: list[str]) -> CameraFeed:
    spec = CameraSpec(CameraWiring("cam", "x", ["d"], 8.0, "never"), _Unopened())
    return CameraFeed(
        spec,
        None,  # type: ignore[arg-type]  # the watch is not used by hand_over/take
        MotionGate(),
        SystemClock(),
        lambda f: offered.append(f.id),
        lambda f, s, d: None,
        threading.Event(),
    )


def test_oldest_first_within_two_seconds_then_the_rest_for_the_reader() -> None:
    offered: list[str] = []
    feed = _feed(offered)
    frames = [Frame(np.zeros((2, 2, 3), np.uint8), float(i), i) for i in range(20)]
    for f in frames:
        feed.hand_over(f, False)
    assert len(offered) == 20 and feed.look_waiting()
    # 8 fps: two seconds are 16 frames; older ones were let go
    assert feed.take() == (frames[4], False)
    check = Frame(np.zeros((2, 2, 3), np.uint8), 20.0, 20)
    feed.hand_over(check, True)
    back = feed.catch_up()
    assert [f.seq for f in back] == list(range(5, 20))
    assert feed.catch_up() == [] and not feed.look_waiting()
    feed.requeue(back[3:])  # the reader followed three, then a worker was at the camera
    assert feed.take() == (frames[8], False)
    assert [f.seq for f in feed.catch_up()] == list(range(9, 20))
    assert feed.take() == (check, True)
    assert feed.take() == (None, False)
    feed.hand_over(frames[0], False)
    feed.drop_waiting()
    assert feed.take() == (None, False)


def test_nobody_on_a_frame_drops_it_and_older_and_keeps_a_second_of_newer_ones() -> None:
    """The worker found no face on the oldest frame: the frames after it stay waiting (the
    face may come in on them), the newest second of them at most (8 at 8 fps), so a camera
    whose workers are behind does not keep them looking at stale frames one by one."""
    feed = _feed([])
    frames = [Frame(np.zeros((2, 2, 3), np.uint8), float(i), i) for i in range(5)]
    for f in frames:
        feed.hand_over(f, False)
    taken, _ = feed.take()
    assert taken is frames[0]
    assert feed.drop_waiting(frames[0].at)  # nobody on it: the four after it still wait
    assert feed.take() == (frames[1], False)
    feed.requeue([frames[0], frames[1]])  # frames up to the empty one go, even put back
    assert feed.drop_waiting(frames[1].at)
    assert [f.seq for f in feed.catch_up()] == [2, 3, 4]
    many = [Frame(np.zeros((2, 2, 3), np.uint8), float(i), i) for i in range(16)]
    for f in many:
        feed.hand_over(f, False)
    taken, _ = feed.take()
    assert taken is many[0]
    assert feed.drop_waiting(many[0].at)
    assert [f.seq for f in feed.catch_up()] == list(range(8, 16))
    feed.hand_over(many[0], False)
    assert not feed.drop_waiting(many[0].at)  # nothing newer: nothing left to look at


class _Nobody:
    """A recogniser that finds no face on any frame."""

    def detect(self, rgb: np.ndarray) -> list[Box]:
        return []

    def landmarks(self, rgb: np.ndarray, box: Box) -> np.ndarray:
        raise AssertionError("no face, no landmarks")

    def encode(self, rgb: np.ndarray, box: Box, landmarks: np.ndarray) -> np.ndarray:
        raise AssertionError("no face, no encoding")

    def analyse(self, rgb: np.ndarray, boxes: list[Box] | None = None) -> list[object]:
        return []


class _Bus:
    def __init__(self, topics: Topics) -> None:
        self.topics = topics
        self.sent: list[str] = []

    def publish(self, topic: str, body: object, qos: int = 1) -> None:
        self.sent.append(topic)


def test_the_service_comes_back_for_the_frames_after_an_empty_one(
    store: Store, topics: Topics
) -> None:
    """A worker looks at one waiting frame a turn: after an empty one the camera is queued
    again for the frames behind it, even though its reader hands over no more (the gate
    closed), and goes behind a camera that was already waiting; once nothing waits, it is
    not queued again."""
    store.add_door("d", "Gate", ["1-1"])
    specs = [CameraSpec(CameraWiring(c, "x", ["d"], 8.0, "never"), _Unopened()) for c in "ab"]
    bus = _Bus(topics)
    svc = FaceCameras(store, bus, store.clock, FaceConfig(), specs, _Nobody())  # type: ignore[arg-type]
    a, b = svc.feeds["a"], svc.feeds["b"]
    for i in range(3):
        a.hand_over(Frame(np.zeros((8, 8, 3), np.uint8), float(i + 1), i), False)
    assert svc.scheduler.next() == "a"
    b.hand_over(Frame(np.zeros((8, 8, 3), np.uint8), 1.0, 0), False)
    svc._serve(a)  # frame 0: nobody; frames 1 and 2 wait
    assert a.look_waiting()
    assert svc.scheduler.next() == "b"  # it was waiting before a came back
    assert svc.scheduler.next() == "a"
    svc._serve(a)
    assert svc.scheduler.next() == "a"
    svc._serve(a)  # the last one
    assert not a.look_waiting() and svc.scheduler.next() is None
    assert bus.sent == []  # nobody seen: nothing for the door panel


class _Script:
    """A camera playing prepared frames, one per 1/fps of a manual clock (reading a frame
    moves the clock on), so the reader's loop runs as fast as the test can go."""

    name, live = "script", False

    def __init__(self, clock: ManualClock, frames: list[np.ndarray], fps: float) -> None:
        self._clock, self._frames, self._period, self._i = clock, frames, 1.0 / fps, 0

    def open(self) -> None: ...
    def skip(self) -> None: ...
    def close(self) -> None: ...

    def read(self) -> Frame | None:
        if self._i >= len(self._frames):
            return None
        f = Frame(self._frames[self._i], self._clock.now(), self._i)
        self._i += 1
        self._clock.advance(self._period)
        return f


class _NotFollowing:
    def following(self, at: float) -> bool:
        return False


FPS = 10.0
T0 = 1_790_000_000.0  # the manual clock's start


def _entrance() -> tuple[list[np.ndarray], set[int]]:
    """An empty entrance (frames 0-9), a person walking in (10-14), standing still at the
    door (15-34), the entrance empty again (35-59); 240×320. And the frames on which the
    detector would find his face (from 12, when he is far enough in)."""
    rng = np.random.default_rng(3)
    scene = rng.integers(40, 200, (240, 320, 3), dtype=np.uint8)
    frames = [scene] * 10
    for x in (0, 30, 60, 90, 120):
        person = scene.copy()
        person[40:220, x : x + 90] = 235
        frames.append(person)
    frames += [frames[-1]] * 20 + [scene] * 25
    return frames, set(range(12, 35))


def _run(busy_until: float) -> tuple[list[int], list[int]]:
    """The reader over the entrance, with a worker that looks at every frame handed to it
    (oldest first) once it is free at ``busy_until`` seconds: the frames it looked at, and
    those it found the face on."""
    frames, face = _entrance()
    clock = ManualClock(t=T0)
    looked: list[int] = []
    found: list[int] = []

    def worker(feed: CameraFeed) -> None:
        if clock.now() - T0 < busy_until:
            return  # serving other cameras: the frames wait
        while True:
            frame, _check = feed.take()
            if frame is None:
                return
            looked.append(frame.seq)
            if frame.seq in face:
                found.append(frame.seq)
                feed.face_waiting = True  # the service then follows it on every frame
            else:
                feed.face_waiting = False
                feed.drop_waiting(frame.at)

    spec = CameraSpec(CameraWiring("cam", "x", ["d"], FPS, "never"), _Script(clock, frames, FPS))
    feed = CameraFeed(
        spec,
        _NotFollowing(),  # type: ignore[arg-type]
        MotionGate(),
        clock,
        worker,
        lambda f, s, d: None,
        threading.Event(),
    )
    feed._run()  # the reader's loop, on this thread, to the end of the frames
    return looked, found


def test_the_detector_stops_half_a_second_after_the_face_has_left() -> None:
    """A person leaves at frame 35 (3.5 s): the camera is looked at until half a second after
    the last motion, then not at all, although the scene still differs from its average (the
    ghost of the person the average had learned). Every frame of him at the door was looked
    at, though he stood still for two seconds; the empty entrance before him cost one look."""
    looked, found = _run(busy_until=0.0)
    assert found == list(range(12, 35))
    assert looked[:2] == [0, 10]  # the first frame (a scene never seen), then his arrival
    after = [s for s in looked if s >= 35]
    assert after and max(after) <= 35 + 0.5 * FPS  # stopped within 0.5 s of the last motion
    assert len(after) <= 6


def test_a_blink_queued_behind_an_empty_frame_is_seen() -> None:
    """The workers reach this camera at 1.65 s: waiting are the first frame (the empty scene)
    and his walk in from frame 10, the face from frame 12 and its blink (say frames 13-15).
    The empty frames are dropped one look at a time, the face is found on frame 12 and every
    frame after it is looked at, the blink's with it. (Dropping every waiting frame on the
    first empty one found him only from frame 17, after the blink.)"""
    looked, found = _run(busy_until=1.65)
    assert looked[:4] == [0, 10, 11, 12]
    assert found[:6] == [12, 13, 14, 15, 16, 17]
    assert {13, 14, 15} <= set(found)


def test_a_person_who_stood_still_while_the_workers_were_busy_is_still_found() -> None:
    """The workers reach this camera only at 3 s, 1.6 s after he stopped moving; the oldest
    frame waiting shows no face yet (he was still walking in). The motion nobody had looked at
    keeps the gate open, so the frames after it are handed over and his face is found."""
    looked, found = _run(busy_until=3.0)
    assert looked[0] < 12  # the oldest frame kept waiting: his first steps in, no face yet
    assert found and found[0] <= 31
    assert max(looked) <= 35 + 0.5 * FPS
