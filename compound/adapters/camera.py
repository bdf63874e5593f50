"""Camera sources: the one module that imports OpenCV.

``open_source`` understands ``/dev/video0`` or ``0`` (V4L2), ``rtsp://...`` (IP cameras,
through OpenCV), ``http://...`` (MJPEG over HTTP, read here: each frame is a JPEG of its own,
so a frame that is skipped is not decoded at all, and one that is only glanced at for motion
is decoded at a quarter of its size in grey, ``IMREAD_REDUCED_GRAYSCALE_4``, about a tenth of
the full decode's cost) and ``replay:PATH`` (a photo, or a folder of photos played in name
order; for the demo and the tests). A source yields RGB frames with their capture time, or raises
``CameraError`` when the camera is gone; the face service reports that and opens it again.
"""

from __future__ import annotations

import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from compound.adapters import images
from compound.domain.model import InvalidInput

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


class CameraError(RuntimeError):
    """The camera cannot be opened or stopped delivering frames; the message says which."""


@dataclass(frozen=True, eq=False)
class Frame:
    rgb: np.ndarray
    at: float  # capture time, seconds (the service's clock)
    seq: int


class Source(Protocol):
    name: str
    # a live stream runs at its own pace and must be drained; a replay is read when wanted
    live: bool

    def open(self) -> None: ...

    def skip(self) -> None:
        """Take the next frame off the stream without converting it (frames not looked at)."""
        ...

    def read(self) -> Frame | None:
        """The next frame; None when a finite source has ended; ``CameraError`` when lost."""
        ...

    def close(self) -> None: ...


class CaptureSource:
    """A V4L2 device or a network stream through OpenCV."""

    live = True

    def __init__(
        self,
        spec: str,
        now: Callable[[], float],
        width: int = 640,
        height: int = 480,
        read_failures: int = 10,
    ) -> None:
        self.name = spec
        self._spec: int | str = int(spec) if spec.isdigit() else spec
        self._now = now
        self._size = (width, height)
        self._cap: cv2.VideoCapture | None = None
        self._seq = 0
        self._failures = 0
        self._max_failures = read_failures

    def open(self) -> None:
        self.close()
        if isinstance(self._spec, str) and self._spec.startswith("rtsp"):
            # TCP keeps a lossy link from smearing frames; keep the wait on a dead camera short.
            os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")
        cap = cv2.VideoCapture(self._spec)
        if not cap.isOpened():
            cap.release()
            raise CameraError(f"camera {self.name} cannot be opened")
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self._size[0])
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self._size[1])
        # Only the newest frame matters at a door; a queue of old frames is latency.
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._cap = cap
        self._failures = 0

    def read(self) -> Frame | None:
        if self._cap is None:
            raise CameraError(f"camera {self.name} is not open")
        ok, bgr = self._cap.read()
        if not ok or bgr is None:
            self._failures += 1
            if self._failures >= self._max_failures:
                self.close()
                raise CameraError(f"camera {self.name} stopped delivering frames")
            time.sleep(0.05)
            return self.read()
        self._failures = 0
        self._seq += 1
        return Frame(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), self._now(), self._seq)

    def skip(self) -> None:
        if self._cap is None:
            raise CameraError(f"camera {self.name} is not open")
        # grab() still decodes (a stream's later frames depend on it) but skips the colour
        # conversion and the copy.
        if self._cap.grab():
            self._failures = 0
            return
        self._failures += 1
        if self._failures >= self._max_failures:
            self.close()
            raise CameraError(f"camera {self.name} stopped delivering frames")
        time.sleep(0.05)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def glance_jpeg(data: bytes) -> np.ndarray | None:
    """A grey copy at a quarter of the JPEG's width and height, decoded at that size (the
    decoder skips most of the work); None when the bytes are not a JPEG."""
    buf = np.frombuffer(data, dtype=np.uint8)
    return cv2.imdecode(buf, cv2.IMREAD_REDUCED_GRAYSCALE_4) if buf.size else None


