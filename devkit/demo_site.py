"""The demo compound in one process, for screenshots and the benchmark: a broker, the seeded
store, the core, and a little real traffic (cards at the doors, a forced door, a notice, and a
camera preview of a real photo with the face box dlib found in it)."""

from __future__ import annotations

import json
import logging
import tempfile
import threading
import time
from pathlib import Path

from compound.adapters.broker import EmbeddedBroker, Mosquitto, free_port
from compound.adapters.mqtt import Bus, BusConfig
from compound.app.wiring import build_core
from compound.config import Config
from compound.domain.clock import SystemClock
from compound.protocol.messages import AccessRequest, DoorEvent, encode, new_id
from compound.protocol.topics import Topics
from compound.services.core import Core
from compound.store.db import Store
from devkit.env import DATA, FACES, seed_compound

log = logging.getLogger(__name__)
PREVIEW_PERIOD_S = 0.25


class DemoSite:
    def __init__(self, traffic: bool = True, camera: str | None = None) -> None:
        self.traffic = traffic
        self.camera = camera  # the camera whose preview is played, when photos are at hand
        self._stop = threading.Event()
        self._feeder: threading.Thread | None = None
        self.seed = json.loads((DATA / "demo_compound.json").read_text(encoding="utf-8"))
        self.topics = Topics(self.seed["site"]["id"])
        self.workdir = Path(tempfile.mkdtemp(prefix="compound-ui-"))
        self._broker: Mosquitto | EmbeddedBroker | None = None
        self.bus_config = BusConfig()
        self.store: Store | None = None
        self.core: Core | None = None
        self._buses: list[Bus] = []

    def start(self) -> DemoSite:
        try:
            m = Mosquitto().start()
            self._broker = m
            self.bus_config = BusConfig(port=m.port)
        except Exception:  # noqa: BLE001 - no Mosquitto binary: the embedded broker will do
            port = free_port()
            eb = EmbeddedBroker(port)
            eb.start()
            self._broker = eb
            self.bus_config = BusConfig(port=port, protocol=4)
        clock = SystemClock()
        self.store = Store(self.workdir / "demo.db", clock, self.workdir / "keys")
        seed_compound(self.store, self.seed)
        core_bus = Bus(self.bus_config, self.topics, "core")
        self._buses.append(core_bus)
        self.core = build_core(self.store, core_bus, clock, Config())
        self.core.start()
        core_bus.start()
        if self.traffic:
            self._traffic(clock)
        if self.camera and FACES.is_dir():
            self._start_preview(self.camera)
        return self

    def bus(self, client_id: str) -> Bus:
        b = Bus(self.bus_config, self.topics, client_id)
        b.start()
        self._buses.append(b)
        return b

    def _traffic(self, clock: SystemClock) -> None:
        dev = self.bus("demo-devices")
        doors = [d["id"] for d in self.seed["doors"]]
        cards = [p["card"] for p in self.seed["people"] if "card" in p] + ["99999"]
        for i, door in enumerate(doors):
            state = "locked" if i != 1 else "open"
            dev.publish(self.topics.door_state(door), {"state": state}, retain=True)
        for i in range(14):
            door = doors[i % len(doors)]
            req = AccessRequest(
                new_id(), door, "card", cards[i % len(cards)], clock.now(), source="demo-reader"
            )
            dev.publish(self.topics.access_request(door), encode(req))
        ev = DoorEvent(doors[2], "forced_open", clock.now(), {})
        dev.publish(self.topics.door_event(doors[2]), encode(ev))
        dev.publish(self.topics.door_state(doors[2]), {"state": "forced"}, retain=True)
        core = self.bus("demo-notices")
        until = time.strftime("%Y-%m-%d", time.localtime(clock.now() + 7 * 86400))
        try:
            core.request(
                "notice.post",
                {
                    "text": "本周六 9:00-12:00 3 号楼停水检修，请提前储水。",
                    "by": "物业",
                    "valid_until": until,
                    "buildings": "3",  # the demo's door panel stands at building 3
                },
                timeout=5.0,
            )
        except Exception as e:  # noqa: BLE001 - the picture is still useful without a notice
            log.warning("demo notice not posted: %s", e)
        time.sleep(0.5)

    def _start_preview(self, camera: str) -> None:
        """A preview frame as the face service sends it: a photo with the box dlib finds."""
        from compound.adapters import images
        from compound.adapters.recognizer import DlibRecognizer

        photo = sorted((FACES / "John_Simm").glob("*.jpg"))[0]
        rgb = images.decode(photo.read_bytes(), what=str(photo))
        boxes = DlibRecognizer().detect(rgb)
        frame = images.jpeg(rgb, boxes)
        result = {
            "camera": camera,
            "status": "not recognised",
            "faces": [{"box": b.as_dict(), "person_id": None} for b in boxes],
        }
        bus = self.bus("demo-camera")
        topics = self.topics

        def feed() -> None:
            while not self._stop.wait(PREVIEW_PERIOD_S):
                bus.publish(topics.face_frame(camera), frame, qos=0)
                bus.publish(topics.face_result(camera), {**result, "at": time.time()}, qos=0)

        self._feeder = threading.Thread(target=feed, name="demo-camera", daemon=True)
        self._feeder.start()

    def stop(self) -> None:
        self._stop.set()
        if self._feeder is not None:
            self._feeder.join(2)
        if self.core is not None:
            self.core.stop()
        for b in reversed(self._buses):
            b.stop()
        if self.store is not None:
            self.store.close()
        if isinstance(self._broker, Mosquitto):
            self._broker.cleanup()
        elif self._broker is not None:
            self._broker.stop()
