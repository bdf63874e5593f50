"""What the blind/frozen judgement adds to a camera reader's frame path.

Run alone, under the bench lock:
flock /work/helpers/bench.lock nice -n 10 .venv/bin/python -m bench.bench_face_tamper
(writes bench/results/face_tamper.json)

Per kept frame of a 640×480 camera, in the same run, the reader's work without and with the
judgement (``compound.domain.face.tamper``), on the two paths ``camera_feed`` has:
- ``mjpeg``: an MJPEG camera's frame glanced at (the quarter-size grey decode) and put
  through the motion gate, as an idle ``MjpegSource`` camera costs;
- ``rgb``: a V4L2/RTSP camera's frame, stood in for by a full JPEG decode to RGB, then the gate.
The judgement is measured as it runs (a look each 0.5 s: one frame in five at 10 fps) and at
its worst (a look on every frame). Rounds alternate the variants, so that the machine's load
falls on each alike; the figure is the median over rounds of the mean per frame.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from compound.adapters import images
from compound.adapters.camera import decode_jpeg, glance_jpeg
from compound.domain.face.motion import MotionGate, small_grey
from compound.domain.face.tamper import TamperJudge, TamperRules
from devkit import face_clips

ROOT = Path(__file__).resolve().parent.parent
FPS = 10.0


def variant(path: str, every: bool | None) -> Callable[[bytes], None]:
    """One kept frame's work; ``every``: None no judgement, False as it runs, True each frame."""
    gate = MotionGate()
    clock = [0.0]
    rules = TamperRules(every_s=0.0) if every else TamperRules()
    judge = TamperJudge(rules, lambda: clock[0]) if every is not None else None

    def step(data: bytes) -> None:
        clock[0] += 1 / FPS
        small = glance_jpeg(data) if path == "mjpeg" else decode_jpeg(data)
        assert small is not None  # noqa: S101 - the bench's own JPEGs
        gate.update(small, clock[0])
        if judge is not None and gate.grey is not None and judge.due():
            judge.see(gate.grey)  # as the camera's reader does: the gate's own grey copy

    return step


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--frames", type=int, default=200)
    a = ap.parse_args()
    frames = [images.jpeg(f, width=640, quality=85) for f in face_clips.empty(20)]
    names = {None: "without", False: "as it runs", True: "every frame"}
    runs = {(p, e): variant(p, e) for p in ("mjpeg", "rgb") for e in (None, False, True)}
    times: dict[tuple[str, bool | None], list[float]] = {k: [] for k in runs}
    for _ in range(a.rounds):
        for key, step in runs.items():
            start = time.perf_counter()
            for i in range(a.frames):
                step(frames[i % len(frames)])
            times[key].append((time.perf_counter() - start) / a.frames * 1e6)
    out: dict[str, dict[str, float]] = {}
    for path in ("mjpeg", "rgb"):
        base = statistics.median(times[(path, None)])
        row = {"without_us": round(base, 1)}
        for e in (False, True):
            t = statistics.median(times[(path, e)])
            row[f"{names[e].replace(' ', '_')}_us"] = round(t, 1)
            row[f"{names[e].replace(' ', '_')}_ratio"] = round(t / base, 3)
        out[path] = row
        print(path, row)
    # The look alone, on the gate's 80×60 copy.
    judge = TamperJudge(TamperRules(every_s=0.0), time.monotonic)
    grey = small_grey(decode_jpeg(frames[0]), 80)  # type: ignore[arg-type]
    start = time.perf_counter()
    for _ in range(2000):
        judge.see(grey)
    out["look_alone_us"] = {"us": round((time.perf_counter() - start) / 2000 * 1e6, 1)}
    print("look alone", out["look_alone_us"])
    (ROOT / "bench" / "results" / "face_tamper.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
