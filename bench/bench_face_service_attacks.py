"""Replays and the adaptive responder through the face service's real path, against the direct
path (every frame straight to the watch, as ``bench_face_attacks.py`` plays them) in the same run.

Run alone, niced, under the bench lock:
flock /work/helpers/bench.lock nice -n 10 .venv/bin/python -m bench.bench_face_service_attacks
(writes bench/results/face_service_attacks.json and .md)

The service path: ``FaceCameras`` with its two worker processes (dlib in child processes), a
reader thread per camera, the motion gate, the workers' queue that drops stale frames, the
reader following a tracked face's landmarks, the outcome and the access request on the bus.
The attack camera is a live source delivering the attack's frames in real time at the camera's
rate (8 fps, the service's default and the direct path's rate); between attempts it shows the
empty entrance until the service follows nobody and the door's cooldown is over. Three other
cameras are busy all along: a resident walks in at each every 7 s (doors without the
challenge), so the workers are shared as at a real site. The responder reads the challenge
from the camera's result on the bus, as the door panel does, and answers it in the frames it
delivers from then on. The direct path plays the same attacks from the same starting frames,
and the same responder with the same seeds, on the same dlib (each distinct frame analysed
once). Frames are the same arrays on both paths (no JPEG): only the path differs.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_face_attacks import (  # noqa: E402
    ATTEMPT_S,
    RESIDENTS,
    Cached,
    attacks,
    looped,
    make_watch,
    play,
)
from bench.bench_face_cameras import GlanceClipSource, clips  # noqa: E402
from bench.common import column_totals, table_rows, write  # noqa: E402
from bench.face_responder import Photos, Responder  # noqa: E402
from compound.adapters.camera import Frame  # noqa: E402
from compound.adapters.recognizer import DlibRecognizer  # noqa: E402
from compound.adapters.recognizer_pool import RecognizerProcess  # noqa: E402
from compound.camera_config import CameraWiring  # noqa: E402
from compound.config import FaceConfig  # noqa: E402
from compound.domain.clock import SystemClock  # noqa: E402
from compound.domain.face.challenge import ChallengeRules  # noqa: E402
from compound.domain.face.gallery import Gallery  # noqa: E402
from compound.domain.face.watch import BLINK  # noqa: E402
from compound.protocol.topics import Topics  # noqa: E402
from compound.services.face_cameras import CameraSpec, FaceCameras  # noqa: E402
from compound.services.face_enrol import Enroller  # noqa: E402
from compound.store.db import Store  # noqa: E402
from devkit import face_clips  # noqa: E402
from devkit.env import FACES  # noqa: E402
from devkit.memory_bus import MemoryBroker  # noqa: E402

FPS = 8
KINDS = [
    "slideshow",
    "looping video",
    "video with blinks",
    "photo blinking in pairs",
    "photo blinking and nodding",
]
BUSY = 3


class Stage:
    """A live camera: the empty entrance, or the frames of whatever ``player`` gives (called
    with the seconds since the player was set); remembers when the player's first frame was
    due."""

    live = True

    def __init__(self, name: str, empty: np.ndarray) -> None:
        self.name = name
        self._empty = empty
        self._period = 1.0 / FPS
        self._next = 0.0
        self._seq = 0
        self._lock = threading.Lock()
        self._player: Any = None
        self.started: float | None = None

    def set(self, player: Any) -> None:
        with self._lock:
            self._player, self.started = player, None

    def open(self) -> None:
        self._next = time.monotonic()

    def _frame(self) -> np.ndarray:
        now = time.monotonic()
        if now < self._next:
            time.sleep(self._next - now)
        due, self._next = self._next, self._next + self._period
        with self._lock:
            if self._player is None:
                return self._empty
            if self.started is None:
                self.started = due
            return self._player(due - self.started)

    def skip(self) -> None:
        self._frame()

    def read(self) -> Frame:
        rgb = self._frame()
        self._seq += 1
        return Frame(rgb, time.time(), self._seq)

    def close(self) -> None:
        pass


class LiveResponder:
    """``Responder.run`` turned inside out: frames on demand, the service's outcomes from the
    bus (the prompt the panel shows), the same reactions and delays."""

    def __init__(self, r: Responder) -> None:
        self.r = r
        self.p = r.p
        self.front = self.p.placed[self.p.front]
        self.queue: list[np.ndarray] = []
        self.blink_at = r.rng.uniform(0.4, 1.0)
        self.asked_blink = False
        self.answered: set[str] = set()
        self.inbox: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        r.asked = []

    def seen(self, body: dict[str, Any]) -> None:
        with self.lock:
            self.inbox.append(body)

    def __call__(self, at: float) -> np.ndarray:
        r = self.r
        with self.lock:
            got, self.inbox = self.inbox, []
        for body in got:
            if body.get("status") == BLINK and not self.asked_blink:
                self.asked_blink = True
                self.blink_at = min(self.blink_at, at + r.rng.uniform(0.4, 1.0))
            c = body.get("challenge")
            if c and c["id"] not in self.answered:
                self.answered.add(c["id"])
                self.queue += r.answer(c["kind"])  # the same answer as the direct path's
                self.blink_at = float("inf")
        if not self.queue and at >= self.blink_at:
            self.queue += r._blink()
            self.blink_at = at + r.rng.uniform(2.0, 5.0)
        return self.queue.pop(0) if self.queue else self.front


class Rig:
    """The face service on the attack cameras (one door with the challenge, one without) and
    the busy cameras; the access requests and the camera outcomes heard on the bus."""

    def __init__(self, store: Store, rec: DlibRecognizer, kind: str | None = None) -> None:
        self.topics = Topics("bench")
        self.broker = MemoryBroker()
        self.requests: list[tuple[str, float]] = []
        self.listener: Any = None
        self.lock = threading.Lock()
        watch = self.broker.client(self.topics, "watch")
        watch.subscribe(self.topics.root + "/access/+/request/face", self._on_request)
        watch.subscribe(self.topics.root + "/face/+/result", self._on_result)
        empty = face_clips.background()
        self.stages = {"att": Stage("att", empty), "open": Stage("open", empty)}
        walk, face_from = clips()["resident"]
        specs = [
            CameraSpec(CameraWiring("att", "bench", ["d_att"], FPS, "always"), self.stages["att"]),
            CameraSpec(
                CameraWiring("open", "bench", ["d_open"], FPS, "never"), self.stages["open"]
            ),
        ]
        for i in range(BUSY):
            src = GlanceClipSource(f"busy{i}", walk[i * 7 :] + walk[: i * 7], FPS, face_from)
            specs.append(
                CameraSpec(CameraWiring(f"busy{i}", "bench", [f"d{i}"], FPS, "never"), src)
            )
        self.workers = [RecognizerProcess(name=f"face-dlib-{i}") for i in range(2)]
        self.bus = self.broker.client(self.topics, "face", start=False)
        self.svc = FaceCameras(
            store,
            self.bus,
            SystemClock(),
            FaceConfig(preview_fps=0.0),
            specs,
            rec,
            publish_preview=False,
            workers=self.workers,
            choose=(lambda _kinds: kind) if kind else secrets.choice,
        )
        self.last_unlock = 0.0

    def _on_request(self, msg: Any) -> None:
        with self.lock:
            self.requests.append((msg.topic.split("/")[-3], time.monotonic()))

    def _on_result(self, msg: Any) -> None:
        body = json.loads(msg.payload)
        if self.listener is not None and body.get("camera") in self.stages:
            self.listener.seen(body)

    def start(self) -> None:
        self.bus.start()
        self.svc.start()
        time.sleep(3.0)  # the first frames, the gates learning the scene

    def stop(self) -> None:
        self.svc.stop()
        self.bus.stop()

    def attempt(self, cam: str, player: Any, listener: Any = None) -> float | None:
        """Seconds from the first frame of the attempt to its door's access request, or None
        (none within the attempt)."""
        door = {"att": "d_att", "open": "d_open"}[cam]
        self._settle(cam)
        with self.lock:
            mark = len(self.requests)
        stage = self.stages[cam]
        self.listener = listener
        stage.set(player)
        end = time.monotonic() + ATTEMPT_S + 1.0
        got = None
        while time.monotonic() < end and got is None:
            time.sleep(0.05)
            with self.lock:
                mine = [t for d, t in self.requests[mark:] if d == door]
            if mine and stage.started is not None:
                got = mine[0] - stage.started
                self.last_unlock = mine[0]
            elif stage.started is not None and time.monotonic() - stage.started > ATTEMPT_S:
                break
        stage.set(None)
        self.listener = None
        return got if got is not None and got <= ATTEMPT_S else None

    def _settle(self, cam: str, limit_s: float = 15.0) -> None:
        """Until nobody is followed at the camera and the door's cooldown (5 s) is over."""
        feed = self.svc.feeds[cam]
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            quiet = not feed.watch.tracking(time.time()) and not feed.face_waiting
            if quiet and time.monotonic() - self.last_unlock > 6.0:
                return
            time.sleep(0.1)


