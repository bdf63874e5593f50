"""The door panel's calls: dial a flat, hang up, and the emergency button.

Calls go on the panel's own ``intercom/<door>/call``, the only call topic the broker lets it
write; the core takes the door from the topic. The panel picks the call id and listens on
``intercom/<door>/call/<id>/state`` before it dials, so the first state (ringing, or failed with
the core's reason) cannot be missed. It keeps listening until the call is over, so the person at
the door reads what became of it: answered, opened, no answer and passed to the property desk
(or, for the emergency button, to 110), declined, ended. A refusal carries a code that is shown
as a sentence in the screen's language, never as the core's English.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from compound.domain.clock import Clock
from compound.domain.model import InvalidInput, UnitAddress
from compound.protocol.messages import new_id
from ui.gateway import Gateway, Live
from ui.i18n import Strings

# Each is the last word on a call: the core ends door_opened and rejected at once, and says
# "ended" after everything else (no_answer and busy may instead go on to the property desk).
FINAL_CALL_STATES = ("door_opened", "rejected", "ended", "failed")
CALL_STATES = ("ringing", "answered", "no_answer", "busy", *FINAL_CALL_STATES)
CALL_ANSWER_S = 5.0  # no first state from the core within this: the call is given up
# A live call the core says nothing more about for this long is given up (the core's ring and
# talk timeouts are shorter, so this happens only when the core went away mid-call).
CALL_SILENT_S = 180.0
REFUSAL_CODES = (
    "unknown_door",
    "bad_number",
    "not_served",
    "ambiguous_room",
    "no_such_unit",
    "no_station",
    "stale",
)
_ROOM_RE = re.compile(r"^\d{3,5}$")
# Shows an outcome on the panel: a function rendering it in the current language, or a text
# shown as it is, and its kind (info, ok, bad).
Say = Callable[[Callable[[], str] | str, str], None]


def refusal_text(t: Strings, body: dict[str, Any]) -> str:
    """A refused call's reason in the screen's language; an unknown code or a refusal without
    one reads as a general sentence, never as the core's own words."""
    code = body.get("code")
    key = f"call.code.{code}" if code in REFUSAL_CODES else "call.code.other"
    return t("call.failed", message=t(key))


def parse_dial(entry: str) -> dict[str, str] | None:
    """What a dial names: the whole address ("3-2-1501") or, typed alone, the room ("805"),
    which the core finds among the units the door serves. None: not a room number."""
    entry = entry.strip()
    if _ROOM_RE.match(entry):
        return {"room": entry}
    try:
        return {"unit": str(UnitAddress.parse(entry))}
    except (InvalidInput, ValueError):
        return None


