"""The compound of the real size staged for pictures of the wall and the console
(``python -m ui.xian_shots``, which draws them).

``Shots`` takes a database filled by ``compound sample --size xian`` (156 doors, ~24,700
people), copies it, runs the core on its own Mosquitto, gives it a site plan (blocks drawn for
the 62 buildings, every door placed), a forced door and an emergency call from a panel that
rings the wall's station; for the pictures, door alarms already open when the wall starts and
the forced door's camera frame (the picture the wall's pop-up shows).
"""

from __future__ import annotations

import base64
import shutil
import tempfile
from pathlib import Path

import numpy as np

from compound.adapters import images
from compound.adapters.broker import Mosquitto
from compound.adapters.mqtt import Bus, BusConfig
from compound.app.wiring import build_core
from compound.config import Config
from compound.domain.clock import SystemClock
from compound.protocol.messages import DoorEvent, IntercomCall, encode, new_id
from compound.protocol.topics import Topics
from compound.store.db import Store

STATE_OF = {"forced_open": "forced", "held_open": "held_open"}  # a door event's door state
COLS = 11  # buildings per row on the drawn plan
W, H = 1600, 1000


def plan_for(doors: list[str]) -> tuple[bytes, dict[str, tuple[float, float]]]:
    """A plan drawing (blocks for buildings, roads, gates at the edges) and each door's place."""
    rgb = np.full((H, W, 3), (232, 228, 214), dtype=np.uint8)
    spots: dict[str, tuple[float, float]] = {}
    buildings = sorted({int(d[1:].split("-")[0]) for d in doors if d.startswith("b")})
    for i, b in enumerate(buildings):
        r, c = divmod(i, COLS)
        x0, y0 = 70 + c * 136, 60 + r * 130
        rgb[y0 : y0 + 85, x0 : x0 + 105] = (190, 200, 215)
        rgb[y0 : y0 + 85, x0 : x0 + 2] = rgb[y0 : y0 + 2, x0 : x0 + 105] = (90, 100, 120)
        for e in (1, 2, 3):
            spots[f"b{b}-e{e}"] = ((x0 + 18 + (e - 1) * 35) / W, (y0 + 95) / H)
    rgb[H - 45 : H - 20, :] = (150, 150, 150)  # the ring road
    rgb[:, 20:40] = (150, 150, 150)
    edge = {
        "gate-south": (0.5, 0.95),
        "gate-north": (0.5, 0.02),
        "gate-east": (0.985, 0.5),
        "gate-west": (0.015, 0.5),
    }
    spots.update(edge)
    # The garages' ramps along the ring road, clear of the last row's labels and of the south
    # gate between the fourth and the fifth.
    for g in range(1, 9):
        spots[f"garage-{g}"] = (0.02 + g * 0.1 + (0.06 if g > 4 else 0), 0.89)
    return images.jpeg(rgb, width=W, quality=85), {d: spots[d] for d in doors if d in spots}


def camera_frame(width: int = 640, height: int = 480) -> bytes:
    """A door camera's view for the pictures: a lit entrance, its door, someone at it (drawn,
    not a photo of anyone)."""
    y, x = np.mgrid[0:height, 0:width]
    g = 70 + 60 * (x / width) + 30 * (y / height)
    rgb = np.stack([g, g * 0.96, g * 0.9], axis=-1)
    rgb[90:430, 200:440] = (58, 52, 46)  # the door, ajar
    rgb[90:430, 410:440] = (150, 150, 140)
    rgb[430:, :] = (110, 108, 100)  # the floor
    head = (x - 300) ** 2 + (y - 170) ** 2 < 38**2
    body = (abs(x - 300) < 70 - (y - 220) * 0.05) & (y > 205) & (y < 470)
    rgb[head] = (200, 160, 130)
    rgb[body] = (35, 40, 60)
    return images.jpeg(rgb.astype(np.uint8), width=width, quality=85)


class Shots:
    def __init__(self, db: Path, out: Path) -> None:
        self.out = out
        self.work = Path(tempfile.mkdtemp(prefix="xian-shots-"))
        shutil.copy(db, self.work / "c.db")
        if (db.parent / "keys").is_dir():  # the keys the ID numbers were sealed with
            shutil.copytree(db.parent / "keys", self.work / "keys")
        self.broker = Mosquitto().start()
        self.store = Store(self.work / "c.db", SystemClock(), self.work / "keys")
        self.topics = Topics(self.store.site_id)
        self.cfg = BusConfig(port=self.broker.port)
        self.core_bus = Bus(self.cfg, self.topics, "core")
        self.core = build_core(self.store, self.core_bus, SystemClock(), Config())
        self.core.start()
        self.core_bus.start(timeout=30)
        self.admin = Bus(self.cfg, self.topics, "demo-admin")
        self.admin.start(timeout=30)

    def stage(self) -> None:
        doors = [d.id for d in self.store.doors()]
        jpeg, spots = plan_for(doors)
        self.admin.request("siteplan.upload", {"image": base64.b64encode(jpeg).decode()}, 60)
        for door, (x, y) in spots.items():
            self.admin.request("siteplan.place", {"door": door, "x": x, "y": y}, 30)
        self.store.add_station("wall", "officer", ("desk", "officer"))

    def backlog(self, kinds: dict[str, int]) -> None:
        """Door alarms the wall finds open when it starts (``{kind: how many doors}``): they
        wait in its queue and do not pop up."""
        now = SystemClock().now()
        doors = iter(sorted(d.id for d in self.store.doors() if d.id.startswith("b"))[20:])
        for kind, n in kinds.items():
            for _ in range(n):
                door = next(doors)
                self.admin.publish(self.topics.door_event(door), encode(DoorEvent(door, kind, now)))
                if kind in STATE_OF:
                    self.door_state(door, STATE_OF[kind])

    def boards_report(self) -> None:
        """Every door's state as its board reports it (retained): locked."""
        for d in self.store.doors():
            self.door_state(d.id, "locked")

    def door_state(self, door: str, state: str) -> None:
        body = {"state": state, "door_id": door, "at": SystemClock().now()}
        self.admin.publish(self.topics.door_state(door), body, retain=True)

    def camera(self, door: str) -> None:
        """A frame from the door's camera, as the face service publishes its previews: the
        picture the core keeps with an urgent alarm raised there in the next seconds."""
        self.admin.publish(self.topics.face_frame(door), camera_frame())

    def incidents(self) -> None:
        """A forced door (12号楼2单元) and an emergency call from a panel (37号楼1单元)."""
        self.forced()
        self.emergency_call()

    def forced(self) -> None:
        now = SystemClock().now()
        self.admin.publish(
            self.topics.door_event("b12-e2"), encode(DoorEvent("b12-e2", "forced_open", now))
        )
        self.door_state("b12-e2", "forced")

    def emergency_call(self) -> None:
        now = SystemClock().now()
        self.admin.publish(
            self.topics.intercom_call("b37-e1"),
            encode(IntercomCall("emergency", new_id(), now)),
        )

    def close(self) -> None:
        self.admin.stop()
        self.core.stop()
        self.core_bus.stop()
        self.store.close()
        self.broker.cleanup()
        shutil.rmtree(self.work, ignore_errors=True)
