"""``compound bridge`` (the door hardware service) and ``compound simulate`` (hardware peers)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compound.adapters.mqtt import BusError, eprint
from compound.domain.model import InvalidInput

if TYPE_CHECKING:
    from compound.app.context import Context


def cmd_bridge(ctx: Context) -> int:
    from compound.app.context import stop_on_signal
    from firmware_bridge.bridge import Bridge
    from firmware_bridge.door_keys import DoorKeyError, load_door_keys
    from firmware_bridge.event_journal import JournalError

    cfg = ctx.config
    if not cfg.bridge.doors:
        raise InvalidInput("no doors in [bridge] of the config; see docs/serial-protocol.md")
    beside_db = Path(ctx.db_path).parent
    key_dir = Path(cfg.bridge.key_dir or cfg.store.key_dir or beside_db / "keys")
    state_dir = Path(cfg.bridge.state_dir or beside_db / "bridge")
    # Only the command keys of its own doors, never the master key (see door_keys).
    try:
        door_keys = load_door_keys(key_dir, [d.id for d in cfg.bridge.doors])
    except DoorKeyError as e:
        raise InvalidInput(f"bridge: {e}") from None
    bus = ctx.bus(cfg.bridge.client_id)
    try:
        bridge = Bridge(cfg.bridge, bus, ctx.clock, door_keys.__getitem__, state_dir=state_dir)
    except ValueError as e:
        raise InvalidInput(str(e)) from None
    # Before anything can move a relay: from here on SIGTERM and Ctrl-C end in bridge.stop(),
    # which locks every door the bridge released.
    stop = stop_on_signal()
    rc = 0
    try:
        try:
            bridge.start()
        except JournalError as e:
            eprint(f"compound: bridge: {e}")
            return 1
        # The door loops run meanwhile (exit button, fire input); a stop request is honoured
        # while the broker is still unreachable.
        while not stop.is_set():
            try:
                bus.start(timeout=3.0, announce=eprint)
                break
            except BusError:
                continue
        if not stop.is_set():
            eprint(f"bridge running: {len(bridge.doors)} doors, {len(bridge.boards)} boards")
        while not stop.wait(0.5):
            if bridge.failed.is_set():
                eprint("bridge: a device loop failed (see the log); locking doors and exiting")
                rc = 1
                break
    finally:
        bridge.stop()
        bus.stop()
    return rc


def cmd_simulate(ctx: Context) -> int:
    from compound.app.context import stop_on_signal
    from devkit.simulators import (
        VirtualIndoorStation,
        VirtualIntercomMCU,
        VirtualRelayBoard,
    )

    args = ctx.args
    board = VirtualRelayBoard(unit=args.unit, channels=args.channels)
    mcu = VirtualIntercomMCU()
    board.start()
    mcu.start()
    bus = None
    stations: list[dict[str, Any]] = []
    if args.station:
        bus = ctx.bus("simulated-stations")
        for spec in args.station:
            station, _, unit = spec.partition("=")
            if not station or not unit:
                raise InvalidInput(f"--station {spec!r}: write STATION=UNIT, e.g. st1=3-2-1501")
            VirtualIndoorStation(bus, station, unit).start()
            stations.append({"station": station, "unit": unit})
        bus.start(timeout=float("inf"), announce=eprint)
    ctx.out(
        {"board": board.port, "unit": args.unit, "mcu": mcu.port, "stations": stations},
        f"relay board (Modbus unit {args.unit}) on {board.port}\nintercom MCU on {mcu.port}"
        + "".join(f"\nindoor station {s['station']} for {s['unit']}" for s in stations),
    )
    stop = stop_on_signal()
    try:
        stop.wait()
    finally:
        if bus is not None:
            bus.stop()
        board.stop()
        mcu.stop()
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    sp = sub.add_parser(
        "bridge", help="run the door hardware bridge", parents=[common],
        description="Drive the relay boards and entrance MCUs of [bridge] in the config.",
    )  # fmt: skip
    sp.set_defaults(fn=cmd_bridge)
    sp = sub.add_parser(
        "simulate", help="simulated relay board, intercom MCU and indoor stations",
        parents=[common],
        description="Byte-level hardware peers on pseudo-terminals, for trying the bridge.",
    )  # fmt: skip
    sp.add_argument("--unit", type=int, default=1, help="Modbus unit id of the board")
    sp.add_argument("--channels", type=int, default=16, help="relays and inputs on the board")
    sp.add_argument("--station", action="append", help="STATION=UNIT, an MQTT indoor station")
    sp.set_defaults(fn=cmd_simulate)
