"""``compound face ...``: enrol, identify, delete, and run the face service."""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compound.adapters.mqtt import eprint
from compound.domain.model import InvalidInput

if TYPE_CHECKING:
    from compound.adapters.recognizer import DlibRecognizer
    from compound.app.context import Context

STILL_DETECT_WIDTH = 800  # photos are not latency-bound: look harder for small faces


def _recognizer(ctx: Context, still: bool) -> DlibRecognizer:
    from compound.adapters.recognizer import DetectSettings, DlibRecognizer

    c = ctx.config.face
    width = max(c.detect_width, STILL_DETECT_WIDTH) if still else c.detect_width
    return DlibRecognizer(DetectSettings(width, c.upsample))


def _workers(ctx: Context) -> list[Any]:
    """The cameras' detection and encoding processes (``face.workers``)."""
    from compound.adapters.recognizer import DetectSettings
    from compound.adapters.recognizer_pool import RecognizerProcess

    c = ctx.config.face
    settings = DetectSettings(c.detect_width, c.upsample)
    return [RecognizerProcess(settings, f"face-dlib-{i}") for i in range(c.workers)]


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a folder; give photo files") from None
    except OSError as e:
        raise InvalidInput(f"cannot read {path}: {e.strerror}") from None


def cmd_enroll(ctx: Context) -> int:
    from compound.services.face_enrol import Enroller

    a = ctx.args
    photos = []
    unreadable = []
    for p in a.images:
        try:
            photos.append((p, _read(p)))
        except InvalidInput as e:
            unreadable.append({"image": p, "accepted": False, "reason": str(e), "box": None})
    store = ctx.store
    by = a.consent_by or os.environ.get("USER", "manager")
    if photos:
        r = Enroller(store, _recognizer(ctx, still=True)).enroll(a.person, photos, a.consent_by, by)
    else:
        # Checks (person, other credential, consent) still apply, with nothing to analyse.
        from compound.store.faces import FaceStore

        r = {
            "person_id": a.person,
            "accepted": 0,
            "rejected": 0,
            "templates": FaceStore(store).count(a.person),
            "images": [],
        }
    r["images"] = unreadable + r["images"]
    r["rejected"] = len(r["images"]) - r["accepted"]

    def text() -> str:
        lines = [
            f"{i['image']}: {'accepted' if i['accepted'] else 'rejected: ' + i['reason']}"
            for i in r["images"]
        ]
        lines.append(f"person {a.person}: {r['accepted']} accepted, {r['templates']} templates")
        return "\n".join(lines)

    ctx.out(r, text)
    if r["accepted"] == 0:
        eprint("compound: no photo was accepted; nothing was stored")
        return 2
    return 0


def cmd_identify(ctx: Context) -> int:
    from compound.adapters import images
    from compound.domain.face.gallery import MatchRules
    from compound.services.face import door_gallery
    from compound.store.faces import FaceStore

    a = ctx.args
    rgb = images.decode(_read(a.image), what=a.image)
    store = ctx.store
    faces = FaceStore(store)
    gallery = door_gallery(store, faces, a.door) if a.door else faces.gallery()
    rules = MatchRules(ctx.config.face.threshold, ctx.config.face.margin)
    out: list[dict[str, Any]] = []
    for f in _recognizer(ctx, still=True).analyse(rgb):
        pid = rules.accept(m := gallery.search(f.encoding))
        match = None
        if pid is not None:
            match = {
                "person_id": pid,
                "name": store.person(pid).name,
                "distance": round(m.distance, 4),
            }
        out.append({"box": f.box.as_dict(), "match": match})

    def text() -> str:
        if not out:
            return "no face found"
        return "\n".join(
            f"face at {o['box']}: "
            + (
                f"person {o['match']['person_id']} {o['match']['name']} "
                f"(distance {o['match']['distance']})"
                if o["match"]
                else "not recognised"
            )
            for o in out
        )

    ctx.out(out, text)
    return 0


def cmd_delete(ctx: Context) -> int:
    from compound.store.faces import FaceStore

    by = ctx.args.by or os.environ.get("USER", "manager")
    n = FaceStore(ctx.store).delete(ctx.args.person, by)
    ctx.out(
        {"person_id": ctx.args.person, "deleted": n},
        f"face data of person {ctx.args.person} deleted ({n} templates)",
    )
    return 0


def _cameras(ctx: Context) -> tuple[Any, list[Any]]:
    """The face section and the cameras this process serves (all, or the --camera subset)."""
    from compound.services.face_cameras import cameras_of

    a = ctx.args
    cfg = ctx.config.face
    wanted = list(a.camera or [])
    if not cfg.cameras:
        # The one camera of the face section, possibly given on the command line.
        if len(wanted) > 1:
            raise InvalidInput("several --camera need [[face.cameras]] in the config")
        pairs = (("camera", wanted[0] if wanted else None), ("door", a.door), ("source", a.source))
        cfg = dataclasses.replace(cfg, **{k: v for k, v in pairs if v})
        return cfg, cameras_of(cfg)
    if a.source or a.door:
        raise InvalidInput(
            "--source and --door are for one camera; with [[face.cameras]] in the config, "
            "choose cameras with --camera"
        )
    cams = cameras_of(cfg)
    known = [c.id for c in cams]
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise InvalidInput(f"unknown camera {unknown[0]!r}; configured: {', '.join(known)}")
    return cfg, [c for c in cams if not wanted or c.id in wanted]


