"""The face service's enrolment side: the manager console's ``face.enroll``,
``face.quality`` and ``face.delete`` over the bus.

It has no camera. Every camera, the door panel's preview and every face access request are
``FaceCameras`` (services/face_cameras.py: motion gate, tracker, challenge); the one-camera
pipeline with blink-only liveness, which a slideshow of a resident's photos beat, opens no
door anywhere any more. ``compound face run`` runs both in one process, sharing one lock
around dlib (``lock``).
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
from collections import Counter
from typing import Any

from compound.adapters.mqtt import Bus
from compound.config import FaceConfig
from compound.domain.clock import Clock
from compound.domain.face.gallery import Gallery
from compound.domain.face.model import Recognizer
from compound.domain.model import InvalidInput
from compound.services.face_enrol import Enroller
from compound.store.db import Store
from compound.store.faces import FaceStore

log = logging.getLogger(__name__)

API_MAX_PAYLOAD = 8 * 1024 * 1024  # a few phone photos in base64


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
        recognizer: Recognizer,
    ) -> None:
        self.store = store
        self.bus = bus
        self.clock = clock
        self.config = config
        self.recognizer = recognizer
        self.faces = FaceStore(store)
        self._lock = threading.Lock()
        # dlib's models serve one thread at a time: the cameras' worker takes this lock too
        self.lock = self._lock
        self.enroller = Enroller(store, recognizer, self.faces, lock=self._lock)
        self.counters: Counter[str] = Counter()

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

    def stop(self) -> None:
        pass

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
