"""The manager console (1280×800)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from compound.domain import csv_rows
from compound.domain.model import InvalidInput
from ui.choices import Choices  # noqa: F401 - used in the kv file
from ui.gateway import Live
from ui.i18n import LANGS, Strings
from ui.i18n_core import column_name, core_text
from ui.qr import qr_texture
from ui.screens.console_widgets import SEARCH_PAUSE_S
from ui.screens.file_list import FileList
from ui.screens.manager_console import ConsoleTabs
from ui.screens.manager_credentials import CredentialsTab
from ui.screens.manager_import_errors import ImportErrors  # noqa: F401 - used in manager.kv
from ui.screens.manager_siteplan import SitePlanTab
from ui.screens.name_field import NameField  # noqa: F401 - used in manager.kv
from ui.viewmodels.csv_import import CSV_FIELDS
from ui.viewmodels.manager import RENTAL_CLASSES, ROLES, TENANT_LAYERS, ManagerVM
from ui.viewmodels.site_map import SiteMap

Builder.load_file(str(Path(__file__).with_name("manager.kv")))

TABS = ("register", "credentials", "face", "import", "notices", "siteplan")
LABELS = {
    "l_name": "manager.name",
    "l_pinyin": "manager.pinyin",
    "l_unit": "manager.unit",
    "l_role": "manager.role",
    "l_id_number": "manager.id_number",
    "l_register": "manager.register",
    "l_person": "creds.person",
    "l_credential": "creds.credential",
    "l_revoke": "creds.revoke",
    "l_card": "manager.card",
    "l_pin": "manager.pin",
    "l_hours": "manager.pass_hours",
    "l_issue_card": "manager.issue_card",
    "l_set_pin": "manager.set_pin",
    "l_suggest_pin": "manager.suggest_pin",
    "l_issue_pass": "manager.issue_pass",
    "l_move_out": "manager.move_out",
    "l_consent": "manager.consent",
    "l_capture": "manager.capture",
    "l_enrol": "manager.enrol",
    "l_csv": "manager.csv_path",
    "l_import": "manager.import",
    "l_template": "manager.csv_template",
    "l_notice": "manager.notice_body",
    "l_until": "manager.notice_until",
    "l_post": "manager.post",
    "l_people_search": "manager.people_search",
    "l_prev": "manager.previous",
    "l_next": "manager.next",
}
NO_ERRORS: list[tuple[int, str, str]] = []  # the import tab's problems before any import
CAMERA_STALE_S = 3.0  # no preview frame for this long: the camera is shown as giving no picture


class ManagerScreen(BoxLayout):
    vm = ObjectProperty(None)
    tab = StringProperty("register")
    tab_texts = ListProperty([""] * 5)
    title_text = StringProperty("")
    lang_text = StringProperty("")
    banner_text = StringProperty("")
    note_text = StringProperty("")
    note_ok = BooleanProperty(True)
    l_lease = StringProperty("")
    l_class = StringProperty("")
    class_values = ListProperty([])
    layer_values = ListProperty([])
    role_values = ListProperty([])
    people_title = StringProperty("")
    people_text = StringProperty("")
    people_page_text = StringProperty("")
    people_page = NumericProperty(1)
    people_pages = NumericProperty(1)
    quality_text = StringProperty("")
    quality_ok = BooleanProperty(False)
    consent = BooleanProperty(False)
    captured_text = StringProperty("")
    progress = NumericProperty(0.0)
    progress_text = StringProperty("")
    errors_title = StringProperty("")
    errors_text = StringProperty("")
    siteplan_tab_text = StringProperty("")
    camera_text = StringProperty("")
    camera_live = BooleanProperty(False)
    # One text property per translated label (Kivy collects properties at class creation).
    for _label in LABELS:
        locals()[_label] = StringProperty("")
    del _label

    def __init__(
        self, vm: ManagerVM, tab: str | None = None, camera: str = "enrol", **kw: Any
    ) -> None:
        super().__init__(vm=vm, **kw)
        self._trigger = Clock.create_trigger(lambda dt: self.refresh(), 0)
        # The site plan tab: the plan, and the doors placed on it (the officer wall's map).
        self.site_map = SiteMap(vm.gw, self._trigger)
        self.siteplan = SitePlanTab(self.site_map, vm.t, Path.home())
        page = Screen(name="siteplan")
        page.add_widget(self.siteplan)
        self.ids.pages.add_widget(page)
        # Door schedules and holidays, indoor stations, the household view.
        self.console = ConsoleTabs(self)
        # The credentials tab's person, picked from a search.
        self.creds = CredentialsTab(self)
        vm.on_issued = self.creds.issued
        # The CSV file is chosen by touch (a USB stick shows under /media); typing a path works.
        self.csv_files = FileList(
            Path.home(), (".csv",), on_choose=lambda p: setattr(self.ids.csv_path, "text", p)
        )
        self.ids.import_box.add_widget(self.csv_files, index=len(self.ids.import_box.children) - 1)
        self.bind(tab=lambda _w, value: setattr(self.ids.pages, "current", value))
        self.tab = tab or "register"
        self.ids.pages.current = self.tab
        vm.notes.tab = self.tab
        self._frame: bytes | None = None
        self._frame_at = 0.0
        self._shown_token = ""
        self._shown_pin = ""
        self._errors_said: tuple[Any, int, str] = (None, 0, "")
        self.bind(tab=lambda *_: self._tab_changed())
        self.bind(tab=lambda _w, value: self._card_focus() if value == "credentials" else None)
        self._search = Clock.create_trigger(
            lambda dt: vm.people.search(self.ids.p_search.text), SEARCH_PAUSE_S
        )
        vm.listeners.append(self._trigger)
        vm.t.listeners.append(self._trigger)
        vm.gw.subscribe(f"face/{camera}/frame", self._on_frame)
        self._quality = Clock.schedule_interval(lambda dt: self._check_quality(), 1.0)
        self.ids.f_name.on_card = self.card_swiped
        self.refresh()

    def _on_frame(self, live: Live) -> None:
        if live.payload[:2] == b"\xff\xd8":
            self._frame, self._frame_at = live.payload, time.monotonic()
            if self.tab == "face":
                self.ids.face_camera.show(live.payload, None)

    def _check_quality(self) -> None:
        # Live feedback about once a second while the enrolment page is open.
        live = self._camera_live()
        self.camera_live = live
        self.camera_text = self.vm.t("manager.camera_live" if live else "manager.camera_none")
        if self.tab == "face" and self._frame is not None and self.vm.face_available is not False:
            self.vm.check_quality(self._frame)

    def _tab_changed(self) -> None:
        # What the last action on the tab left said belongs there, not on the next tab; an
        # answer that came for the tab opened while it was away is shown now.
        left = self.vm.notes.tab
        self.vm.notes.switch(self.tab)
        self.console.clear_notes(left)
        self._trigger()

    def search_typed(self) -> None:
        """Each key restarts the wait: one search when typing pauses, not one per key."""
        self._search.cancel()
        self._search()

    def open_keyboard(self, field: Any) -> Any:
        """The on-screen keyboard with pinyin input, typing into ``field``."""
        from ui.screens.pinyin_keyboard import PinyinKeyboard

        self.keyboard = PinyinKeyboard(field, on_card=self.card_swiped)
        self.keyboard.space.text = self.vm.t("manager.space")
        self.keyboard.open()
        return self.keyboard

    def card_read(self) -> None:
        """The card field's number sent: Enter from a USB reader (a keyboard device typing
        the number and Enter) or the button. The field keeps the keyboard focus for the next
        card and is emptied once the card is issued; the reader's start and end marks
        (magnetic-stripe ";" and "?") and spaces are dropped."""
        field = self.ids.c_card
        number = field.text.strip().strip(";?%").strip()
        field.text = number
        if number and (person := self.creds.person):
            self.vm.issue_card(person, number, done=lambda: self._card_issued())
        self._card_focus()

    def card_swiped(self, number: str) -> None:
        """A card swiped on the reader while the on-screen keyboard is open (a name being
        typed): the number waits in the card field for the credentials tab, never in the name."""
        self.ids.c_card.text = number
        self.vm._tell(lambda: self.vm.t("manager.card_swiped", card=number))
        keyboard = getattr(self, "keyboard", None)
        if keyboard is not None and keyboard.parent is not None:
            keyboard.tell(self.vm.note)  # the note line is behind the open keyboard

    def set_pin(self) -> None:
        if person := self.creds.person:
            self.vm.set_pin(person, self.ids.c_pin.text)

    def issue_pass(self) -> None:
        if person := self.creds.person:
            self.vm.issue_pass(person, self.ids.c_hours.text)

    def _card_issued(self) -> None:
        self.ids.c_card.text = ""
        self.creds.issued()
        self._card_focus()

    def _card_focus(self) -> None:
        # Next frame: a button's release or a tab change would take the focus back.
        Clock.schedule_once(lambda dt: setattr(self.ids.c_card, "focus", True), 0)

    def enrol(self) -> None:
        """The face of the person picked on the credentials tab (consent asked first)."""
        pid = self.creds.pick.person_id
        if pid is None and self.vm.consent:
            self.vm._tell(lambda: self.vm.t("creds.face_pick_first"), False)
            return
        self.vm.enrol("" if pid is None else str(pid))

    def capture(self) -> None:
        self.vm.capture(self._frame if self._camera_live() else None)

    def _camera_live(self) -> bool:
        return self._frame is not None and time.monotonic() - self._frame_at < CAMERA_STALE_S

    def register(self) -> None:
        ids = self.ids
        form = {
            "name": ids.f_name.text,
            "unit": ids.f_unit.text,
            "role": self._code(ids.f_role.text),
            "id_number": ids.f_id_number.text,
            "lease_start": ids.f_lease_start.text,
            "lease_end": ids.f_lease_end.text,
            "rental_class": self._code(ids.f_class.text),
            "tenant_layer": self._code(ids.f_layer.text),
        }
        self.vm.register(form)

    def import_csv(self, path: str) -> None:
        try:
            data = Path(path.strip()).expanduser().read_bytes()
        except OSError as e:
            self.vm._tell(self.vm.t("error", message=f"{path}: {e.strerror or e}"), False)
            return
        try:
            # As compound import reads it: UTF-8 with or without BOM, UTF-16, GBK (Excel).
            text, _ = csv_rows.decode(data)
        except InvalidInput as e:
            # The refusal in the screen's words: which line is in the other encoding, or that
            # the file is too large or not text (the console's own sentence for any other).
            self.vm._tell(core_text(str(e), self.vm.t), False)
            return
        self.vm.import_csv(text)

    def save_template(self) -> None:
        """An empty import file with the column names and one example row, in the folder
        shown, for the office to fill in."""
        path = Path(self.csv_files.folder) / "compound-import-template.csv"
        example = ["王小明", "3-2-1501", "owner", "", "", "", "13800000000", "", ""]
        try:
            with path.open("w", encoding="utf-8-sig", newline="") as f:
                f.write(",".join(CSV_FIELDS) + "\n" + ",".join(example) + "\n")
        except OSError as e:
            self.vm._tell(self.vm.t("error", message=f"{path}: {e.strerror or e}"), False)
            return
        self.csv_files.open(self.csv_files.folder)
        self.vm._tell(self.vm.t("manager.csv_template_saved", path=str(path)))

    def refresh(self) -> None:
        vm, t = self.vm, self.vm.t
        for attr, key in LABELS.items():
            setattr(self, attr, t(key))
        # A tab with an answer waiting for the manager (an import finished meanwhile) is marked.
        self.tab_texts = [
            t(f"manager.tab_{k}") + (" ●" if vm.notes.waiting(tab) else "")
            for k, tab in zip(("people", "creds", "face", "import", "notice"), TABS, strict=False)
        ]
        self.siteplan_tab_text = t("manager.tab_siteplan")
        if self.tab == "siteplan":
            self.siteplan.refresh()
        self.title_text = t("manager.title", site=vm.site)
        self.lang_text = t("lang.switch")
        self.banner_text = vm.banner
        self.note_text = vm.note
        self.note_ok = vm.note_ok
        self.l_lease = f"{t('manager.lease_start')} / {t('manager.lease_end')}"
        self.l_class = f"{t('manager.rental_class')} / {t('manager.tenant_layer')}"
        # Each choice in the screen's language only; the code is looked up when sending.
        self.class_values = ["-"] + [t(f"rental.{c}") for c in RENTAL_CLASSES]
        self.layer_values = ["-"] + [t(f"layer.{c}") for c in TENANT_LAYERS]
        self.role_values = [t(f"role.{c}") for c in ROLES]
        for field, key in ((self.ids.f_role, "role"), (self.ids.f_class, "rental")):
            code = self._code(field.text)
            field.text = t(f"{key}.{code}") if code else field.text
        layer = self._code(self.ids.f_layer.text)
        self.ids.f_layer.text = t(f"layer.{layer}") if layer else "-"
        people = vm.people
        self.people_title = f"{t('manager.people')} ({people.total})"
        self.people_text = (
            "\n".join(
                f"#{p['id']}  {p['name']}  {p['unit']}  {t('role.' + str(p['role']))}"
                for p in people.items
            )
            or people.note
        )
        self.people_page, self.people_pages = people.page, people.pages
        self.people_page_text = t("manager.page", page=people.page, pages=people.pages)
        self.quality_text = t("manager.quality", text=vm.quality) if vm.quality else ""
        self.quality_ok = vm.quality_ok
        self.consent = vm.consent
        self.captured_text = f" ({len(vm.captured)})" if vm.captured else ""
        job = vm.job
        self.progress = job.progress if job else 0.0
        self.progress_text = (
            ""
            if job is None
            else vm.note
            if job.finished
            else t("manager.import_sending", sent=job.sent, parts=len(job.parts))
        )
        self.errors_title = t("manager.tab_import")
        # Every problem the core found, as the CLI prints them: line, column, what to do;
        # worded again only for another answer or language (200 of them take ~15 ms).
        errors = job.errors if job else NO_ERRORS
        said = (errors, len(errors), t.lang)
        if said[0] is not self._errors_said[0] or said[1:] != self._errors_said[1:]:
            self._errors_said = said
            lines = [self._error_line(line, column, m) for line, column, m in errors]
            self.errors_text = "\n".join(lines)
            self.ids.import_errors.show(lines)
        if vm.suggested_pin != self._shown_pin:
            self._shown_pin = vm.suggested_pin
            if vm.suggested_pin:
                self.ids.c_pin.text = vm.suggested_pin  # the manager reads it in the note
        if vm.pass_token and vm.pass_token != self._shown_token:
            self._shown_token = vm.pass_token
            self.ids.qr.texture = qr_texture(vm.pass_token)

    def _error_line(self, line: int, column: str, message: str) -> str:
        t = self.vm.t
        if column:
            name = column_name(column, t.lang)
            return t("manager.cell_error", line=line, column=name, message=core_text(message, t))
        return t("manager.line_error", line=line, message=core_text(message, t))

    def _code(self, choice: str) -> str:
        """ "重点户" or "Focus household" → "focus"; "-" → ""; a choice shown before the
        language switched is found in either language."""
        choice = choice.strip()
        if choice in ("", "-"):
            return ""
        kinds = (("role", ROLES), ("rental", RENTAL_CLASSES), ("layer", TENANT_LAYERS))
        for lang in LANGS:
            said = Strings(lang)
            for key, codes in kinds:
                for code in codes:
                    if said(f"{key}.{code}") == choice:
                        return code
        return choice.split()[0]

    def stop(self) -> None:
        self._quality.cancel()
