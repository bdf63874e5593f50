"""The credentials tab's person: searched and tapped on the right (over the pass's QR code),
named on the left where the card, PIN, pass, revocation and move-out act on them. A revocation
and a move-out each ask first, naming the person and their unit."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout

from ui.gateway import Reply
from ui.i18n_core import core_text
from ui.screens.console_widgets import Confirm, PeopleSearch
from ui.viewmodels.people import numbered
from ui.viewmodels.person_pick import RESULTS, PersonPick


class CredentialsTab:
    def __init__(self, screen: Any) -> None:
        vm = screen.vm
        self.screen, self.vm, self.t = screen, vm, vm.t
        self.pick = PersonPick(vm.gw, vm.t)
        self.confirm: Confirm | None = None
        self._cred_ids: dict[str, int] = {}
        box = BoxLayout(orientation="vertical", spacing=6, size_hint_y=None)
        self.people = PeopleSearch(box, lambda: self.pick.finder, RESULTS, self._picked)
        self.search, self.results = self.people.search, self.people.results
        box.remove_widget(box.children[0])  # the free space: the QR code takes it here
        box.height = sum(w.height for w in box.children) + box.spacing * (len(box.children) - 1)
        right = screen.ids.c_right
        right.add_widget(box, index=len(right.children))
        self._trigger = Clock.create_trigger(lambda dt: self.refresh(), 0)
        self.pick.listeners.append(self._trigger)
        vm.t.listeners.append(self._trigger)
        screen.bind(
            tab=lambda _w, tab: self.pick.finder.refresh() if tab == "credentials" else None
        )
        self.refresh()

    def _picked(self, i: int) -> None:
        self.pick.pick(i)
        self.screen._card_focus()  # the next card swiped goes to the person just picked

    @property
    def person(self) -> str:
        """The picked person's id for the console's requests; "" (and the manager told to
        pick someone) when nobody is picked."""
        pid = self.pick.person_id
        if pid is None:
            self.vm._tell(lambda: self.t("creds.pick_first"), False)
            return ""
        return str(pid)

    def ask_revoke(self) -> Confirm | None:
        cid = self._cred_ids.get(self.screen.ids.c_cred.text)
        if not self.person:
            return None
        if cid is None:
            self.vm._tell(lambda: self.t("creds.no_credential"), False)
            return None
        cred = self.screen.ids.c_cred.text
        self.confirm = Confirm.ask(
            self.t,
            self.pick.question("creds.revoke_ask", cred=cred),
            "creds.revoke_yes",
            lambda: self._revoke(cid, cred),
        )
        return self.confirm

    def _revoke(self, cid: int, cred: str) -> None:
        said = self.pick.question("creds.revoked", cred=cred)  # named now: the pick may change

        def done(reply: Reply) -> None:
            if reply.ok:
                self.vm._tell(lambda: said)
            else:
                self.vm._tell(lambda: self._refusal(reply), False)

        self.pick.revoke(cid, done)

    def ask_move_out(self) -> Confirm | None:
        person = self.person
        if not person:
            return None
        said = self.pick.question("creds.moved_out")
        self.confirm = Confirm.ask(
            self.t,
            self.pick.question("creds.move_out_ask"),
            "creds.move_out_yes",
            lambda: self.vm.move_out(person, said, self.pick.forget),
        )
        return self.confirm

    def _refusal(self, reply: Reply) -> str:
        return self.t("unavailable") if reply.unavailable else core_text(reply.error, self.t)

    def issued(self) -> None:
        """A card, PIN or pass issued to the picked person: offered for revocation too."""
        self.pick.reload()

    def refresh(self) -> None:
        pick, t, ids = self.pick, self.t, self.screen.ids
        chosen = pick.person_id
        self.people.show(t, "creds.search", pick.result_text, lambda p: p["id"] == chosen)
        ids.c_chosen.text = pick.chosen_text
        ids.e_chosen.text = pick.question("creds.face_for") or t("creds.face_pick_first")
        ids.e_chosen.color = ids.c_chosen.color = (
            (1, 1, 1, 1) if chosen is not None else (1, 0.75, 0.45, 1)
        )
        names = numbered((pick.credential_text(c), int(c["id"])) for c in pick.credentials)
        self._cred_ids = names
        ids.c_cred.values = list(names)
        if ids.c_cred.text not in names:
            ids.c_cred.text = next(iter(names), t("creds.none_held") if chosen else "-")
