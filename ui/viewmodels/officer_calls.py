"""The wall as the officer's answering station: calls that ring the officer's group (the
emergency button of every panel, and calls the property desk passes on when the wall stands
there) ring here, and the officer answers, talks, opens the calling door or hangs up.

The wall is an indoor station of its group on the bus, like any other: it hears
``intercom/unit/<group>/ring`` and replies on ``intercom/station/<station>/reply`` (answer,
unlock, hangup). The broker lets the wall's user write that one reply topic only, and the
core lets a station act only on a call of its own group, so a wall cannot open a door nobody
called it from. What the wall shows follows the core's word on the call's state topic, never
its own guess: "answered" only once the core says this station answered.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ui.gateway import Gateway, Live

# States in which the call is over for the wall: the caller hung up, another station took it,
# nobody answered in time, the door was opened; "lost": the core said nothing more of it.
OVER = (
    *("ended", "door_opened", "rejected", "no_answer", "busy", "failed", "taken"),
    *("forwarded", "lost"),
)
OUTCOME_KEPT = 8  # past calls listed under the live one
# A call the core says nothing more of ends on the wall after these: longer than the core's
# longest ring (60 s, [intercom] ring_timeout_s) and talk (300 s) so the core always ends it
# first when it is there; a lost end-of-call message or a core gone quiet cannot leave a call
# ringing on the wall for ever.
RING_LIMIT_S = 75.0
TALK_LIMIT_S = 330.0
# How long the strip shows how a call ended that the officer did not end (the caller hung up,
# nobody answered, another station took it, the call was lost).
END_SHOWN_S = 8.0


@dataclass
class WallCall:
    call_id: str
    door: str
    emergency: bool
    at: float
    state: str = "ringing"  # ringing, answered (by this wall), or one of OVER
    station: str = ""  # who answered, when the core says so
    asked: str = ""  # the reply sent and not yet confirmed by the core (answer, unlock, hangup)
    heard: float = 0.0  # when the wall last heard of the call (ring or state), its clock
    frame: bytes | None = None  # the door camera's latest preview, until the strip shows it
    picture: bytes | None = None  # the same, kept for the urgent alarm's pop-up

    @property
    def live(self) -> bool:
        return self.state not in OVER


class CallDesk:
    """The calls ringing this wall, the live one first (emergencies before others)."""

    def __init__(
        self,
        gateway: Gateway,
        station: str,
        group: str,
        changed: Callable[[], None],
        ring: Callable[[WallCall], None] | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.gw = gateway
        self.now = now
        self.ended: WallCall | None = None  # how the last call ended, when the officer did not
        self.ended_at = 0.0
        self.station = station
        self.group = group
        self.changed = changed
        self.ring_cb = ring  # the screen's sound and pop-up for a new call
        self.calls: dict[str, WallCall] = {}
        self.past: list[WallCall] = []  # calls that ended while on the wall, newest first
        self.problem = ""  # a reply that could not be sent
        gateway.subscribe(f"intercom/unit/{group}/ring", self._on_ring)

    # -- what the screen shows -------------------------------------------------------------

    @property
    def current(self) -> WallCall | None:
        """The call the officer deals with: the one answered here, else the oldest ringing
        emergency, else the oldest ringing call."""
        live = [c for c in self.calls.values() if c.live]
        if not live:
            return None
        return min(live, key=lambda c: (c.state != "answered", not c.emergency, c.at))

    @property
    def waiting(self) -> int:
        """Calls ringing besides the current one."""
        cur = self.current
        return sum(1 for c in self.calls.values() if c.live and c is not cur)

    # -- bus -------------------------------------------------------------------------------

    def _on_ring(self, live: Live) -> None:
        body = live.json()
        if not isinstance(body, dict) or live.retained:
            return
        call_id, door = str(body.get("call_id") or ""), str(body.get("door") or "")
        if not call_id or not door or call_id in self.calls:
            return
        call = WallCall(call_id, door, body.get("emergency") is True, float(body.get("at") or 0))
        call.heard = self.now()
        self.calls[call_id] = call
        # Not waiting for the broker here, on the UI thread, while the wall rings.
        subs = [(f"intercom/{door}/call/{call_id}/state", self._on_state)]
        subs.append((f"face/{door}/frame", self._on_frame))
        self.gw.subscribe_then(subs, lambda: self._confirmed(call))
        if self.ring_cb is not None:
            self.ring_cb(call)
        self.changed()

    def _on_state(self, live: Live) -> None:
        body = live.json()
        if not isinstance(body, dict):
            return
        call = self.calls.get(str(body.get("call_id") or ""))
        if call is None:
            return
        state = str(body.get("state") or "")
        station = str(body.get("station") or "")
        call.heard = self.now()
        if state == "ringing" and str(body.get("unit") or "") != self.group:
            state = "forwarded"  # passed on to another group: no longer this wall's to answer
        if state == "answered" and station and station != self.station:
            state, call.station = "taken", station  # another station of the group took it
        elif station:
            call.station = station
        if state in OVER:
            # The officer is told how a call ended that they did not end themselves.
            told = state != "door_opened" and call.asked not in ("hangup", "unlock")
            call.state = state
            call.asked = ""
            self._forget(call, told)
        elif state in ("ringing", "answered"):
            call.state = state
            if state == "answered":
                call.asked = ""
        self.changed()

    def _on_frame(self, live: Live) -> None:
        if len(live.levels) != 3 or live.payload[:2] != b"\xff\xd8":
            return
        door = live.levels[1]
        for call in self.calls.values():
            if call.door == door and call.live:
                call.frame = call.picture = live.payload
        self.changed()

    def expire(self) -> bool:
        """End, on the wall, the calls the core has said nothing of for too long (and tell the
        core this station hangs up, in case only its messages were lost). True if one ended."""
        now = self.now()
        over = [
            c
            for c in self.calls.values()
            if now - c.heard > (TALK_LIMIT_S if c.state == "answered" else RING_LIMIT_S)
        ]
        for call in over:
            if self.gw.connected:
                body = {"call_id": call.call_id, "action": "hangup"}
                self.gw.publish(f"intercom/station/{self.station}/reply", body)
            call.state, call.asked = "lost", ""
            self._forget(call, True)
        if over:
            self.changed()
        return bool(over)

    def ended_shown(self) -> WallCall | None:
        """The call whose end the strip still shows (none while another call is live)."""
        if self.ended is None or self.current is not None:
            return None
        if self.now() - self.ended_at > END_SHOWN_S:
            self.ended = None
        return self.ended

    def _forget(self, call: WallCall, told: bool) -> None:
        if told:
            self.ended, self.ended_at = call, self.now()
        self.calls.pop(call.call_id, None)
        call.frame = call.picture = None
        self.past.insert(0, call)
        del self.past[OUTCOME_KEPT:]
        self._unsubscribe(call)

    def _confirmed(self, call: WallCall) -> None:
        if call.call_id not in self.calls:
            self._unsubscribe(call)  # it ended before the broker confirmed: no longer wanted

    def _unsubscribe(self, call: WallCall) -> None:
        self.gw.unsubscribe(f"intercom/{call.door}/call/{call.call_id}/state")
        if not any(c.door == call.door for c in self.calls.values()):
            self.gw.unsubscribe(f"face/{call.door}/frame")

    # -- the officer's actions -------------------------------------------------------------

    def answer(self, call_id: str | None = None) -> bool:
        return self._reply(call_id, "answer", ("ringing",))

    def open_door(self, call_id: str | None = None) -> bool:
        """Open the calling door (this ends the call, as at any indoor station)."""
        return self._reply(call_id, "unlock", ("ringing", "answered"))

    def hang_up(self, call_id: str | None = None) -> bool:
        return self._reply(call_id, "hangup", ("ringing", "answered"))

    def _reply(self, call_id: str | None, action: str, states: tuple[str, ...]) -> bool:
        call = self.calls.get(call_id) if call_id else self.current
        if call is None or call.state not in states:
            return False
        if not self.gw.connected:
            self.problem = "officer.call_offline"
            self.changed()
            return False
        self.problem = ""
        call.asked = action
        body: dict[str, Any] = {"call_id": call.call_id, "action": action}
        self.gw.publish(f"intercom/station/{self.station}/reply", body)
        self.changed()
        return True
