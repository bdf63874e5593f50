"""Several people arriving at several doors at the same moment, in clean trials
(``bench_face_cameras.py`` runs it; results in face_cameras.md).

The service runs ``cameras`` MJPEG-style cameras at ``fps``; ``arriving`` of them are doors.
Each trial starts from an empty scene (no face followed at any camera, the motion gates closed,
the doors' cooldowns over); then, at one moment, a resident steps in front of each of the
``arriving`` cameras (the next frame of each shows his face), blinks once (eyes shut on frames
4-5 of his visit, open again from frame 7) and stays ``FACE_S``; then the entrance is empty
again. Each arrival is decided (the core's ``access/<door>/result`` for that door) or missed
(no decision while the face was in view and one second after). The time is from the moment the
first frame showing the face was due from the camera (not when the service read it) to the
decision; also from the frame where the eyes are open again (the blink's end: the floor for any
blink check), which is the service's own delay. The doors do not ask for the challenge.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import threading
import time
from collections import Counter
from typing import Any

from bench.common import pct
from compound.adapters.camera import Glance, glance_jpeg
from compound.app.wiring import build_core
from compound.camera_config import CameraWiring
from compound.config import Config, FaceConfig
from compound.domain.clock import SystemClock
from compound.protocol.topics import Topics
from compound.services.camera_feed import CameraSpec
from compound.services.face_cameras import FaceCameras
from compound.store.db import Store
from devkit.memory_bus import MemoryBroker

OPEN_AGAIN = 7  # frame of the visit where the eyes are open again after the blink
FACE_S = 3.4
GAP_S = 6.0  # from one arrival to the next: the doors' 5 s cooldown is over


class StageSource:
    """A live MJPEG camera on an empty entrance until ``arrive``; then the visit's frames once,
    then the entrance again. Keeps the due time of each visit's first and blink-end frames."""

    live = True

    def __init__(self, name: str, empty: list[bytes], visit: list[bytes], fps: float) -> None:
        self.name = name
        self._empty, self._visit = empty, visit
        self._period = 1.0 / fps
        self._next = 0.0
        self._i = 0
        self._k: int | None = None
        self._arrive = threading.Event()
        self.appeared: list[float] = []
        self.open_again: list[float] = []
        self._seq = 0

    def open(self) -> None:
        self._next = time.monotonic()

    def arrive(self) -> None:
        self._arrive.set()

    def _frame(self) -> bytes:
        now = time.monotonic()
        if now < self._next:
            time.sleep(self._next - now)
        due, self._next = self._next, self._next + self._period
        if self._arrive.is_set() and self._k is None:
            self._arrive.clear()
            self._k = 0
            self.appeared.append(due)
        if self._k is not None:
            data = self._visit[self._k]
            if self._k == OPEN_AGAIN:
                self.open_again.append(due)
            self._k += 1
            if self._k >= len(self._visit):
                self._k = None
            return data
        self._i += 1
        return self._empty[self._i % len(self._empty)]

    def skip(self) -> None:
        self._frame()

    def glance(self) -> Glance:
        data = self._frame()
        grey = glance_jpeg(data)
        if grey is None:
            raise RuntimeError("a clip frame does not decode")
        self._seq += 1
        return Glance(data, grey, time.time(), self._seq)

    def read(self) -> Any:
        return self.glance().full()

    def close(self) -> None:
        pass


