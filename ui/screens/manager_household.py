"""The console's household page: search and tap a person (left); their household (right): the
unit and its class with the control to set it, the people living there with their role, layer,
lease and credentials, and the latest visits. A credential's revocation and a person's move-out
each ask first, naming the person and the unit, as on the credentials tab."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

from ui.choices import Choices
from ui.i18n import LANGS, Strings
from ui.pixel_scroll import PixelScrollView
from ui.screens.console_widgets import (
    Confirm,
    Foot,
    PeopleSearch,
    button,
    field,
    note_label,
    show_note,
    text_label,
    title_label,
)
from ui.viewmodels.household import CLASSES, LAYERS, RESULTS, HouseholdVM
from ui.viewmodels.people import numbered

SAID = [Strings(lang) for lang in LANGS]


class HouseholdPage(BoxLayout):
    def __init__(
        self, vm: HouseholdVM, keyboard: Callable[[Any], Any] | None = None, **kw: Any
    ) -> None:
        super().__init__(orientation="vertical", padding=12, spacing=6, **kw)
        self.vm = vm
        self._shown: int | None = None  # the household whose class the picker was set from
        self._recorded = 0
        body = BoxLayout(spacing=14)
        self.add_widget(body)
        self.note = note_label()
        left = BoxLayout(orientation="vertical", spacing=6, size_hint_x=0.4)
        self.people = PeopleSearch(left, lambda: vm.finder, RESULTS, self._pick)
        self.search, self.results = self.people.search, self.people.results
        body.add_widget(left)
        right = BoxLayout(orientation="vertical", spacing=6, size_hint_x=0.6)
        self.title = title_label()
        right.add_widget(self.title)
        cls = BoxLayout(size_hint_y=None, height=56, spacing=6)
        self.class_text = text_label("18sp")
        self.class_pick = Choices(font_size="18sp", text="-")
        self.set_class = button(self._set_class)
        for w in (self.class_text, self.class_pick, self.set_class):
            cls.add_widget(w)
        right.add_widget(cls)
        # A tenant's layer; the row is shown when tenants live there.
        lay = BoxLayout(size_hint_y=None, height=56, spacing=6)
        self.layer_text = text_label("18sp", size_hint_x=0.7)
        self.tenant_pick = Choices(font_size="18sp", text="-")
        self.layer_pick = Choices(font_size="18sp", text="-")
        self.set_layer = button(self._set_layer)
        for w in (self.layer_text, self.tenant_pick, self.layer_pick, self.set_layer):
            lay.add_widget(w)
        right.add_widget(lay)
        self.layer_row = lay
        visit = BoxLayout(size_hint_y=None, height=56, spacing=6)
        self.visit_by, self.visit_notes = field(size_hint_x=0.6), field()
        self.record_visit = button(
            lambda: vm.record_visit(self.visit_by.text, self.visit_notes.text), size_hint_x=0.6
        )
        for w in (self.visit_by, self.visit_notes, self.record_visit):
            visit.add_widget(w)
        right.add_widget(visit)
        # A credential's hours: which credential, which schedule (or any time), set.
        hours = BoxLayout(size_hint_y=None, height=56, spacing=6)
        # Widths: "Credential hours" whole at 1280×800 beside the revoke button.
        self.cred_text = text_label("18sp", size_hint_x=0.75)
        self.cred_pick = Choices(font_size="17sp", text="-", size_hint_x=0.9)
        self.sched_pick = Choices(font_size="17sp", text="-", size_hint_x=0.6)
        self.set_hours = button(self._set_hours, size_hint_x=0.55)
        self.revoke = button(self.ask_revoke, "danger", size_hint_x=0.5)
        for w in (self.cred_text, self.cred_pick, self.sched_pick, self.set_hours, self.revoke):
            hours.add_widget(w)
        right.add_widget(hours)
        self.hours_row = hours
        # Moving a person of the household out, asked first as on the credentials tab.
        move = BoxLayout(size_hint_y=None, height=56, spacing=6)
        self.member_text = text_label("18sp", size_hint_x=0.6)
        self.member_pick = Choices(font_size="17sp", text="-")
        self.move_out = button(self.ask_move_out, "danger", size_hint_x=0.6)
        for w in (self.member_text, self.member_pick, self.move_out):
            move.add_widget(w)
        right.add_widget(move)
        self.move_row = move
        self.confirm: Confirm | None = None
        self._cred_ids: dict[str, int] = {}
        self._tenant_ids: dict[str, int] = {}
        self._member_ids: dict[str, int] = {}
        scroll = PixelScrollView(do_scroll_x=False, bar_width=12)
        self.members = Label(font_size="17sp", size_hint_y=None, halign="left", valign="top")
        self.members.bind(
            width=lambda w, v: setattr(w, "text_size", (v, None)),
            texture_size=lambda w, v: setattr(w, "height", max(v[1], 10)),
        )
        scroll.add_widget(self.members)
        right.add_widget(scroll)
        body.add_widget(right)
        self.foot = Foot(self.note, keyboard, self.visit_notes)
        self.foot.follow(self.visit_by, self.visit_notes)
        self.add_widget(self.foot)

    def _pick(self, i: int) -> None:
        items = self.vm.finder.items
        if i < len(items):
            self.vm.open(int(items[i]["id"]))

    def _set_class(self) -> None:
        t = self.vm.t
        chosen = next((c for c in CLASSES if t(f"rental.{c}") == self.class_pick.text), "")
        self.vm.set_class(chosen)

    def _set_layer(self) -> None:
        chosen = next(
            (c for c in LAYERS for s in SAID if s(f"layer.{c}") == self.layer_pick.text), ""
        )
        self.vm.set_layer(self._tenant_ids.get(self.tenant_pick.text), chosen)

    def _set_hours(self) -> None:
        anytime = {said("console.any_time") for said in SAID}
        chosen = self.sched_pick.text
        schedule = "" if chosen in anytime else chosen
        self.vm.set_credential_schedule(self._cred_ids.get(self.cred_pick.text), schedule)

    def ask_revoke(self) -> None:
        """The credential chosen, revoked once the manager confirms (its holder and unit named:
        the question is ``self.confirm``)."""
        cid = self._cred_ids.get(self.cred_pick.text)
        held = next(((p, c) for p, c in self.vm.credentials if c["id"] == cid), None)
        if held is None:
            self.vm.tell("creds.no_credential", False)
            return
        cred = self.vm.credential_text(held[1])
        question = self.vm.question("creds.revoke_ask", held[0]["id"], cred=cred)
        self.confirm = Confirm.ask(
            self.vm.t, question, "creds.revoke_yes", lambda: self.vm.revoke(cid)
        )

    def ask_move_out(self) -> None:
        """The person chosen, moved out once the manager confirms (named with the unit)."""
        pid = self._member_ids.get(self.member_pick.text)
        question = self.vm.question("creds.move_out_ask", pid)
        if not question:
            self.vm.tell("console.pick_member", False)
            return
        self.confirm = Confirm.ask(
            self.vm.t, question, "creds.move_out_yes", lambda: self.vm.move_out(pid)
        )

    def _members(self) -> None:
        """The household's people by name (a second of one name numbered), to move one out."""
        h, t = self.vm.household, self.vm.t
        people = h["people"] if h else []
        names = numbered((str(p["name"]), int(p["id"])) for p in people)
        self._member_ids = names
        self.member_pick.values = list(names)
        if self.member_pick.text not in names:
            self.member_pick.text = "-"  # never a person chosen for the manager
        self.member_text.text = t("console.member_move_out")
        self.move_out.text = t("console.move_out")
        self.revoke.text = t("creds.revoke")
        self.move_row.disabled = not names
        self.move_row.opacity = 1 if names else 0

    def _credentials(self) -> None:
        """The household's credentials by person and kind (a second alike numbered), and the
        schedules to choose from; the choices stay through a refresh."""
        vm, t = self.vm, self.vm.t
        chosen = self._cred_ids.get(self.cred_pick.text)  # kept through a language switch
        names = numbered((vm.credential_choice(p, c), int(c["id"])) for p, c in vm.credentials)
        self._cred_ids = names
        self.cred_pick.values = list(names)
        if self.cred_pick.text not in names:
            again = [name for name, cid in names.items() if cid == chosen]
            self.cred_pick.text = next(iter(again or names), "-")
        anytime = t("console.any_time")
        self.sched_pick.values = [anytime, *vm.schedule_names]
        if self.sched_pick.text not in self.sched_pick.values:
            self.sched_pick.text = anytime
        self.cred_text.text = t("console.cred_schedule")
        self.set_hours.text = t("console.cred_schedule_do")
        self.hours_row.disabled = not names
        self.hours_row.opacity = 1 if names else 0

    def _tenants(self) -> None:
        """The tenants by name (a second one of the same name numbered), and their layers."""
        t, vm = self.vm.t, self.vm
        names = numbered((str(p["name"]), int(p["id"])) for p in vm.tenants)
        self._tenant_ids = names
        self.tenant_pick.values = list(names)
        if self.tenant_pick.text not in names:
            self.tenant_pick.text = next(iter(names), "-")
        old = self.layer_pick.text
        code = next((c for c in LAYERS for s in SAID if s(f"layer.{c}") == old), "")
        self.layer_pick.values = [t(f"layer.{c}") for c in LAYERS]
        self.layer_pick.text = t(f"layer.{code}") if code else "-"
        self.set_layer.text = t("console.set_layer")
        self.layer_text.text = t("manager.tenant_layer")
        self.layer_row.disabled = not names
        self.layer_row.opacity = 1 if names else 0

    def refresh(self) -> None:
        vm, t = self.vm, self.vm.t
        h = vm.household
        pid = {p["id"] for p in h["people"]} if h else set()
        self.people.show(t, "console.household_search", vm.result_text, lambda p: p["id"] in pid)
        self.title.text = vm.title
        self.class_text.text = vm.class_text
        # The choice stays through a language switch; a household opened shows its own class.
        old = self.class_pick.text
        code = next((c for c in CLASSES for s in SAID if s(f"rental.{c}") == old), "")
        shown = h["household"] if h else None
        if shown != self._shown:
            self._shown = shown
            code = str(h.get("class") or "") if h else ""
        self.class_pick.values = [t(f"rental.{c}") for c in CLASSES]
        self.class_pick.text = t(f"rental.{code}") if code else "-"
        self.set_class.text = t("console.set_class")
        self.set_class.disabled = h is None
        self.visit_by.hint_text = t("console.visit_by")
        self.visit_notes.hint_text = t("console.visit_notes")
        self.record_visit.text = t("console.visit_record")
        self.record_visit.disabled = h is None
        if vm.visits_recorded != self._recorded:
            self._recorded = vm.visits_recorded
            self.visit_notes.text = ""  # saved: the form is cleared (the visitor stays)
        self._tenants()
        self._credentials()
        self._members()
        # The people, then the latest visits, in one scrolling list.
        self.members.text = "\n\n".join(x for x in (vm.members_text, vm.visits_text) if x)
        show_note(self.note, vm)
        self.foot.keyboard.text = t("manager.pinyin")