class DoorCalls:
    """The call in progress (at most one) and an emergency call, for one door."""

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
        # dialing, ringing, answered, no_answer, busy, forwarded (ringing the property desk),
        # desk_answered
        self.state = ""
        self.outcome = ""  # no_answer or busy, said when the call ends without more
        self.deadline = 0.0  # when to give up waiting for the core
        self.sent = False  # the dial of call_id went out
        self.emergency_id: str | None = None
        self.emergency_state = ""  # sending, ringing, answered, unanswered
        self.emergency_deadline = 0.0

    def _call_topic(self) -> str:
        return f"intercom/{self.door}/call"

    def _state_topic(self, call_id: str) -> str:
        # Under this panel's own door: the broker lets a panel read no other door's calls.
        return f"intercom/{self.door}/call/{call_id}/state"

    def _signal(self, action: str, call_id: str, **more: str) -> dict[str, Any]:
        return {"action": action, "call_id": call_id, "at": self.clock.now(), **more}

    @property
    def line(self) -> str:
        """What the live call (or emergency) says on the status line; empty when none."""
        if self.state in ("forwarded", "desk_answered"):
            return self.t(f"call.{self.state}")
        if self.state:
            return self.t(f"call.{self.state}", unit=self.unit)
        if self.emergency_state == "ringing":
            return self.t("door.emergency_sent")
        if self.emergency_state in ("answered", "unanswered"):
            return self.t(f"door.emergency_{self.emergency_state}")
        return ""

    def tick(self) -> None:
        """Give up on calls the core never answered, or went silent about."""
        now = self.clock.now()
        if self.call_id and now >= self.deadline:
            self._give_up(self.call_id)
            self.call_id, self.state = None, ""
            self._say(lambda: self.t("call.no_core"), "bad")
        if self.emergency_id and now >= self.emergency_deadline:
            self.gw.unsubscribe(self._state_topic(self.emergency_id))
            if self.emergency_state in ("", "sending"):
                # Never rang: tell the core to drop it, in case it arrives late.
                self.gw.publish(self._call_topic(), self._signal("hangup", self.emergency_id))
            self.emergency_id, self.emergency_state = None, ""
            self._say(lambda: self.t("call.no_core"), "bad")

    def dial(self, entry: str) -> None:
        named = parse_dial(entry)
        if named is None:
            self._say(lambda: self.t("call.failed", message=self.t("call.code.bad_number")), "bad")
            return
        if self.call_id:
            self.hangup()
        call_id = new_id()
        self.unit = named.get("unit") or named["room"]
        self.call_id = call_id
        self.state, self.outcome = "dialing", ""
        self.sent = False
        self.deadline = self.clock.now() + CALL_ANSWER_S
        self._changed()
        self.gw.subscribe_then_publish(
            self._state_topic(call_id),
            self._on_call_state,
            self._call_topic(),
            self._signal("dial", call_id, **named),
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
        if state == "unlock_refused":
            # The resident pressed unlock during a lockdown: nothing opened, the call goes on
            # (the live call's line says so until its next state).
            self.deadline = self.clock.now() + CALL_SILENT_S
            self.state = "unlock_refused"
            self._changed()
            return
        if state not in CALL_STATES:
            return
        self.deadline = self.clock.now() + CALL_SILENT_S
        if state in FINAL_CALL_STATES:
            self.gw.unsubscribe(self._state_topic(live.levels[3]))
            self.state, self.call_id = "", None
            if state == "failed":
                self._say(lambda: refusal_text(self.t, body), "bad")
            else:
                final = self.outcome if state == "ended" and self.outcome else str(state)
                kind = "ok" if final == "door_opened" else "info" if final == "ended" else "bad"
                unit = self.unit
                self._say(lambda: self.t(f"call.{final}", unit=unit), kind)
        elif state in ("no_answer", "busy"):
            self.state = self.outcome = str(state)
        elif state == "ringing" and body.get("forwarded_to"):
            self.state = "forwarded"
        elif state == "answered" and self.state == "forwarded":
            self.state, self.outcome = "desk_answered", ""
        else:
            if state == "ringing" and isinstance(body.get("unit"), str):
                self.unit = body["unit"]  # a room dialled alone: the unit the core found
            self.state, self.outcome = str(state), ""
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

    # -- the emergency button --------------------------------------------------------------

    def emergency(self) -> None:
        if self.emergency_id and self.emergency_state not in ("", "sending"):
            return  # the officer is already being called: a second press changes nothing
        if self.emergency_id:
            self.gw.unsubscribe(self._state_topic(self.emergency_id))
        call_id = new_id()
        self.emergency_id, self.emergency_state = call_id, "sending"
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
            self.gw.unsubscribe(self._state_topic(call_id))
            self.emergency_id, self.emergency_state = None, ""
            self._say(lambda: self.t("call.no_core"), "bad")

    def _on_emergency_state(self, live: Live) -> None:
        if len(live.levels) != 5 or live.levels[3] != self.emergency_id:
            return
        body = live.json()
        state = body.get("state") if isinstance(body, dict) else None
        if not isinstance(body, dict) or state not in CALL_STATES:
            return
        self.emergency_deadline = self.clock.now() + CALL_SILENT_S
        if state == "ringing":
            self.emergency_state = "ringing"
        elif state == "answered":
            self.emergency_state = "answered"
        elif state in ("no_answer", "busy"):
            # The core escalates an unanswered emergency (an alarm marked for 110).
            self.emergency_state = "unanswered"
        elif state in FINAL_CALL_STATES:
            self.gw.unsubscribe(self._state_topic(live.levels[3]))
            before, self.emergency_id, self.emergency_state = self.emergency_state, None, ""
            if state == "failed":
                self._say(lambda: refusal_text(self.t, body), "bad")
            elif before == "unanswered":
                self._say(lambda: self.t("door.emergency_unanswered"), "bad")
            else:
                self._say(lambda: self.t("door.emergency_ended"), "info")
            return
        self._changed()
