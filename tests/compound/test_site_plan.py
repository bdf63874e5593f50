"""The site plan as the core keeps it: uploads are checked (PNG or JPEG, bounded, decoded
before anything is stored) and re-encoded; door positions are fractions of the plan, survive
a new image, and each change is logged with the broker user who made it."""

from __future__ import annotations

import base64
import io
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from PIL import Image

from compound.config import Config
from compound.domain.clock import ManualClock
from compound.domain.model import InvalidInput
from compound.ports import ACTOR
from compound.services.site_plan_api import MAX_IMAGE, SitePlanApi
from compound.store.db import Store


def png(w: int, h: int) -> bytes:
    rgb = np.zeros((h, w, 3), dtype=np.uint8)
    rgb[:, : w // 2] = (30, 120, 200)
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "PNG")
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def api(store: Store, clock: ManualClock) -> SitePlanApi:
    store.add_door("b1-e1", "Building 1 entrance 1", ["1-1"])
    store.add_door("gate", "Main gate", ["*"])
    core: Any = SimpleNamespace(store=store, clock=clock, config=Config())
    return SitePlanApi(core)


def test_upload_place_and_read_back(api: SitePlanApi, store: Store) -> None:
    assert api.get({}) == {"plan": None, "doors": {}}
    with pytest.raises(InvalidInput, match="upload the site plan"):
        api.place({"door": "gate", "x": 0.5, "y": 0.5})
    got = api.upload({"image": b64(png(3200, 2000)), ACTOR: "mgr1"})
    assert (got["version"], got["width"], got["height"]) == (1, 1600, 1000)
    api.place({"door": "gate", "x": 0.25, "y": 0.75, ACTOR: "mgr1"})
    api.place({"door": "gate", "x": 0.3, "y": 0.7, ACTOR: "mgr1"})  # moved
    api.place({"door": "b1-e1", "x": 0, "y": 1, ACTOR: "mgr1"})
    first = api.get({"image": True})
    assert first["doors"] == {"gate": [0.3, 0.7], "b1-e1": [0.0, 1.0]}
    image = base64.b64decode(first["image"])
    assert image[:3] == b"\xff\xd8\xff" and len(image) <= MAX_IMAGE  # kept as a JPEG
    assert Image.open(io.BytesIO(image)).size == (1600, 1000)
    # Asked again with the version it has: the positions, not the picture again.
    assert "image" not in api.get({"image": True, "version": 1})
    # A new image keeps the positions.
    assert api.upload({"image": b64(png(800, 500)), ACTOR: "mgr2"})["version"] == 2
    assert api.get({})["doors"]["gate"] == [0.3, 0.7]
    api.unplace({"door": "gate", ACTOR: "mgr1"})
    assert "gate" not in api.get({})["doors"]
    logged = store.query("SELECT type, data FROM events WHERE type LIKE 'siteplan.%'")
    assert [r["type"] for r in logged].count("siteplan.updated") == 2
    assert all('"by":"mgr' in r["data"] for r in logged)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ("", "PNG or JPEG"),
        ("not base64!", "not valid base64"),
        (b64(b"GIF89a" + b"\0" * 100), "must be a PNG or JPEG"),
        (b64(png(200, 100)[:-40]), "damaged or truncated"),
        ("A" * (MAX_IMAGE * 2), "larger than"),
    ],
)
def test_bad_uploads_are_refused_and_change_nothing(
    api: SitePlanApi, image: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        api.upload({"image": image})
    assert api.get({})["plan"] is None


def test_bad_positions_are_refused(api: SitePlanApi) -> None:
    api.upload({"image": b64(png(400, 300))})
    for params, message in (
        ({"door": "gate", "x": 1.5, "y": 0.5}, "between 0 and 1"),
        ({"door": "gate", "x": "left", "y": 0.5}, "must be numbers"),
        ({"door": "nope", "x": 0.5, "y": 0.5}, "unknown door"),
    ):
        with pytest.raises(InvalidInput, match=message):
            api.place(params)
    with pytest.raises(InvalidInput, match="not on the plan"):
        api.unplace({"door": "gate"})
    assert api.get({})["doors"] == {}
