"""``compound bridge`` (the door hardware service) and ``compound simulate`` (hardware peers)."""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compound.adapters.mqtt import Bus, BusError, eprint
from compound.adapters.systemd import Notifier
from compound.domain.model import InvalidInput

if TYPE_CHECKING:
    from compound.app.context import Context
    from firmware_bridge.bridge import Bridge


def doors_locked(bridge: Bridge) -> bool:
    """Every door has been driven locked: its board or MCU answered, the door left "offline",
    and the board's thread has written what was queued for it (the locked output first)."""
    return all(
        door.machine.online and bridge.boards[door.wiring.board].jobs.empty()
        for door in bridge.doors.values()
    )


def bridge_health(bridge: Bridge, bus: Bus, bus_started: threading.Event) -> str | None:
    """None while the bridge can do its job; otherwise what is wrong, in one line.

    Its serial lines answer (every relay board polls, every entrance MCU is heard, no door is
    offline), its device threads run, and once the bus has been started its network thread
    runs (that thread reconnects by itself while the broker is away, which is no fault of the
    bridge: the doors work without the bus)."""
    if bridge.failed.is_set():
        return "a device thread failed"
    dead = [n for n, b in bridge.boards.items() if b.thread is not None and not b.thread.is_alive()]
    if dead:
        return f"the thread of board {', '.join(sorted(dead))} is not running"
    silent = sorted(
        [n for n, b in bridge.boards.items() if not b.up]
        + [m.wiring.name for m in bridge.mcus if m.board is None and not m.alive]
    )
    if silent:
        return f"no answer on the serial line of {', '.join(silent)}"
    offline = sorted(d for d, door in bridge.doors.items() if not door.machine.online)
    if offline:
        return f"door {', '.join(offline)} offline"
    if bus_started.is_set() and not bus.network_alive:
        return "the bus network thread is not running"
    return None


def supervise(
    bridge: Bridge,
    bus: Bus,
    bus_started: threading.Event,
    stop: threading.Event,
    say: Callable[[str], None],
    notifier: Notifier | None = None,
) -> None:
    """Tell systemd READY=1 once every door is driven locked, then WATCHDOG=1 only while
    ``bridge_health`` finds nothing wrong (until ``stop``). A door that never comes online
    means no READY=1: systemd's start timeout then restarts the bridge, which reopens its
    serial lines."""
    notifier = notifier or Notifier()
    while not doors_locked(bridge):
        if stop.wait(0.05):
            return
    notifier.ready()
    say(f"ready: {len(bridge.doors)} doors driven locked")
    notifier.watch(lambda: bridge_health(bridge, bus, bus_started), stop, say)


def cmd_bridge(ctx: Context) -> int:
    from compound.app.context import stop_on_signal
    from firmware_bridge.bridge import Bridge
    from firmware_bridge.door_keys import DoorKeyError, load_door_keys
    from firmware_bridge.event_journal import JournalError
    from firmware_bridge.lock_keeper import Keeper

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
    # which locks every door the bridge released; and should this process die without that
    # (SIGKILL, a crash), its lock keeper locks them (see lock_keeper).
    stop = stop_on_signal()
    keeper = Keeper(cfg.bridge)
    keeper.start()
    rc = 0
    # systemd hears READY=1 and WATCHDOG=1 from this thread (see supervise).
    watch_stop, bus_started = threading.Event(), threading.Event()
    notifier = Notifier()
    watcher = threading.Thread(
        target=supervise,
        args=(bridge, bus, bus_started, watch_stop, lambda s: eprint(f"bridge {s}"), notifier),
        name="watchdog",
        daemon=True,
    )
    try:
        try:
            bridge.start()
        except JournalError as e:
            eprint(f"compound: bridge: {e}")
            return 1
        watcher.start()
        # The door loops run meanwhile (exit button, fire input); a stop request is honoured
        # while the broker is still unreachable.
        while not stop.is_set():
            try:
                bus.start(timeout=3.0, announce=eprint)
                bus_started.set()
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
            if not keeper.ensure():
                eprint("bridge: the lock keeper had stopped; started it again")
    finally:
        watch_stop.set()
        notifier.stopping()
        bridge.stop()
        keeper.done()  # the doors are locked: the keeper goes without touching them
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
    if args.issue_pass:
        if not stations:
            raise InvalidInput("--issue-pass needs a --station to issue it from")
        stations[0]["pass"] = _issue_pass(ctx, stations[0], args.issue_pass)
    ctx.out(
        {"board": board.port, "unit": args.unit, "mcu": mcu.port, "stations": stations},
        f"relay board (Modbus unit {args.unit}) on {board.port}\nintercom MCU on {mcu.port}"
        + "".join(f"\nindoor station {s['station']} for {s['unit']}" for s in stations)
        + "".join(
            f"\nvisitor pass for {p['visitor']} to {p['unit']}, {p['uses']} use(s) until "
            f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(p['valid_until']))}; "
            f"QR code text: {p['token']}"
            for s in stations
            if (p := s.get("pass"))
        ),
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


def _issue_pass(ctx: Context, station: dict[str, Any], visitor: str) -> dict[str, Any]:
    """The first station invites ``visitor``, on a bus of its own as the station's user (the
    core takes the unit from that user; with a broker that checks users, give the station's
    credentials in the config)."""
    from devkit.simulators import VirtualIndoorStation

    bus = ctx.bus(station["station"])
    bus.start(timeout=float(os.environ.get("COMPOUND_BUS_TIMEOUT", "10")), announce=eprint)
    try:
        sim = VirtualIndoorStation(bus, station["station"], station["unit"])
        reply: dict[str, Any] = sim.issue_pass(visitor, ctx.args.pass_hours, ctx.args.pass_uses)
        return reply
    finally:
        bus.stop()


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
    sp.add_argument(
        "--issue-pass", metavar="VISITOR",
        help="the first --station issues a visitor pass for its unit and prints its QR text",
    )  # fmt: skip
    sp.add_argument("--pass-hours", type=float, default=4.0, help="how long the pass lasts")
    sp.add_argument("--pass-uses", type=int, default=1, help="how many times it opens")
    sp.set_defaults(fn=cmd_simulate)
