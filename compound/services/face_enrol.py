"""Enrolment by a property manager: photos in, quality verdicts and encrypted templates out.

Order matters: the person must exist, live here and hold a card, PIN or pass; consent must be
given (now, with ``consent_by``, or earlier) before any photo is even analysed; then each photo
passes the quality gate or is rejected with its reason; then consent and templates are written
in one transaction, consent first. A refused enrolment changes nothing. Photos are only
read in memory: nothing but the encrypted templates is kept.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from compound.adapters import images
from compound.domain.face import quality
from compound.domain.face.model import Box, Recognizer
from compound.domain.model import InvalidInput
from compound.store.db import Store
from compound.store.faces import FaceStore, require_other_credential

MAX_IMAGES = 20


@dataclass(frozen=True)
class ImageVerdict:
    name: str
    accepted: bool
    reason: str
    box: Box | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "image": self.name,
            "accepted": self.accepted,
            "reason": self.reason,
            "box": self.box.as_dict() if self.box else None,
        }


class Enroller:
    def __init__(
        self,
        store: Store,
        recognizer: Recognizer,
        faces: FaceStore | None = None,
        rules: quality.QualityRules | None = None,
        lock: threading.Lock | None = None,
    ) -> None:
        self.store = store
        self.recognizer = recognizer
        self.faces = faces or FaceStore(store)
        self.rules = rules or quality.QualityRules()
        self._lock = lock or threading.Lock()

    def quality(self, data: bytes, name: str = "image") -> quality.Quality:
        """Live feedback for the console's camera view: would this frame be accepted?"""
        rgb = images.decode(data, what=name)
        with self._lock:
            boxes = self.recognizer.detect(rgb)
        return quality.check(rgb, boxes, self.rules)

    def enroll(
        self,
        person_id: int,
        photos: list[tuple[str, bytes]],
        consent_by: str | None,
        by: str,
    ) -> dict[str, Any]:
        if not photos:
            raise InvalidInput("give at least one photo of the face")
        if len(photos) > MAX_IMAGES:
            raise InvalidInput(f"at most {MAX_IMAGES} photos at a time")
        person = self.store.person(person_id)
        if not person.active:
            raise InvalidInput(f"person {person_id} has moved out")
        require_other_credential(self.store, person_id)
        if consent_by is not None and not consent_by.strip():
            raise InvalidInput("say who recorded the consent (--consent-by NAME)")
        if consent_by is None and self.faces.consent(person_id) is None:
            raise InvalidInput(
                f"no face consent recorded for person {person_id}: the resident must consent "
                "to face recognition first; record who took it with --consent-by NAME"
            )
        verdicts: list[ImageVerdict] = []
        accepted: list[np.ndarray] = []
        for name, data in photos:
            try:
                rgb = images.decode(data, what=name)
            except InvalidInput as e:
                verdicts.append(ImageVerdict(name, False, str(e)))
                continue
            with self._lock:
                boxes = self.recognizer.detect(rgb)
                q = quality.check(rgb, boxes, self.rules)
                found = self.recognizer.analyse(rgb, [q.box]) if q.ok and q.box else []
            if not q.ok or not found:
                verdicts.append(ImageVerdict(name, False, q.reason, q.box))
                continue
            verdicts.append(ImageVerdict(name, True, "ok", q.box))
            accepted.append(found[0].encoding)
        total = self.faces.count(person_id)
        if accepted:
            with self.store.transaction():
                if consent_by is not None:
                    self.faces.record_consent(person_id, consent_by)
                total = self.faces.add(person_id, accepted, by)
        return {
            "person_id": person_id,
            "accepted": len(accepted),
            "rejected": len(verdicts) - len(accepted),
            "templates": total,
            "images": [v.as_dict() for v in verdicts],
        }