def decode_jpeg(data: bytes) -> np.ndarray | None:
    """The full RGB frame of a JPEG; None when the bytes are not a JPEG."""
    buf = np.frombuffer(data, dtype=np.uint8)
    bgr = cv2.imdecode(buf, cv2.IMREAD_COLOR) if buf.size else None
    return None if bgr is None else cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


class Glance:
    """One camera frame as first seen: a small grey copy for the motion gate, and the full
    decode only when someone asks for it."""

    __slots__ = ("_data", "_frame", "at", "grey", "seq")

    def __init__(self, data: bytes, grey: np.ndarray, at: float, seq: int) -> None:
        self._data, self.grey, self.at, self.seq = data, grey, at, seq
        self._frame: Frame | None = None

    def full(self) -> Frame:
        if self._frame is None:
            rgb = decode_jpeg(self._data)
            if rgb is None:
                raise CameraError("a camera frame is not a JPEG")
            self._frame = Frame(rgb, self.at, self.seq)
        return self._frame


class MjpegSource:
    """MJPEG over HTTP (``multipart/x-mixed-replace``), as cheap IP cameras and NVRs serve it.

    Read here rather than through OpenCV's FFmpeg reader, which decodes every frame in full:
    ``skip`` reads a frame's bytes only, ``glance`` decodes it at a quarter size in grey for the
    motion gate, and ``Glance.full`` decodes it in full when the gate or a followed face wants
    it. Parts are cut by their Content-Length, or at the JPEG end marker when there is none.
    """

    live = True
    MAX_FRAME = 8 * 1024 * 1024

    def __init__(self, url: str, now: Callable[[], float], timeout: float = 5.0) -> None:
        self.name = url
        self._url = url
        self._now = now
        self._timeout = timeout
        self._resp: Any = None
        self._seq = 0

    def open(self) -> None:
        self.close()
        try:
            self._resp = urllib.request.urlopen(self._url, timeout=self._timeout)  # noqa: S310
        except (OSError, ValueError) as e:
            raise CameraError(f"camera {self.name} cannot be opened: {e}") from None

    def _lost(self, why: str) -> CameraError:
        self.close()
        return CameraError(f"camera {self.name} stopped delivering frames ({why})")

    def _part(self) -> bytes:
        """The next frame's JPEG bytes."""
        if self._resp is None:
            raise CameraError(f"camera {self.name} is not open")
        try:
            length = None
            for _ in range(64):  # boundary and part headers
                line = self._resp.readline(1024)
                if not line:
                    raise self._lost("stream ended")
                text = line.strip().lower()
                if text.startswith(b"content-length:"):
                    length = int(text.split(b":", 1)[1])
                elif not text and length is not None:
                    break
                elif text.startswith(b"\xff\xd8"):  # no headers: the JPEG itself
                    return self._until_eoi(line)
            else:
                raise self._lost("no frame in the stream")
            if not 0 < length <= self.MAX_FRAME:
                raise self._lost(f"frame of {length} bytes")
            data = self._resp.read(length)
        except (OSError, ValueError) as e:
            raise self._lost(str(e)) from None
        if len(data) < length:
            raise self._lost("stream ended")
        self._seq += 1
        return bytes(data)

    def _until_eoi(self, start: bytes) -> bytes:
        buf = bytearray(start)
        while b"\xff\xd9" not in buf[-4096:]:
            chunk = self._resp.readline(65536)
            if not chunk or len(buf) > self.MAX_FRAME:
                raise self._lost("stream ended")
            buf += chunk
        self._seq += 1
        return bytes(buf[: buf.rindex(b"\xff\xd9") + 2])

    def glance(self) -> Glance:
        data = self._part()
        grey = glance_jpeg(data)
        if grey is None:
            raise self._lost("a frame is not a JPEG")
        return Glance(data, grey, self._now(), self._seq)

    def read(self) -> Frame | None:
        return self.glance().full()

    def skip(self) -> None:
        self._part()

    def close(self) -> None:
        if self._resp is not None:
            try:
                self._resp.close()
            except OSError:
                pass
            self._resp = None