def run(
    store: Store,
    rec: Any,
    empty: list[bytes],
    visits: list[list[bytes]],
    *,
    cameras: int,
    fps: float,
    trials: int,
    workers: list[Any],
) -> dict[str, Any]:
    """``len(visits)`` arriving cameras (doors d0...), the rest idle; ``trials`` trials."""
    topics = Topics("bench")
    broker = MemoryBroker()
    core_bus = broker.client(topics, "core")
    core = build_core(store, core_bus, SystemClock(), Config())  # type: ignore[arg-type]
    core.start()
    decided: dict[str, list[tuple[float, bool]]] = {}
    status: dict[str, str] = {}
    lock = threading.Lock()
    watch = broker.client(topics, "watch")

    def on_result(msg: Any) -> None:
        door = msg.topic.split("/")[-2]
        body = json.loads(msg.payload)
        with lock:
            decided.setdefault(door, []).append((time.monotonic(), bool(body.get("granted"))))

    def on_face(msg: Any) -> None:
        body = json.loads(msg.payload)
        with lock:
            status[body["camera"]] = body["status"]

    watch.subscribe(topics.root + "/access/+/result", on_result)
    watch.subscribe(topics.root + "/face/+/result", on_face)
    arriving = len(visits)
    sources: dict[str, Any] = {}
    specs = []
    for i in range(cameras):
        visit = visits[i] if i < arriving else []
        src = StageSource(f"cam{i}", empty, visit, fps)
        sources[f"cam{i}"] = src
        specs.append(CameraSpec(CameraWiring(f"cam{i}", "bench", [f"d{i}"], fps, "never"), src))
    bus = broker.client(topics, "face", start=False)
    cfg = FaceConfig(preview_fps=0.0, fps=fps)
    svc = FaceCameras(
        store, bus, SystemClock(), cfg, specs, rec, publish_preview=False, workers=workers
    )
    bus.start()
    svc.start()
    time.sleep(3.0)  # the first frames, the gates learning the scene
    c0, t0 = _cpu(), time.monotonic()
    time.sleep(5.0)
    idle_cpu = (_cpu() - c0) / (time.monotonic() - t0)
    rows: list[dict[str, Any]] = []
    k0 = svc.totals()
    c0, t0 = _cpu(), time.monotonic()
    for trial in range(trials):
        _settle(svc, [f"cam{i}" for i in range(arriving)])
        with lock:
            status.clear()
            marks = {d: len(v) for d, v in decided.items()}
        for i in range(arriving):
            sources[f"cam{i}"].arrive()
        started = time.monotonic()
        time.sleep(FACE_S + 1.0)
        with lock:
            for i in range(arriving):
                src = sources[f"cam{i}"]
                appeared, opened = src.appeared[-1], src.open_again[-1]
                new = decided.get(f"d{i}", [])[marks.get(f"d{i}", 0) :]
                first = new[0][0] if new else None
                rows.append(
                    {
                        "trial": trial,
                        "camera": f"cam{i}",
                        "decided": first is not None,
                        "granted": bool(new) and new[0][1],
                        "from_face_s": None if first is None else round(first - appeared, 4),
                        "from_blink_end_s": None if first is None else round(first - opened, 4),
                        "last_status": status.get(f"cam{i}"),
                    }
                )
        rest = GAP_S - (time.monotonic() - started)
        if rest > 0:
            time.sleep(rest)
    wall = time.monotonic() - t0
    busy_cpu = (_cpu() - c0) / wall
    k1 = svc.totals()
    svc.stop()
    bus.stop()
    core.stop()
    k = Counter({key: k1[key] - k0[key] for key in k1})
    return summarise(rows, idle_cpu, busy_cpu, k, cameras, arriving, len(workers) or 0)


def _settle(svc: FaceCameras, cams: list[str], limit_s: float = 10.0) -> None:
    """Until no face is followed at the arriving cameras (the scene is empty)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        now = time.time()
        if not any(svc.feeds[c].watch.tracking(now) or svc.feeds[c].face_waiting for c in cams):
            return
        time.sleep(0.1)


def _cpu() -> float:
    """CPU seconds of this process and its live children (the worker processes)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in [os.getpid(), *(p.pid for p in multiprocessing.active_children())]:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def summarise(
    rows: list[dict[str, Any]],
    idle_cpu: float,
    busy_cpu: float,
    k: Counter[str],
    cameras: int,
    arriving: int,
    workers: int,
) -> dict[str, Any]:
    lat = [r["from_face_s"] for r in rows if r["decided"]]
    blink = [r["from_blink_end_s"] for r in rows if r["decided"]]
    missed = [r for r in rows if not r["decided"]]
    return {
        "cameras": cameras,
        "arriving": arriving,
        "workers": workers,
        "trials": len(rows) // max(1, arriving),
        "arrivals": len(rows),
        "decided": len(lat),
        "missed": len(missed),
        "missed_last_status": dict(Counter(str(r["last_status"]) for r in missed)),
        "p50_s": round(statistics.median(lat), 3) if lat else None,
        "p99_s": round(pct(lat, 99), 3) if lat else None,
        "max_s": round(max(lat), 3) if lat else None,
        "after_blink_p50_s": round(statistics.median(blink), 3) if blink else None,
        "after_blink_p99_s": round(pct(blink, 99), 3) if blink else None,
        "cpu_idle_before": round(idle_cpu, 4),
        "cpu_during_trials": round(busy_cpu, 4),
        "encodings": k["encode"],
        "detector_calls": k["detect"],
        "errors": k["errors"],
        "rows": rows,
    }
