"""Door events that happen while the core is down reach its log once it is back: in order, each
once. On a real Mosquitto with the byte-level board, and `compound bridge` killed with SIGKILL
for the journal."""

from __future__ import annotations

import json
import signal
from functools import partial
from pathlib import Path

import pytest

from compound.adapters.mqtt import Bus, BusConfig
from compound.app.wiring import build_core
from compound.config import Config
from tests.firmware_bridge.conftest import CONTACT, EXIT, FIRE, TAMPER, Rig, wait_for
from tests.firmware_bridge.test_fail_safe import bridge_process, write_config

pytestmark = pytest.mark.integration


def last_seq(rig: Rig) -> int:
    row = rig.store.one("SELECT max(seq) AS seq FROM events")
    return int(row["seq"] or 0) if row else 0


def logged(rig: Rig, door: str, after: int) -> list[tuple[str, str]]:
    """(type, event id) of the door events the core logged since ``after``; an alarm by kind."""
    rows = rig.store.query(
        "SELECT type, data FROM events WHERE door_id = ? AND seq > ? ORDER BY seq", (door, after)
    )
    out = []
    for r in rows:
        data = json.loads(r["data"])
        if "event_id" in data:
            kind = data["kind"] if r["type"] == "alarm.raised" else r["type"][len("door.") :]
            out.append((kind, data["event_id"]))
    return out


def logged_at_least(rig: Rig, door: str, after: int, n: int) -> list[tuple[str, str]] | None:
    got = logged(rig, door, after)
    return got if len(got) >= n else None


def kill_core(rig: Rig) -> None:
    """The core goes away without a word to the bridge (its bus is simply gone)."""
    rig.core_bus.stop()
    rig.core.stop()


def start_core(rig: Rig) -> None:
    """A new core on the same database, with a clean session as always."""
    bus = Bus(BusConfig(port=rig.broker.port), rig.topics, "core")
    core = build_core(rig.store, bus, rig.core.clock, Config())
    core.start()
    bus.start(timeout=10)
    rig.core, rig.core_bus = core, bus  # stopped by the rig at the end


def test_events_while_the_core_is_down_reach_the_log_in_order_once(rig: Rig) -> None:
    """With the core gone: the exit button, a walk through, a forced opening, tamper and the
    fire input. A new core starts: its log holds every one of d1's events in the order they
    happened, each once, and the same event sent again (as a lost acknowledgement would cause)
    is acknowledged but not logged twice."""
    wait_for(lambda: rig.bridge.delivery.owed() == 0, what="start-up events delivered")
    since = last_seq(rig)
    kill_core(rig)
    b = rig.board
    b.set_input(EXIT, True)
    wait_for(lambda: b.coils[0] is True, what="the exit button releases d1")
    b.set_input(EXIT, False)
    b.set_input(CONTACT, True)  # through the door
    wait_for(lambda: rig.bridge.counters["event.opened"] >= 1, what="opened")
    b.set_input(CONTACT, False)
    wait_for(lambda: b.coils[0] is False, what="relocked on closing")
    b.set_input(CONTACT, True)  # pushed open while locked
    wait_for(lambda: rig.bridge.counters["event.forced_open"] >= 1, what="forced open")
    b.set_input(CONTACT, False)
    b.set_input(TAMPER, True)
    wait_for(lambda: rig.bridge.counters["event.tamper"] >= 1, what="tamper")
    b.set_input(FIRE, True)
    wait_for(lambda: rig.bridge.counters["event.fire_release"] >= 2, what="fire release")
    expected = ["exit_button", "unlocked", "opened", "closed", "locked", "opened"]
    expected += ["forced_open", "closed", "tamper", "fire_release"]
    assert logged(rig, "d1", since) == []
    start_core(rig)
    got = wait_for(
        partial(logged_at_least, rig, "d1", since, len(expected)),
        timeout=20,
        what="d1's events in the new core's log",
    )
    assert [kind for kind, _ in got] == expected
    ids = [event_id for _, event_id in logged(rig, "d1", since)]
    assert len(ids) == len(set(ids)) == len(expected)
    d2 = wait_for(partial(logged_at_least, rig, "d2", since, 1), what="d2's fire release")
    assert [kind for kind, _ in d2] == ["fire_release"]
    wait_for(lambda: rig.bridge.delivery.owed() == 0, what="every event acknowledged")
    # The forced opening once more, as the bridge sends an event whose ack it did not hear.
    forced = next(
        m for m in rig.messages("door/d1/event") if json.loads(m.payload)["type"] == "forced_open"
    )
    forced_id = json.loads(forced.payload)["id"]
    acks = len(rig.messages("door/d1/event/ack"))
    rig.bus("again").publish(forced.topic, forced.payload)

    def acked_again() -> bool:
        later = rig.messages("door/d1/event/ack")[acks:]
        return any(json.loads(m.payload)["id"] == forced_id for m in later)

    wait_for(acked_again, what="the repeated event acknowledged")
    assert [kind for kind, _ in logged(rig, "d1", since)] == expected
    assert rig.core.counters["door_event.redelivered"] >= 1


def test_events_kept_by_a_killed_bridge_reach_the_log(rig: Rig, tmp_path: Path) -> None:
    """`compound bridge` in its own process, the core down: the exit button and tamper. The
    bridge is killed with SIGKILL, the core comes back, and a new bridge process (same state
    directory) delivers what the killed one had journaled, before its own events."""
    wait_for(lambda: rig.bridge.delivery.owed() == 0, what="the rig's events delivered")
    rig.bridge.stop()
    rig.bridge_bus.stop()
    since = last_seq(rig)
    kill_core(rig)
    cfg = write_config(rig, tmp_path, rig.broker.port)
    journal = tmp_path / "bridge" / "door-events-bridge.jsonl"  # beside the config's database

    def journaled(type_: str) -> bool:
        lines = journal.read_bytes().splitlines() if journal.exists() else []
        return any(json.loads(line).get("type") == type_ for line in lines)

    with bridge_process(cfg) as proc:
        wait_for(lambda: journaled("online"), timeout=20, what="the bridge process is up")
        rig.board.set_input(EXIT, True)
        wait_for(lambda: rig.board.coils[0] is True, what="the exit button releases d1")
        rig.board.set_input(EXIT, False)
        rig.board.set_input(TAMPER, True)
        wait_for(lambda: journaled("tamper"), what="tamper in the journal")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert logged(rig, "d1", since) == []
    start_core(rig)
    with bridge_process(cfg):
        got = wait_for(
            partial(logged_at_least, rig, "d1", since, 6),
            timeout=20,
            what="the journaled events in the log",
        )
    kinds = [kind for kind, _ in got]
    assert kinds[:4] == ["online", "exit_button", "unlocked", "tamper"]
    # The new process's own events come after: online again, and the tamper input still on.
    assert sorted(kinds[4:6]) == ["online", "tamper"]
    ids = [event_id for _, event_id in got]
    assert len(ids) == len(set(ids))
