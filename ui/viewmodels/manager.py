"""The manager console: register people, issue credentials, enrol faces, import, post notices."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

from ui.gateway import Gateway, Reply
from ui.i18n import Strings
from ui.i18n_core import core_text
from ui.viewmodels.base import Availability, Observable
from ui.viewmodels.csv_import import ImportJob, split_sheet
from ui.viewmodels.people import PeopleFinder
from ui.viewmodels.tab_notes import TabNotes

# The core's codes, and the words the police use for them (以房管人).
RENTAL_CLASSES = {"focus": "重点户", "general": "一般户", "trusted": "放心户"}
TENANT_LAYERS = {"focus": "重点层", "watch": "关注层", "stable": "稳定层"}
SLOW_S = 60.0  # a face enrolment is decoded and encoded by the face service while the manager waits
ROLES = {"owner": "业主", "family": "家庭成员", "tenant": "租户", "visitor": "访客"}


class ManagerVM(Observable):
    def __init__(self, gateway: Gateway, strings: Strings) -> None:
        super().__init__()
        self.gw = gateway
        self.t = strings
        self.site = ""
        self.availability = Availability(gateway, strings)
        self.availability.listeners.append(self.changed)
        # The outcome of the last action on each tab, shown at the bottom of that tab only.
        self.notes = TabNotes(self.changed)
        self.last_person_id: int | None = None
        self.pass_token = ""
        self.suggested_pin = ""  # a free PIN the core proposed, for the PIN field
        self.on_issued: Callable[[], None] = lambda: None  # a PIN or pass issued
        self.pass_until = 0.0
        self.job: ImportJob | None = None
        self.consent = False
        self.captured: list[bytes] = []  # JPEG frames captured for enrolment
        self.quality = ""
        self.quality_ok = False
        self.face_available: bool | None = None
        # One page of people, searched on the core: the console never holds the whole list.
        self.people = PeopleFinder(gateway, strings)
        self.people.listeners.append(self.changed)

    def load(self) -> None:
        self.notes.ask(self.gw, "status", {}, self._on_status)
        self.refresh_people()

    def refresh_people(self) -> None:
        self.people.refresh()

    def _on_status(self, reply: Reply) -> None:
        if reply.ok:
            self.site = str(reply.result.get("site") or "")
            self.changed()

    @property
    def banner(self) -> str:
        return self.availability.banner

    @property
    def note(self) -> str:
        return self.notes.text

    @property
    def note_ok(self) -> bool:
        return self.notes.ok

    def clear_note(self) -> None:
        self.notes.clear()

    def _tell(self, text: str | Callable[[], str], ok: bool = True) -> None:
        self.notes.tell(text if callable(text) else (lambda: text), ok)

    def _refused(self, reply: Reply) -> str:
        """The core's refusal in the screen's language."""
        return self.t("unavailable") if reply.unavailable else core_text(reply.error, self.t)

    def _fail(self, reply: Reply) -> None:
        self._tell(lambda: self._refused(reply), False)

    # -- registration ----------------------------------------------------------------------

    def register(self, form: dict[str, str], done: Callable[[int], None] | None = None) -> None:
        """Unit (created when new), person, then rental class and tenant layer when given."""
        name, unit = form.get("name", "").strip(), form.get("unit", "").strip()
        if not name or not unit:
            self._tell(
                self.t("error", message=self.t("manager.name") + " / " + self.t("manager.unit")),
                False,
            )
            return
        params = {k: v.strip() for k, v in form.items() if isinstance(v, str) and v.strip()}
        self._tell(lambda: self.t("working"))

        def person_added(reply: Reply) -> None:
            if not reply.ok:
                self._fail(reply)
                return
            pid = int(reply.result["id"])
            self.last_person_id = pid
            self._tell(lambda: self.t("manager.registered", name=name, id=pid))
            if params.get("rental_class"):
                self.notes.ask(
                    self.gw,
                    "household.set_class",
                    {"household": unit, "class": params["rental_class"], "by": "manager console"},
                    self._extra,
                )
            if params.get("tenant_layer"):
                self.notes.ask(
                    self.gw,
                    "tenant.set_layer",
                    {"person": pid, "layer": params["tenant_layer"], "by": "manager console"},
                    self._extra,
                )
            self.refresh_people()
            if done is not None:
                done(pid)

        def unit_added(reply: Reply) -> None:
            if not reply.ok:
                self._fail(reply)
                return
            person: dict[str, Any] = {
                k: params[k]
                for k in ("name", "unit", "role", "id_number", "phone", "lease_start", "lease_end")
                if k in params
            }
            self.notes.ask(self.gw, "person.add", person, person_added)

        self.notes.ask(self.gw, "unit.add", {"unit": unit}, unit_added)

    def _extra(self, reply: Reply) -> None:
        # Classification is an addition to a registration that already succeeded.
        if not reply.ok:
            before = self.notes.said()
            self._tell(lambda: before() + " · " + self._refused(reply), False)

    # -- credentials -----------------------------------------------------------------------

    def _person(self, text: str) -> int | None:
        try:
            return int(text.strip())
        except ValueError:
            self._tell(lambda: self.t("error", message=self.t("manager.person_id")), False)
            return None

    def issue_card(self, person: str, number: str, done: Callable[[], None] | None = None) -> None:
        pid = self._person(person)
        if pid is None:
            return

        def answered(r: Reply) -> None:
            if not r.ok:
                self._fail(r)
                return
            self._tell(lambda: self.t("manager.card_done"))
            if done is not None:
                done()

        self.notes.ask(self.gw, "card.add", {"person": pid, "number": number.strip()}, answered)

    def set_pin(self, person: str, pin: str) -> None:
        pid = self._person(person)
        if pid is not None:
            self.notes.ask(self.gw, "pin.set", {"person": pid, "pin": pin.strip()}, self._pin_set)

    def _pin_set(self, r: Reply) -> None:
        if r.ok:
            self.suggested_pin = ""
            self._tell(lambda: self.t("manager.pin_done"))
            self.on_issued()
        elif "already in use" in r.error:  # not whose: offer a free one instead of guesses
            self.suggest_pin("manager.pin_taken")
        else:
            self._fail(r)

    def suggest_pin(self, why: str = "") -> None:
        """A random free PIN from the core, put in the PIN field by the screen; ``why`` is the
        key of a text said before the proposal."""

        def got(r: Reply) -> None:
            if not r.ok or not isinstance(r.result, dict):
                self._fail(r)
                return
            self.suggested_pin = str(r.result.get("pin") or "")
            pin = self.suggested_pin
            self._tell(
                lambda: " ".join(
                    [self.t(why)] * bool(why) + [self.t("manager.pin_suggested", pin=pin)]
                ),
                not why,
            )

        self.notes.ask(self.gw, "pin.suggest", {}, got)

    def issue_pass(self, person: str, hours: str) -> None:
        pid = self._person(person)
        if pid is None:
            return
        try:
            h = float(hours or "4")
        except ValueError:
            self._tell(lambda: self.t("error", message=self.t("manager.pass_hours")), False)
            return

        def done(reply: Reply) -> None:
            if not reply.ok:
                self._fail(reply)
                return
            self.pass_token = str(reply.result["token"])
            self.pass_until = float(reply.result.get("valid_until") or 0)
            until = time.strftime("%m-%d %H:%M", time.localtime(self.pass_until))
            self._tell(lambda: self.t("manager.pass_done", until=until))
            self.on_issued()

        self.notes.ask(self.gw, "pass.issue", {"person": pid, "hours": h}, done)

    def move_out(self, person: str, said: str = "", then: Callable[[], None] | None = None) -> None:
        """``said``: the note naming who was moved out; ``then`` once the core has done it."""
        pid = self._person(person)
        if pid is None:
            return

        def done(reply: Reply) -> None:
            if not reply.ok:
                self._fail(reply)
                return
            self._tell(lambda: said or self.t("manager.moved_out"))
            self.refresh_people()
            if then is not None:
                then()

        self.notes.ask(self.gw, "person.move_out", {"id": pid, "by": "manager console"}, done)

    # -- face enrolment --------------------------------------------------------------------

    def set_consent(self, given: bool) -> None:
        self.consent = given
        if not given:
            self.captured = []  # photos taken under a consent withdrawn are not kept
        self.changed()

    def check_quality(self, jpeg: bytes) -> None:
        """Live feedback on one preview frame; the face service judges it."""

        def done(reply: Reply) -> None:
            if reply.unavailable:
                self.face_available = False
                self.quality, self.quality_ok = self.t("unavailable"), False
            elif reply.ok and isinstance(reply.result, dict):
                self.face_available = True
                self.quality_ok = bool(reply.result.get("ok"))
                self.quality = str(
                    reply.result.get("message")
                    or reply.result.get("reason")
                    or ("OK" if self.quality_ok else "?")
                )
            else:
                self.quality, self.quality_ok = reply.error, False
            self.changed()

        self.notes.ask(self.gw, "face.quality", {"image": base64.b64encode(jpeg).decode()}, done)

    def capture(self, jpeg: bytes | None) -> None:
        """One photo for enrolment: only once consent is recorded, only from a live picture."""
        if not self.consent or jpeg is None:
            key = "manager.consent_needed" if not self.consent else "manager.no_picture"
            self._tell(lambda: self.t(key), False)
            return
        self.captured = (self.captured + [jpeg])[-5:]
        n = len(self.captured)
        self._tell(lambda: self.t("manager.captured", n=n))

    def enrol(self, person: str, consent_by: str = "manager console") -> None:
        if not self.consent:
            self._tell(lambda: self.t("manager.consent_needed"), False)
            return
        pid = self._person(person)
        if pid is None or not self.captured:
            if pid is not None:
                self._tell(lambda: self.t("error", message=self.t("manager.capture")), False)
            return
        images = [base64.b64encode(j).decode() for j in self.captured]

        def done(reply: Reply) -> None:
            if not reply.ok:
                self._fail(reply)
                return
            r = reply.result if isinstance(reply.result, dict) else {}
            accepted, shots = int(r.get("accepted") or 0), list(r.get("images") or [])
            if accepted == 0:
                # Nothing was stored: keep the photos' reasons in front of the manager.
                reasons = {str(i.get("reason")) for i in shots if not i.get("accepted")}
                self._tell(
                    lambda: self.t("manager.not_enrolled", reason="; ".join(sorted(reasons))), False
                )
                return
            self.captured = []
            self.consent = False
            self._tell(lambda: self.t("manager.enrolled", accepted=accepted, total=len(shots)))

        params = {"person_id": pid, "images": images, "consent_by": consent_by}
        self.notes.ask(self.gw, "face.enroll", params, done, timeout=SLOW_S)

    # -- CSV import ------------------------------------------------------------------------

    def import_csv(self, text: str) -> None:
        """Send the sheet to the core (in parts when it is larger than one request); the core
        checks it whole and registers every row in one transaction, or none of them."""
        self.job = ImportJob(split_sheet(text))
        self.changed()
        self._send_part()

    def _send_part(self) -> None:
        job = self.job
        if job is None:
            return
        n = job.sent
        last = n == len(job.parts) - 1
        params: dict[str, Any] = {"csv": job.parts[n], "by": "manager console"}
        if len(job.parts) > 1:
            params.update(sheet=job.sheet, part=n, last=last)

        def answered(reply: Reply) -> None:
            if self.job is not job:
                return  # another import was started meanwhile
            if not reply.ok:
                job.finished, job.failure = True, reply.error
                failure = job.failure
                self._tell(
                    lambda: self.t("manager.import_failed", message=core_text(failure, self.t)),
                    False,
                )
                return
            job.sent += 1
            r = reply.result if isinstance(reply.result, dict) else {}
            if not last:
                self.changed()
                self._send_part()
                return
            job.finished = True
            job.rows = int(r.get("rows") or 0)
            if r.get("ok"):
                job.ok, job.imported = True, job.rows
                self._tell(lambda: self.t("manager.import_done", rows=job.rows))
                self.refresh_people()
                return
            job.errors = [
                (int(e.get("line") or 0), str(e.get("column") or ""), str(e.get("message")))
                for e in r.get("errors") or []
                if isinstance(e, dict)
            ]
            self._tell(
                self.t("manager.import_refused", count=len(job.errors), rows=job.rows), False
            )

        # A large sheet is checked and written by the core while the console waits.
        self.notes.ask(self.gw, "people.import", params, answered, timeout=SLOW_S)

    # -- notices ---------------------------------------------------------------------------

    def post_notice(self, text: str, until: str, buildings: str = "") -> None:
        """A notice for the door panels until the given day (YYYY-MM-DD), for the buildings
        given ("1,3") or the whole compound."""
        if not text.strip():
            self._tell(lambda: self.t("error", message=self.t("manager.notice_body")), False)
            return
        params = {"text": text.strip(), "valid_until": until.strip(), "by": "manager console"}
        if buildings.strip():
            params["buildings"] = buildings.strip()
        posted = "console.notice_for" if buildings.strip() else "manager.posted"
        self.notes.ask(
            self.gw,
            "notice.post",
            params,
            lambda r: (
                self._tell(lambda: self.t(posted, buildings=",".join(r.result["buildings"])))
                if r.ok
                else self._fail(r)
            ),
        )
