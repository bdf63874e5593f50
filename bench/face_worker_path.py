"""The face service's worker path against raw dlib, and the worker processes' memory
(``bench_face.py`` runs both; results in face.md / face.json).

Since the many-camera service, a frame that needs a full look (a new face) is judged by
``CameraWatch.process`` on a worker thread whose dlib calls go, through ``ThreadRecognizers``,
to its own ``RecognizerProcess`` (dlib in a child process, the frame sent over a pipe once). That
is the path timed here, on each frame as a new face (detector, 68 landmarks, encoding, 1:N
search, the track, liveness off, one agreeing frame): against the same dlib calls made straight
in this process, alternating frame by frame so that both see the same load.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import pct
from compound.adapters.recognizer import DetectSettings, DlibRecognizer
from compound.adapters.recognizer_pool import RecognizerProcess
from compound.domain.face.gallery import Gallery
from compound.domain.face.watch import CameraWatch, WatchRules
from compound.services.face_workers import ThreadRecognizers

SETTINGS = DetectSettings(320, 1)  # the service's defaults (face.detect_width, face.upsample)


def _status_mb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _pss_mb(pid: int) -> float:
    """Proportional set size: shared pages (libraries) counted once across processes."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def alternate(
    frames: list[np.ndarray],
    rounds: int,
    raw: Callable[[np.ndarray], object],
    path: Callable[[np.ndarray, float], bool],
    step: float,
) -> tuple[list[float], list[float], list[float]]:
    """Each frame through raw dlib, then through the path under test (given the frame and a
    clock ``step`` seconds on from the last), alternating frame by frame so both see the same
    load: (raw times, path times, path times of the frames that produced a request)."""
    raw_t: list[float] = []
    path_t: list[float] = []
    latency: list[float] = []
    at = 0.0
    for _ in range(rounds):
        for f in frames:
            t0 = time.perf_counter()
            raw(f)
            raw_t.append(time.perf_counter() - t0)
            at += step
            t0 = time.perf_counter()
            asked = path(f, at)
            dt = time.perf_counter() - t0
            path_t.append(dt)
            if asked:
                latency.append(dt)
    return raw_t, path_t, latency


def bench_worker_path(
    frames: list[np.ndarray], gallery: Gallery, raw_dlib: Any, rounds: int = 3
) -> dict[str, Any]:
    """Median per frame: the worker path / raw dlib in this process (``raw_dlib(rgb,
    settings)``); each frame is a new face (2 s apart: the last track is over)."""
    worker = RecognizerProcess(SETTINGS, name="bench-face-worker").start()
    try:
        rec = ThreadRecognizers(DlibRecognizer(SETTINGS), threading.Lock())
        rec.bind(worker)  # this thread is a worker: its calls go to its own child process
        people = {int(p) for p in np.unique(gallery.person_ids)}
        watch = CameraWatch(
            rec,
            camera_id="bench",
            doors=["gate"],
            gallery=gallery,
            door_people={"gate": people},
            rules=WatchRules(agree_frames=1, cooldown_s=0.0001, challenge=False),
            check_liveness=False,
        )
        at = 0.0
        for f in frames[:2]:  # warm both: the child's models, the caches
            raw_dlib(f, SETTINGS)
            at += 2.0
            watch.process(f, at)
        raw_t, path_t, latency = alternate(
            frames,
            rounds,
            lambda f: raw_dlib(f, SETTINGS),
            lambda f, t: bool(watch.process(f, at + t).requests),
            step=2.0,
        )
        return {
            "frames": len(raw_t),
            "raw_dlib_ms_p50": statistics.median(raw_t) * 1e3,
            "worker_path_ms_p50": statistics.median(path_t) * 1e3,
            "worker_path_ms_p99": pct(path_t, 99) * 1e3,
            "ratio_p50": statistics.median(path_t) / statistics.median(raw_t),
            "encodings": watch.counters["encode"],
            "requests": len(latency),
            "frame_to_request_ms_p50": statistics.median(latency) * 1e3 if latency else None,
        }
    finally:
        worker.close()


def bench_worker_memory(frames: list[np.ndarray], workers: int = 2) -> dict[str, Any]:
    """RSS (and PSS) of each worker's child process as the service starts them
    (``face.workers``, default 2), after each has detected, landmarked and encoded the frames."""
    procs = [RecognizerProcess(SETTINGS, name=f"bench-face-worker-{i}") for i in range(workers)]
    try:
        t0 = time.perf_counter()
        for p in procs:
            p.start()
        start_s = time.perf_counter() - t0
        for p in procs:
            for f in frames:
                for box in p.detect(f):
                    p.encode(f, box, p.landmarks(f, box))
        each = []
        for p in procs:
            pid = p._proc.pid  # the child's pid: read from /proc, as `ps` would
            each.append(
                {
                    "rss_mb": _status_mb(pid, "VmRSS"),
                    "peak_rss_mb": _status_mb(pid, "VmHWM"),
                    "pss_mb": _pss_mb(pid),
                }
            )
        return {
            "workers": workers,
            "each": each,
            "total_rss_mb": sum(e["rss_mb"] for e in each),
            "total_pss_mb": sum(e["pss_mb"] for e in each),
            "start_s": start_s,
            "cpu_count": os.cpu_count(),
        }
    finally:
        for p in procs:
            p.close()
