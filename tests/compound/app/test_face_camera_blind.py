"""A face camera that goes on delivering frames but sees nothing raises the officer's alarm.

``compound face run`` (with a short systemd watchdog, so that the hold times are short: 4 s
blind, 6 s frozen, 1 s back) reads a network camera serving MJPEG over HTTP, with the core on a
real Mosquitto. The camera serves black frames (its lens sprayed): the service reports it
``blind`` on the retained ``face/<camera>/state`` and the core raises one ``camera_blind``
alarm. The camera serves its scene again: the state is ``online`` and the alarm says the camera
came back. Then it serves the very same JPEG again and again (a frozen stream): ``frozen``,
and one ``camera_frozen`` alarm; still one ``camera_blind``. Every step waits for the event
it expects; the camera is a small HTTP server here, so that the test decides what it shows."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from compound.adapters import images
from compound.app.wiring import build_core
from compound.config import Config
from compound.domain.clock import SystemClock
from compound.domain.model import Alarm
from compound.store.db import Store
from devkit import face_clips

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FPS = 8
WAIT_S = 120.0  # dlib loads first; generous on a loaded machine, not a timing figure


def _jpegs(frames: list[np.ndarray]) -> list[bytes]:
    return [images.jpeg(f, width=640, quality=85) for f in frames]


class Camera:
    """MJPEG over HTTP at FPS frames a second, showing whatever ``show`` was last given."""

    def __init__(self) -> None:
        rng = np.random.default_rng(9)
        black = np.zeros((480, 640, 3), np.uint8)
        self.clips = {
            "black": _jpegs([face_clips.noisy(black, rng, 3) for _ in range(7)]),
            "scene": _jpegs(face_clips.empty(7)),
            "frozen": _jpegs(face_clips.empty(1, seed=11)),
        }
        self.clip = "black"
        self.stopped = threading.Event()
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server name
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                i = 0
                while not camera.stopped.is_set():
                    frames = camera.clips[camera.clip]
                    data = frames[i % len(frames)]
                    i += 1
                    head = f"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {len(data)}"
                    try:
                        self.wfile.write(head.encode() + b"\r\n\r\n" + data + b"\r\n")
                    except OSError:
                        return
                    camera.stopped.wait(1 / FPS)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def show(self, clip: str) -> None:
        self.clip = clip

    def stop(self) -> None:
        self.stopped.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def camera() -> Iterator[Camera]:
    cam = Camera()
    try:
        yield cam
    finally:
        cam.stop()


def test_a_sprayed_then_frozen_camera_raises_its_alarms_and_comes_back(
    tmp_path: Path, live_store: Store, mosquitto: Any, make_bus: Any, camera: Camera
) -> None:
    store = live_store
    store.add_door("lobby", "Lobby", ["3"])
    core_bus = make_bus(mosquitto.port, "core", start=False)
    core = build_core(store, core_bus, SystemClock(), Config())
    core.start()
    core_bus.start()
    cfg = tmp_path / "compound.toml"
    cfg.write_text(
        f'[site]\nid = "test"\n[broker]\nport = {mosquitto.port}\n'
        f'[store]\npath = "{store.path}"\nkey_dir = "{tmp_path / "keys"}"\n[face]\n'
        f'[[face.cameras]]\nid = "lobby-cam"\nsource = "{camera.url}"\ndoors = ["lobby"]\n'
        f'fps = {FPS}\nchallenge = "never"\n'
    )
    env = {**os.environ, "COMPOUND_CONFIG": str(cfg), "WATCHDOG_USEC": "6000000"}
    env.pop("COMPOUND_DB", None)
    env.pop("NOTIFY_SOCKET", None)
    face = subprocess.Popen(
        [sys.executable, "-m", "compound.app.cli", "face", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    states: queue.Queue[dict[str, Any]] = queue.Queue()
    watcher = make_bus(mosquitto.port, "test-states", start=False)
    watcher.subscribe(
        core.topics.face_state("lobby-cam"), lambda m: states.put(json.loads(m.payload))
    )
    watcher.start()

    def state(want: str) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            try:
                body = states.get(timeout=0.5)
            except queue.Empty:
                continue
            if body["state"] == want:
                return body
        raise AssertionError(f"the camera's state was never {want!r}")

    def alarm(ok: Any) -> Alarm:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            found = [a for a in store.alarms() if ok(a)]
            if found:
                return found[0]
            time.sleep(0.1)
        raise AssertionError(f"no such alarm; alarms: {store.alarms()}")

    try:
        blind = state("blind")
        assert blind["doors"] == ["lobby"] and blind["detail"].startswith("dark or uniform")
        raised = alarm(lambda a: a.kind == "camera_blind")
        assert raised.message.startswith("camera lobby-cam at lobby sees nothing"), raised
        assert raised.severity == "high" and raised.door_id == "lobby"

        camera.show("scene")  # the paint wiped off
        state("online")
        back = alarm(lambda a: a.kind == "camera_blind" and "; back online after" in a.message)
        assert back.id == raised.id and back.acknowledged_at is None

        camera.show("frozen")
        assert state("frozen")["detail"].startswith("the very same picture for")
        frozen = alarm(lambda a: a.kind == "camera_frozen")
        assert frozen.message.startswith("camera lobby-cam at lobby shows a frozen picture")
        # The states are read in order: the blind outage raised its one alarm only.
        assert [a.kind for a in store.alarms()] == ["camera_frozen", "camera_blind"]
        assert face.poll() is None, "the service kept running"
    finally:
        face.terminate()
        try:
            _, err = face.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            face.kill()
            _, err = face.communicate()
        core.stop()
    assert "Traceback" not in err, err[-3000:]
    assert "camera lobby-cam blind" in err, err[-3000:]
