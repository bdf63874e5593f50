"""The door panel: dial a room, enter a PIN, see who the camera recognised, call for help.

The panel is a reader like any other: a PIN goes to the core as an access request on
``access/<door>/request`` and the core's ``access/<door>/result`` says what happened. The core
alone counts failed attempts: its result says how many tries a wrong PIN has left, or how many
seconds a lockout still runs, and the panel shows that (counting the seconds down) and keeps no
count or lock of its own.

Calls (dial, hang up, the emergency button) are in ``ui.viewmodels.door_call``; what the face
service says is read by ``ui.viewmodels.door_parse``; the notices, asked of the core for this
door, are kept and paged by ``ui.viewmodels.door_notices``.

Left alone for IDLE_RESET_S (no touch, no call), the panel goes back to Chinese and dialling,
for the next person. Notices are shown one page at a time with a "1/3" count, turning by
themselves and at a touch, so none is cut off or dropped. Residents are not shown device names:
when the box cannot decide (bus, core or a device offline, or the core not answering the
panel's questions, as when the panel started while the core was down and no retained word says
so) the banner says to use a card.
"""

from __future__ import annotations

from collections.abc import Callable

from compound.domain.access import Reason
from compound.domain.clock import Clock
from compound.protocol.messages import AccessRequest, AccessResult, MessageError, encode, new_id
from ui.gateway import Gateway, Live, Reply
from ui.i18n import Strings
from ui.i18n_core import reason_text
from ui.viewmodels.base import Availability, Observable
from ui.viewmodels.door_call import DoorCalls
from ui.viewmodels.door_notices import SPREAD_S as NOTICE_SPREAD_S
from ui.viewmodels.door_notices import DoorNotices
from ui.viewmodels.door_parse import FaceBox, face_status_key, parse_door, parse_face_box

RESULT_SHOW_S = 6.0
IDLE_RESET_S = 30.0  # untouched this long: back to Chinese and dialling
QR_SCAN_S = 0.5  # preview frames are looked at for a QR code at most this often
QR_REPEAT_S = 10.0  # a pass held up to the camera is sent once, not on every frame
PASS_MAX_LEN = 128  # what an access request carries
# Reads a QR code from a JPEG preview frame and calls back with its text (or None); the app
# runs it on a worker thread and calls back on the UI thread.
QrScan = Callable[[bytes, Callable[[str | None], None]], None]


