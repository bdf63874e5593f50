"""The face part of ``compound demo``: residents enrolled from photos, and a gate camera on
the many-camera face service (``FaceCameras``: motion gate, tracker, one encoding per visit)
replaying a resident and then a stranger.

The demo's camera is a replay, and it is labelled so: it plays a clip made from a resident's
held-out photos blended into each other (open eyes, nearly closed, open: a blink), then an
empty entrance, a stranger's photos blended the same way, and the empty entrance again. Such
a clip is what an attacker could make too; a real door asks a random challenge ("turn your
head left", "blink twice"...) that no replay can answer, and with it this clip opens nothing
(bench/results/face_attacks.md). So the demo's camera is configured as a door with its own
IR/depth terminal would be: challenge "never", and the demo says so when it starts.

The photos are a folder of ``<person>/<n>.jpg``: ``compound demo --faces DIR``,
``$COMPOUND_DEMO_FACES``, or dlib's test set in ``../shared/faces/johns`` beside the project
(never copied into it); ``devkit/demo_faces.py`` chooses it and says who is who. Without one
the face part is off, and the demo said so once at start.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compound.adapters.camera import ReplaySource
from compound.adapters.mqtt import Bus, Message
from compound.camera_config import CameraWiring
from compound.config import FaceConfig
from devkit.demo_faces import Cast, blink_pair, cast_of
from devkit.env import DemoEnv

if TYPE_CHECKING:
    from compound.services.face_cameras import FaceCameras

CAMERA, DOOR = "gate-cam", "gate"
FPS = 6.0
LABEL = "demo replay (challenge off: a real door asks a random challenge a replay cannot answer)"


class FaceDemo:
    def __init__(self, env: DemoEnv) -> None:
        self.env = env
        self.service: FaceCameras | None = None
        self.bus: Bus | None = None
        self.watch: Bus | None = None
        self._last_status = ""

    def start(self) -> None:
        say = self.env.say
        cast = cast_of(self.env.faces) if self.env.faces is not None else None
        if not isinstance(cast, Cast):
            return  # off: the demo said why at start
        from compound.adapters.recognizer import DlibRecognizer
        from compound.services.face_enrol import Enroller

        store = self.env.store
        recognizer = DlibRecognizer()
        people = {p.name: p.id for p in store.people()}
        enroller = Enroller(store, recognizer)
        for name, john in cast.residents.items():
            pid = people.get(name)
            if pid is None:
                continue
            photos = cast.split(john)[0]
            r = enroller.enroll(
                pid, [(p.name, p.read_bytes()) for p in photos], "demo manager", "demo manager"
            )
            say(f"face demo: {name} enrolled with {r['accepted']} photos ({john})")
        frames = self._clip_folder(cast, recognizer)
        source = ReplaySource(frames, self.env.clock.now, loop=True, name=f"{CAMERA} {LABEL}")
        from compound.services.face_cameras import CameraSpec, FaceCameras

        wiring = CameraWiring(CAMERA, f"replay:{frames[0].parent}", [DOOR], FPS, "never")
        cfg = FaceConfig(preview_fps=2.0, cooldown_s=10.0)
        self.bus = Bus(self.env.bus_config, self.env.topics, f"face-{CAMERA}")
        service = FaceCameras(
            store, self.bus, self.env.clock, cfg, [CameraSpec(wiring, source)], recognizer
        )
        self.watch = Bus(self.env.bus_config, self.env.topics, "demo-face-watch")
        self.watch.subscribe(self.env.topics.face_result(CAMERA), self._show)
        service.start()
        self.bus.start()
        self.watch.start()
        self.service = service
        say(
            f"face demo: camera {CAMERA} at door {DOOR} on the many-camera face service, "
            f"{LABEL}: a resident's photos blended into a blink, then a stranger"
        )

    def _clip_folder(self, cast: Cast, recognizer: Any) -> list[Path]:
        """The replayed clip as JPEG files in the demo's folder (made once, at start)."""
        from compound.adapters import images
        from compound.domain.face.liveness import ear
        from devkit import face_clips

        def eyes(p: Path) -> float | None:
            faces = recognizer.analyse(images.decode(p.read_bytes()))
            return ear(faces[0].landmarks) if faces else None

        fps = int(FPS)
        # Two of the replayed resident's held-out photos: eyes open, and eyes nearly closed.
        pair = blink_pair(cast.split(cast.residents[cast.walker])[1], eyes)
        res_open, res_narrow = face_clips.load(pair)
        stranger = face_clips.load(cast.photos(cast.stranger)[:3])
        resident = face_clips.crossfade([res_open, res_narrow, res_open], hold=2, steps=2)
        resident += face_clips.crossfade([res_open], hold=2 * fps, seed=5)
        clip = face_clips.empty(2 * fps) + resident + face_clips.empty(3 * fps)
        clip += face_clips.crossfade(stranger, hold=fps) + face_clips.empty(3 * fps, seed=4)
        folder = self.env.workdir / "gate-cam-replay"
        folder.mkdir(exist_ok=True)
        paths = []
        for i, f in enumerate(clip):
            p = folder / f"{i:04d}.jpg"
            p.write_bytes(images.jpeg(f, width=640, quality=85))
            paths.append(p)
        return paths

    def _show(self, msg: Message) -> None:
        try:
            status = json.loads(msg.payload)["status"]
        except (ValueError, KeyError, TypeError):
            return
        if status != self._last_status:
            self._last_status = status
            self.env.say(f"face {CAMERA}: {status}")

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()
            k = self.service.totals()
            self.env.say(
                f"face demo: camera {CAMERA} ({LABEL}): {k['kept']} frames looked at, "
                f"{k['motion']} with motion, {k['detect']} detector calls, {k['followed']} "
                f"followed by landmarks, {k['encode']} encodings, {k['requests']} face requests"
            )
        for b in (self.watch, self.bus):
            if b is not None:
                b.stop()
