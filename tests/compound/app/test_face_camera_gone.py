"""A camera unplugged for good does not restart the face service for the other doors.

``compound face run`` as systemd starts it (``NOTIFY_SOCKET``, ``WATCHDOG_USEC``) serves two
network cameras (ffmpeg serving MJPEG over HTTP), with the core on a real Mosquitto. The lobby
camera's server is killed: the service reports the camera gone by id in its status line and,
retained, on ``face/lobby-cam/state``; the core raises the officer's ``camera_gone`` alarm; and
the watchdog goes on being fed while the gate camera delivers. Then the gate camera's server is
killed too: with every camera gone the watchdog is not fed (so systemd restarts the service)
until the gate camera is back."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compound.app.wiring import build_core
from compound.config import Config
from compound.domain.clock import SystemClock
from compound.store.db import Store
from devkit import camera_streams, face_clips

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FPS = 8


class Notify:
    """The service's notification socket: every datagram, in order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.5)
        self.got: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                self.got.put(self.sock.recv(1000).decode())
            except TimeoutError:
                continue
            except OSError:
                return

    def until(self, want: Any, timeout: float = 90) -> str:
        """The first message from now on for which ``want(message)`` holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                m = self.got.get(timeout=0.5)
            except queue.Empty:
                continue
            self.seen.append(m)
            if want(m):
                return m
        raise AssertionError(f"not seen in {timeout} s; messages so far: {self.seen[-20:]}")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def cams(tmp_path: Path) -> Iterator[dict[str, Any]]:
    if not camera_streams.ffmpeg_available():
        pytest.skip("ffmpeg is not installed (./dev setup installs it)")
    clip = camera_streams.write_clip(face_clips.empty(FPS), tmp_path / "empty.rgb")
    made = {c: camera_streams.MjpegCamera(clip, FPS) for c in ("gate-cam", "lobby-cam")}
    try:
        for c in made.values():
            c.start()
        yield made
    finally:
        for c in made.values():
            c.stop()


def test_a_gone_camera_is_reported_and_the_others_served(
    tmp_path: Path, live_store: Store, mosquitto: Any, make_bus: Any, cams: dict[str, Any]
) -> None:
    store = live_store
    store.add_door("gate", "Gate", ["3"])
    store.add_door("lobby", "Lobby", ["3"])
    core_bus = make_bus(mosquitto.port, "core", start=False)
    core = build_core(store, core_bus, SystemClock(), Config())
    core.start()
    core_bus.start()
    cfg = tmp_path / "compound.toml"
    cfg.write_text(
        f'[site]\nid = "test"\n[broker]\nport = {mosquitto.port}\n'
        f'[store]\npath = "{store.path}"\nkey_dir = "{tmp_path / "keys"}"\n[face]\n'
        + "".join(
            f'[[face.cameras]]\nid = "{c}"\nsource = "{cam.url}"\ndoors = ["{c[:-4]}"]\n'
            f'fps = {FPS}\nchallenge = "never"\n'
            for c, cam in cams.items()
        )
    )
    notify = Notify(tmp_path / "notify")
    env = {
        **os.environ,
        "COMPOUND_CONFIG": str(cfg),
        "NOTIFY_SOCKET": str(notify.path),
        "WATCHDOG_USEC": "6000000",  # fed every 2 s; a camera is gone after 2 s without frames
    }
    env.pop("COMPOUND_DB", None)
    face = subprocess.Popen(
        [sys.executable, "-m", "compound.app.cli", "face", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    states = make_bus(mosquitto.port, "test-states", start=False)
    retained: dict[str, dict[str, Any]] = {}
    states.subscribe(
        core.topics.all("face/+/state"),
        lambda m: retained.update({m.topic.split("/")[-2]: json.loads(m.payload)}),
    )
    states.start()
    try:
        notify.until(lambda m: m == "STATUS=serving 2 of 2 cameras")
        cams["lobby-cam"].stop()  # unplugged for good
        notify.until(lambda m: m.startswith("STATUS=serving 1 of 2 cameras; gone: lobby-cam"))
        for _ in range(3):  # still fed, with the lobby camera gone
            notify.until(lambda m: m == "WATCHDOG=1")
        assert retained["lobby-cam"]["state"] == "gone", retained
        assert retained["lobby-cam"]["doors"] == ["lobby"]
        assert retained["gate-cam"]["state"] == "online"

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not store.alarms():
            time.sleep(0.1)
        alarms = [a for a in store.alarms() if a.kind == "camera_gone"]
        assert len(alarms) == 1 and "camera lobby-cam at lobby" in alarms[0].message, alarms

        # A later subscriber (a core restarting) still learns it: the state is retained.
        late = make_bus(mosquitto.port, "test-late", start=False)
        got: queue.Queue[bytes] = queue.Queue()
        late.subscribe(core.topics.face_state("lobby-cam"), lambda m: got.put(m.payload))
        late.start()
        assert json.loads(got.get(timeout=10))["state"] == "gone"

        # Every camera gone: not fed until the gate camera is back.
        cams["gate-cam"].stop()
        notify.until(lambda m: m.startswith("STATUS=serving 0 of 2 cameras"))
        gone_at = len(notify.seen)
        port = cams["gate-cam"].port
        cams["gate-cam"] = camera_streams.MjpegCamera(cams["gate-cam"].clip, FPS)
        cams["gate-cam"].port, cams["gate-cam"].url = port, f"http://127.0.0.1:{port}/"
        cams["gate-cam"].start()
        notify.until(lambda m: m.startswith("STATUS=serving 1 of 2 cameras"))
        back_at = len(notify.seen)
        assert "WATCHDOG=1" not in notify.seen[gone_at : back_at - 1], notify.seen
        notify.until(lambda m: m == "WATCHDOG=1")
        assert face.poll() is None, "the service kept running"
    finally:
        face.terminate()
        try:
            _, err = face.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            face.kill()
            _, err = face.communicate()
        notify.close()
        core.stop()
    assert "Traceback" not in err, err[-3000:]
    assert "camera lobby-cam gone" in err, err[-3000:]
