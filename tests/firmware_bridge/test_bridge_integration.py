"""Core, bridge and byte-level simulators on a real Mosquitto and real pty byte streams."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import pytest

from compound.adapters.mqtt import Message
from compound.protocol.messages import DoorCommand, encode
from tests.firmware_bridge.conftest import CONTACT, EXIT, FIRE, TAMPER, Rig, wait_for

pytestmark = pytest.mark.integration


def test_card_grant_energises_coil_and_is_acknowledged(rig: Rig) -> None:
    """A card on the Wiegand reader → core grant → signed command → coil → ack on the bus."""
    rig.mcu.card(10001)
    change = wait_for(lambda: [c for c in rig.board.history if c.channel == 0], what="coil")
    assert change[0].on is True  # strike: powered = released
    acks = wait_for(lambda: rig.messages("door/d1/ack"), what="ack")
    assert "command_id" in json.loads(acks[0].payload)
    wait_for(lambda: rig.bridge.status()["doors"]["d1"]["state"] == "unlocked")
    # The person walks through; closing the door relocks at once.
    rig.board.set_input(CONTACT, True)
    wait_for(lambda: "opened" in rig.events(), what="opened")
    rig.board.set_input(CONTACT, False)
    wait_for(lambda: rig.board.coils[0] is False, what="relock on close")
    wait_for(lambda: rig.events()[-3:] == ["opened", "closed", "locked"], what="events in order")


def test_unknown_card_never_moves_a_relay(rig: Rig) -> None:
    """A denied card is logged by the core and leaves every coil alone."""
    before = len(rig.board.history)
    rig.mcu.card(55555)
    wait_for(lambda: rig.core.counters["access.denied"] >= 1, what="denial")
    assert len(rig.board.history) == before


def _command(rig: Rig, **kw: object) -> DoorCommand:
    master = rig.store.master_key
    from compound.adapters import keys

    now = rig.core.clock.now()
    base = {
        "id": "x",
        "door_id": "d1",
        "action": "unlock",
        "issued_at": now,
        "expires_at": now + 30,
        "reason": "test",
        "seq": rig.core._next_seq(),
    }
    base.update(kw)
    return DoorCommand(**base).signed(keys.door_command_key(master, "d1"))  # type: ignore[arg-type]


def test_bad_commands_never_actuate(rig: Rig) -> None:
    """Malformed, wrong-typed, unknown door, oversized, stale, replayed, forged, retained."""
    bus = rig.bus("attacker")
    t = rig.topics
    good = _command(rig, id="good")  # a legitimate command, captured and replayed later
    bus.publish(t.door_cmd("d1"), encode(good))
    wait_for(lambda: rig.board.coils[0], what="first unlock")
    rig.core.send_command("d1", "lock", "test over")
    wait_for(lambda: rig.board.coils[0] is False, what="locked again")
    history = len(rig.board.history)
    now = rig.core.clock.now()
    bad = [
        (t.door_cmd("d1"), b"{nope"),
        (t.door_cmd("d1"), json.dumps({**good.body(), "seq": "1"}).encode()),
        (t.door_cmd("d9"), encode(_command(rig, door_id="d9"))),
        (t.door_cmd("d1"), b"{" + b" " * 20000 + b"}"),
        (
            t.door_cmd("d1"),
            encode(_command(rig, id="stale", issued_at=now - 10, expires_at=now - 5)),
        ),
        (t.door_cmd("d1"), encode(good)),  # replayed
        (t.door_cmd("d1"), encode(DoorCommand(**{**good.body(), "id": "forged", "mac": "00"}))),
        (t.door_cmd("d1"), encode(_command(rig, id="older", seq=5))),  # out of order
    ]
    for topic, payload in bad:
        bus.publish(topic, payload)
    wait_for(lambda: sum(rig.bridge.guard.refused.values()) >= 8, what="all refused")
    # A retained command reaches a bridge that (re)connects later, flagged as retained.
    rig.bridge_bus.stop()
    retained = _command(rig, id="ret")
    bus.publish(t.door_cmd("d1"), encode(retained), retain=True)
    rig.bridge_bus.start(timeout=10)
    wait_for(lambda: rig.bridge.guard.refused["retained"] >= 1, what="retained refused")
    bus.publish(t.door_cmd("d1"), b"", retain=True)  # clear it from the broker
    refused = rig.bridge.guard.refused
    for reason in ("malformed", "unknown_door", "oversized", "expired", "replayed", "bad_mac"):
        assert refused[reason] >= 1, reason
    assert refused["out_of_order"] >= 1 and refused["retained"] >= 1
    assert len(rig.board.history) == history
    assert rig.bridge_bus.connected  # and the bridge is still running


def test_exit_button_and_fire_work_without_core(rig: Rig) -> None:
    """Life safety with the core gone: exit button releases, fire releases every egress door."""
    rig.core_bus.stop()
    rig.board.set_input(EXIT, True)
    wait_for(lambda: rig.board.coils[0] is True, what="exit release")
    rig.board.set_input(EXIT, False)
    rig.board.set_input(FIRE, True)
    # d2 is a maglock: released means its coil loses power.
    wait_for(lambda: rig.board.coils[1] is False, timeout=15, what="fire release")
    # The event waits in the bridge's journal until a core acknowledges it (test_event_delivery).
    wait_for(lambda: rig.bridge.counters["event.fire_release"] >= 2, what="fire events")
    rig.board.set_input(FIRE, False)
    wait_for(lambda: rig.board.coils[1] is True and rig.board.coils[0] is False, what="relock")


def test_forced_held_and_tamper_alarms(rig: Rig) -> None:
    """Opening without a grant, holding open and tampering become alarms in the core."""
    rig.board.set_input(CONTACT, True)
    wait_for(lambda: "forced_open" in rig.events(), what="forced")
    rig.board.set_input(CONTACT, False)
    rig.board.set_input(TAMPER, True)
    wait_for(lambda: "tamper" in rig.events(), what="tamper")
    rig.mcu.card(10001)
    wait_for(lambda: rig.board.coils[0] is True, what="grant")
    rig.board.set_input(CONTACT, True)
    wait_for(lambda: "held_open" in rig.events(), timeout=15, what="held open")
    alarms = wait_for(lambda: len(rig.store.alarms()) >= 3 and rig.store.alarms())
    assert {a.kind for a in alarms} >= {"forced_open", "tamper", "held_open"}


def test_board_stops_answering_then_returns(rig: Rig) -> None:
    """A silent board: doors go offline (retained), commands refused, relock on return."""
    rig.board.answering = False
    wait_for(lambda: not rig.bridge.boards["b1"].up, what="board down")
    states = wait_for(
        lambda: [m for m in rig.messages("door/d1/state") if b'"offline"' in m.payload]
    )
    assert states
    wait_for(
        lambda: rig.messages("device/b1/availability")[-1].payload == b"offline",
        what="board reported offline",
    )
    history = len(rig.board.history)
    rig.mcu.card(10001)  # granted by the core, but the door is offline
    wait_for(lambda: rig.core.counters["access.granted"] >= 1)
    rig.board.answering = True
    wait_for(lambda: rig.bridge.boards["b1"].up, timeout=20, what="board back")
    wait_for(lambda: rig.bridge.status()["doors"]["d1"]["state"] == "locked")
    assert not any(c.on and c.channel == 0 for c in rig.board.history[history:])


def test_garbage_and_crc_errors_on_mcu_line(rig: Rig) -> None:
    """Noise on the MCU line is counted and dropped; the next card still reads."""
    from firmware_bridge import mcu_protocol as mp

    frame = bytearray(mp.encode(mp.card_frame(10001)))
    frame[-1] ^= 0x55
    rig.mcu.send(b"\x00\xff\x13garbage" + bytes(frame))
    rig.mcu.card(10001)
    wait_for(lambda: rig.board.coils[0] is True, what="grant after noise")
    counters = rig.bridge.status()["frames"]["m1"]
    assert counters["garbage_bytes"] >= 1 and counters["crc_errors"] >= 1


def test_broker_restart_mid_command(rig: Rig) -> None:
    """A command stuck in a client queue while the broker is down expires; it never opens the
    door when the broker comes back. After the restart, cards work again."""
    import time

    accepted = rig.bridge.guard.accepted
    rig.broker.kill()
    wait_for(lambda: not rig.bridge_bus.connected, what="disconnect")
    rig.core.send_command("d1", "unlock", "sent while the broker is down")
    time.sleep(3.2)  # longer than the command's 3 s lifetime
    rig.broker.start()
    wait_for(lambda: rig.bridge_bus.connected and rig.core_bus.connected, timeout=15)
    # The queued command is either refused as expired or lost with the old broker (when the
    # core reconnects before the bridge has subscribed again); it is never carried out. A card
    # swiped now is the fence: its unlock comes after anything still queued from before.
    rig.mcu.card(10001)
    wait_for(lambda: rig.board.coils[0] is True, what="grant after restart")
    assert rig.bridge.guard.accepted == accepted + 1, "only the card's unlock was carried out"
    assert sum(1 for c in rig.board.history if c.on and c.channel == 0) == 1


def test_restarted_bridge_still_knows_lockdown(rig: Rig) -> None:
    """Lockdown is retained site state: a bridge restarted during a lockdown refuses a valid,
    signed unlock from its first moment, without waiting for the next lockdown change."""
    from compound.adapters import keys
    from firmware_bridge.bridge import Bridge
    from tests.firmware_bridge.conftest import bridge_config

    console = rig.bus("console")
    console.request("lockdown.set", {"on": True, "by": "officer"})
    wait_for(lambda: rig.bridge.status()["lockdown"], what="lockdown reached the bridge")
    rig.bridge.stop()
    rig.bridge_bus.stop()
    master = rig.store.master_key
    bus = rig.bus("bridge")  # the same client id, as after a service restart
    bridge = Bridge(
        bridge_config(rig.board, rig.mcu, held_open_s=2.0, open_time_s=3.0),
        bus,
        rig.core.clock,
        lambda door: keys.door_command_key(master, door),
    )
    bridge.start()
    try:
        wait_for(lambda: bridge.status()["doors"]["d1"]["state"] == "locked", what="online")
        assert bridge.status()["lockdown"] is True
        assert bridge.status()["doors"]["d1"]["lockdown"] is True
        history = len(rig.board.history)
        rig.core.send_command("d1", "unlock", "signed, but the site is locked down")
        wait_for(lambda: bridge.counters["command.refused_lockdown"] >= 1, what="refusal")
        assert not any(c.on and c.channel == 0 for c in rig.board.history[history:])
        # Lifting the lockdown reaches the restarted bridge too.
        console.request("lockdown.set", {"on": False, "by": "officer"})
        wait_for(lambda: not bridge.status()["lockdown"], what="lockdown lifted")
        rig.core.send_command("d1", "unlock", "after lockdown", 3.0)
        wait_for(lambda: rig.board.coils[0] is True, what="unlock after lockdown")
    finally:
        bridge.stop()


def test_board_that_vanishes_and_returns(rig: Rig, tmp_path: Path) -> None:
    """A pulled USB-RS485 adapter: the port node disappears and the open port fails. The bridge
    must notice, report the board and its doors offline (retained, so a console that connects
    later sees it), retry with growing delays, and on return drive every door to its secure
    state: nothing unlocks on reconnect, not even a grant given while the board was away."""
    from compound.adapters import keys
    from firmware_bridge.bridge import Bridge
    from tests.firmware_bridge.conftest import bridge_config

    rig.bridge.stop()
    rig.bridge_bus.stop()
    link = tmp_path / "ttyUSB-board"  # like a /dev/serial/by-id/ link, which comes and goes
    link.symlink_to(rig.board.port)
    cfg = bridge_config(rig.board, rig.mcu, held_open_s=2.0, open_time_s=3.0)
    cfg = replace(cfg, boards=[replace(cfg.boards[0], port=str(link))])
    master = rig.store.master_key
    bridge = Bridge(
        cfg, rig.bus("bridge"), rig.core.clock, lambda d: keys.door_command_key(master, d)
    )
    bridge.start()
    try:
        wait_for(lambda: bridge.status()["doors"]["d1"]["state"] == "locked", what="online")
        rig.board.unplug()
        link.unlink()
        wait_for(lambda: not bridge.boards["b1"].up, what="vanished board detected")
        assert bridge.status()["doors"]["d1"]["state"] == "offline"
        # A console connecting now still reads offline: the availability is retained.
        late = rig.bus("late-console")
        got: list[Message] = []
        late.subscribe(rig.topics.availability("b1"), got.append)
        wait_for(lambda: got, what="retained availability")
        assert got[-1].retain and got[-1].payload == b"offline"
        # Reopening is retried with a growing delay, not in a tight loop.
        wait_for(lambda: bridge.relay_boards["b1"].backoff >= 0.8, what="backoff grows")
        failures = bridge.counters["board.b1.failures"]
        assert 2 <= failures <= 10
        rig.mcu.card(10001)  # granted by the core while the board is away
        wait_for(lambda: rig.core.counters["access.granted"] >= 1, what="grant")
        history = len(rig.board.history)
        rig.board.plug()  # back on a new pty, every coil off after the power loss
        link.symlink_to(rig.board.port)
        wait_for(lambda: bridge.boards["b1"].up, timeout=10, what="board reopened")
        wait_for(lambda: bridge.status()["doors"]["d1"]["state"] == "locked", what="d1 locked")
        # The maglock door is locked by powering its coil; the strike stays unpowered.
        wait_for(lambda: rig.board.coils[1] is True, what="maglock re-energised")
        assert rig.board.coils[0] is False
        assert not any(c.on and c.channel == 0 for c in rig.board.history[history:])
        wait_for(
            lambda: rig.messages("device/b1/availability")[-1].payload == b"online",
            what="reported online",
        )
    finally:
        bridge.stop()


def test_door_driven_by_entrance_mcu(rig: Rig) -> None:
    """A door whose lock hangs on the entrance MCU's own relay and whose contact the MCU
    reports: a card grant switches it through RELAY/RELAY_ACK frames and is acknowledged,
    closing relocks, opening without a grant is forced, the fire input on the Modbus board
    releases it, and when the MCU falls silent the door goes offline and nothing unlocks on
    its return, not even a grant given meanwhile."""
    from compound.adapters import keys
    from compound.config import DoorWiring, McuWiring
    from devkit.simulators import VirtualIntercomMCU
    from firmware_bridge.bridge import Bridge
    from tests.firmware_bridge.conftest import bridge_config

    rig.store.add_door("d3", "Entrance three", ["3-2"])
    rig.bridge.stop()
    rig.bridge_bus.stop()
    mcu3 = VirtualIntercomMCU(name="sim-mcu3", heartbeat_s=0.3)
    mcu3.start()
    cfg = bridge_config(rig.board, rig.mcu, held_open_s=2.0, open_time_s=3.0)
    cfg = replace(
        cfg,
        doors=[*cfg.doors, DoorWiring("d3", "m3", 0, 0, -1, -1, open_time_s=3.0)],
        mcus=[*cfg.mcus, McuWiring("m3", mcu3.port, 115200, "d3")],
    )
    master = rig.store.master_key
    bridge = Bridge(
        cfg, rig.bus("bridge"), rig.core.clock, lambda d: keys.door_command_key(master, d)
    )
    bridge.start()

    def state() -> str:
        return str(bridge.status()["doors"]["d3"]["state"])

    try:
        wait_for(lambda: state() == "locked", what="MCU door online and locked")
        # Driven to the secure state on first contact: the command may still be on its way
        # through the pty when the bridge already counts the door locked.
        wait_for(lambda: mcu3.relays == {0: False}, what="relay driven off on first contact")
        mcu3.card(10001)
        wait_for(lambda: mcu3.relays[0] is True, what="relay on through the MCU")
        ack = wait_for(lambda: rig.messages("door/d3/ack"), what="ack")
        assert json.loads(ack[-1].payload)["state"] == "unlocked"
        mcu3.contact(True)
        wait_for(lambda: "opened" in rig.events("d3"), what="opened")
        mcu3.contact(False)
        wait_for(lambda: mcu3.relays[0] is False, what="relock on close")
        mcu3.contact(True)  # nobody was let in
        wait_for(lambda: "forced_open" in rig.events("d3"), what="forced")
        mcu3.contact(False)
        rig.board.set_input(FIRE, True)  # the fire panel on the Modbus board
        wait_for(lambda: mcu3.relays[0] is True, timeout=15, what="fire release")
        rig.board.set_input(FIRE, False)
        wait_for(lambda: mcu3.relays[0] is False, what="fire cleared")
        mcu3.powered = False  # no heartbeats, no acks
        wait_for(lambda: state() == "offline", timeout=15, what="MCU door offline")
        history = len(mcu3.relay_history)
        rig.core.send_command("d3", "unlock", "granted while the MCU is silent", 3.0)
        wait_for(lambda: bridge.counters["command.refused_offline"] >= 1, what="refused")
        mcu3.powered = True
        wait_for(lambda: state() == "locked", timeout=15, what="MCU door back, locked")
        assert not any(c.on for c in mcu3.relay_history[history:])
        assert bridge.status()["mcus"]["m3"] is True
    finally:
        bridge.stop()
        mcu3.stop()


def test_entrance_mcu_dial_rings_the_flat_and_its_station_opens_this_door(rig: Rig) -> None:
    """A room dialled on the entrance MCU's keypad reaches the core as a call signal on the
    MCU's door's own call topic (the only one the bridge's ACL lets it write for that door);
    the flat's station answers and the core opens that door's coil. The emergency button rings
    the officer for the same door."""
    from compound.services.intercom import Intercom
    from devkit.simulators import VirtualIndoorStation

    ic = next(e for e in rig.core.extensions if isinstance(e, Intercom))
    ic.api_station_add({"station": "st-1501", "unit": "3-2-1501"})
    station = VirtualIndoorStation(rig.bus("station"), "st-1501", "3-2-1501", 0.1)
    station.start()
    time.sleep(0.2)  # the station's subscription is confirmed
    before = len(rig.board.history)
    rig.mcu.dial("1501")
    signal = wait_for(lambda: rig.messages("intercom/d1/call"), what="call signal")
    body = json.loads(signal[0].payload)
    assert body["action"] == "dial" and body["room"] == "1501" and "door" not in body
    wait_for(lambda: station.rings, what="ring")
    assert station.rings[0]["door"] == "d1" and station.rings[0]["call_id"] == body["call_id"]
    change = wait_for(
        lambda: [c for c in rig.board.history[before:] if c.channel == 0 and c.on], what="coil"
    )
    assert change
    rig.mcu.emergency()
    ring = wait_for(lambda: rig.messages("intercom/unit/officer/ring"), what="officer ring")
    assert json.loads(ring[0].payload)["door"] == "d1"
    assert rig.core.counters["intercom.bad_call"] == 0
