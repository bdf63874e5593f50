"""The door panel's calls: dial a flat, hang up, and the emergency button.

Calls go on the panel's own ``intercom/<door>/call``, the only call topic the broker lets it
write; the core takes the door from the topic. The panel picks the call id and listens on
``intercom/<door>/call/<id>/state`` before it dials, so the first state (ringing, or failed with
the core's reason) cannot be missed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from compound.domain.clock import Clock
from compound.domain.model import InvalidInput, UnitAddress
from compound.protocol.messages import new_id
from ui.gateway import Gateway, Live
from ui.i18n import Strings

FINAL_CALL_STATES = ("door_opened", "rejected", "no_answer", "busy", "ended", "failed")
CALL_ANSWER_S = 5.0  # no first state from the core within this: the call is given up
# Shows an outcome on the panel: a function rendering it in the current language, or a text
# shown as it is, and its kind (info, ok, bad).
Say = Callable[[Callable[[], str] | str, str], None]


class DoorCalls:
    """The call in progress (at most one) and a pending emergency call, for one door."""

    def __init__(
        self,
        gateway: Gateway,
        strings: Strings,
        clock: Clock,
        door: str,
        say: Say,
        changed: Callable[[], None],
    ) -> None:
        self.gw = gateway
        self.t = strings
        self.clock = clock
        self.door = door
        self._say = say
        self._changed = changed
        self.call_id: str | None = None
        self.unit = ""
        self.state = ""
        self.deadline = 0.0  # while "dialing": when to give up waiting for the core
        self.sent = False  # the dial of call_id went out
        self.emergency_id: str | None = None
        self.emergency_deadline = 0.0

    def _call_topic(self) -> str:
        return f"intercom/{self.door}/call"

    def _state_topic(self, call_id: str) -> str:
        # Under this panel's own door: the broker lets a panel read no other door's calls.
        return f"intercom/{self.door}/call/{call_id}/state"

    def _signal(self, action: str, call_id: str, **more: str) -> dict[str, Any]:
        return {"action": action, "call_id": call_id, "at": self.clock.now(), **more}

    def tick(self) -> None:
        """Give up on calls the core never answered."""
        now = self.clock.now()
        if self.call_id and self.state == "dialing" and now >= self.deadline:
            self._give_up(self.call_id)
            self.call_id, self.state = None, ""
            self._say(lambda: self.t("call.no_core"), "bad")
        if self.emergency_id and now >= self.emergency_deadline:
            self._give_up(self.emergency_id)
            self.emergency_id = None
            self._say(lambda: self.t("call.no_core"), "bad")

    def dial(self, entry: str) -> None:
        try:
            unit = UnitAddress.parse(entry)
        except (InvalidInput, ValueError) as e:
            self._say(str(e), "bad")
            return
        if self.call_id:
            self.hangup()
        call_id = new_id()
        self.unit = str(unit)
        self.call_id = call_id
        self.state = "dialing"
        self.sent = False
        self.deadline = self.clock.now() + CALL_ANSWER_S
        self._changed()
        self.gw.subscribe_then_publish(
            self._state_topic(call_id),
            self._on_call_state,
            self._call_topic(),
            self._signal("dial", call_id, unit=str(unit)),
            lambda sent: self._on_dial_sent(call_id, sent),
        )

    def _on_dial_sent(self, call_id: str, sent: bool) -> None:
        if call_id != self.call_id:
            # Hung up before the dial went out: end it now that the core may have it.
            if sent:
                self._give_up(call_id)
            return
        self.sent = sent
        if not sent:
            self.call_id, self.state = None, ""
            self._say(lambda: self.t("call.no_core"), "bad")

    def _give_up(self, call_id: str) -> None:
        """Stop listening to a call and tell the core to end it, in case it did ring."""
        self.gw.unsubscribe(self._state_topic(call_id))
        self.gw.publish(self._call_topic(), self._signal("hangup", call_id))

    def _on_call_state(self, live: Live) -> None:
        if len(live.levels) != 5 or live.levels[3] != self.call_id:
            return
        body = live.json()
        if not isinstance(body, dict):
            return
        state = body.get("state")
        if state not in ("ringing", "answered", *FINAL_CALL_STATES):
            return
        self.state = str(state)
        if state in FINAL_CALL_STATES:
            self.gw.unsubscribe(self._state_topic(live.levels[3]))
            self.state, self.call_id = "", None
            if state == "failed":
                reason = str(body.get("reason") or "")
                self._say(lambda: self.t("call.failed", message=reason), "bad")
            else:
                kind = "ok" if state == "door_opened" else "bad"
                unit = self.unit
                self._say(lambda: self.t(f"call.{state}", unit=unit), kind)
        self._changed()

    def hangup(self) -> None:
        if self.call_id and self.sent:
            self._give_up(self.call_id)
        elif self.call_id:
            # Not yet sent: _on_dial_sent ends it once it is out, so the hangup cannot
            # overtake the dial.
            self.gw.unsubscribe(self._state_topic(self.call_id))
        self.state, self.call_id = "", None
        self._say(lambda: self.t("call.ended"), "info")

    def emergency(self) -> None:
        call_id = new_id()
        self.emergency_id = call_id
        self.emergency_deadline = self.clock.now() + CALL_ANSWER_S
        self._say(lambda: self.t("working"), "info")
        self.gw.subscribe_then_publish(
            self._state_topic(call_id),
            self._on_emergency_state,
            self._call_topic(),
            self._signal("emergency", call_id),
            lambda sent: self._on_emergency_sent(call_id, sent),
        )

    def _on_emergency_sent(self, call_id: str, sent: bool) -> None:
        if not sent and call_id == self.emergency_id:
            self.emergency_id = None
            self._say(lambda: self.t("call.no_core"), "bad")

    def _on_emergency_state(self, live: Live) -> None:
        if len(live.levels) != 5 or live.levels[3] != self.emergency_id:
            return
        body = live.json()
        state = body.get("state") if isinstance(body, dict) else None
        if state in ("ringing", "answered"):
            self._say(lambda: self.t("door.emergency_sent"), "ok")
        elif state == "failed" and isinstance(body, dict):
            reason = str(body.get("reason") or "")
            self._say(lambda: self.t("call.failed", message=reason), "bad")
        elif state in FINAL_CALL_STATES:
            self._say(lambda: self.t(f"call.{state}", unit=""), "bad")
        else:
            return
        # Sent (or refused): the officer's station carries it on; the panel stops waiting.
        self.gw.unsubscribe(self._state_topic(live.levels[3]))
        self.emergency_id = None
