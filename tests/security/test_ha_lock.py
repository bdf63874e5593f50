"""Home Assistant's lock through the core (issue 14), on a real Mosquitto with the shipped
config: an ``ha`` device's UNLOCK on its own command topic is carried out as a remote open
logged with its broker user; a panel can write neither its own nor the ha user's topic, and in
lockdown the core refuses it (logged, nothing sent). Judged with fences, never a sleep."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from compound.protocol.messages import DoorCommand
from compound.services.core import Core
from tests.security.conftest import SecuredBroker, Seen

pytestmark = [pytest.mark.integration]


def logged(core: Core, type_: str) -> list[dict[str, Any]]:
    rows = core.store.query("SELECT data FROM events WHERE type = ?", [type_])
    return [json.loads(r["data"]) for r in rows]


def arrived(seen: Seen, mark: int, topic: str, payload: bytes | None = None) -> bool:
    """Whether the observer received, after ``mark``, a message on ``topic`` (waits 5 s)."""
    return seen.wait_for(
        lambda _: any(m.topic == topic and payload in (None, m.payload) for m in seen.since(mark))
    )


def commands(seen: Seen, since: int) -> list[DoorCommand]:
    return [DoorCommand.decode(m.payload) for m in seen.since(since) if m.topic.endswith("/cmd")]


def test_an_ha_unlock_is_carried_out_as_its_user_and_a_panel_cannot(
    secured: SecuredBroker, site: tuple[Core, Seen]
) -> None:
    core, seen = site
    t = secured.topics
    ha, panel = secured.bus("ha1"), secured.bus("panel1")
    ha.start(timeout=10)
    panel.start(timeout=10)
    # Which thread logs the unlock: a worker's, not the bus's network thread.
    writers: list[str] = []

    def note(event: Any) -> None:
        if event.type == "door.remote_unlock":
            writers.append(threading.current_thread().name)

    core.store.event_hooks.append(note)
    try:
        mark = seen.mark()
        ha.publish(t.ha_lock_command("ha1", "d1"), b"UNLOCK", qos=1)
        assert arrived(seen, mark, t.door_cmd("d1"))
        assert writers == ["api-ha-lock"], writers
        (cmd,) = commands(seen, mark)
        assert cmd.action == "unlock" and cmd.duration_s == 5.0 and cmd.override is None
        assert logged(core, "door.remote_unlock")[-1] == {
            "actor": "ha1",
            "by": "home assistant",
            "reason": "Home Assistant lock",
        }
        # A panel may write neither the ha user's topic nor one under its own name.
        mark = seen.mark()
        panel.publish(t.ha_lock_command("ha1", "d1"), b"UNLOCK", qos=1)
        panel.publish(t.ha_lock_command("panel1", "d1"), b"UNLOCK", qos=1)
        # Nor may the ha user write under another name.
        ha.publish(t.ha_lock_command("console1", "d1"), b"UNLOCK", qos=1)
        fence = b'{"fence": true}'
        panel.publish(t.intercom_call("d1"), fence, qos=1)
        ha.publish(t.ha_lock_command("ha1", "d1"), b"UNLOCK", qos=1)  # the ha user's fence
        assert arrived(seen, mark, t.intercom_call("d1"), fence)
        assert arrived(seen, mark, t.ha_lock_command("ha1", "d1"))
        assert arrived(seen, mark, t.door_cmd("d1"))
        forbidden = [m for m in seen.since(mark) if "/ha/" in m.topic and "/ha1/" not in m.topic]
        assert forbidden == []
        assert [m.topic for m in seen.since(mark) if "/ha/" in m.topic] == [
            t.ha_lock_command("ha1", "d1")
        ]
        assert len(commands(seen, mark)) == 1
        assert {e["actor"] for e in logged(core, "door.remote_unlock")} == {"ha1"}
    finally:
        core.store.event_hooks.remove(note)
        ha.stop()
        panel.stop()


def test_in_lockdown_the_core_refuses_it_and_logs_who_tried(
    secured: SecuredBroker, site: tuple[Core, Seen]
) -> None:
    core, seen = site
    t = secured.topics
    ha = secured.bus("ha1")
    ha.start(timeout=10)
    try:
        core.api_lockdown({"on": True, "by": "officer"})
        mark = seen.mark()
        ha.publish(t.ha_lock_command("ha1", "d1"), b"UNLOCK", qos=1)
        assert arrived(seen, mark, t.events("door.remote_unlock_refused"))
        refusal = logged(core, "door.remote_unlock_refused")[-1]
        assert refusal["actor"] == "ha1" and "lockdown" in refusal["refusal"]
        # Fence: lockdown off, the same unlock again: one command, the first sent nothing.
        core.api_lockdown({"on": False, "by": "officer"})
        ha.publish(t.ha_lock_command("ha1", "d1"), b"UNLOCK", qos=1)
        assert arrived(seen, mark, t.door_cmd("d1"))
        assert len(commands(seen, mark)) == 1
    finally:
        ha.stop()
