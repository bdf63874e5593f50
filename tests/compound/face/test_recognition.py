"""Real dlib on the real photos: enrol four people, recognise held-out photos, refuse the
fifth person, refuse a still photo, and turn bad photos into reasons."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from compound.adapters import images
from compound.domain.face.gallery import MatchRules
from compound.domain.face.pipeline import Pipeline
from compound.domain.model import InvalidInput
from compound.services.face_enrol import Enroller
from compound.store.db import Store
from compound.store.faces import FaceStore
from tests.compound.face.conftest import ENROL_PHOTOS, STRANGER, CachingRecognizer, add_resident

pytestmark = pytest.mark.integration


def _rgb(path: Path) -> np.ndarray:
    return images.decode(path.read_bytes())


def test_held_out_photos_identify_the_right_person_and_the_stranger_nobody(
    store: Store,
    enrolled: dict[str, int],
    recognizer: CachingRecognizer,
    johns: dict[str, list[Path]],
) -> None:
    """The whole point: an enrolled resident is recognised on photos never enrolled, and a
    person who is not enrolled is never taken for one of them."""
    gallery = FaceStore(store).gallery()
    rules = MatchRules()
    right = total = 0
    for name, pid in enrolled.items():
        for p in johns[name][ENROL_PHOTOS:]:
            (face,) = recognizer.analyse(_rgb(p))
            got = rules.accept(gallery.search(face.encoding))
            assert got in (pid, None), f"{p.name} taken for person {got}"
            right += got == pid
            total += 1
    assert right / total >= 0.9
    for p in johns[STRANGER]:
        (face,) = recognizer.analyse(_rgb(p))
        assert rules.accept(gallery.search(face.encoding)) is None


def _clip(paths: list[Path]) -> list[np.ndarray]:
    return [_rgb(p) for p in paths]


def test_still_photo_replayed_is_refused_but_a_moving_blinking_clip_opens(
    store: Store,
    enrolled: dict[str, int],
    recognizer: CachingRecognizer,
    johns: dict[str, list[Path]],
) -> None:
    """A printed photo held up (one frame over and over) is recognised but never unlocks;
    a sequence with movement and an eye closure does produce a request."""
    pid = enrolled["John_Shimkus"]
    pipe = Pipeline(
        recognizer, FaceStore(store).gallery(), door_id="b3-e2", camera_id="cam1", agree_frames=3
    )
    still = _rgb(johns["John_Shimkus"][0])
    outs = [pipe.process(still, i * 0.125) for i in range(40)]
    assert all(o.request is None for o in outs)
    assert outs[-1].faces[0].person_id == pid
    assert outs[-1].live is not None and outs[-1].live.reason == "perfectly still"

    # A clip: different photos of the same person, the one with the narrowest eyes in the middle.
    from compound.domain.face.liveness import ear

    frames = _clip(johns["John_Shimkus"][: ENROL_PHOTOS + 3])
    ears = [ear(recognizer.analyse(f)[0].landmarks) for f in frames]
    order = sorted(range(len(frames)), key=lambda i: -ears[i])
    low = min(range(len(frames)), key=lambda i: ears[i])
    order.remove(low)
    order.insert(len(order) // 2, low)
    requests = []
    for k, i in enumerate(order):
        out = pipe.process(frames[i], 10 + k * 0.125)
        if out.request:
            requests.append(out.request)
    assert len(requests) == 1
    assert requests[0].kind == "face" and requests[0].value == str(pid)
    assert requests[0].door_id == "b3-e2" and requests[0].score is not None


def _grid(paths: list[Path], cols: int) -> bytes:
    tiles = [Image.open(p).convert("RGB").resize((150, 150)) for p in paths]
    rows = (len(tiles) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * 150, rows * 150))
    for i, t in enumerate(tiles):
        sheet.paste(t, ((i % cols) * 150, (i // cols) * 150))
    out = io.BytesIO()
    sheet.save(out, "JPEG", quality=92)
    return out.getvalue()


def test_enrolment_quality_gate_on_real_photos(
    store: Store, recognizer: CachingRecognizer, johns: dict[str, list[Path]]
) -> None:
    """Twenty faces, no face, a tiny face and a non-image each come back with a reason, and
    only the good photo becomes a template."""
    pid = add_resident(store, "Simm")
    twenty = _grid([p for ps in johns.values() for p in ps][:20], cols=5)
    blank = io.BytesIO()
    Image.new("RGB", (300, 300), (120, 120, 120)).save(blank, "JPEG")
    tiny = io.BytesIO()
    Image.open(johns[STRANGER][0]).resize((60, 60)).save(tiny, "JPEG")
    good = johns[STRANGER][0].read_bytes()
    r = Enroller(store, recognizer).enroll(
        pid,
        [
            ("twenty", twenty),
            ("blank", blank.getvalue()),
            ("tiny", tiny.getvalue()),
            ("text", b"hello"),
            ("good", good),
        ],
        "manager Li",
        "manager Li",
    )
    reasons = {i["image"]: i["reason"] for i in r["images"]}
    assert "20 faces" in reasons["twenty"]
    assert "no face" in reasons["blank"]
    assert "no face" in reasons["tiny"] or "too small" in reasons["tiny"]
    assert "not an image" in reasons["text"]
    assert reasons["good"] == "ok"
    assert r["accepted"] == 1 and r["templates"] == 1


def test_enrolment_without_consent_analyses_nothing(
    store: Store, recognizer: CachingRecognizer, johns: dict[str, list[Path]]
) -> None:
    """Consent comes before the photo is even looked at."""
    pid = add_resident(store, "Simm")
    before = recognizer.calls
    with pytest.raises(InvalidInput, match="consent"):
        Enroller(store, recognizer).enroll(pid, [("a", johns[STRANGER][1].read_bytes())], None, "x")
    assert recognizer.calls == before
    assert FaceStore(store).count(pid) == 0
