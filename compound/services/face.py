"""The face service (``compound face run``): one camera at one door, in its own process.

It owns the camera: reads frames, runs the pipeline, sends access requests to the core on
``access/<door>/request`` (the core decides; this service only says who it sees), publishes what
it sees on ``face/<camera>/result`` and a small JPEG with face boxes on ``face/<camera>/frame``
a few times a second for the door panel's preview and the indoor stations during a call. It
also answers the manager console's enrolment methods (``face.enroll``, ``face.quality``,
``face.delete``). A camera that fails is reported on the result topic and opened again.
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
import time
from collections import Counter
from typing import Any

from compound.adapters import images
from compound.adapters.camera import CameraError, Source
from compound.adapters.mqtt import Bus
from compound.config import FaceConfig
from compound.domain.clock import Clock
from compound.domain.face.gallery import Gallery, MatchRules
from compound.domain.face.liveness import LivenessRules
from compound.domain.face.model import Recognizer
from compound.domain.face.pipeline import Pipeline
from compound.domain.face.strangers import Strangers
from compound.domain.model import InvalidInput
from compound.protocol.messages import encode
from compound.services.face_enrol import Enroller
from compound.store.db import Store
from compound.store.faces import FaceStore

log = logging.getLogger(__name__)

API_MAX_PAYLOAD = 8 * 1024 * 1024  # a few phone photos in base64
RETRY_S = (1.0, 2.0, 5.0, 10.0)  # camera reopen back-off
GALLERY_POLL_S = 2.0
LEASE_CHECK_S = 3600.0


def door_gallery(store: Store, faces: FaceStore, door_id: str) -> Gallery:
    """The templates of the people whose unit this door serves."""
    door = store.door(door_id)
    if door is None:
        raise InvalidInput(f"unknown door {door_id!r}; see `compound door list`")
    full = faces.gallery()
    allowed = [p.id for p in store.people() if door.serves_unit(p.unit)]
    return full.subset(allowed)


def _photo(params: dict[str, Any], key: str, value: Any) -> bytes:
    if not isinstance(value, str):
        raise InvalidInput(f"{key} must be a base64 JPEG")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"{key} is not valid base64") from None


def _pid(params: dict[str, Any]) -> int:
    v = params.get("person_id")
    if isinstance(v, bool) or not isinstance(v, int):
        raise InvalidInput("person_id must be a number")
    return v


class FaceService:
    def __init__(
        self,
        store: Store,
        bus: Bus,
        clock: Clock,
        config: FaceConfig,
        source: Source | None,
        recognizer: Recognizer,
    ) -> None:
        self.store = store
        self.bus = bus
        self.clock = clock
        self.config = config
        self.source = source
        self.recognizer = recognizer
        self.faces = FaceStore(store)
        self._lock = threading.Lock()
        # dlib's models serve one thread at a time: the cameras' worker takes this lock too
        self.lock = self._lock
        self.enroller = Enroller(store, recognizer, self.faces, lock=self._lock)
        self.counters: Counter[str] = Counter()
        self.stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._signature: tuple[object, ...] = ()
        self.pipeline: Pipeline | None = None
        self.camera_ok = False

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        self.bus.serve(
            {
                "face.enroll": self.api_enroll,
                "face.quality": self.api_quality,
                "face.delete": self.api_delete,
            },
            refusals=(InvalidInput,),
            max_payload=API_MAX_PAYLOAD,
            counters=self.counters,
        )
        if self.source is None:
            return
        c = self.config
        if not c.door:
            raise InvalidInput("the face service needs the door its camera watches (face.door)")
        self.pipeline = Pipeline(
            self.recognizer,
            door_gallery(self.store, self.faces, c.door),
            door_id=c.door,
            camera_id=c.camera,
            rules=MatchRules(c.threshold, c.margin),
            agree_frames=c.agree_frames,
            liveness=LivenessRules(window_s=c.liveness_window_s),
            check_liveness=c.liveness,
            cooldown_s=c.cooldown_s,
            strangers=(
                Strangers(c.threshold, c.stranger_memory_h * 3600)
                if c.stranger_memory_h > 0
                else None
            ),
        )
        self._signature = self.faces.signature()
        self._thread = threading.Thread(target=self._run, name="face-camera", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(10)
        if self.source is not None:
            self.source.close()

    # -- camera loop -----------------------------------------------------------------------

    def _report(self, status: str, detail: str = "") -> None:
        body = {
            "camera": self.config.camera,
            "door": self.config.door,
            "at": self.clock.now(),
            "status": status,
            "detail": detail,
            "faces": [],
        }
        self.bus.publish(self.bus.topics.face_result(self.config.camera), body)

    def _open_camera(self) -> bool:
        assert self.source is not None  # noqa: S101 - only called with a source
        attempt = 0
        while not self.stop_event.is_set():
            try:
                self.source.open()
                if not self.camera_ok:
                    log.info("camera %s open", self.source.name)
                self.camera_ok = True
                return True
            except CameraError as e:
                self.camera_ok = False
                self.counters["camera.failed"] += 1
                log.warning("%s; retrying", e)
                self._report("camera offline", str(e))
                self.stop_event.wait(RETRY_S[min(attempt, len(RETRY_S) - 1)])
                attempt += 1
        return False

    def _run(self) -> None:
        assert self.source is not None and self.pipeline is not None  # noqa: S101
        period = 1.0 / self.config.fps
        preview_period = 1.0 / self.config.preview_fps if self.config.preview_fps else None
        last_preview = last_poll = last_lease = 0.0
        if not self._open_camera():
            return
        while not self.stop_event.is_set():
            started = time.monotonic()
            if started - last_poll > GALLERY_POLL_S:
                last_poll = started
                self._refresh_gallery()
            if started - last_lease > LEASE_CHECK_S:
                last_lease = started
                self.faces.purge_ended_leases()
            try:
                frame = self.source.read()
            except CameraError as e:
                self.camera_ok = False
                self.counters["camera.lost"] += 1
                log.warning("%s", e)
                self._report("camera offline", str(e))
                if not self._open_camera():
                    return
                continue
            if frame is None:  # a finite replay has ended
                self._report("camera ended")
                return
            self.handle_frame(frame.rgb, frame.at)
            if preview_period is not None and started - last_preview >= preview_period:
                last_preview = started
                self.publish_preview(frame.rgb)
            self.stop_event.wait(max(0.0, period - (time.monotonic() - started)))

    def handle_frame(self, rgb: Any, at: float) -> None:
        assert self.pipeline is not None  # noqa: S101
        with self._lock:
            out = self.pipeline.process(rgb, at)
        self._last_boxes = [f.box for f in out.faces]
        self.counters["frames"] += 1
        if out.request is not None:
            self.counters["requests"] += 1
            self.bus.publish(
                self.bus.topics.face_access_request(out.request.door_id), encode(out.request)
            )
        if out.faces or out.request is not None:
            self.bus.publish(
                self.bus.topics.face_result(self.config.camera),
                out.as_dict(self.config.camera, self.config.door),
            )

    def publish_preview(self, rgb: Any) -> None:
        data = images.jpeg(rgb, getattr(self, "_last_boxes", []))
        self.bus.publish(self.bus.topics.face_frame(self.config.camera), data, qos=0)

    def _refresh_gallery(self) -> None:
        sig = self.faces.signature()
        if sig != self._signature and self.pipeline is not None:
            self._signature = sig
            g = door_gallery(self.store, self.faces, self.config.door)
            with self._lock:
                self.pipeline.set_gallery(g)
            log.info("gallery reloaded: %d templates", len(g))

    # -- API for the manager console -------------------------------------------------------

    def api_enroll(self, params: dict[str, Any]) -> dict[str, Any]:
        raw = params.get("images")
        if not isinstance(raw, list) or not raw:
            raise InvalidInput("images must be a list of base64 JPEG photos")
        photos = [
            (f"image {i + 1}", _photo(params, f"image {i + 1}", v)) for i, v in enumerate(raw)
        ]
        consent_by = params.get("consent_by")
        if consent_by is not None and not isinstance(consent_by, str):
            raise InvalidInput("consent_by must be a name")
        by = params.get("by") or consent_by or "manager console"
        return self.enroller.enroll(_pid(params), photos, consent_by, str(by))

    def api_quality(self, params: dict[str, Any]) -> dict[str, Any]:
        data = _photo(params, "image", params.get("image"))
        return self.enroller.quality(data).as_dict()

    def api_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        by = str(params.get("by") or "manager console")
        pid = _pid(params)
        return {"person_id": pid, "deleted": self.faces.delete(pid, by)}
