"""`compound bridge` on the shipped broker config, as the broker user `devices add` issued it,
with only the per-door key files it was given: a captured unlock replayed after a restart opens
nothing, a SIGKILL during an unlock leaves the door locked, and door events while the core is
down reach the log. The board and the entrance MCU are byte-level simulators on ptys; what the
doors did is read from the board's own coils. Judged with fences (the bridge's answer to the
replay, the keeper's lock, the logged event), never a sleep. Home Assistant, as its own broker
user, gets every discovery config the bridge publishes for its doors."""

from __future__ import annotations

import json
import os
import signal
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from compound.adapters.mqtt import Bus
from compound.app.devices import door_key_file
from compound.app.wiring import build_core
from compound.config import Config
from compound.domain.clock import SystemClock
from compound.protocol.door_list import encode_door_list
from compound.services.core import Core
from compound.store.db import Store
from devkit.simulators import VirtualIntercomMCU, VirtualRelayBoard
from firmware_bridge.discovery import discovery_messages
from tests.firmware_bridge.conftest import EXIT, FIRE, wait_for
from tests.firmware_bridge.test_fail_safe import bridge_process
from tests.security.conftest import SecuredBroker
from tests.security.test_api_actor import Seen

pytestmark = [pytest.mark.integration]


@dataclass
class Box:
    secured: SecuredBroker
    store: Store
    core: Core
    seen: Seen
    watch: Bus
    board: VirtualRelayBoard
    mcu: VirtualIntercomMCU
    config: Path

    def start_core(self) -> None:
        # Commands live 30 s here, so that a replay after the restart is not merely expired.
        cfg = Config()
        cfg = replace(cfg, core=replace(cfg.core, command_ttl_s=30.0))
        self.core = build_core(self.store, self.secured.bus("core"), self.store.clock, cfg)
        self.core.start()
        self.core.bus.start(timeout=10)

    def stop_core(self) -> None:
        self.core.stop()
        self.core.bus.stop()

    def locked_since(self, mark: int, door: str = "d1") -> bool:
        t = self.secured.topics.all(f"door/{door}/state")
        return any(m.topic == t and b'"locked"' in m.payload for m in self.seen.since(mark))


@pytest.fixture(scope="module")
def box(secured: SecuredBroker) -> Iterator[Box]:
    work = Path(tempfile.mkdtemp(prefix="compound-bridge-sec-"))
    store = Store(secured.db, SystemClock(), secured.dir / "keys")
    store.add_unit("3-2-1501")
    store.add_door("d1", "Building 3 entrance 2", ["3-2"], open_time_s=2.0)
    store.add_door("d2", "Building 3 entrance 3", ["3-2"], lock_type="maglock")
    keys_dir = work / "bridge-keys"
    keys_dir.mkdir(mode=0o700)
    for door, hexkey in secured.door_keys["bridge1"].items():  # from `devices add bridge1`
        path = door_key_file(keys_dir, door)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, bytes.fromhex(hexkey))
        os.close(fd)
    (work / "bridge1.pass").write_text(secured.passwords["bridge1"])
    board, mcu = VirtualRelayBoard(unit=1), VirtualIntercomMCU(heartbeat_s=0.3)
    board.start()
    mcu.start()
    config = work / "bridge.toml"
    config.write_text(f"""
[site]
id = "{secured.topics.site}"
[broker]
port = {secured.broker.port}
username = "bridge1"
password_file = "{work / "bridge1.pass"}"
[store]
path = "{work / "unused.db"}"
[bridge]
client_id = "bridge1"
key_dir = "{keys_dir}"
state_dir = "{work / "state"}"
poll_interval_s = 0.02
[[bridge.boards]]
name = "b1"
port = "{board.port}"
baud = 115200
unit = 1
inputs = 8
fire_input = {FIRE}
[[bridge.doors]]
id = "d1"
board = "b1"
relay = 0
contact = 0
exit = {EXIT}
open_time_s = 2.0
[[bridge.doors]]
id = "d2"
board = "b1"
relay = 1
contact = 3
lock = "maglock"
[[bridge.mcus]]
name = "m1"
port = "{mcu.port}"
door = "d1"
""")
    seen = Seen()
    watch = secured.bus("watch")  # a core-role observer: it may read (and write) every topic
    watch.subscribe(secured.topics.all("#"), seen)
    watch.start(timeout=10)
    b = Box(secured, store, None, seen, watch, board, mcu, config)  # type: ignore[arg-type]
    b.start_core()
    yield b
    b.stop_core()
    watch.stop()
    board.stop()
    mcu.stop()
    store.close()