def site(tmp: Path, rec: DlibRecognizer) -> Store:
    store = Store(tmp / "c.db", SystemClock(), tmp / "keys")
    for d in ["d_att", "d_open", *[f"d{i}" for i in range(BUSY)]]:
        store.add_door(d, d, ["3"])
    enrol = Enroller(store, rec)
    for i, n in enumerate(RESIDENTS, 1):
        unit = f"3-2-150{i}"
        store.add_unit(unit)
        pid = store.add_person(n, unit, "owner")
        store.add_card(pid, f"1000{i}")
        photos = sorted((FACES / n).glob("*.jpg"))[:5]
        enrol.enroll(pid, [(p.name, p.read_bytes()) for p in photos], "Li", "Li")
    return store


def _loadavg() -> list[str]:
    with open("/proc/loadavg") as f:
        return f.read().split()[:3]


def _rate(times: list[float | None]) -> dict[str, Any]:
    ok = [t for t in times if t is not None]
    return {
        "attempts": len(times),
        "rejected": len(times) - len(ok),
        "frr": round(1 - len(ok) / len(times), 3) if times else None,
        "unlock_s_p50": round(statistics.median(ok), 2) if ok else None,
        "unlock_s_max": round(max(ok), 2) if ok else None,
    }


def main() -> None:
    import tempfile

    ap = argparse.ArgumentParser()
    ap.add_argument("--attempts", type=int, default=2, help="per resident and attack kind")
    ap.add_argument("--responder", type=int, default=4, help="per resident, with the challenge")
    ap.add_argument("--open", type=int, default=2, help="per resident, without the challenge")
    ap.add_argument(
        "--kind",
        choices=ChallengeRules().kinds,
        help="deal only this challenge on both paths (written to face_service_attacks_KIND)",
    )
    a = ap.parse_args()
    t0 = time.monotonic()
    load_start = _loadavg()
    cached = Cached()
    photos = {n: face_clips.load(sorted((FACES / n).glob("*.jpg"))) for n in RESIDENTS}
    pids, rows = [], []
    for i, n in enumerate(RESIDENTS, 1):
        for p in photos[n][:5]:
            rows.append(cached.analyse(p)[0].encoding)
            pids.append(i)
    gallery = Gallery(np.array(pids), np.array(rows))
    placed = {n: Photos(cached, photos[n]) for n in RESIDENTS}
    rng = np.random.default_rng(15)
    table: dict[str, dict[str, Any]] = {
        k: {"attempts": 0, "direct": 0, "service": 0, "direct_no_challenge": 0} for k in KINDS
    }
    plan = []
    for n in RESIDENTS:
        loops = attacks(photos[n], placed[n])
        for k in KINDS:
            for _ in range(a.attempts):
                plan.append((n, k, loops[k], int(rng.integers(0, len(loops[k])))))
    resp: dict[str, dict[str, list[float | None]]] = {
        m: {"direct": [], "service": []} for m in ("challenge", "no challenge")
    }
    asked: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        rec = DlibRecognizer()
        store = site(Path(tmp), rec)
        rig = Rig(store, rec, a.kind)
        rig.start()
        try:
            load_before = _loadavg()
            for n, k, frames, start in plan:
                row = table[k]
                row["attempts"] += 1
                row["direct"] += (
                    play(
                        make_watch(cached, gallery, True, a.kind), looped(frames, start), ATTEMPT_S
                    )
                    is not None
                )
                row["direct_no_challenge"] += (
                    play(make_watch(cached, gallery, False), looped(frames, start), ATTEMPT_S)
                    is not None
                )

                def player(t: float, frames: list[np.ndarray] = frames, s: int = start) -> Any:
                    return frames[(s + int(round(t * FPS))) % len(frames)]

                got = rig.attempt("att", player)
                row["service"] += got is not None
                print(f"{n} {k}: service {'IN' if got is not None else 'out'}", flush=True)
            for mode, cam, count in (
                ("challenge", "att", a.responder),
                ("no challenge", "open", a.open),
            ):
                for n in RESIDENTS:
                    seed = RESIDENTS.index(n) + (100 if mode == "challenge" else 0)
                    direct, live = Responder(placed[n], seed), Responder(placed[n], seed)
                    for _ in range(count):
                        got = direct.run(
                            make_watch(cached, gallery, mode == "challenge", a.kind), ATTEMPT_S
                        )
                        resp[mode]["direct"].append(got)
                        lr = LiveResponder(live)
                        got = rig.attempt(cam, lr, lr)
                        resp[mode]["service"].append(got)
                        for kind, can in live.asked:
                            ak = asked.setdefault(kind, {"asked": 0, "passed": 0, "no photo": 0})
                            ak["asked"] += 1
                            ak["no photo"] += not can
                            ak["passed"] += got is not None
                        print(f"{n} responder {mode}: {got} {live.asked}", flush=True)
            load_after = _loadavg()
            totals = dict(rig.svc.totals())
        finally:
            rig.stop()
            for w in rig.workers:
                w.close()
    figures = {
        "attacks": table,
        "responder": {m: {path: _rate(v) for path, v in d.items()} for m, d in resp.items()},
        "responder_times": {m: d for m, d in resp.items()},
        "service_challenges": asked,
        "per_kind": a.attempts,
        "fps": FPS,
        "attempt_s": ATTEMPT_S,
        "busy_cameras": BUSY,
        "workers": 2,
        "service_totals": totals,
        "load_start": load_start,
        "load_before": load_before,
        "load_after": load_after,
        "seconds": round(time.monotonic() - t0, 1),
    }
    figures["kind"] = f"always {a.kind}" if a.kind else "drawn at random"
    name = "face_service_attacks" + (f"_{a.kind}" if a.kind else "")
    write(name, figures, markdown(figures))


