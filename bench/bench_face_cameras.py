"""Many cameras on one face service, against the one-camera pipeline it replaces.

Run alone, niced, under the bench lock:
flock /work/helpers/bench.lock nice -n 10 .venv/bin/python -m bench.bench_face_cameras
(writes bench/results/face_cameras.json and face_cameras.md)

The headline part is ``face_arrivals.py``: 3 people arriving at 3 doors at the same moment
among 16 cameras at 10 fps, in clean trials from an empty scene, each arrival decided or
missed, on one worker in the service's process and on the worker processes, alternating.

Every camera is a ``ClipSource``: JPEG frames of a clip made from the test photos, decoded on
each read and delivered in real time at the camera's rate, as a network camera would (the
integration test shows the same service on real MJPEG and RTSP streams; here the streaming
servers would take CPU from the service being measured). Clips: an empty entrance (idle), and
the entrance with a resident walking in (2 s empty, then his face for 3 s blinking once, then
2 s empty, looped). The baseline is the one-camera ``Pipeline`` as the face service ran it
before (every frame analysed; no service runs it any more), one camera, same clips, measured in
the same run. Idle cameras are measured twice in the same run: decoding every frame in full
(as OpenCV's reader does) and glancing at a quarter-size grey decode, with the full decode only
on motion (as ``MjpegSource`` does).
Figures: frames looked at per second and detector calls per minute per camera, CPU per camera
(process CPU time over wall time, all threads), and time from the first frame showing the face
to the access request (median).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import face_arrivals  # noqa: E402
from bench.common import RESULTS, pct, write  # noqa: E402
from compound.adapters import images  # noqa: E402
from compound.adapters.camera import Frame, Glance, decode_jpeg, glance_jpeg  # noqa: E402
from compound.adapters.recognizer import DlibRecognizer  # noqa: E402
from compound.adapters.recognizer_pool import RecognizerProcess  # noqa: E402
from compound.camera_config import CameraWiring  # noqa: E402
from compound.config import FaceConfig  # noqa: E402
from compound.domain.clock import SystemClock  # noqa: E402
from compound.domain.face.gallery import MatchRules  # noqa: E402
from compound.domain.face.liveness import LivenessRules  # noqa: E402
from compound.domain.face.pipeline import Pipeline  # noqa: E402
from compound.protocol.messages import encode  # noqa: E402
from compound.protocol.topics import Topics  # noqa: E402
from compound.services.face import door_gallery  # noqa: E402
from compound.services.face_cameras import CameraSpec, FaceCameras  # noqa: E402
from compound.services.face_enrol import Enroller  # noqa: E402
from compound.store.db import Store  # noqa: E402
from compound.store.faces import FaceStore  # noqa: E402
from devkit import face_clips  # noqa: E402
from devkit.env import FACES  # noqa: E402
from devkit.memory_bus import MemoryBroker  # noqa: E402

FPS = 8
ARRIVAL_FPS = 10  # the target's cameras: 640×480 at 10 fps
RESIDENT, FRONT, NARROW = "John_Schneider", 10, 8


class ClipSource:
    """A live camera playing JPEG frames in a loop at ``fps``; remembers when each loop's
    first face frame was delivered."""

    live = True

    def __init__(self, name: str, jpegs: list[bytes], fps: float, face_from: int | None) -> None:
        self.name = name
        self._jpegs = jpegs
        self._period = 1.0 / fps
        self._face_from = face_from
        self._i = 0
        self._seq = 0
        self._next = 0.0
        self.appeared: list[float] = []
        self.decoded = 0

    def open(self) -> None:
        self._next = time.monotonic()

    def _frame(self) -> tuple[bytes, int]:
        now = time.monotonic()
        if now < self._next:
            time.sleep(self._next - now)
        self._next += self._period
        k = self._i % len(self._jpegs)
        self._i += 1
        if k == self._face_from:
            self.appeared.append(time.monotonic())
        return self._jpegs[k], k

    def skip(self) -> None:
        data, _ = self._frame()
        decode_jpeg(data)  # as OpenCV's reader does: every frame of the stream is decoded
        self.decoded += 1

    def read(self) -> Frame | None:
        data, _ = self._frame()
        rgb = decode_jpeg(data)
        assert rgb is not None
        self.decoded += 1
        self._seq += 1
        return Frame(rgb, time.time(), self._seq)

    def close(self) -> None:
        pass


class GlanceClipSource(ClipSource):
    """The same camera read as ``MjpegSource`` reads one: skipped frames not decoded, a
    quarter-size grey decode for the gate, the full decode on demand."""

    def skip(self) -> None:
        self._frame()

    def glance(self) -> Glance:
        data, _ = self._frame()
        grey = glance_jpeg(data)
        assert grey is not None
        self._seq += 1
        return Glance(data, grey, time.time(), self._seq)


def clips() -> dict[str, tuple[list[bytes], int | None]]:
    photos = face_clips.load(sorted((FACES / RESIDENT).glob("*.jpg")))
    empty = face_clips.empty(2 * FPS)
    # He looks at the camera, blinks at once (the eyes are shut on frames 4-5 after he
    # appears, open again from frame 7-8: the floor for any blink check, 0.9-1.0 s) and stays
    # 2 s more.
    face = face_clips.crossfade([photos[FRONT], photos[NARROW], photos[FRONT]], hold=2, steps=2)
    face += face_clips.crossfade([photos[FRONT]], hold=2 * FPS, seed=5)
    walk = empty + face + empty
    enc = [images.jpeg(f, width=640, quality=85) for f in walk]
    idle = [images.jpeg(f, width=640, quality=85) for f in face_clips.empty(4 * FPS)]
    return {"resident": (enc, len(empty)), "idle": (idle, None)}


def arrival_clips(n: int) -> tuple[list[bytes], list[list[bytes]]]:
    """The empty entrance, and one visit per arriving camera: he steps in (two frames), blinks
    (eyes closing over two frames, shut on frames 4-5, open again from frame 7,
    ``face_arrivals.OPEN_AGAIN``) and stays looking at the camera; each camera's visit with
    its own sensor noise. (Blended in one step instead of two, consecutive frames differ so
    much that the continuity check takes the blink for a cut.)"""
    photos = face_clips.load(sorted((FACES / RESIDENT).glob("*.jpg")))
    empty = [images.jpeg(f, width=640, quality=85) for f in face_clips.empty(4 * ARRIVAL_FPS)]
    visits = []
    for i in range(n):
        blink = face_clips.crossfade(
            [photos[FRONT], photos[NARROW], photos[FRONT]], hold=2, steps=2, seed=11 + i
        )
        stay = face_clips.crossfade([photos[FRONT]], hold=int(2.4 * ARRIVAL_FPS), seed=31 + i)
        # 10 + 24 frames: 3.4 s in view
        visits.append([images.jpeg(f, width=640, quality=85) for f in blink + stay])
    return empty, visits


def run_arrivals(
    store: Store, rec: DlibRecognizer, cameras: int, arriving: int, trials: int, processes: int
) -> dict[str, Any]:
    empty, visits = arrival_clips(arriving)
    workers = [RecognizerProcess(name=f"face-dlib-{i}") for i in range(processes)]
    return face_arrivals.run(
        store,
        rec,
        empty,
        visits,
        cameras=cameras,
        fps=ARRIVAL_FPS,
        trials=trials,
        workers=workers,
    )


def site(tmp: Path, cameras: int, rec: DlibRecognizer) -> Store:
    store = Store(tmp / "c.db", SystemClock(), tmp / "keys")
    store.add_unit("3-2-1501")
    for i in range(cameras):
        store.add_door(f"d{i}", f"Door {i}", ["3"])
    pid = store.add_person("Schneider", "3-2-1501", "owner")
    store.add_card(pid, "10001")
    photos = sorted((FACES / RESIDENT).glob("*.jpg"))[:5]
    Enroller(store, rec).enroll(pid, [(p.name, p.read_bytes()) for p in photos], "Li", "Li")
    return store


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _requests(broker: MemoryBroker, topics: Topics) -> list[tuple[str, float]]:
    got: list[tuple[str, float]] = []
    lock = threading.Lock()
    bus = broker.client(topics, "watch")

    def on(msg: Any) -> None:
        with lock:
            got.append((msg.topic, time.monotonic()))

    bus.subscribe(topics.root + "/access/+/request/face", on)
    return got


def latencies(sources: dict[str, ClipSource], reqs: list[tuple[str, float]]) -> list[float]:
    """For each request, the time since its camera's latest face appearance before it."""
    out = []
    for topic, at in reqs:
        door = topic.split("/")[-3]
        src = sources[door]
        before = [a for a in src.appeared if a <= at]
        if before:
            out.append(at - before[-1])
    return out


