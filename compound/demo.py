"""``compound demo``: the whole appliance on one machine, with simulated hardware.

It starts a broker (the embedded one unless a broker is configured), seeds a sample compound
into a fresh database, runs the core, the device side from ``DEMO_PARTS`` and a little traffic of
residents presenting cards, and prints every logged event as it happens.
"""

from __future__ import annotations

import importlib
import json
import random
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from compound.broker import EmbeddedBroker, free_port
from compound.bus import Bus, BusConfig, Message, eprint
from compound.clock import Clock, SystemClock
from compound.config import BrokerConfig, Config
from compound.core import Core
from compound.messages import AccessRequest, encode, new_id
from compound.store import Store
from compound.topics import Topics

if TYPE_CHECKING:
    from compound.cli import Context

DATA = Path(__file__).resolve().parent.parent / "data"


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


# "module:factory" for each part; the factory takes the DemoEnv. The simulated door below stands
# in until the hardware bridge with its byte-level simulators takes over.
DEMO_PARTS: list[str] = [
    "compound.face.demo:FaceDemo",
    "firmware_bridge.demo:HardwareDemo",
    "ui.demo_part:Windows",
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


class Traffic:
    """Residents and strangers presenting cards at the doors, every second or two."""

    def __init__(self, env: DemoEnv) -> None:
        self.env = env
        self.bus = Bus(env.bus_config, env.topics, "demo-readers")
        self._thread = threading.Thread(target=self._run, name="traffic", daemon=True)

    def start(self) -> None:
        self.bus.start()
        self._thread.start()

    def stop(self) -> None:
        self._thread.join(3)
        self.bus.stop()

    def _run(self) -> None:
        rng = random.Random(7)  # noqa: S311 - demo traffic, not security
        cards = [p["card"] for p in self.env.seed["people"] if "card" in p]
        doors = [d["id"] for d in self.env.seed["doors"]]
        while not self.env.stop.wait(rng.uniform(1.0, 2.0)):
            card = rng.choice(cards) if rng.random() < 0.85 else str(rng.randint(90000, 99999))
            door = rng.choice(doors)
            req = AccessRequest(
                new_id(), door, "card", card, self.env.clock.now(), source="demo-reader"
            )
            self.bus.publish(self.env.topics.access_request(door), encode(req))


def _printer(env: DemoEnv) -> Bus:
    from compound.cli import format_event

    bus = Bus(env.bus_config, env.topics, "demo-console")

    def show(msg: Message) -> None:
        try:
            env.say(format_event(json.loads(msg.payload)))
        except (ValueError, KeyError, TypeError):
            pass

    bus.subscribe(env.topics.events("#"), show)
    bus.start()
    return bus


def run_demo(ctx: Context) -> int:
    args = ctx.args
    cfg = ctx.config
    clock = SystemClock()
    workdir = Path(tempfile.mkdtemp(prefix="compound-demo-"))
    broker = None
    if cfg.broker.embedded or ctx.args.config is None:
        port = free_port()
        broker = EmbeddedBroker(port)
        broker.start()
        cfg = replace(cfg, broker=BrokerConfig(port=port, protocol=4, embedded=True))
        eprint(f"embedded broker on 127.0.0.1:{port}")
    from compound.cli import bus_config

    seed = json.loads((DATA / "demo_compound.json").read_text(encoding="utf-8"))
    cfg = replace(cfg, site=replace(cfg.site, id=seed["site"]["id"]))
    db = Path(args.db) if args.db else workdir / "demo.db"
    store = Store(db, clock, workdir / "keys")
    if not store.doors():
        seed_compound(store, seed)
    topics = Topics(cfg.site.id)
    env = DemoEnv(cfg, bus_config(cfg), topics, store, clock, bool(args.headless), workdir, seed)
    core_bus = Bus(env.bus_config, topics, "core")
    core = Core(store, core_bus, clock, cfg)
    core.start()
    core_bus.start()
    printer = _printer(env)
    parts: list[DemoPart] = []
    try:
        for spec in DEMO_PARTS:
            module, _, name = spec.partition(":")
            part = getattr(importlib.import_module(module), name)(env)
            part.start()
            parts.append(part)
        eprint(f"demo running: database {db}; Ctrl-C to stop")
        from compound.cli import _stop_on_signal

        stop = _stop_on_signal()
        stop.wait(args.seconds)
    finally:
        env.stop.set()
        for part in reversed(parts):
            part.stop()
        printer.stop()
        core.stop()
        core_bus.stop()
        if broker is not None:
            broker.stop()
        verdict = store.verify_log()
        eprint(
            f"demo stopped: {verdict.events} events, log "
            f"{'intact' if verdict.ok else 'BROKEN: ' + verdict.problem}"
        )
        store.close()
    return 0
