"""Real network cameras on loopback for the face tests and benchmarks, from Debian packages.

- ``MjpegCamera``: ffmpeg serving MJPEG over HTTP (``-f mpjpeg -listen 1``), as cheap IP
  cameras and many NVRs do; one client at a time, which is all a face service needs.
- ``RtspCamera``: GStreamer's rtsp-server (``devkit/rtsp_serve.py`` run by the system Python)
  serving H.264 over RTSP, as most IP cameras do.

Both play a clip of raw RGB frames (``write_clip``) in a loop, in real time.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from compound.adapters.broker import free_port

SYSTEM_PYTHON = "/usr/bin/python3"
RTSP_SCRIPT = Path(__file__).with_name("rtsp_serve.py")


def write_clip(frames: Sequence[np.ndarray], path: Path) -> Path:
    with open(path, "wb") as f:
        for fr in frames:
            f.write(np.ascontiguousarray(fr, dtype=np.uint8).tobytes())
    return path


def ffmpeg_available() -> bool:
    return shutil.which("ffmpeg") is not None


def rtsp_available() -> bool:
    """GStreamer's rtsp-server and x264 with the system Python's gi bindings."""
    inspect = shutil.which("gst-inspect-1.0")
    if not Path(SYSTEM_PYTHON).exists() or inspect is None:
        return False
    probe = (
        "import gi; gi.require_version('GstRtspServer', '1.0'); "
        "from gi.repository import GstRtspServer"
    )
    ok = subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True).returncode == 0
    x264 = subprocess.run([inspect, "x264enc"], capture_output=True).returncode == 0
    return ok and x264


class _Camera:
    url = ""
    proc: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def __enter__(self) -> _Camera:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class MjpegCamera(_Camera):
    def __init__(self, clip: Path, fps: int = 8, size: tuple[int, int] = (640, 480)) -> None:
        self.clip, self.fps, self.size = clip, fps, size
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"

    def start(self) -> MjpegCamera:
        w, h = self.size
        ffmpeg = shutil.which("ffmpeg") or "ffmpeg"
        # ffmpeg opens the output (waits for the client) before it reads the clip, so the
        # stream starts when the face service connects.
        self.proc = subprocess.Popen(
            [ffmpeg, "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1"]
            + ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", str(self.fps)]
            + ["-i", str(self.clip), "-f", "mpjpeg", "-q:v", "5", "-listen", "1", self.url],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.2)  # let it bind; a camera that is not up yet is retried anyway
        return self


class RtspCamera(_Camera):
    def __init__(self, clip: Path, fps: int = 8, size: tuple[int, int] = (640, 480)) -> None:
        self.clip, self.fps, self.size = clip, fps, size
        self.port = free_port()
        self.url = f"rtsp://127.0.0.1:{self.port}/cam"

    def start(self, timeout: float = 30.0) -> RtspCamera:
        w, h = self.size
        self.proc = subprocess.Popen(
            [SYSTEM_PYTHON, str(RTSP_SCRIPT), str(self.clip), str(self.port), str(self.fps)]
            + [str(w), str(h)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self.proc.stdout is not None  # noqa: S101 - piped above
        line = self.proc.stdout.readline()  # "ready", or nothing when it died
        if b"ready" not in line:
            self.stop()
            raise RuntimeError("the RTSP camera did not start (gstreamer rtsp-server, x264)")
        return self
