"""``compound demo``: the whole appliance on one machine, with simulated hardware.

It starts a broker in its own process (Mosquitto; the embedded amqtt broker only where Mosquitto
is not installed), seeds a sample compound into a fresh database, runs the core and the parts in
``DEMO_PARTS`` (face, the hardware bridge with its byte-level simulators, the touchscreens), and
prints every logged event as it happens.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from compound.adapters.broker import EmbeddedBroker, Mosquitto, free_port, mosquitto_installed
from compound.adapters.mqtt import Bus, Message, eprint
from compound.app.context import bus_config, format_event, stop_on_signal
from compound.app.wiring import build_core
from compound.config import BrokerConfig, Config
from compound.domain.clock import SystemClock
from compound.protocol.topics import Topics
from compound.store.db import Store
from devkit import demo_faces
from devkit.env import DATA, DemoEnv, DemoPart, seed_compound
from devkit.face_demo import FaceDemo
from devkit.hardware_demo import HardwareDemo
from devkit.windows import Windows

if TYPE_CHECKING:
    from compound.app.context import Context

# The parts, in the order they start; each is built with the DemoEnv.
DEMO_PARTS: tuple[Callable[[DemoEnv], DemoPart], ...] = (FaceDemo, HardwareDemo, Windows)


def _start_broker(cfg: Config, workdir: Path) -> tuple[Mosquitto | EmbeddedBroker, Config]:
    """A broker in a process of its own, so a busy demo (dlib, the bridge's polling, seven
    clients) cannot slow it down; the embedded one only where Mosquitto is missing."""
    port = free_port()
    broker: Mosquitto | EmbeddedBroker
    if mosquitto_installed():
        broker = Mosquitto(port, workdir=workdir / "mosquitto")
        broker.start()
        cfg = replace(cfg, broker=BrokerConfig(port=port, protocol=5))
        eprint(f"Mosquitto on 127.0.0.1:{port}")
    else:
        broker = EmbeddedBroker(port)
        broker.start()
        cfg = replace(cfg, broker=BrokerConfig(port=port, protocol=4, embedded=True))
        eprint(f"Mosquitto is not installed: embedded broker on 127.0.0.1:{port}")
    return broker, cfg


def _printer(env: DemoEnv) -> Bus:

    bus = Bus(env.bus_config, env.topics, "demo-console")

    def show(msg: Message) -> None:
        try:
            env.say(format_event(json.loads(msg.payload)))
        except (ValueError, KeyError, TypeError):
            pass

    bus.subscribe(env.topics.events("#"), show)
    bus.start(timeout=float("inf"), announce=eprint)
    return bus


def run_demo(ctx: Context) -> int:
    args = ctx.args
    cfg = ctx.config
    # Before anything starts: a --faces folder that cannot be used is refused, and a face part
    # that is off says why, once.
    cast, why = demo_faces.choose(getattr(args, "faces", None))
    if why:
        eprint(why)
    workdir = Path(tempfile.mkdtemp(prefix="compound-demo-"))
    # Whatever started is stopped, whatever fails after it: the broker (a process of its own),
    # the database, the core and its bus. A bus that did not connect (the config's broker not
    # there, Ctrl-C while it waited) left the core's threads running behind the error.
    broker: Mosquitto | EmbeddedBroker | None = None
    try:
        if cfg.broker.embedded or ctx.args.config is None:
            broker, cfg = _start_broker(cfg, workdir)
        return _run(ctx, cfg, workdir, cast.folder if cast is not None else None)
    finally:
        if broker is not None:
            broker.stop()


def _run(ctx: Context, cfg: Config, workdir: Path, faces: Path | None) -> int:
    args = ctx.args
    clock = SystemClock()
    seed = json.loads((DATA / "demo_compound.json").read_text(encoding="utf-8"))
    cfg = replace(cfg, site=replace(cfg.site, id=seed["site"]["id"]))
    db = Path(args.db) if args.db else workdir / "demo.db"
    store = Store(db, clock, workdir / "keys")
    try:
        if not store.doors():
            seed_compound(store, seed)
        topics = Topics(cfg.site.id)
        env = DemoEnv(
            cfg, bus_config(cfg), topics, store, clock, bool(args.headless), workdir, seed
        )
        env.faces = faces
        core_bus = Bus(env.bus_config, topics, "core")
        core = build_core(store, core_bus, clock, cfg)
        printer: Bus | None = None
        parts: list[DemoPart] = []
        try:
            core.start()
            core_bus.start(announce=eprint)
            printer = _printer(env)
            for make in DEMO_PARTS:
                part = make(env)
                part.start()
                parts.append(part)
            eprint(f"demo running: database {db}; Ctrl-C to stop")
            stop = stop_on_signal()
            stop.wait(args.seconds)
        finally:
            env.stop.set()
            for part in reversed(parts):
                part.stop()
            if printer is not None:
                printer.stop()
            core.stop()
            core_bus.stop()
    finally:
        verdict = store.verify_log()
        eprint(
            f"demo stopped: {verdict.events} events, log "
            f"{'intact' if verdict.ok else 'BROKEN: ' + verdict.problem}"
        )
        store.close()
    return 0
