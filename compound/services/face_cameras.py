"""Many cameras on one face service: a reader per camera, one worker for dlib.

Each camera has a reader thread (``CameraFeed``) that drains its stream at the stream's pace
(a network camera that is not read fills a buffer with stale frames), keeps one frame per
``1/fps`` and puts it through the motion gate (a grey copy 80 pixels wide, well under a
millisecond). Only a frame with motion, or one from a camera where a face was seen on the last
look, is offered to the scheduler; an idle camera costs its decoding and nothing else.

Workers run the detector, landmarks and encoder for the camera the scheduler picks, each on
a recogniser of its own in a child process (``face.workers``, about one per core: dlib holds
the interpreter while it works, so threads of one process would only wait for each other); two
workers never serve one camera at once, and each camera's state has its own lock, so a reader
following its face is held up only by work on its own camera. With no worker processes, one
worker uses the service's own recogniser. The workers publish what each camera sees on
``face/<camera>/result`` and the access requests on ``access/<door>/request/face``; the core
decides. A camera that fails is reported and opened again on its own thread, without touching
the others.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from compound.adapters import images
from compound.adapters.camera import Frame
from compound.camera_config import CameraWiring
from compound.config import FaceConfig
from compound.domain.clock import Clock
from compound.domain.face.challenge import ChallengeDealer, ChallengeRules
from compound.domain.face.challenge_policy import (
    DoorChallenge,
    Who,
    camera_policy,
    door_challenge,
)
from compound.domain.face.gallery import Gallery, MatchRules
from compound.domain.face.liveness import LivenessRules
from compound.domain.face.model import TrackingRecognizer
from compound.domain.face.motion import MotionGate, MotionRules
from compound.domain.face.scheduler import Scheduler, SchedulerRules
from compound.domain.face.strangers import Strangers
from compound.domain.face.tamper import TamperJudge, TamperRules
from compound.domain.face.watch import BLINK_CLOSED, CameraWatch, WatchOutcome, WatchRules
from compound.domain.model import InvalidInput
from compound.ports import Bus
from compound.protocol.messages import encode, new_id
from compound.services.camera_feed import CameraFeed, CameraSpec
from compound.services.face_doors import cameras_of
from compound.services.face_strangers import EXPIRE_EVERY_S, KeptStrangers
from compound.services.face_workers import ThreadRecognizers
from compound.store.db import Store
from compound.store.face_strangers import StrangerStore
from compound.store.faces import FaceStore

log = logging.getLogger(__name__)

GALLERY_POLL_S = 2.0
LEASE_CHECK_S = 3600.0


def door_rules(
    config: FaceConfig, known: Callable[[str], bool], cameras: Sequence[CameraWiring] = ()
) -> list[DoorChallenge]:
    """The checked ``[[face.doors]]`` rules; ``InvalidInput`` names the entry and what to fix."""
    watched = {d for w in [*cameras_of(config), *cameras] for d in w.doors}
    out: dict[str, DoorChallenge] = {}
    for d in config.doors:
        rule = door_challenge(d.id, d.challenge, d.roles, d.people, d.hours, d.layers)
        if d.id in out:
            raise InvalidInput(f"face door {d.id!r} has two [[face.doors]] entries; keep one")
        if not known(d.id):
            raise InvalidInput(f"face door {d.id!r}: unknown door; see `compound door list`")
        if d.id not in watched:
            raise InvalidInput(
                f"face door {d.id!r}: no camera watches it; add it to the doors of a "
                "[[face.cameras]] entry, or remove its [[face.doors]] entry"
            )
        out[d.id] = rule
    return list(out.values())


class FaceCameras:
    """Every camera of the config on a few workers; see the module note."""

    def __init__(
        self,
        store: Store,
        bus: Bus,
        clock: Clock,
        config: FaceConfig,
        cameras: list[CameraSpec],
        recognizer: TrackingRecognizer,
        *,
        lock: threading.Lock | None = None,
        choose: Callable[[Any], str] = secrets.choice,
        challenge: ChallengeRules | None = None,
        publish_preview: bool = True,
        workers: Sequence[TrackingRecognizer] = (),
        tamper: TamperRules | None = None,
    ) -> None:
        self.store = store
        self.bus = bus
        self.clock = clock
        self.config = config
        self.faces = FaceStore(store)
        self._lock = lock or threading.Lock()  # the in-process recogniser, shared with enrolment
        self.recognizer = ThreadRecognizers(recognizer, self._lock)
        # Each worker's own recogniser (a child process); none: one worker on the shared one.
        self._own: list[TrackingRecognizer | None] = list(workers) or [None]
        self._busy: set[str] = set()  # cameras a worker is serving now
        self.stop_event = threading.Event()
        self.counters: Counter[str] = Counter()
        self.scheduler = Scheduler(SchedulerRules(), clock.monotonic)
        self._cond = threading.Condition()
        self._signature: tuple[object, ...] = ()
        self._workers: list[threading.Thread] = []
        c = config
        # Shared by the cameras (a stranger is one person at any door), kept sealed on disk.
        self.strangers = (
            KeptStrangers(Strangers(c.threshold, c.stranger_memory_h * 3600), StrangerStore(store))
            if c.stranger_memory_h > 0
            else None
        )
        asked = challenge or ChallengeRules()
        dealer = ChallengeDealer(asked, choose, new_id)
        for spec in cameras:
            for d in spec.wiring.doors:
                if store.door(d) is None:
                    raise InvalidInput(
                        f"camera {spec.wiring.id}: unknown door {d!r}; see `compound door list`"
                    )
            if not spec.wiring.doors:
                raise InvalidInput(f"camera {spec.wiring.id} has no door (face.cameras doors)")
        rules = door_rules(config, lambda d: store.door(d) is not None, [s.wiring for s in cameras])
        tz = store.tz  # the site's local time, for rules by the hour
        gallery, people, roles = self._galleries([s.wiring for s in cameras])
        self.feeds: dict[str, CameraFeed] = {}
        self._state: dict[str, threading.Lock] = {}  # per camera: its watch's state
        for spec in cameras:
            w = spec.wiring
            policy = camera_policy(w.doors, w.challenge, rules)
            if policy.asks_anyone() and w.fps * asked.max_gap_s < 1:
                # The judge holds a frame that comes after a longer gap to "hold still": at a
                # slower rate every answer would fail and the door would never open by face.
                raise InvalidInput(
                    f"camera {w.id}: fps {w.fps:g} is too slow for the face challenge its doors "
                    f"ask (a frame at least every {asked.max_gap_s:g} s: fps "
                    f"{1 / asked.max_gap_s:g} or more); raise its fps, or set challenge = "
                    '"never" for a door with its own IR or depth face terminal'
                )
            watch = CameraWatch(
                self.recognizer,
                camera_id=w.id,
                doors=w.doors,
                gallery=gallery,
                door_people=people,
                rules=WatchRules(
                    agree_frames=c.agree_frames,
                    cooldown_s=c.cooldown_s,
                    challenge=policy.asks_anyone(),
                ),
                match=MatchRules(c.threshold, c.margin),
                liveness=LivenessRules(window_s=c.liveness_window_s, closed_ratio=BLINK_CLOSED),
                check_liveness=c.liveness,
                dealer=dealer,
                strangers=self.strangers,
                policy=policy,
                tz=tz,
                roles=roles,
            )
            gate = MotionGate(MotionRules())
            self._state[w.id] = threading.Lock()
            self.feeds[w.id] = CameraFeed(
                spec,
                watch,
                gate,
                clock,
                self._on_ready,
                self._report,
                self.stop_event,
                self._publish_preview if publish_preview else None,
                c.preview_fps,
                self._follow,
                TamperJudge(
                    tamper or TamperRules(), clock.monotonic, getattr(spec.source, "live", True)
                ),
            )

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        self._signature = self.faces.signature()
        if self.strangers is not None:
            n = self.strangers.load(self.clock.now())
            log.info("%d strangers remembered from before", n)
        for own in self._own:
            start = getattr(own, "start", None)
            if start is not None:
                start()  # the models load before the first face, not on it
        for feed in self.feeds.values():
            feed.start()
        for i, own in enumerate(self._own):
            t = threading.Thread(target=self._work, args=(i, own), name=f"face-worker-{i}")
            t.daemon = True
            t.start()
            self._workers.append(t)

    def stop(self) -> None:
        self.stop_event.set()
        with self._cond:
            self._cond.notify_all()
        for t in self._workers:
            t.join(10)
        for feed in self.feeds.values():
            feed.join(10)
        for own in self._own:
            close = getattr(own, "close", None)
            if close is not None:
                close()

    def healthy(self) -> bool:
        """The workers are alive (each camera's own state is on its result topic)."""
        return bool(self._workers) and all(t.is_alive() for t in self._workers)

    def totals(self) -> Counter[str]:
        """Counters over all cameras: frames decoded, kept, with motion; detector calls..."""
        out: Counter[str] = Counter(self.counters)
        for feed in self.feeds.values():
            out.update(feed.counters)
            out.update(feed.watch.counters)
        return out

    # -- galleries -------------------------------------------------------------------------

    def _galleries(
        self, cameras: list[CameraWiring]
    ) -> tuple[Gallery, dict[str, set[int]], dict[int, Who]]:
        doors = {d for w in cameras for d in w.doors}
        people = self.store.people()
        # A tenant's layer (重点层...) from the rental register, for door rules by layer.
        rows = self.store.read("SELECT person_id, layer FROM tenant_profiles")
        layers = {int(r["person_id"]): str(r["layer"]) for r in rows}
        roles = {p.id: Who(p.role, layers.get(p.id)) for p in people}
        served: dict[str, set[int]] = {}
        for d in doors:
            door = self.store.door(d)
            served[d] = {p.id for p in people if door is not None and door.serves_unit(p.unit)}
        union = set().union(*served.values()) if served else set()
        return self.faces.gallery().subset(union), served, roles

    def _refresh(self) -> None:
        sig = self.faces.signature()
        if sig == self._signature:
            return
        self._signature = sig
        gallery, people, roles = self._galleries([f.wiring for f in self.feeds.values()])
        for feed in self.feeds.values():
            with self._state[feed.id]:
                feed.watch.set_gallery(gallery, people, roles)
        log.info("gallery reloaded: %d templates", len(gallery))

    # -- the worker ------------------------------------------------------------------------

    def _on_ready(self, feed: CameraFeed) -> None:
        with self._cond:
            self.scheduler.ready(feed.id, feed.face_waiting, feed.look_waiting())
            self._cond.notify()

    def _work(self, index: int, own: TrackingRecognizer | None) -> None:
        self.recognizer.bind(own)
        last_poll = last_lease = last_expire = 0.0
        while not self.stop_event.is_set():
            started = time.monotonic()
            if index == 0:  # the housekeeping is the first worker's
                if started - last_poll > GALLERY_POLL_S:
                    last_poll = started
                    self._refresh()
                if started - last_lease > LEASE_CHECK_S:
                    last_lease = started
                    self.faces.purge_ended_leases()
                if self.strangers is not None and started - last_expire > EXPIRE_EVERY_S:
                    last_expire = started
                    self.strangers.expire(self.clock.now())
            with self._cond:
                camera = self.scheduler.next(skip=self._busy)
                if camera is None:
                    self._cond.wait(0.5)
                    continue
                self._busy.add(camera)
            try:
                self._serve(self.feeds[camera])
            finally:
                with self._cond:
                    self._busy.discard(camera)
                    self._cond.notify_all()  # it may have been announced again meanwhile

    def _serve(self, feed: CameraFeed) -> None:
        frame, check = feed.take()
        if frame is None:
            return
        more = False
        try:
            if check:
                # The detector runs without holding the camera: its reader goes on following.
                boxes = self.recognizer.detect(frame.rgb)
                with self._state[feed.id]:
                    feed.watch.checked(boxes)
                return
            with self._state[feed.id]:
                if frame.at <= feed.watch.last_at:
                    return  # the reader has judged a newer frame meanwhile
                out = feed.watch.process(frame.rgb, frame.at)
                if not out.faces:
                    more = feed.drop_waiting(frame.at)  # the newer frames wait
        except Exception:  # a bad frame must not stop every camera's decisions
            log.exception("camera %s: frame not processed", feed.id)
            self.counters["errors"] += 1
            return
        self._seen(feed, out)
        if more:
            # Back in the queue behind the cameras already waiting (one frame a turn, so a
            # camera with a backlog does not hold a worker), even if its reader hands over no
            # more frames (the gate closed, a replay ended).
            self._on_ready(feed)

    def _seen(self, feed: CameraFeed, out: WatchOutcome) -> None:
        feed.face_waiting = bool(out.faces)
        feed.boxes = [f.box for f in out.faces]
        self._publish(feed, out)

    def _follow(self, feed: CameraFeed, frame: Frame) -> bool:
        """On the camera's reader thread: the followed face's landmarks on this frame (no
        detector, no encoding). False when the worker must look instead, or is at this camera
        now: the reader never waits for a worker (it would miss its stream's next frames)."""
        watch = feed.watch
        if not watch.following(frame.at):
            return False
        state = self._state[feed.id]
        if not state.acquire(blocking=False):
            return False
        try:
            if not watch.following(frame.at) or frame.at <= watch.last_at:
                return False
            try:
                out = watch.follow(frame.rgb, frame.at)
            except Exception:  # a bad frame: the worker's full look decides instead
                log.exception("camera %s: frame not followed", feed.id)
                return False
            due = out is not None and watch.check_due()
        finally:
            state.release()
        if out is None:
            return False
        self._seen(feed, out)
        if due:
            feed.hand_over(frame, True)
        return True

    def _publish(self, feed: CameraFeed, out: WatchOutcome) -> None:
        t = self.bus.topics
        for req in out.requests:
            self.bus.publish(t.face_access_request(req.door_id), encode(req))
        if out.faces or out.requests:
            self.bus.publish(t.face_result(feed.id), out.as_dict(feed.id, feed.wiring.doors))

    def _report(self, feed: CameraFeed, status: str, detail: str) -> None:
        body = {
            "camera": feed.id,
            "door": feed.wiring.doors[0] if feed.wiring.doors else "",
            "doors": feed.wiring.doors,
            "at": self.clock.now(),
            "status": status,
            "detail": detail,
            "faces": [],
        }
        self.bus.publish(self.bus.topics.face_result(feed.id), body)

    def _publish_preview(self, feed: CameraFeed, frame: Frame) -> None:
        data = images.jpeg(frame.rgb, feed.boxes)
        self.bus.publish(self.bus.topics.face_frame(feed.id), data, qos=0)
