"""The face service on real network cameras: MJPEG over HTTP from ffmpeg and H.264 over RTSP
from GStreamer's rtsp-server, on loopback, with the core on a real Mosquitto.

Three cameras on one service: the gate camera shows a resident (a continuous clip made from
his held-out photos) after an empty stretch, the building camera a stranger, the third an
empty entrance. The resident's face gives a face request for the gate camera's door and the
core's signed unlock; the stranger gives none (the core logs the anonymous stranger id, the
fence that the service did look at him); the empty entrance costs one detector call for its
first frame and none after, while its frames keep coming; when it drops, it is reopened on its
own while the others go on. The gate camera's door has its own
IR terminal in this configuration (challenge "never"): a looped clip cannot answer a random
challenge, which the slideshow tests show."""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compound.adapters.camera import open_source
from compound.adapters.mqtt import Message
from compound.adapters.recognizer import DlibRecognizer
from compound.app.wiring import build_core
from compound.camera_config import CameraWiring
from compound.config import Config, FaceConfig
from compound.domain.clock import SystemClock
from compound.services.face_cameras import CameraSpec, FaceCameras
from compound.services.face_enrol import Enroller
from compound.store.db import Store
from devkit import camera_streams, face_clips
from tests.compound.face.conftest import ENROL_PHOTOS, STRANGER, add_resident

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RESIDENT = "John_Schneider"
FRONT, NARROW = 10, 8  # held-out photos: open eyes, nearly closed (see test_watch.py)
FPS = 8


def _clip(tmp: Path, name: str, frames: list[Any]) -> Path:
    return camera_streams.write_clip(frames, tmp / f"{name}.rgb")


@pytest.fixture
def cameras(tmp_path: Path, johns: dict[str, list[Path]]) -> Iterator[dict[str, Any]]:
    if not camera_streams.ffmpeg_available():
        pytest.skip("ffmpeg is not installed (./dev setup installs it)")
    if not camera_streams.rtsp_available():
        pytest.skip("GStreamer rtsp-server is not installed (./dev setup installs it)")
    res = face_clips.load(johns[RESIDENT])
    stranger = face_clips.load(johns[STRANGER][:3])
    empty = face_clips.empty(2 * FPS)
    resident_clip = empty + face_clips.crossfade([res[FRONT], res[NARROW], res[FRONT]])
    stranger_clip = empty + face_clips.crossfade(stranger)
    cams = {
        "gate-cam": camera_streams.MjpegCamera(_clip(tmp_path, "r", resident_clip), FPS),
        "b3-cam": camera_streams.RtspCamera(_clip(tmp_path, "s", stranger_clip), FPS),
        "yard-cam": camera_streams.MjpegCamera(_clip(tmp_path, "e", face_clips.empty(FPS)), FPS),
    }
    try:
        for c in cams.values():
            c.start()
        yield cams
    finally:
        for c in cams.values():
            c.stop()


def _collect(make_bus: Any, port: int, topic: str) -> queue.Queue[Message]:
    q: queue.Queue[Message] = queue.Queue()
    bus = make_bus(port, f"watch-{abs(hash(topic)) % 10_000}", start=False)
    bus.subscribe(topic, q.put)
    bus.start()
    return q