class DoorPanelVM(Observable):
    face_challenge = True  # door.show: False where no face is ever asked (door_parse.DoorTold)
    one_entrance = False  # door.show: the door serves one entrance (the room alone is dialled)

    def __init__(
        self,
        gateway: Gateway,
        strings: Strings,
        clock: Clock,
        door: str,
        camera: str | None = None,
        qr_scan: QrScan | None = None,
        notice_spread_s: float = NOTICE_SPREAD_S,
        rand: Callable[[], float] | None = None,
    ) -> None:
        """``notice_spread_s`` and ``rand``: how this panel spreads its notice questions
        (``ui.viewmodels.door_notices``)."""
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
        self.calls = DoorCalls(gateway, strings, clock, door, self._say, self.changed)
        # From the core's last answer to a PIN from this panel: until when that answer said
        # PINs are locked out (0: not locked).
        self.locked_until = 0.0
        self._pending_pin: str | None = None
        self.qr_scan = qr_scan
        self._qr_busy, self._qr_at = False, float("-inf")
        self._last_pass = ("", float("-inf"))
        self._pending_pass: str | None = None
        self.notice_board = DoorNotices(gateway, clock, door, self.changed, notice_spread_s, rand)
        self.touched_at = clock.now()
        strings.listeners.append(self._touch)  # a language switch is a touch
        self.frame: bytes | None = None
        self.face: FaceBox | None = None
        self.face_at = 0.0
        gateway.subscribe(f"access/{door}/result", self._on_result)
        gateway.subscribe(f"face/{self.camera}/frame", self._on_frame)
        gateway.subscribe(f"face/{self.camera}/result", self._on_face)
        gateway.subscribe("notice", self.notice_board.on_live)  # "changed": asks again

    def load(self) -> None:
        self.gw.request("door.show", {"door": self.door}, self._on_door)  # its own door only
        self.notice_board.load()  # this door's notices showing now, a page at a time

    # -- display ---------------------------------------------------------------------------

    @property
    def banner(self) -> str:
        """What residents need to know, without device names: use a card while the box cannot
        decide here (the door's own reader and controller work without it)."""
        down = self.availability.banner or self.notice_board.lost
        return self.t("door.unavailable") if down else ""

    @property
    def status_line(self) -> str:
        """The big line under the camera."""
        now = self.clock.now()
        line = self.calls.line
        if line:
            return line
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
        return self.t("door.dial_hint_room" if self.one_entrance else "door.dial_hint")

    def pin_locked_for(self) -> int:
        """Whole seconds left of the lockout the core last announced, counted down here."""
        return max(0, int(self.locked_until - self.clock.now() + 0.999))

    @property
    def status_kind(self) -> str:
        """How the status line is coloured: info, ok or bad."""
        if self.calls.line:
            return "info"
        if self.message and self.clock.now() - self.message_at < RESULT_SHOW_S:
            return self.message_kind
        return "info"

    def tick(self) -> None:
        """Called once a second by the screen: expiring messages, the lock countdown, calls
        the core never answered, notice pages and the idle reset."""
        self.calls.tick()
        now = self.clock.now()
        self.notice_board.tick(now)
        if now - self.touched_at >= IDLE_RESET_S and not self.calls.line:
            self.reset()
        self.changed()

    def _touch(self) -> None:
        self.touched_at = self.clock.now()

    def reset(self) -> None:
        """Back to how the next person expects the panel: Chinese, dialling, nothing typed."""
        self.mode, self.entry = "dial", ""
        if self.t.lang != "zh":
            self.t.toggle()
        self._touch()

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
        self._touch()
        self.mode, self.entry = mode, ""
        self.changed()

    def key(self, k: str) -> None:
        self._touch()
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
        self._touch()
        if self.mode == "pin":
            self.submit_pin()
        else:
            self.dial()

    # -- PIN -------------------------------------------------------------------------------

    def submit_pin(self) -> None:
        # Sent even while a lockout is shown: the core decides, and a lockout may hold for one
        # PIN and not for another.
        pin = self.entry
        self.entry = ""
        if not pin:
            self.changed()
            return
        req = AccessRequest(new_id(), self.door, "pin", pin, self.clock.now(), source="panel")
        self._pending_pin = req.id
        self._say(lambda: self.t("working"))
        self.gw.publish(f"access/{self.door}/request/panel", encode(req))

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
                self._say(
                    lambda: self.t("door.pass_bad", reason=reason_text(res.reason, self.t)), "bad"
                )
            return
        mine = res.request_id == self._pending_pin
        if mine:
            self._pending_pin = None
            # The core's answer to the latest PIN from here replaces what an earlier one said.
            locked = res.locked_for_s or 0
            self.locked_until = self.clock.now() + locked if locked else 0.0
        if res.granted:
            name = res.display_name
            self._say(
                lambda: self.t("door.welcome", name=name) if name else self.t("door.welcome_anon"),
                "ok",
            )
        elif mine and self.locked_until:
            self._say(lambda: self.t("door.pin_locked", seconds=self.pin_locked_for()), "bad")
        elif mine and res.reason == Reason.UNKNOWN_CREDENTIAL:
            left = res.tries_left
            self._say(
                lambda: (
                    self.t("door.pin_wrong", left=left)
                    if left is not None
                    else self.t("door.pin_wrong_plain")
                ),
                "bad",
            )
        elif res.reason == Reason.UNKNOWN_CREDENTIAL:
            self._say(lambda: self.t("door.unknown"), "bad")
        else:
            self._say(lambda: self.t("door.denied", reason=reason_text(res.reason, self.t)), "bad")

    # -- intercom ------------------------------------------------------------------------

    @property
    def call_id(self) -> str | None:
        return self.calls.call_id

    @property
    def call_state(self) -> str:
        return self.calls.state

    @property
    def call_unit(self) -> str:
        return self.calls.unit

    def dial(self) -> None:
        entry, self.entry = self.entry, ""
        self.calls.dial(entry)

    def hangup(self) -> None:
        self._touch()
        self.calls.hangup()

    def emergency(self) -> None:
        self._touch()
        self.calls.emergency()

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
        self.gw.publish(f"access/{self.door}/request/panel", encode(req))

    def _on_face(self, live: Live) -> None:
        body = live.json()
        self.face = parse_face_box(body)
        self.face_at = self.clock.now()
        key = face_status_key(body, self.face_challenge)
        # The camera's verdict never covers an outcome the person in front of the panel is
        # reading (a welcome, "wrong PIN, 4 tries left", a lockout, "no answer"): it is shown
        # only over nothing or over an earlier camera verdict.
        now = self.clock.now()
        busy = self._message is not None and not self._from_camera
        if busy and now - self.message_at >= RESULT_SHOW_S:
            busy = False
        if key is not None and not self.calls.line and not self.calls.emergency_id and not busy:
            self._say(lambda: self.t(key), "bad" if key == "door.unknown" else "info")
            self._from_camera = True
        else:
            self.changed()

    # -- notices and doors -----------------------------------------------------------------

    def _on_door(self, reply: Reply) -> None:
        told = parse_door(reply.result, self.door, self.face_challenge) if reply.ok else None
        if told is not None:  # the core says the face rule: a panel never reads the box's config
            self.door_name = told.name
            self.face_challenge = told.face_challenge
            self.one_entrance = told.one_entrance
            self.notice_board.set_served(told.served)

    @property
    def served(self) -> set[str] | None:
        """The buildings the door serves, as the core said; None: all (or not told yet)."""
        return self.notice_board.served

    @property
    def notices(self) -> list[dict[str, str]]:
        return self.notice_board.shown

    @property
    def notice_pages(self) -> list[str]:
        return self.notice_board.pages

    def next_notice(self) -> None:
        """A touch on the notices turns the page."""
        self._touch()
        self.notice_board.next()
        self.changed()

    @property
    def notice_text(self) -> str:
        text = self.notice_board.text
        return self.t("door.no_notices") if text is None else text

    @property
    def notice_count(self) -> str:
        """The page indicator ("1/3"); empty with one page or none."""
        return self.notice_board.count