def started(box: Box) -> Any:
    """`compound bridge` as bridge1, returned once it is online (subscribed) and drove d1
    locked: a bridge stopped just before says "locked" as it stops, but never "online"."""
    mark = box.seen.mark()
    ctx = bridge_process(box.config)
    proc = ctx.__enter__()
    online = box.secured.topics.availability("bridge1")

    def up() -> bool:
        return any(m.topic == online and m.payload == b"online" for m in box.seen.since(mark))

    wait_for(up, timeout=60, what="the bridge process online")
    wait_for(lambda: box.locked_since(mark), timeout=60, what="the bridge drives d1 locked")
    return ctx, proc


def test_a_captured_unlock_replayed_after_a_restart_opens_nothing(box: Box) -> None:
    t = box.secured.topics
    ctx, proc = started(box)
    try:
        mark = box.seen.mark()
        box.core.send_command("d1", "unlock", "captured", 2.0)
        wait_for(lambda: box.board.coils[0] is True, timeout=60, what="the genuine unlock opens d1")
        captured = next(m for m in box.seen.since(mark) if m.topic == t.door_cmd("d1"))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    finally:
        ctx.__exit__(None, None, None)
    ctx, proc = started(box)
    try:
        history = len(box.board.history)
        mark = box.seen.mark()
        box.watch.publish(t.door_cmd("d1"), captured.payload, qos=1)  # within its 30 s of life
        cid = json.loads(captured.payload)["id"]

        def answer() -> dict[str, Any] | None:
            for m in box.seen.since(mark):
                if m.topic == t.door_ack("d1") and json.loads(m.payload).get("command_id") == cid:
                    return dict(json.loads(m.payload))
            return None

        ack = wait_for(answer, what="the bridge's answer to the replay")
        assert ack["ok"] is False and ack["reason"] in ("issued_before_start", "out_of_order")
        assert [c for c in box.board.history[history:] if c.channel == 0 and c.on] == []
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
        ctx.__exit__(None, None, None)


def test_a_bridge_killed_during_an_unlock_leaves_the_door_locked(box: Box) -> None:
    ctx, proc = started(box)
    try:
        box.core.send_command("d1", "unlock", "long", 30.0)
        box.core.send_command("d2", "unlock", "long", 30.0)
        wait_for(lambda: box.board.coils[0] is True, timeout=60, what="strike d1 powered (open)")
        wait_for(
            lambda: box.board.coils[1] is False, timeout=60, what="maglock d2 unpowered (open)"
        )
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(15)
        wait_for(
            lambda: box.board.coils[0] is False, timeout=60, what="d1 locked by the lock keeper"
        )
        wait_for(
            lambda: box.board.coils[1] is True, timeout=60, what="d2 locked by the lock keeper"
        )
    finally:
        ctx.__exit__(None, None, None)


def test_door_events_while_the_core_is_down_reach_the_log(box: Box) -> None:
    ctx, proc = started(box)
    try:
        box.stop_core()
        box.board.set_input(EXIT, True)  # someone leaves while the core is down
        wait_for(
            lambda: box.board.coils[0] is True,
            timeout=60,
            what="the exit button opens d1 by itself",
        )
        box.board.set_input(EXIT, False)
        box.start_core()

        def logged() -> bool:
            return bool(box.store.events(types=["door.exit_button"], door_id="d1"))

        wait_for(logged, timeout=60, what="the exit press logged after the core returned")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
        ctx.__exit__(None, None, None)


def test_home_assistant_gets_every_discovery_config_of_the_bridges_doors(box: Box) -> None:
    """The shipped ACL lets bridge1 write its own doors' retained discovery configs: the ha
    device, connecting after the bridge came up, reads all of them as the bridge sent them
    (a config the broker dropped would never come, and the wait would end in a failure). And
    its list of the doors it is wired for, under its broker user, which the core reads."""
    t = box.secured.topics
    want = {
        topic: payload
        for topic, payload in discovery_messages(t, "bridge1", ["d1", "d2"], ha_user="ha")
    }
    assert len(want) == 10  # a lock and four sensors for each of d1 and d2
    ctx, proc = started(box)
    try:
        got: dict[str, Any] = {}
        ha = box.secured.bus("ha1", client_id=f"ha1-{os.getpid()}")
        ha.subscribe("homeassistant/#", lambda m: got.update({m.topic: json.loads(m.payload)}))
        ha.start(timeout=10)
        try:
            wait_for(lambda: want.keys() <= got.keys(), timeout=60, what="every config in HA")
        finally:
            ha.stop()
        assert {topic: got[topic] for topic in want} == want
        wired = encode_door_list(["d1", "d2"])
        assert box.seen.wait_for(
            lambda m: m.topic == t.bridge_doors("bridge1") and m.payload == wired, 60
        ), "the bridge's list of its doors never reached the core"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
        ctx.__exit__(None, None, None)