class ReplaySource:
    """Photos from disk played as a camera: one file, a list, or a folder in name order.

    ``repeat`` shows each photo for that many frames (a held-up still photo is one photo
    repeated); ``loop`` starts over at the end.
    """

    live = False

    def __init__(
        self,
        paths: list[Path],
        now: Callable[[], float],
        *,
        repeat: int = 1,
        loop: bool = False,
        name: str = "replay",
    ) -> None:
        self.name = name
        self._now = now
        self._paths = list(paths)
        self._repeat = max(1, repeat)
        self._loop = loop
        self._frames: list[np.ndarray] = []
        self._root: Path | None = None
        self._i = 0
        self._seq = 0

    @classmethod
    def from_path(cls, path: str | Path, now: Callable[[], float], **kw: object) -> ReplaySource:
        """A photo or a folder, looked at each time the source is opened (it may appear later,
        as a camera that is plugged in)."""
        src = cls([], now, name=f"replay:{path}", **kw)  # type: ignore[arg-type]
        src._root = Path(path)
        return src

    def _files(self) -> list[Path]:
        if self._root is None:
            return self._paths
        if self._root.is_dir():
            return sorted(f for f in self._root.iterdir() if f.suffix.lower() in PHOTO_SUFFIXES)
        if self._root.exists():
            return [self._root]
        raise CameraError(f"{self.name}: {self._root} not found")

    def open(self) -> None:
        frames = []
        for p in self._files():
            try:
                data = p.read_bytes()
            except OSError as e:
                raise CameraError(f"replay photo {p} cannot be read: {e.strerror}") from None
            try:
                frames.append(images.decode(data, what=str(p)))
            except InvalidInput as e:
                raise CameraError(f"replay photo unusable: {e}") from None
        if not frames:
            raise CameraError(f"{self.name}: no photos to replay")
        self._frames = frames
        self._i = 0

    def read(self) -> Frame | None:
        if not self._frames:
            raise CameraError(f"{self.name} is not open")
        total = len(self._frames) * self._repeat
        if self._i >= total:
            if not self._loop:
                return None
            self._i = 0
        rgb = self._frames[self._i // self._repeat]
        self._i += 1
        self._seq += 1
        return Frame(rgb, self._now(), self._seq)

    def skip(self) -> None:
        self._i += 1

    def close(self) -> None:
        self._frames = []


def open_source(spec: str, now: Callable[[], float], **kw: object) -> Source:
    """A source for a config or command-line value; ``replay:`` sources loop."""
    if spec.startswith("replay:"):
        return ReplaySource.from_path(spec[len("replay:") :], now, loop=True)
    if spec.startswith(("http://", "https://")):
        return MjpegSource(spec, now)
    return CaptureSource(spec, now)


_qr = threading.local()  # QRCodeDetector is not thread-safe: one per thread


def decode_qr(jpeg_or_frame: bytes | np.ndarray) -> str | None:
    """The text of a QR code in a JPEG (a preview frame) or an RGB frame; None when there is
    none or it cannot be read. Visitor passes are shown to the door camera this way."""
    if isinstance(jpeg_or_frame, bytes | bytearray):
        buf = np.frombuffer(jpeg_or_frame, dtype=np.uint8)
        gray = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE) if buf.size else None
    else:
        frame = jpeg_or_frame
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) if frame.ndim == 3 else frame
    if gray is None or gray.size == 0:
        return None
    detector = getattr(_qr, "detector", None)
    if detector is None:
        detector = _qr.detector = cv2.QRCodeDetector()
    try:
        text, _points, _ = detector.detectAndDecode(gray)
    except cv2.error:
        return None
    return text or None