def run_new(
    store: Store, rec: DlibRecognizer, clip: str, n: int, seconds: float, glance: bool = True
) -> dict:
    topics = Topics("bench")
    broker = MemoryBroker()
    bus = broker.client(topics, "face", start=False)
    reqs = _requests(broker, topics)
    jpegs, face_from = clips_cache[clip]
    kind = GlanceClipSource if glance else ClipSource
    sources = {f"d{i}": kind(f"cam{i}", jpegs, FPS, face_from) for i in range(n)}
    specs = [
        CameraSpec(CameraWiring(f"cam{i}", "bench", [f"d{i}"], FPS, "never"), sources[f"d{i}"])
        for i in range(n)
    ]
    cfg = FaceConfig(preview_fps=0.0)
    svc = FaceCameras(store, bus, SystemClock(), cfg, specs, rec, publish_preview=False)  # type: ignore[arg-type]
    bus.start()
    svc.start()
    time.sleep(2.0)  # settle: the first frames, the gate learning the scene
    c0, t0, k0 = cpu(), time.monotonic(), svc.totals()
    r0 = len(reqs)
    time.sleep(seconds)
    c1, t1, k1 = cpu(), time.monotonic(), svc.totals()
    svc.stop()
    bus.stop()
    wall = t1 - t0
    k = Counter({key: k1[key] - k0[key] for key in k1})
    lat = latencies(sources, reqs[r0:])
    return {
        "cameras": n,
        "seconds": round(wall, 1),
        "cpu_per_camera": round((c1 - c0) / wall / n, 4),
        "cpu_total": round((c1 - c0) / wall, 4),
        "frames_per_s_per_camera": round(k["kept"] / wall / n, 2),
        "decoded_per_s_per_camera": round((k["kept"] + k["skipped"]) / wall / n, 2),
        "detector_calls_per_min_per_camera": round(k["detect"] / wall * 60 / n, 1),
        "encodings_per_min_per_camera": round(k["encode"] / wall * 60 / n, 1),
        "followed_per_min_per_camera": round(k["followed"] / wall * 60 / n, 1),
        "full_decodes_per_s_per_camera": round(
            (k["decoded"] if glance else k["kept"] + k["skipped"]) / wall / n, 2
        ),
        "checks_per_min_per_camera": round(k["checks"] / wall * 60 / n, 1),
        "requests": len(reqs) - r0,
        "latency_p50_ms": round(statistics.median(lat) * 1e3, 1) if lat else None,
        "latency_p99_ms": round(pct(lat, 99) * 1e3, 1) if lat else None,
        "latencies": len(lat),
    }


