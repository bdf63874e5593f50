"""The site plan's viewmodel against an in-process gateway: the image is fetched once per
version, markers carry each door's shown state, a manager's placement is sent as fractions
and shown at once, and a plan file is checked and bounded before anything is sent."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from compound.domain.clock import ManualClock
from compound.domain.model import InvalidInput
from tests.ui.officer_wall import wall
from ui.gateway import LocalGateway
from ui.viewmodels.site_map import MAX_SENT, SiteMap, encode_plan


class FakePlans:
    def __init__(self) -> None:
        self.version = 0
        self.doors: dict[str, list[float]] = {}
        self.asked: list[dict[str, Any]] = []

    def api(self) -> dict[str, Any]:
        return {
            "siteplan.get": self.get,
            "siteplan.upload": self.upload,
            "siteplan.place": self.place,
            "siteplan.unplace": lambda p: self.doors.pop(p["door"]),
        }

    def get(self, p: dict[str, Any]) -> dict[str, Any]:
        self.asked.append(p)
        if not self.version:
            return {"plan": None, "doors": {}}
        out: dict[str, Any] = {"plan": {"version": self.version}, "doors": dict(self.doors)}
        if p.get("image") and p.get("version") != self.version:
            out["image"] = base64.b64encode(b"\xff\xd8plan%d" % self.version).decode()
        return out

    def upload(self, p: dict[str, Any]) -> dict[str, Any]:
        self.version += 1
        return {"version": self.version}

    def place(self, p: dict[str, Any]) -> dict[str, Any]:
        if p["door"] == "nope":
            raise InvalidInput("unknown door 'nope'")
        self.doors[p["door"]] = [p["x"], p["y"]]
        return p


def test_the_image_comes_once_per_version_and_markers_carry_states() -> None:
    plans = FakePlans()
    gw = LocalGateway(plans.api())
    m = SiteMap(gw, lambda: None)
    m.load()
    assert m.available and m.plan is None and m.image is None
    m.upload("aGk=")
    assert m.version == 1 and m.image == b"\xff\xd8plan1" and m.image_version == 1
    m.load()  # asked again (a door placed elsewhere): no new picture
    assert "image" not in gw.requests and m.image_version == 1
    m.selected = "b6-e1"
    assert m.place(0.25, 1.4)  # a tap beyond the edge lands on it
    assert plans.doors["b6-e1"] == [0.25, 1.0]
    assert [(k.door, k.state) for k in m.markers({"b6-e1": "forced"})] == [("b6-e1", "forced")]
    assert m.unplaced(["b6-e1", "gate"]) == ["gate"]
    m.selected = "nope"
    m.place(0.5, 0.5)
    assert "unknown door" in m.note and "nope" not in m.positions  # undone by the core's word
    m.selected = "b6-e1"
    assert m.unplace() and m.positions == {}


def test_the_wall_asks_again_when_the_core_logs_a_plan_change(clock: ManualClock) -> None:
    plans = FakePlans()
    vm, gw = wall(clock, plans.api())
    vm.map.load()
    plans.version = 1
    plans.doors = {"b6-e1": [0.5, 0.5]}
    gw.deliver("events/siteplan.updated", {"type": "siteplan.updated", "data": {}})
    assert vm.map.version == 1 and vm.map.positions == {"b6-e1": (0.5, 0.5)}
    assert vm.map_label("b6-e1") == "6-1" and vm.map_label("gate-south") == "South gate (main)"


def test_a_plan_without_the_method_says_not_available() -> None:
    m = SiteMap(LocalGateway({}), lambda: None)
    m.load()
    assert m.available is False


def write_png(path: Path, w: int, h: int, noise: int = 0) -> Path:
    """A grey picture with this much noise: a scan with detail, or none at all."""
    rng = np.random.default_rng(1)
    grey = np.full((h, w, 3), 180, dtype=np.int32)
    if noise:
        grey += rng.integers(-noise // 2, noise // 2, (h, w, 3))
    Image.fromarray(grey.clip(0, 255).astype(np.uint8)).save(path)
    return path


def test_a_plan_file_is_checked_and_bounded_before_it_is_sent(tmp_path: Path) -> None:
    big = encode_plan(write_png(tmp_path / "plan.png", 3000, 2000))
    jpeg = base64.b64decode(big)
    assert jpeg[:2] == b"\xff\xd8" and len(jpeg) <= MAX_SENT
    assert Image.open(io.BytesIO(jpeg)).size == (1600, 1067)
    # A detailed scan (over the limit at quality 85, within it at 75) is sent at a lower quality.
    detailed = base64.b64decode(encode_plan(write_png(tmp_path / "scan.png", 1600, 1100, 120)))
    assert 500_000 < len(detailed) <= MAX_SENT
    with pytest.raises(InvalidInput, match="too much detail"):
        encode_plan(write_png(tmp_path / "noise.png", 1600, 1600, 255))
    for name, message in (("plan.gif", "PNG or JPEG"), ("missing.png", "No such file")):
        with pytest.raises(InvalidInput, match=message):
            encode_plan(tmp_path / name)
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    with pytest.raises(InvalidInput, match="damaged|not an image"):
        encode_plan(tmp_path / "broken.png")
