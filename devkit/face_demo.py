"""The face part of ``compound demo``: residents enrolled from photos, a gate camera replaying
a resident and then a stranger, so that the resident's face opens the gate and the stranger's
does not.

The photos are dlib's test set in ``../shared/faces/johns`` beside the project (never copied
into it). No installed package ships photos of real faces, so without that folder the demo
runs without faces and says so.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from compound.adapters.camera import ReplaySource
from compound.adapters.mqtt import Bus, Message
from compound.config import FaceConfig
from devkit.env import FACES, DemoEnv

if TYPE_CHECKING:
    from compound.services.face import FaceService

# Demo residents (from data/demo_compound.json) who get a face, and the photos they get.
RESIDENTS = {
    "张伟": "John_Salley",
    "李娜": "John_Savage",
    "刘洋": "John_Schneider",
    "赵敏": "John_Shimkus",
}
STRANGER = "John_Simm"
ENROL_PHOTOS = 5
CAMERA, DOOR = "gate-cam", "gate"
FPS = 6.0


class FaceDemo:
    def __init__(self, env: DemoEnv) -> None:
        self.env = env
        self.service: FaceService | None = None
        self.bus: Bus | None = None
        self.watch: Bus | None = None
        self._last_status = ""

    def start(self) -> None:
        say = self.env.say
        if not FACES.is_dir():
            say(f"face demo skipped: no test photos at {FACES} (no installed package ships any)")
            return
        from compound.adapters.recognizer import DlibRecognizer
        from compound.domain.face.liveness import ear
        from compound.services.face import FaceService
        from compound.services.face_enrol import Enroller

        store = self.env.store
        recognizer = DlibRecognizer()
        people = {p.name: p.id for p in store.people()}
        enroller = Enroller(store, recognizer)
        for name, john in RESIDENTS.items():
            pid = people.get(name)
            if pid is None:
                continue
            photos = sorted((FACES / john).glob("*.jpg"))[:ENROL_PHOTOS]
            r = enroller.enroll(
                pid, [(p.name, p.read_bytes()) for p in photos], "demo manager", "demo manager"
            )
            say(f"face demo: {name} enrolled with {r['accepted']} photos ({john})")
        # The gate camera plays, in a loop: a resident walking up and blinking (held-out photos,
        # open eyes first, narrowest eyes in the middle), nobody, a stranger, nobody.
        from compound.adapters import images

        resident = sorted((FACES / RESIDENTS["赵敏"]).glob("*.jpg"))[ENROL_PHOTOS:]
        ears = {
            p: ear(recognizer.analyse(images.decode(p.read_bytes()))[0].landmarks) for p in resident
        }
        clip = sorted(resident, key=lambda p: -ears[p])
        low = min(resident, key=lambda p: ears[p])
        clip.remove(low)
        clip.insert(len(clip) // 2, low)
        blank = self.env.workdir / "empty-street.jpg"
        blank.write_bytes(_blank_jpeg())
        nobody = [blank] * int(FPS * 3)
        stranger = sorted((FACES / STRANGER).glob("*.jpg"))[:8]
        sequence = [p for p in clip for _ in range(2)] + nobody
        sequence += [p for p in stranger for _ in range(2)] + nobody
        source = ReplaySource(sequence, self.env.clock.now, loop=True, name="demo gate camera")
        cfg = FaceConfig(camera=CAMERA, door=DOOR, fps=FPS, preview_fps=2.0, cooldown_s=10.0)
        self.bus = Bus(self.env.bus_config, self.env.topics, f"face-{CAMERA}")
        service = FaceService(store, self.bus, self.env.clock, cfg, source, recognizer)
        self.watch = Bus(self.env.bus_config, self.env.topics, "demo-face-watch")
        self.watch.subscribe(self.env.topics.face_result(CAMERA), self._show)
        service.start()
        self.bus.start()
        self.watch.start()
        self.service = service
        say(f"face demo: camera {CAMERA} at door {DOOR} replaying a resident and a stranger")

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
        for b in (self.watch, self.bus):
            if b is not None:
                b.stop()


def _blank_jpeg() -> bytes:
    import numpy as np

    from compound.adapters.images import jpeg

    return jpeg(np.full((240, 320, 3), 90, dtype=np.uint8), width=320)
