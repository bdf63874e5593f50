"""The door panel: dial a room, enter a PIN, see who the camera recognised, call for help.

The panel is a reader like any other: a PIN goes to the core as an access request on
``access/<door>/request`` and the core's ``access/<door>/result`` says what happened. Wrong PINs
are counted here too, so that after ``MAX_PIN_TRIES`` the keypad refuses PINs for a while
without asking the core; the core's own decision stays the authority.

Calls (dial, hang up, the emergency button) go on the panel's own ``intercom/<door>/call``, the
only call topic the broker lets it write; the core takes the door from the topic. The panel
picks the call id and listens on ``intercom/<door>/call/<id>/state`` before it dials, so the
first state (ringing, or failed with the core's reason) cannot be missed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from compound.domain.clock import Clock
from compound.domain.model import InvalidInput, UnitAddress
from compound.protocol.messages import AccessRequest, AccessResult, MessageError, encode, new_id
from ui.gateway import Gateway, Live, Reply
from ui.i18n import Strings
from ui.viewmodels.base import Availability, Observable

MAX_PIN_TRIES = 5
PIN_LOCK_S = 120.0
RESULT_SHOW_S = 6.0
FINAL_CALL_STATES = ("door_opened", "rejected", "no_answer", "busy", "ended", "failed")
CALL_ANSWER_S = 5.0  # no first state from the core within this: the call is given up
QR_SCAN_S = 0.5  # preview frames are looked at for a QR code at most this often
QR_REPEAT_S = 10.0  # a pass held up to the camera is sent once, not on every frame
PASS_MAX_LEN = 128  # what an access request carries
# Reads a QR code from a JPEG preview frame and calls back with its text (or None); the app
# runs it on a worker thread and calls back on the UI thread.
QrScan = Callable[[bytes, Callable[[str | None], None]], None]
# What the face service's status on ``face/<camera>/result`` makes the panel say.
FACE_STATUS = {"not recognised": "door.unknown", "look at the camera and blink": "door.blink"}


@dataclass(frozen=True)
class FaceBox:
    """Where the face is, as fractions of the frame (0..1, origin top-left)."""

    x: float
    y: float
    w: float
    h: float
    known: bool


def parse_face_box(body: Any) -> FaceBox | None:
    if not isinstance(body, dict):
        return None
    box = body.get("box")
    faces = body.get("faces")
    if box is None and isinstance(faces, list) and faces and isinstance(faces[0], dict):
        box = faces[0].get("box")
        body = {**body, "person_id": faces[0].get("person_id")}
    fw, fh = body.get("width"), body.get("height")
    try:
        if isinstance(box, dict):
            top, right, bottom, left = (
                float(box["top"]),
                float(box["right"]),
                float(box["bottom"]),
                float(box["left"]),
            )
        elif isinstance(box, list | tuple) and len(box) == 4:
            top, right, bottom, left = (float(v) for v in box)
        else:
            return None
        if fw and fh:  # pixels → fractions
            top, bottom, left, right = top / fh, bottom / fh, left / fw, right / fw
        elif max(top, right, bottom, left) > 1.0:
            # Pixels without the frame size (the face service draws this box into its preview
            # JPEG itself): nothing to place over the picture.
            return None
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    known = body.get("person_id") is not None
    return FaceBox(left, top, max(0.0, right - left), max(0.0, bottom - top), known)


class DoorPanelVM(Observable):
    def __init__(
        self,
        gateway: Gateway,
        strings: Strings,
        clock: Clock,
        door: str,
        camera: str | None = None,
        qr_scan: QrScan | None = None,
    ) -> None:
        super().__init__()
        self.gw = gateway
        self.t = strings
        self.clock = clock
        self.door = door
        self.camera = camera or door
        self.door_name = door
        self.availability = Availability(gateway, strings)
        self.availability.listeners.append(self.changed)
        self.mode = "dial"  # or "pin"
        self.entry = ""
        # The last outcome, kept as a way to render it rather than as text, so that a language
        # switch re-renders it; cleared after RESULT_SHOW_S.
        self._message: Callable[[], str] | None = None
        self._from_camera = False  # the message on screen is the camera's verdict
        self.message_kind = "info"  # info, ok, bad
        self.message_at = 0.0
        self.call_id: str | None = None
        self.call_unit = ""
        self.call_state = ""
        self.call_deadline = 0.0  # while "dialing": when to give up waiting for the core
        self.call_sent = False  # the dial of call_id went out
        self.emergency_id: str | None = None
        self.emergency_deadline = 0.0
        self.pin_failures = 0
        self.locked_until = 0.0
        self._pending_pin: str | None = None
        self.qr_scan = qr_scan
        self._qr_busy = False
        self._qr_at = float("-inf")
        self._last_pass = ("", float("-inf"))
        self._pending_pass: str | None = None
        self.notices: list[dict[str, str]] = []
        self.frame: bytes | None = None
        self.face: FaceBox | None = None
        self.face_at = 0.0
        gateway.subscribe(f"access/{door}/result", self._on_result)
        gateway.subscribe(f"face/{self.camera}/frame", self._on_frame)
        gateway.subscribe(f"face/{self.camera}/result", self._on_face)
        gateway.subscribe("notice", self._on_notice)

    def load(self) -> None:
        self.gw.request("door.list", {}, self._on_doors)
        self.gw.request("notice.list", {"active": True}, self._on_notice_list)

    # -- display ---------------------------------------------------------------------------

    @property
    def banner(self) -> str:
        return self.availability.banner

    @property
    def status_line(self) -> str:
        """The big line under the camera."""
        now = self.clock.now()
        if self.call_state:
            return self.t(f"call.{self.call_state}", unit=self.call_unit)
        if self.message and now - self.message_at < RESULT_SHOW_S:
            return self.message
        return self.t("door.look")

    @property
    def entry_display(self) -> str:
        if self.mode == "pin":
            return "●" * len(self.entry)
        return self.entry

    @property
    def hint(self) -> str:
        if self.mode == "pin":
            left = self.pin_locked_for()
            if left > 0:
                return self.t("door.pin_locked", seconds=left)
            return self.t("door.pin_hint")
        return self.t("door.dial_hint")

    def pin_locked_for(self) -> int:
        return max(0, int(self.locked_until - self.clock.now() + 0.999))

    def tick(self) -> None:
        """Called once a second by the screen: expiring messages, the lock countdown, and calls
        the core never answered."""
        now = self.clock.now()
        if self.call_id and self.call_state == "dialing" and now >= self.call_deadline:
            self._give_up(self.call_id)
            self.call_id, self.call_state = None, ""
            self._say(lambda: self.t("call.no_core"), "bad")
        if self.emergency_id and now >= self.emergency_deadline:
            self._give_up(self.emergency_id)
            self.emergency_id = None
            self._say(lambda: self.t("call.no_core"), "bad")
        self.changed()

    @property
    def message(self) -> str:
        return self._message() if self._message is not None else ""

    def _say(self, text: Callable[[], str] | str, kind: str = "info") -> None:
        """Show an outcome: a function rendering it in the current language, or a text that
        came from elsewhere (the core's own refusal) and is shown as it is."""
        self._message = text if callable(text) else (lambda: text)
        self._from_camera = False
        self.message_kind, self.message_at = kind, self.clock.now()
        self.changed()

    # -- keypad ----------------------------------------------------------------------------

    def set_mode(self, mode: str) -> None:
        if mode not in ("dial", "pin"):
            raise ValueError(mode)
        self.mode, self.entry = mode, ""
        self.changed()

    def key(self, k: str) -> None:
        if k == "C":
            self.entry = ""
        elif k == "<":
            self.entry = self.entry[:-1]
        elif k == "-" and self.mode == "dial":
            if self.entry and not self.entry.endswith("-") and self.entry.count("-") < 2:
                self.entry += "-"
        elif k.isdigit() and len(self.entry) < 16:
            self.entry += k
        self.changed()

    def ok(self) -> None:
        if self.mode == "pin":
            self.submit_pin()
        else:
            self.dial()

    # -- PIN -------------------------------------------------------------------------------

    def submit_pin(self) -> None:
        if self.pin_locked_for() > 0:
            self._say(lambda: self.t("door.pin_locked", seconds=self.pin_locked_for()), "bad")
            self.entry = ""
            return
        pin = self.entry
        self.entry = ""
        if not pin:
            self.changed()
            return
        req = AccessRequest(new_id(), self.door, "pin", pin, self.clock.now(), source="panel")
        self._pending_pin = req.id
        self._say(lambda: self.t("working"))
        self.gw.publish(f"access/{self.door}/request", encode(req))

    def _on_result(self, live: Live) -> None:
        try:
            res = AccessResult.decode(live.payload)
        except MessageError:
            return
        if res.request_id == self._pending_pass:
            self._pending_pass = None
            if res.granted:
                name = res.display_name
                self._say(
                    lambda: (
                        self.t("door.pass_ok", name=name) if name else self.t("door.pass_ok_anon")
                    ),
                    "ok",
                )
            else:
                self._say(lambda: self.t("door.pass_bad", reason=res.reason), "bad")
            return
        mine = res.request_id == self._pending_pin
        if res.granted:
            if mine:
                self.pin_failures = 0
                self._pending_pin = None
            name = res.display_name
            self._say(
                lambda: self.t("door.welcome", name=name) if name else self.t("door.welcome_anon"),
                "ok",
            )
            return
        if mine:
            self._pending_pin = None
            self.pin_failures += 1
            if self.pin_failures >= MAX_PIN_TRIES:
                self.locked_until = self.clock.now() + PIN_LOCK_S
                self.pin_failures = 0
                self._say(lambda: self.t("door.pin_locked", seconds=self.pin_locked_for()), "bad")
            else:
                left = MAX_PIN_TRIES - self.pin_failures
                self._say(lambda: self.t("door.pin_wrong", left=left), "bad")
        elif res.reason == "unknown credential":
            self._say(lambda: self.t("door.unknown"), "bad")
        else:
            self._say(lambda: self.t("door.denied", reason=res.reason), "bad")

    # -- intercom --------------------------------------------------------------------------

    def _call_topic(self) -> str:
        return f"intercom/{self.door}/call"

    def _state_topic(self, call_id: str) -> str:
        # Under this panel's own door: the broker lets a panel read no other door's calls.
        return f"intercom/{self.door}/call/{call_id}/state"

    def _signal(self, action: str, call_id: str, **more: str) -> dict[str, Any]:
        return {"action": action, "call_id": call_id, "at": self.clock.now(), **more}

    def dial(self) -> None:
        try:
            unit = UnitAddress.parse(self.entry)
        except (InvalidInput, ValueError) as e:
            self.entry = ""
            self._say(str(e), "bad")
            return
        if self.call_id:
            self.hangup()
        self.entry = ""
        call_id = new_id()
        self.call_unit = str(unit)
        self.call_id = call_id
        self.call_state = "dialing"
        self.call_sent = False
        self.call_deadline = self.clock.now() + CALL_ANSWER_S
        self.changed()
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
        self.call_sent = sent
        if not sent:
            self.call_id, self.call_state = None, ""
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
        self.call_state = str(state)
        if state in FINAL_CALL_STATES:
            self.gw.unsubscribe(self._state_topic(live.levels[3]))
            self.call_state, self.call_id = "", None
            if state == "failed":
                reason = str(body.get("reason") or "")
                self._say(lambda: self.t("call.failed", message=reason), "bad")
            else:
                kind = "ok" if state == "door_opened" else "bad"
                unit = self.call_unit
                self._say(lambda: self.t(f"call.{state}", unit=unit), kind)
        self.changed()

    def hangup(self) -> None:
        if self.call_id and self.call_sent:
            self._give_up(self.call_id)
        elif self.call_id:
            # Not yet sent: _on_dial_sent ends it once it is out, so the hangup cannot
            # overtake the dial.
            self.gw.unsubscribe(self._state_topic(self.call_id))
        self.call_state, self.call_id = "", None
        self._say(lambda: self.t("call.ended"))

    def emergency(self) -> None:
        call_id = new_id()
        self.emergency_id = call_id
        self.emergency_deadline = self.clock.now() + CALL_ANSWER_S
        self._say(lambda: self.t("working"))
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

    # -- camera ----------------------------------------------------------------------------

    def _on_frame(self, live: Live) -> None:
        if live.payload[:2] == b"\xff\xd8":  # JPEG only
            self.frame = live.payload
            now = self.clock.now()
            if self.qr_scan is not None and not self._qr_busy and now - self._qr_at >= QR_SCAN_S:
                self._qr_at, self._qr_busy = now, True
                self.qr_scan(live.payload, self._on_qr)
            self.changed()

    def _on_qr(self, text: str | None) -> None:
        """A visitor pass held up to the camera: its token goes to the core as a "pass"."""
        self._qr_busy = False
        if not text:
            return
        now = self.clock.now()
        last, at = self._last_pass
        if text == last and now - at < QR_REPEAT_S:
            return
        self._last_pass = (text, now)
        if len(text) > PASS_MAX_LEN or not text.isprintable():
            # Some other QR code (a web address on a leaflet): the core would drop it unread.
            self._say(lambda: self.t("door.pass_bad", reason=self.t("door.not_a_pass")), "bad")
            return
        req = AccessRequest(new_id(), self.door, "pass", text, now, source="panel-qr")
        self._pending_pass = req.id
        self._say(lambda: self.t("door.pass_checking"))
        self.gw.publish(f"access/{self.door}/request", encode(req))

    def _on_face(self, live: Live) -> None:
        body = live.json()
        self.face = parse_face_box(body)
        self.face_at = self.clock.now()
        key = FACE_STATUS.get(str(body.get("status"))) if isinstance(body, dict) else None
        # The camera's verdict never covers an outcome the person in front of the panel is
        # reading (a welcome, "wrong PIN, 4 tries left", a lockout, "no answer"): it is shown
        # only over nothing or over an earlier camera verdict.
        now = self.clock.now()
        busy = self._message is not None and not self._from_camera
        if busy and now - self.message_at >= RESULT_SHOW_S:
            busy = False
        if key is not None and not self.call_state and not busy:
            self._say(lambda: self.t(key), "bad" if key == "door.unknown" else "info")
            self._from_camera = True
        else:
            self.changed()

    # -- notices and doors -----------------------------------------------------------------

    def _on_doors(self, reply: Reply) -> None:
        if reply.ok:
            for d in reply.result or []:
                if d.get("id") == self.door:
                    self.door_name = str(d.get("name") or self.door)
            self.changed()

    def _on_notice_list(self, reply: Reply) -> None:
        if reply.ok:
            self.notices = parse_notices(reply.result)
            self.changed()

    def _on_notice(self, live: Live) -> None:
        self.notices = parse_notices(live.json())
        self.changed()


def parse_notices(body: Any) -> list[dict[str, str]]:
    """Notices as [{text}], from the retained {notices: [...]} or a notice.list answer."""
    if isinstance(body, dict) and isinstance(body.get("notices"), list):
        body = body["notices"]
    if isinstance(body, dict):
        body = [body]
    if not isinstance(body, list):
        return []
    out = []
    for n in body[:20]:
        if isinstance(n, dict) and n.get("text"):
            out.append({"text": str(n["text"])})
    return out
