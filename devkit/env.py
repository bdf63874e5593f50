"""What every part of the demo shares (``DemoEnv``), and the demo compound's seed data."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from compound.adapters.mqtt import BusConfig
from compound.config import Config
from compound.domain.clock import Clock
from compound.protocol.topics import Topics
from compound.store import officers
from compound.store.db import Store

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
# The residents' test photos, beside the clone (not shipped with it): the face demo, the
# screenshot site, the face tests and benchmarks all read them from here.
FACES = ROOT.parent / "shared" / "faces" / "johns"


class DemoPart(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class DemoEnv:
    """What every part of the demo shares."""

    config: Config
    bus_config: BusConfig
    topics: Topics
    store: Store
    clock: Clock
    headless: bool
    workdir: Path
    seed: dict[str, Any]
    stop: threading.Event = field(default_factory=threading.Event)
    say: Callable[[str], None] = print
    # The photos folder of the face part (devkit/demo_faces.py); None: the face part is off.
    faces: Path | None = None


# "module:factory" for each part; the factory takes the DemoEnv. The simulated door below stands
# in until the hardware bridge with its byte-level simulators takes over.
DEMO_PARTS: list[str] = [
    "devkit.face_demo:FaceDemo",
    "devkit.hardware_demo:HardwareDemo",
    "devkit.windows:Windows",
]


def seed_compound(store: Store, seed: dict[str, Any]) -> None:
    site = seed["site"]
    store.set_setting("site_id", site["id"])
    store.set_setting("site_name", site["name"])
    store.set_setting("timezone", site["timezone"])
    for unit in seed["units"]:
        store.add_unit(unit)
    for d in seed["doors"]:
        store.add_door(d["id"], d["name"], d["serves"], lock_type=d.get("lock", "strike"))
    seed_officers(store, seed.get("officers", []))
    for p in seed["people"]:
        pid = store.add_person(
            p["name"],
            p["unit"],
            p["role"],
            lease_end=p.get("lease_end"),
            id_number=p.get("id_number"),
            lives_alone=p.get("lives_alone", False),
            birth_year=p.get("birth_year"),
        )
        if "card" in p:
            store.add_card(pid, p["card"])
        if "pin" in p:
            store.set_pin(pid, p["pin"])


def seed_officers(store: Store, rows: list[dict[str, Any]]) -> None:
    """The sample's duty officers, who acknowledge alarms at the wall by card or PIN."""
    for o in rows:
        officers.add_officer(store, o["name"], o["badge"], o.get("card"), o.get("pin"), "sample")