class OldLoop:
    """The one-camera service as it ran before: every frame of its camera through the
    ``Pipeline`` (blink-only liveness), at the camera's rate."""

    def __init__(
        self, store: Store, bus: Any, rec: DlibRecognizer, src: ClipSource, door: str, t: Topics
    ) -> None:
        c = FaceConfig()
        self.pipe = Pipeline(
            rec,
            door_gallery(store, FaceStore(store), door),
            door_id=door,
            camera_id="cam0",
            rules=MatchRules(c.threshold, c.margin),
            agree_frames=c.agree_frames,
            liveness=LivenessRules(window_s=c.liveness_window_s),
            cooldown_s=c.cooldown_s,
        )
        self.bus, self.src, self.topics = bus, src, t
        self.counters: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self.src.open()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            frame = self.src.read()
            assert frame is not None
            out = self.pipe.process(frame.rgb, frame.at)
            self.counters["frames"] += 1
            if out.request is not None:
                topic = self.topics.face_access_request(out.request.door_id)
                self.bus.publish(topic, encode(out.request))


def run_old(store: Store, rec: DlibRecognizer, clip: str, seconds: float) -> dict:
    topics = Topics("bench")
    broker = MemoryBroker()
    bus = broker.client(topics, "face-old", start=False)
    reqs = _requests(broker, topics)
    jpegs, face_from = clips_cache[clip]
    src = ClipSource("cam0", jpegs, FPS, face_from)
    svc = OldLoop(store, bus, rec, src, "d0", topics)
    bus.start()
    svc.start()
    time.sleep(2.0)
    c0, t0, f0 = cpu(), time.monotonic(), svc.counters["frames"]
    r0 = len(reqs)
    time.sleep(seconds)
    c1, t1, f1 = cpu(), time.monotonic(), svc.counters["frames"]
    svc.stop()
    bus.stop()
    wall = t1 - t0
    lat = latencies({"d0": src}, reqs[r0:])
    return {
        "cameras": 1,
        "seconds": round(wall, 1),
        "cpu_per_camera": round((c1 - c0) / wall, 4),
        "frames_per_s_per_camera": round((f1 - f0) / wall, 2),
        "detector_calls_per_min_per_camera": round((f1 - f0) / wall * 60, 1),
        "requests": len(reqs) - r0,
        "latency_p50_ms": round(statistics.median(lat) * 1e3, 1) if lat else None,
        "latency_p99_ms": round(pct(lat, 99) * 1e3, 1) if lat else None,
        "latencies": len(lat),
    }