def _until(cond: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return bool(cond())


def test_three_network_cameras_on_one_service(
    live_store: Store,
    mosquitto: Any,
    make_bus: Any,
    johns: dict[str, list[Path]],
    cameras: dict[str, Any],
) -> None:
    store = live_store
    store.add_door("gate", "Gate", ["3"])
    store.add_door("b3-e2", "Building 3", ["3-2"])
    store.add_door("yard", "Yard", ["3"])
    recognizer = DlibRecognizer()
    pid = add_resident(store, "Schneider")
    photos = [(p.name, p.read_bytes()) for p in johns[RESIDENT][:ENROL_PHOTOS]]
    assert Enroller(store, recognizer).enroll(pid, photos, "Li", "Li")["accepted"] >= 3

    core_bus = make_bus(mosquitto.port, "core", start=False)
    core = build_core(store, core_bus, SystemClock(), Config())
    core.start()
    core_bus.start()
    t = core.topics
    cmds = _collect(make_bus, mosquitto.port, t.door_cmd("gate"))
    gate_requests = _collect(make_bus, mosquitto.port, t.face_access_request("gate"))
    b3_requests = _collect(make_bus, mosquitto.port, t.face_access_request("b3-e2"))

    clock = SystemClock()
    wiring = {
        "gate-cam": CameraWiring("gate-cam", cameras["gate-cam"].url, ["gate"], FPS, "never"),
        "b3-cam": CameraWiring("b3-cam", cameras["b3-cam"].url, ["b3-e2"], FPS, "never"),
        "yard-cam": CameraWiring("yard-cam", cameras["yard-cam"].url, ["yard"], FPS, "never"),
    }
    specs = [CameraSpec(w, open_source(w.source, clock.now)) for w in wiring.values()]
    face_bus = make_bus(mosquitto.port, "face", start=False)
    cfg = FaceConfig(preview_fps=0.0)
    service = FaceCameras(store, face_bus, clock, cfg, specs, recognizer)
    service.start()
    face_bus.start()
    try:
        cmd = cmds.get(timeout=60)
        body = json.loads(cmd.payload)
        assert body["action"] == "unlock" and body["reason"] == "face access"
        req = json.loads(gate_requests.get(timeout=5).payload)
        assert req["kind"] == "face" and req["value"] == str(pid)
        assert req["source"] == "face:gate-cam"
        # The stranger was looked at and named by an anonymous id, never requested.
        assert _until(lambda: store.events(types=["face.unknown"]), 60)
        unknown = store.events(types=["face.unknown"])
        assert {e.data["camera"] for e in unknown} == {"b3-cam"}
        assert b3_requests.empty()
        # The empty entrance keeps delivering frames, and the detector does not run on them.
        yard = service.feeds["yard-cam"]
        kept = yard.counters["kept"]
        assert _until(lambda: yard.counters["kept"] >= kept + 3 * FPS, 60)
        # The yard camera drops and comes back: reopened on its own, the others unaffected.
        gate_feed = service.feeds["gate-cam"]
        cameras["yard-cam"].stop()
        assert _until(lambda: yard.counters["camera.lost"] >= 1, 60)
        during, dropped = gate_feed.counters["kept"], yard.counters["kept"]
        cameras["yard-cam"].start()
        assert _until(lambda: yard.counters["kept"] > dropped + FPS and yard.ok, 60)
        assert gate_feed.counters["kept"] > during
    finally:
        service.stop()
        core.stop()
    assert yard.watch.counters["detect"] <= 1
    # MJPEG: the idle yard's frames are glanced at a quarter size, hardly ever decoded in full.
    assert yard.counters["decoded"] <= 3 and yard.counters["kept"] >= 4 * FPS
    assert service.feeds["gate-cam"].watch.counters["detect"] >= 3
    # one continuous face: encoded once per visit (a loop of the clip is a new visit)
    gate = service.feeds["gate-cam"].watch.counters
    assert gate["encode"] <= gate["detect"] // 3
    granted = store.events(types=["access.granted"], person_id=pid)
    assert granted and granted[0].door_id == "gate" and granted[0].data["kind"] == "face"


def test_mjpeg_frames_are_glanced_small_and_decoded_in_full_on_demand(
    tmp_path: Path, johns: dict[str, list[Path]]
) -> None:
    """The MJPEG reader's quarter-size grey copy is the same picture as the full frame (what
    the motion gate sees), and a skipped frame costs no decoding."""
    from compound.adapters.camera import MjpegSource
    from compound.domain.face.motion import small_grey

    if not camera_streams.ffmpeg_available():
        pytest.skip("ffmpeg is not installed (./dev setup installs it)")
    res = face_clips.load(johns[RESIDENT][:1])
    clip = _clip(tmp_path, "m", face_clips.slideshow(res, hold=FPS))
    cam = camera_streams.MjpegCamera(clip, FPS).start()
    src = MjpegSource(cam.url, time.time)
    try:
        assert _until(lambda: _opens(src), 30)
        src.skip()
        g = src.glance()
        assert g.grey.shape == (120, 160) and g.grey.ndim == 2
        full = g.full()
        assert full.rgb.shape == (480, 640, 3)
        a, b = small_grey(g.grey, 80), small_grey(full.rgb, 80)
        assert a.shape == b.shape and float(abs(a - b).mean()) < 6.0
    finally:
        src.close()
        cam.stop()


def _opens(src: Any) -> bool:
    from compound.adapters.camera import CameraError

    try:
        src.open()
        return True
    except CameraError:
        return False
