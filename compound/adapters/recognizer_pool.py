"""dlib's detector and encoder in a child process of their own, one per worker.

dlib holds the Python interpreter's lock while it works, so two threads of one process never
run it at the same time: on a box with two cores, one face service could use one of them for
faces, and three people arriving at three doors at once waited for each other's encodings
(about 50 ms to detect and 160 ms to encode each, here). A ``RecognizerProcess`` runs a
``DlibRecognizer`` in a child process and answers ``detect``, ``landmarks``, ``encode`` and
``analyse`` over a pipe, so each of the service's workers has its own core to use while the
others, and the cameras' readers, go on.

A frame is sent once: ``encode`` right after ``detect`` on the same frame (the usual order for a
new face) reuses the copy the child already holds. A child that dies or does not answer within
``ANSWER_S`` is killed and started again on the next call; the call raises ``RecognizerGone``,
which costs that frame and nothing else (the doors stay locked; the next frame is looked at).
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from compound.adapters.recognizer import DetectSettings, DlibRecognizer
from compound.domain.face.model import Box, FaceFound

log = logging.getLogger(__name__)

ANSWER_S = 30.0  # a loaded box answers in well under a second; this is a hung child
START_S = 120.0  # loading the models takes a few seconds, longer on a busy box


class RecognizerGone(RuntimeError):
    """The child process died or hung; it is started again on the next call."""


def _serve(conn: Connection, settings: DetectSettings) -> None:
    rec = DlibRecognizer(settings)
    conn.send("ready")
    frame: np.ndarray | None = None
    while True:
        try:
            op, sent, args = conn.recv()
        except (EOFError, OSError):
            return
        if sent is not None:
            frame = sent
        try:
            conn.send(("ok", getattr(rec, op)(frame, *args)))
        except Exception as e:  # a bad frame: the caller hears why, the child goes on
            conn.send(("error", f"{type(e).__name__}: {e}"))


class RecognizerProcess:
    """A ``TrackingRecognizer`` whose work is done in a child process; one caller at a time."""

    def __init__(self, settings: DetectSettings | None = None, name: str = "face-dlib") -> None:
        self.settings = settings or DetectSettings()
        self.name = name
        self._ctx = multiprocessing.get_context("spawn")  # never fork a threaded process
        self._proc: Any = None
        self._conn: Connection | None = None
        self._sent: np.ndarray | None = None  # the frame the child holds
        self._lock = threading.Lock()

    def start(self) -> RecognizerProcess:
        with self._lock:
            self._start()
        return self

    def _start(self) -> Connection:
        ours, theirs = self._ctx.Pipe()
        proc = self._ctx.Process(
            target=_serve, args=(theirs, self.settings), name=self.name, daemon=True
        )
        proc.start()
        theirs.close()
        if not ours.poll(START_S):
            proc.kill()
            raise RecognizerGone(f"{self.name}: the face models did not load in {START_S:.0f} s")
        ours.recv()
        self._proc, self._conn, self._sent = proc, ours, None
        return ours

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._proc is not None:
            self._proc.join(2)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join(2)
        self._proc = self._conn = self._sent = None

    def _call(self, op: str, rgb: np.ndarray, *args: Any) -> Any:
        with self._lock:
            conn = self._conn if self._conn is not None else self._start()
            sent = None if rgb is self._sent else rgb
            try:
                conn.send((op, sent, args))
                self._sent = rgb
                if not conn.poll(ANSWER_S):
                    raise TimeoutError(f"no answer in {ANSWER_S:.0f} s")
                status, value = conn.recv()
            except (EOFError, OSError, TimeoutError) as e:
                log.warning("%s: %s; starting it again", self.name, e)
                self._stop()
                raise RecognizerGone(f"{self.name}: {e}") from None
            if status != "ok":
                raise ValueError(value)
            return value

    def detect(self, rgb: np.ndarray) -> list[Box]:
        return list(self._call("detect", rgb))

    def landmarks(self, rgb: np.ndarray, box: Box) -> np.ndarray:
        return np.asarray(self._call("landmarks", rgb, box))

    def encode(self, rgb: np.ndarray, box: Box, landmarks: np.ndarray) -> np.ndarray:
        return np.asarray(self._call("encode", rgb, box, landmarks), dtype=np.float32)

    def analyse(self, rgb: np.ndarray, boxes: list[Box] | None = None) -> list[FaceFound]:
        return list(self._call("analyse", rgb, boxes))
