"""The face pipeline with a natively built dlib against the dlib-bin wheel, on the same frames.

The repository's environment (.venv) installs the ``dlib-bin`` wheel. A second environment holds
dlib compiled from source on this machine (README, "dlib: the fast wheel and the native build").
This script runs the measuring code of ``bench_face.py`` under each interpreter, alternating
(wheel, native, native, wheel, wheel, native) so that other work on the shared cores weighs on
both alike:

- frame in → access request out at 640×480 (``bench_face.bench_pipeline``: the pipeline's time
  for each frame that produces a request, agreement 1, liveness off),
- the raw dlib time per face of each step: HOG detection on the 320 px copy, the 68 landmarks,
  and the 128-d encoding,
- the encodings each build gives for the 55 test photos, compared with each other.

Run alone: .venv/bin/python bench/bench_face_native.py [--native /tmp/native-venv/bin/python]
(writes bench/results/face_native.json and face_native.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import summary_ms, write  # noqa: E402

NATIVE_PYTHON = Path("/tmp/native-venv/bin/python")
ORDER = ("wheel", "native", "native", "wheel", "wheel", "native")


def child(frames_file: str) -> None:
    """Under one interpreter: which dlib it is, then the measures, as one JSON line."""
    import importlib.metadata as md

    from bench import bench_face
    from compound.adapters import images
    from compound.adapters.recognizer import DetectSettings, DlibRecognizer, dlib, fr_api
    from compound.domain.face.gallery import Gallery

    dists = {d.metadata["Name"].lower() for d in md.distributions()}
    build = {
        "version": dlib.__version__,
        "distribution": "dlib-bin" if "dlib-bin" in dists else "dlib" if "dlib" in dists else "?",
        "module": str(Path(dlib.__file__).parent),
        "avx": bool(getattr(dlib, "USE_AVX_INSTRUCTIONS", False)),
        "blas": bool(getattr(dlib, "DLIB_USE_BLAS", False)),
        "python": sys.executable,
        "compiler": _compiler(),
    }
    frames = list(np.load(frames_file)["frames"])

    # The gallery as bench_face builds it: every test photo, detected at 800 px.
    rec = DlibRecognizer(DetectSettings(800, 1))
    encs, pids = [], []
    for i, p in enumerate(sorted(bench_face.FACES.glob("*/*.jpg"))):
        (f,) = rec.analyse(images.decode(p.read_bytes()))
        encs.append(f.encoding)
        pids.append(i // 11)
    gallery = Gallery(np.array(pids), np.stack(encs))

    pipeline = bench_face.bench_pipeline(frames, gallery)

    # Each raw dlib step on its own, per face, on the same 640×480 frames.
    small = DlibRecognizer(DetectSettings(320, 1))
    detect_s, landmarks_s, encode_s = [], [], []
    for _round in range(3):
        for rgb in frames:
            t0 = time.perf_counter()
            boxes = small.detect(rgb)
            detect_s.append(time.perf_counter() - t0)
            for b in boxes:
                rect = dlib.rectangle(b.left, b.top, b.right, b.bottom)
                t0 = time.perf_counter()
                shape = fr_api.pose_predictor_68_point(rgb, rect)
                landmarks_s.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                fr_api.face_encoder.compute_face_descriptor(rgb, shape, 1)
                encode_s.append(time.perf_counter() - t0)
    print(
        json.dumps(
            {
                "build": build,
                "pipeline_640x480": pipeline,
                "detect_s": detect_s,
                "landmarks_s": landmarks_s,
                "encode_s": encode_s,
                "photo_encodings": np.stack(encs).tolist(),
            }
        )
    )


def _compiler() -> str:
    """The compiler named in dlib's extension module (GCC writes its version into .comment)."""
    import re

    import _dlib_pybind11  # type: ignore[import-not-found]

    m = re.search(rb"GCC: \([^)]*\) [0-9.]+", Path(_dlib_pybind11.__file__).read_bytes())
    return m.group().decode() if m else "?"