clips_cache: dict[str, tuple[list[bytes], int | None]] = {}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cameras", type=int, default=4)
    ap.add_argument("--idle-cameras", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--trials", type=int, default=24, help="arrival trials per configuration")
    ap.add_argument("--arriving", type=int, default=3)
    ap.add_argument("--processes", type=int, default=2, help="worker processes (face.workers)")
    ap.add_argument(
        "--arrivals-only",
        action="store_true",
        help="run only the arrivals; the other parts are kept from the last results file",
    )
    a = ap.parse_args()
    rec = DlibRecognizer()
    clips_cache.update(clips())
    with tempfile.TemporaryDirectory() as tmp:
        store = site(Path(tmp), max(a.cameras, a.idle_cameras), rec)
        r: dict[str, Any] = {"fps": FPS, "loop_s": len(clips_cache["resident"][0]) / FPS}
        with open("/proc/loadavg") as f:
            r["load_before"] = f.read().split()[:3]
        m = a.idle_cameras
        if a.arrivals_only:
            earlier = json.loads((RESULTS / "face_cameras.json").read_text())
            for key in ("old_idle", "old_motion", "new_idle_full_decode", "new_idle"):
                r[key] = earlier[key]
            r["new_motion_1"] = earlier["new_motion_1"]
            # The other parts' own run: that file's, or the one it took them from in turn.
            parts = earlier.get("earlier") or {
                "when": earlier["meta"]["when"],
                "load_before": earlier["load_before"],
                "load_after": earlier["load_after"],
            }
            r["earlier"] = {
                "when": parts["when"],
                "load_before": parts["load_before"],
                "load_after": parts["load_after"],
                "arrivals_when": earlier["meta"]["when"],
                "arrivals_detector_per_arrival": per_arrival(earlier["arrivals"]),
            }
        else:
            r["old_idle"] = run_old(store, rec, "idle", a.seconds / 2)
            r["old_motion"] = run_old(store, rec, "resident", a.seconds)
            r["new_idle_full_decode"] = run_new(store, rec, "idle", m, a.seconds / 2, glance=False)
            r["new_idle"] = run_new(store, rec, "idle", m, a.seconds / 2)
            r["new_motion_1"] = run_new(store, rec, "resident", 1, a.seconds)
        r["arrivals_loads"] = []
        # The same trials on one worker in the service's process (as before) and on the
        # worker processes, alternating, so that a change in the machine's load falls on both.
        half = max(1, a.trials // 2)
        for key, procs in (("arrivals_one_worker", 0), ("arrivals", a.processes)) * 2:
            with open("/proc/loadavg") as f:
                r["arrivals_loads"].append(f.read().split()[0])
            part = run_arrivals(store, rec, m, a.arriving, half, procs)
            r[key] = merge(r.get(key), part)
        with open("/proc/loadavg") as f:
            r["load_after"] = f.read().split()[:3]
        store.close()
    r["ratios"] = ratios(r)
    r["estimate"] = estimate(r)
    write("face_cameras", r, markdown(r, a.cameras, a.idle_cameras))


def per_arrival(a: dict[str, Any]) -> float | None:
    """Detector calls per arrival (finding, checking and, after he left, looking for faces)."""
    return round(a["detector_calls"] / a["arrivals"], 1) if a.get("arrivals") else None


def merge(done: dict[str, Any] | None, part: dict[str, Any]) -> dict[str, Any]:
    """Two runs of the same trials as one (the figures recomputed over all their rows)."""
    if done is None:
        return part
    rows = done["rows"] + part["rows"]
    k = Counter(
        {
            "encode": done["encodings"] + part["encodings"],
            "detect": done["detector_calls"] + part["detector_calls"],
            "errors": done["errors"] + part["errors"],
        }
    )
    return face_arrivals.summarise(
        rows,
        (done["cpu_idle_before"] + part["cpu_idle_before"]) / 2,
        (done["cpu_during_trials"] + part["cpu_during_trials"]) / 2,
        k,
        part["cameras"],
        part["arriving"],
        part["workers"],
    )


def ratios(r: dict[str, Any]) -> dict[str, float | None]:
    def div(a: Any, b: Any) -> float | None:
        return round(a / b, 3) if a is not None and b else None

    one, pool = r["arrivals_one_worker"], r["arrivals"]
    return {
        "cpu_idle_glance_over_full_decode": div(
            r["new_idle"]["cpu_per_camera"], r["new_idle_full_decode"]["cpu_per_camera"]
        ),
        "cpu_idle_new_over_old": div(
            r["new_idle"]["cpu_per_camera"], r["old_idle"]["cpu_per_camera"]
        ),
        "detector_idle_new_over_old": div(
            r["new_idle"]["detector_calls_per_min_per_camera"],
            r["old_idle"]["detector_calls_per_min_per_camera"],
        ),
        "latency_p50_new_over_old": div(
            r["new_motion_1"]["latency_p50_ms"], r["old_motion"]["latency_p50_ms"]
        ),
        "cpu_motion_one_camera_new_over_old": div(
            r["new_motion_1"]["cpu_per_camera"], r["old_motion"]["cpu_per_camera"]
        ),
        "arrivals_p50_processes_over_one_worker": div(pool["p50_s"], one["p50_s"]),
        "arrivals_p99_processes_over_one_worker": div(pool["p99_s"], one["p99_s"]),
    }


def estimate(r: dict[str, Any], duty: float = 0.1, usable_cores: float = 1.6) -> dict[str, Any]:
    """Cameras one 2-core box serves when a camera sees someone ``duty`` of the time, keeping
    ``usable_cores`` for the service (the core, the broker and the rest need the remainder)."""
    out: dict[str, Any] = {"duty": duty, "usable_cores": usable_cores}
    for name, busy_run in (("old", "old_motion"), ("new", "new_motion_1")):
        idle = r[f"{name}_idle"]["cpu_per_camera"]
        busy = r[busy_run]["cpu_per_camera"]
        per = idle + duty * max(0.0, busy - idle)
        out[f"{name}_cpu_per_camera"] = round(per, 4)
        out[f"{name}_cameras"] = int(usable_cores / per) if per > 0 else None
    return out


def gate_note(r: dict[str, Any]) -> str:
    """The detector calls per arrival of the arrivals run before this one (another motion
    gate, the same trials), when this run took the other parts from it."""
    ea = r.get("earlier") or {}
    before = ea.get("arrivals_detector_per_arrival")
    if before is None:
        return ""
    return (
        f" Detector calls per arrival on the worker processes in the arrivals run of "
        f"{ea['arrivals_when']}: {before} (each camera looks for faces until the motion gate "
        "closes after he leaves)."
    )


def markdown(r: dict[str, Any], n: int, m: int) -> str:
    o, ni, om = r["old_idle"], r["new_idle"], r["old_motion"]
    nf, n1 = r["new_idle_full_decode"], r["new_motion_1"]
    one, pool = r["arrivals_one_worker"], r["arrivals"]
    ra, e = r["ratios"], r["estimate"]

    def row(label: str, key: str) -> str:
        cells = [x.get(key, "-") for x in (o, nf, ni, om, n1)]
        return f"| {label} | " + " | ".join(str(c) for c in cells) + " |"

    ea = r.get("earlier")
    earlier = (
        f" (measured in the run of {ea['when']}, load average before/after "
        f"{' '.join(ea['load_before'])} / {' '.join(ea['load_after'])}: the code before the "
        "worker processes and the reader that never waits; the idle paths are unchanged, the "
        "one resident's figures are the older code's)"
        if ea
        else ""
    )

    def arow(label: str, key: str) -> str:
        return f"| {label} | {one.get(key)} | {pool.get(key)} |"

    return f"""# Face service: many cameras on one box

`bench/bench_face_cameras.py`, one run, niced; {m} idle cameras on the service, 1 camera with a
resident on the service and on the baseline (the one-camera `Pipeline` as the service ran it
before: every frame analysed, blink-only liveness; no service runs it any more), then
{pool["arriving"]} people arriving at once among {pool["cameras"]} cameras. Cameras play JPEG
clips made from the test photos in real time. Load average before/after:
{" ".join(r["load_before"])} / {" ".join(r["load_after"])}; at the start of each arrivals part:
{", ".join(r["arrivals_loads"])} (other work shares the 2 cores).

## {pool["arriving"]} people arriving at {pool["arriving"]} doors at the same moment

{pool["cameras"]} cameras at 640×480, {ARRIVAL_FPS} fps, on one face service with the real
core (on an in-memory bus). Each trial starts from an empty scene; at one moment a resident
steps in front of each of {pool["arriving"]} cameras, blinks once (eyes shut 0.4-0.5 s after the
first frame showing him, open again from 0.7 s: the floor for any blink check) and stays 3.4 s.
An arrival is decided when the core's `access/<door>/result` for that door comes (granted in
every decided case here), missed when none came while he was in view and one second after.
Time from the moment the first frame showing the face was due from the camera. No challenge.
The same trials on one worker in the service's own process (as the service ran before) and on
{pool["workers"]} worker processes (`face.workers`, the default), alternating in halves.

| | one worker, in process | {pool["workers"]} worker processes |
|---|---|---|
{arow("trials", "trials")}
{arow("arrivals", "arrivals")}
{arow("arrivals decided", "decided")}
{arow("arrivals missed", "missed")}
{arow("first face frame → decision, p50 s", "p50_s")}
{arow("first face frame → decision, p99 s", "p99_s")}
{arow("first face frame → decision, max s", "max_s")}
{arow("eyes open again → decision, p50 s", "after_blink_p50_s")}
{arow("eyes open again → decision, p99 s", "after_blink_p99_s")}
{arow("CPU, nobody in view (cores, workers included)", "cpu_idle_before")}
{arow("CPU during the trials (cores)", "cpu_during_trials")}
{arow("encodings", "encodings")}
| detector calls per arrival | {per_arrival(one)} | {per_arrival(pool)} |
{arow("errors", "errors")}
{arow("missed: the camera's last status", "missed_last_status")}

Ratio {pool["workers"]} processes / one worker: p50
**{ra["arrivals_p50_processes_over_one_worker"]}**, p99
**{ra["arrivals_p99_processes_over_one_worker"]}**. Targets: p50 ≤ 1.0 s, p99 ≤ 2.0 s,
nobody in view ≤ 0.30 of a core. The three visits are the same resident's clip (his are
the only test photos with a blink the check accepts), at three doors, each with its own
noise.{gate_note(r)}

## One camera, idle cameras, the old pipeline

| per camera (cameras in the run) | baseline idle (1) | idle, full decode ({m}) \
| idle, glance ({m}) | baseline resident (1) | resident (1) |
|---|---|---|---|---|---|
{row("frames looked at /s", "frames_per_s_per_camera")}
{row("full decodes /s", "full_decodes_per_s_per_camera")}
{row("detector calls /min", "detector_calls_per_min_per_camera")}
{row("followed by landmarks /min", "followed_per_min_per_camera")}
{row("encodings /min", "encodings_per_min_per_camera")}
{row("CPU (fraction of one core)", "cpu_per_camera")}
{row("requests in the run", "requests")}
{row("face appears → request, p50 ms", "latency_p50_ms")}
{row("face appears → request, p99 ms", "latency_p99_ms")}

These run at {FPS} fps with one worker in the service's process{earlier}. **Idle decoding.** "full
decode" reads each camera as OpenCV's reader does (every JPEG decoded in full, the gate on the
full frame); "glance" as `MjpegSource` does (a quarter-size grey decode,
`IMREAD_REDUCED_GRAYSCALE_4`, for the gate; the full decode only on motion or while a face is
followed). Same run, same {m} cameras: CPU per idle camera glance / full decode
**{ra["cpu_idle_glance_over_full_decode"]}** ({ni["cpu_per_camera"]} against
{nf["cpu_per_camera"]} of a core; {m} idle cameras {ni["cpu_total"]} of a core in total against
{nf["cpu_total"]}). RTSP (H.264) cameras are not helped by this: every frame of an H.264
stream must be decoded for the next one to be; point such a camera at its sub-stream.

Ratios new / baseline: CPU idle **{ra["cpu_idle_new_over_old"]}**, CPU with a resident (one
camera each) **{ra["cpu_motion_one_camera_new_over_old"]}**, detector calls idle
**{ra["detector_idle_new_over_old"]}**, time to the request p50 (one camera each)
**{ra["latency_p50_new_over_old"]}**. This clip's resident's eyes are open again 7-8 frames
(0.9-1.0 s) after his face appears: that is the floor for any blink check on it. Both run
without the challenge (a looped clip cannot answer it).

Estimate for one 2-core box ({e["usable_cores"]} cores for the face service, each camera seeing
someone {int(e["duty"] * 100)} % of the time): baseline {e["old_cpu_per_camera"]} of a core per
camera → **{e["old_cameras"]} cameras**; new {e["new_cpu_per_camera"]} → **{e["new_cameras"]}
cameras** (MJPEG cameras; an estimate from the per-camera figures, not measured at that count).
"""


if __name__ == "__main__":
    main()