def markdown(f: dict[str, Any]) -> str:
    columns = ("attempts", "direct_no_challenge", "direct", "service")
    rows = table_rows(f["attacks"], columns)
    tot = column_totals(f["attacks"], columns)

    def ratio(a: Any, b: Any) -> str:
        return f"{a / b:.2f}" if a is not None and b else "n/a"

    resp = "\n".join(
        f"| {'with' if m == 'challenge' else 'without'} the challenge | {d['direct']['attempts']} "
        f"| {d['direct']['rejected']} / {d['service']['rejected']} "
        f"| {d['direct']['unlock_s_p50']} s / {d['service']['unlock_s_p50']} s "
        f"| {ratio(d['service']['unlock_s_p50'], d['direct']['unlock_s_p50'])} "
        f"| {d['service']['unlock_s_max']} s |"
        for m, d in f["responder"].items()
    )
    kinds = "; ".join(
        f"{k} {v['passed']}/{v['asked']}"
        + (f" (no photo makes it: {v['no photo']})" if v.get("no photo") else "")
        for k, v in sorted(f["service_challenges"].items())
    )
    t = f["service_totals"]
    return f"""# Face liveness through the service's readers and workers

`bench/bench_face_service_attacks.py`, one run ({f["seconds"]:.0f} s). The same attacks and the
same adaptive responder as face_attacks.md, played two ways in the same run: **direct** (every
frame straight to the camera's watch, in order, as bench_face_attacks.py does) and **service**
(a live camera at {f["fps"]} fps into the face service: its reader thread, the motion gate, the
workers' queue that drops stale frames, {f["workers"]} worker processes running dlib, the
reader following the tracked face's landmarks, the access request heard on the bus), with
{f["busy_cameras"]} other cameras busy (a resident walking in at each every 7 s). Each attempt
{f["attempt_s"]:.0f} s from the same random frame of its loop on both paths; the challenge
{f.get("kind", "drawn at random")}. Four residents;
the attack subset is the five loops that got in without the challenge (slideshow, looping
video) or with it (the blinking ones, the nodding photo's nod painted), {f["per_kind"]}
attempts per resident and kind. Load
average at start / before the attempts / after: {" ".join(f["load_start"])} /
{" ".join(f["load_before"])} / {" ".join(f["load_after"])}.

Unlocks (attempts that produced an access request):

| attack | attempts | direct, no challenge | direct + challenge | service + challenge |
|---|---|---|---|---|
{rows}
| **all** | {tot["attempts"]} | **{tot["direct_no_challenge"]}** | **{tot["direct"]}** \
| **{tot["service"]}** |

The adaptive responder (same seeds on both paths; the service's responder reads the challenge
from the bus, as the door panel shows it; asked to look up where none of the resident's photos
makes it, it nods painted, devkit/face_nod.py):

| | attempts | rejected, direct / service | time to unlock p50, direct / service \
| ratio service / direct | service, slowest |
|---|---|---|---|---|---|
{resp}

Challenges the responder was dealt through the service (passed / asked): {kinds}.

Times: direct, in frames of the clip from the face's first frame; service, from the moment the
attempt's first frame was due from the camera to the access request on the bus (so it includes
the reader, the queue, the workers' dlib and the bus). The direct responder's time counts one
frame (0.125 s) past the frame that produced the request (`Responder.run`), so like for like
the service is about as fast, not faster. The service looked at
{t.get("kept", 0)} frames, ran the detector {t.get("detect", 0)} times and encoded
{t.get("encode", 0)} faces over the run (all cameras; the rest of its counters in the JSON).
"""


if __name__ == "__main__":
    main()