def cmd_run(ctx: Context) -> int:
    from compound.adapters.camera import open_source
    from compound.adapters.systemd import Notifier
    from compound.app.context import stop_on_signal
    from compound.app.face_health import STALE_S, FrameHealth, camera_reporter
    from compound.domain.face.tamper import TamperRules
    from compound.services.face import FaceService
    from compound.services.face_cameras import CameraSpec, FaceCameras, door_rules

    cfg, cams = _cameras(ctx)
    door_rules(cfg, lambda d: ctx.store.door(d) is not None, cams)  # before dlib loads
    if not cams:
        eprint("compound: no camera (face.cameras, face.source or --source): enrolment only")
    specs = [CameraSpec(c, open_source(c.source, ctx.clock.now)) for c in cams]
    recognizer = _recognizer(ctx, still=False)
    bus = ctx.bus(f"face-{cams[0].id}" if len(cams) == 1 else f"face-{cfg.camera}")
    service = FaceService(ctx.store, bus, ctx.clock, cfg, recognizer)
    workers = _workers(ctx) if specs else []
    notifier = Notifier()
    # Blind and frozen keep their ratio to the watchdog's interval, as gone does (20 s and 30 s
    # under the unit's WatchdogSec=30; a test's short watchdog makes them short).
    tamper = TamperRules().scaled(notifier.interval / STALE_S)
    cameras = FaceCameras(
        ctx.store,
        bus,
        ctx.clock,
        cfg,
        specs,
        recognizer,
        lock=service.lock,
        workers=workers,
        tamper=tamper,
    )
    service.start()
    cameras.start()
    bus.start(timeout=float("inf"), announce=eprint)
    for c in cams:
        eprint(f"face service: camera {c.id} ({c.source}) at {', '.join(c.doors)}")
    notifier.ready()
    stop = stop_on_signal()
    # Alive while the worker runs and a camera delivers frames; a camera gone while others
    # deliver is reported by id (face/<camera>/state, STATUS=), not restarted for; with no
    # camera, alive while the process serves enrolment.
    say = lambda s: eprint(f"face: {s}")  # noqa: E731
    health = FrameHealth(
        lambda: {i: f.counters["kept"] + f.counters["skipped"] for i, f in cameras.feeds.items()},
        cameras.healthy,
        time.monotonic,
        # Gone after a third of WatchdogSec without a frame (10 s under the unit's 30 s).
        stale_s=notifier.interval,
        report=camera_reporter(bus, {c.id: c.doors for c in cams}, ctx.clock.now, say),
        looks=lambda: {i: f.tamper.verdict for i, f in cameras.feeds.items() if f.tamper},
    )
    notifier.watch(
        health.check if cams else lambda: None, stop, say, health.status if cams else None
    )
    cameras.stop()
    service.stop()
    bus.stop()
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    text = "face recognition: enrol, identify, delete, run the service"
    g = sub.add_parser("face", help=text, description=text)
    face = g.add_subparsers(dest="action", required=True, metavar="ACTION")

    def add(name: str, fn: Any, help_: str) -> argparse.ArgumentParser:
        sp: argparse.ArgumentParser = face.add_parser(
            name, help=help_, description=help_, parents=[common]
        )
        sp.set_defaults(fn=fn)
        return sp

    sp = add("enroll", cmd_enroll, "enrol a person's face from photos (consent first)")
    sp.add_argument("person", type=int, metavar="PERSON_ID")
    sp.add_argument("images", nargs="+", metavar="IMAGE")
    sp.add_argument("--consent-by", help="who took the resident's consent (recorded first)")
    sp = add("identify", cmd_identify, "who is in this photo? one line per face")
    sp.add_argument("image", metavar="IMAGE")
    sp.add_argument("--door", help="only people this door serves")
    sp = add("delete", cmd_delete, "delete a person's face data and withdraw the consent")
    sp.add_argument("person", type=int, metavar="PERSON_ID")
    sp.add_argument("--by")
    sp = add("run", cmd_run, "run the face service for every camera of the config")
    sp.add_argument(
        "--camera",
        action="append",
        help="serve only this camera of [[face.cameras]] (repeatable); without cameras in the "
        "config: the one camera's id on the bus (default: face.camera)",
    )
    sp.add_argument("--door", help="one camera only: the door it watches (default: face.door)")
    sp.add_argument(
        "--source", help="one camera only: /dev/video0, rtsp://..., http://..., or replay:FOLDER"
    )