def run_child(python: Path, frames_file: Path) -> dict[str, Any]:
    out = subprocess.run(  # noqa: S603 - our own script under a chosen interpreter
        [str(python), __file__, "--child", str(frames_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        sys.exit(f"{python} failed:\n{out.stderr.strip()[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--native", type=Path, default=NATIVE_PYTHON, help="python of the native env")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    if not args.native.exists():
        # The native build is optional (the project installs the wheel), so its absence skips
        # this benchmark and leaves the committed figures as they are.
        print(
            f"skipped: no native dlib environment at {args.native}; build it as the README says "
            "(dlib: the fast wheel and the native build); results files left unchanged"
        )
        return
    from bench import bench_face

    if not bench_face.FACES.exists():
        sys.exit(f"no test photos at {bench_face.FACES}; cannot run")
    started = time.time()
    load = os.getloadavg()
    pythons = {"wheel": Path(sys.executable), "native": args.native}
    runs: dict[str, list[dict[str, Any]]] = {"wheel": [], "native": []}
    with tempfile.TemporaryDirectory() as tmp:
        # One set of frames, made once, read by both builds.
        frames_file = Path(tmp) / "frames.npz"
        np.savez(frames_file, frames=np.stack(bench_face.frames_640()))
        for name in ORDER:
            runs[name].append(run_child(pythons[name], frames_file))
    figures = compare(runs)
    figures["load_average_at_start"] = [round(x, 2) for x in load]
    figures["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    figures["order"] = list(ORDER)
    figures["seconds"] = round(time.time() - started, 1)
    write("face_native", figures, summary(figures))


def compare(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, rs in runs.items():
        p = [r["pipeline_640x480"] for r in rs]
        out[name] = {
            "build": rs[0]["build"],
            "frame_to_request_runs": [
                {
                    "p50_ms": round(x["frame_to_request_ms_p50"], 2),
                    "p99_ms": round(x["frame_to_request_ms_p99"], 2),
                    "requests": x["requests"],
                    "pipeline_over_raw_p50": round(x["ratio_p50"], 3),
                }
                for x in p
            ],
            # Median over the runs: one run disturbed by other work on the cores moves it least.
            "frame_to_request_p50_ms": round(
                statistics.median(x["frame_to_request_ms_p50"] for x in p), 2
            ),
            "frame_to_request_p99_ms": round(
                statistics.median(x["frame_to_request_ms_p99"] for x in p), 2
            ),
            "detect_per_frame": summary_ms([t for r in rs for t in r["detect_s"]]),
            "landmarks_per_face": summary_ms([t for r in rs for t in r["landmarks_s"]]),
            "encode_per_face": summary_ms([t for r in rs for t in r["encode_s"]]),
        }
    w, n = out["wheel"], out["native"]
    out["native_over_wheel"] = {
        "frame_to_request_p50": round(
            n["frame_to_request_p50_ms"] / w["frame_to_request_p50_ms"], 3
        ),
        "frame_to_request_p99": round(
            n["frame_to_request_p99_ms"] / w["frame_to_request_p99_ms"], 3
        ),
        "encode_per_face_p50": round(
            n["encode_per_face"]["p50_ms"] / w["encode_per_face"]["p50_ms"], 3
        ),
        "detect_per_frame_p50": round(
            n["detect_per_frame"]["p50_ms"] / w["detect_per_frame"]["p50_ms"], 3
        ),
        "landmarks_per_face_p50": round(
            n["landmarks_per_face"]["p50_ms"] / w["landmarks_per_face"]["p50_ms"], 3
        ),
    }
    ew = np.array(runs["wheel"][0]["photo_encodings"])
    en = np.array(runs["native"][0]["photo_encodings"])
    out["same_answers"] = {
        "photos": len(ew),
        "max_distance_between_builds": float(np.linalg.norm(ew - en, axis=1).max()),
    }
    return out


def summary(f: dict[str, Any]) -> str:
    w, n, r = f["wheel"], f["native"], f["native_over_wheel"]

    def runs(x: dict[str, Any]) -> str:
        return "; ".join(
            f"{y['p50_ms']:.1f} / {y['p99_ms']:.1f}" for y in x["frame_to_request_runs"]
        )

    def s(x: dict[str, float]) -> str:
        return f"{x['p50_ms']:.1f} / {x['p99_ms']:.1f} (n={x['n']})"

    return "\n".join(
        [
            "# Face pipeline: native dlib build against the dlib-bin wheel",
            "",
            f"Both dlib {w['build']['version']}; wheel: `{w['build']['distribution']}` "
            f"({w['build']['compiler']}, AVX {w['build']['avx']}, BLAS {w['build']['blas']}); "
            f"native: `{n['build']['distribution']}` built from source on this machine "
            f"({n['build']['compiler']}, AVX {n['build']['avx']}, BLAS {n['build']['blas']}). "
            "Same 640×480 frames "
            f"for both, runs in the order {', '.join(f['order'])}; 2 cores shared with other "
            f"work (load average {f['load_average_at_start'][0]:.1f} at start, "
            f"{f['load_average_at_end'][0]:.1f} at end). "
            "Run: `.venv/bin/python bench/bench_face_native.py`.",
            "",
            "| measure (ms) | dlib-bin wheel | native build | native / wheel |",
            "|---|---|---|---|",
            f"| frame in → access request out, p50 (median of 3 runs) | "
            f"{w['frame_to_request_p50_ms']:.1f} | {n['frame_to_request_p50_ms']:.1f} | "
            f"{r['frame_to_request_p50']:.3f} |",
            f"| frame in → access request out, p99 (median of 3 runs) | "
            f"{w['frame_to_request_p99_ms']:.1f} | {n['frame_to_request_p99_ms']:.1f} | "
            f"{r['frame_to_request_p99']:.3f} |",
            f"| each run, p50 / p99 | {runs(w)} | {runs(n)} | |",
            f"| raw encoding per face, p50 / p99 | {s(w['encode_per_face'])} | "
            f"{s(n['encode_per_face'])} | {r['encode_per_face_p50']:.3f} (p50) |",
            f"| raw 68 landmarks per face, p50 / p99 | {s(w['landmarks_per_face'])} | "
            f"{s(n['landmarks_per_face'])} | {r['landmarks_per_face_p50']:.3f} (p50) |",
            f"| raw HOG detection per frame (320 px copy), p50 / p99 | "
            f"{s(w['detect_per_frame'])} | {s(n['detect_per_frame'])} | "
            f"{r['detect_per_frame_p50']:.3f} (p50) |",
            "",
            "Frame in → access request out is `bench_face.bench_pipeline`'s figure: the pipeline's "
            "time for each frame that produces a request (agreement 1, liveness off), 57 frames "
            "per run. The raw figures time each dlib call alone on the same frames.",
            "",
            f"Same answers: the two builds' encodings of the {f['same_answers']['photos']} test "
            "photos differ by at most "
            f"{f['same_answers']['max_distance_between_builds']:.2e} (Euclidean; the match "
            "threshold is 0.45).",
        ]
    )


if __name__ == "__main__":
    main()
