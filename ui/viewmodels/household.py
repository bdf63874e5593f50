"""The console's household view: find a person (the core's paged search, as the people panel),
tap them, and see their household from ``household.show``: the unit, its class, each person
with their role, tenant layer, lease and live credentials (masked by the core), and the latest
visits; then set the household's class (重点户 / 一般户 / 放心户). No id is ever typed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ui.gateway import Gateway
from ui.i18n import Strings
from ui.viewmodels.people import PeopleFinder, person_row
from ui.viewmodels.schedules import BY, Noted

CLASSES = ("focus", "general", "trusted")
LAYERS = ("focus", "watch", "stable")
RESULTS = 7  # search results shown as buttons (what fits at 1280×800)


class HouseholdVM(Noted):
    def __init__(self, gateway: Gateway, strings: Strings) -> None:
        super().__init__(gateway, strings)
        self.finder = PeopleFinder(gateway, strings, size=RESULTS)
        self.finder.listeners.append(self.changed)
        self.household: dict[str, Any] | None = None
        self.visits_recorded = 0
        self._asked = 0
        self.schedule_names: list[str] = []  # for a credential's hours (``schedule.list``)

    def open(self, person_id: int) -> None:
        """The household of a person picked from the results."""
        self._show({"person": person_id})

    def reload(self) -> None:
        h = self.household
        if h is not None:
            self._show({"household": h["household"]})

    def _show(self, params: dict[str, Any]) -> None:
        """The household the core shows for ``params``, once it answers the latest asked."""
        self._asked += 1
        asked = self._asked

        def got(result: Any) -> None:
            if asked == self._asked and isinstance(result, dict):
                self.household = result
                self.changed()

        self.gw.request("household.show", params, self.then(got))

    def _change(
        self,
        method: str,
        params: dict[str, Any],
        said: Callable[[], str],
        also: Callable[[], None] | None = None,
    ) -> None:
        """A change to the household asked of the core: once done, ``said`` is the page's note
        (in the language shown), ``also`` is run and the household is shown again."""

        def done(_result: Any) -> None:
            self._note, self.note_ok = said, True
            if also is not None:
                also()
            self.changed()  # said now; the household follows with the core's answer
            self.reload()

        self.gw.request(method, params, self.then(done))

    def set_class(self, cls: str) -> None:
        h = self.household
        if h is None:
            self.tell("console.pick_household", False)
            return
        if cls not in CLASSES:
            self.tell("console.pick_class", False)
            return
        unit = str(h["unit"])

        params = {"household": h["household"], "class": cls, "by": BY}
        self._change(
            "household.set_class",
            params,
            lambda: self.t("console.class_set", unit=unit, cls=self.t(f"rental.{cls}")),
        )

    @property
    def tenants(self) -> list[dict[str, Any]]:
        h = self.household
        return [p for p in (h["people"] if h else []) if p.get("role") == "tenant"]

    def set_layer(self, person_id: int | None, layer: str) -> None:
        """A tenant's layer (重点层 / 关注层 / 稳定层): how often they are visited."""
        tenant = next((p for p in self.tenants if p["id"] == person_id), None)
        if tenant is None:
            self.tell("console.pick_tenant", False)
            return
        if layer not in LAYERS:
            self.tell("console.pick_layer", False)
            return
        name = str(tenant["name"])

        params = {"person": person_id, "layer": layer, "by": BY}
        self._change(
            "tenant.set_layer",
            params,
            lambda: self.t("console.layer_set", name=name, layer=self.t(f"layer.{layer}")),
        )

    def record_visit(self, by: str, notes: str) -> None:
        """A visit to the household (以房管人): who made it and what they found; it counts for
        every tenant living there."""
        h = self.household
        if h is None:
            self.tell("console.pick_household", False)
            return
        if not by.strip():
            self.tell("console.visit_by_needed", False)
            return
        unit = str(h["unit"])

        def recorded() -> None:
            self.visits_recorded += 1  # the screen clears its form

        params = {"household": h["household"], "by": by.strip(), "notes": notes.strip()}
        said = lambda: self.t("console.visit_recorded", unit=unit)  # noqa: E731
        self._change("visit.add", params, said, recorded)

    # -- a credential's hours (the core's ``credential.set_schedule``) ----------------------

    def load_schedules(self) -> None:
        self.gw.request("schedule.list", {}, self.then(self._on_schedules))

    def _on_schedules(self, result: Any) -> None:
        rows = result.get("items") if isinstance(result, dict) else result
        self.schedule_names = [
            str(s["name"]) for s in rows or [] if isinstance(s, dict) and s.get("name")
        ]
        self.changed()

    @property
    def credentials(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(person, credential) for every live credential in the household."""
        h = self.household
        people = h["people"] if h else []
        return [(p, c) for p in people for c in p.get("credentials") or [] if c.get("id")]

    def credential_choice(self, p: dict[str, Any], c: dict[str, Any]) -> str:
        """ "张伟 · 门卡 …1234": a credential as the manager picks it."""
        return f"{p['name']} · {self.credential_text(c)}"

    def set_credential_schedule(self, credential_id: int | None, schedule: str) -> None:
        """When this credential opens doors: the schedule named, or any time with ``""``."""
        held = next(((p, c) for p, c in self.credentials if c["id"] == credential_id), None)
        if held is None:
            self.tell("console.pick_credential", False)
            return

        params = {"credential": credential_id, "schedule": schedule or None}
        self._change(
            "credential.set_schedule",
            params,
            lambda: self.t(
                "console.cred_schedule_set",
                cred=self.credential_choice(*held),
                schedule=schedule or self.t("console.any_time"),
            ),
        )

    # -- move-out and revocation: the screen asks first, naming the person and the unit ----

    def member(self, person_id: int | None) -> dict[str, Any] | None:
        h = self.household
        return next((p for p in (h["people"] if h else []) if p["id"] == person_id), None)

    def question(self, key: str, person_id: int | None, **kw: Any) -> str:
        """A confirmation or note naming a person of the household and its unit ("" when the
        person is not there)."""
        p, h = self.member(person_id), self.household
        return "" if p is None or h is None else self.t(key, name=p["name"], unit=h["unit"], **kw)

    def move_out(self, person_id: int | None) -> None:
        """Moves a person of the household out (the core revokes their credentials and deletes
        their face data); the household is shown again without them."""
        p, h = self.member(person_id), self.household
        if p is None or h is None:
            self.tell("console.pick_member", False)
            return
        name, unit = p["name"], h["unit"]

        params = {"id": person_id, "by": BY}
        said = lambda: self.t("creds.moved_out", name=name, unit=unit)  # noqa: E731
        self._change("person.move_out", params, said, self.finder.refresh)

    def revoke(self, credential_id: int | None) -> None:
        held = next(((p, c) for p, c in self.credentials if c["id"] == credential_id), None)
        h = self.household
        if held is None or h is None:
            self.tell("creds.no_credential", False)
            return
        (p, c), unit = held, h["unit"]

        params = {"id": credential_id, "by": BY}
        self._change(
            "credential.revoke",
            params,
            lambda: self.t(
                "creds.revoked", name=p["name"], unit=unit, cred=self.credential_text(c)
            ),
        )

    # -- what the screen shows -------------------------------------------------------------

    def result_text(self, p: dict[str, Any]) -> str:
        return person_row(self.t, p)

    @property
    def title(self) -> str:
        h = self.household
        if h is None:
            return self.t("console.household_pick")
        return self.t("console.household_title", unit=h["unit"], n=len(h["people"]))

    @property
    def class_text(self) -> str:
        h = self.household
        if h is None:
            return ""
        cls = self.t(f"rental.{h['class']}") if h.get("class") else self.t("console.class_none")
        return self.t("console.household_class", cls=cls)

    def member_lines(self, p: dict[str, Any]) -> list[str]:
        t = self.t
        layer = f" · {t('layer.' + p['layer'])}" if p.get("layer") else ""
        lines = [t("console.member_row", name=p["name"], role=t(f"role.{p['role']}"), layer=layer)]
        facts = [str(x) for x in (p.get("phone"), p.get("id_number")) if x]
        if p.get("lease_end") or p.get("lease_start"):
            facts.append(
                t("console.lease", start=p.get("lease_start") or "-", end=p.get("lease_end") or "-")
            )
        creds = [self.credential_hours(c) for c in p.get("credentials") or []]
        facts.append(", ".join(creds) or t("console.no_credentials"))
        lines.append("    " + "  ·  ".join(facts))
        return lines

    def credential_text(self, c: dict[str, Any]) -> str:
        kind = str(c.get("kind"))
        label = str(c.get("label") or "")
        if kind == "card" and "…" in label:
            text = f"{self.t('cred.card')} …{label.split('…')[-1]}"  # last four digits only
        else:
            text = self.t(f"cred.{kind}") if kind in ("card", "pin", "face", "pass") else kind
        return text

    def credential_hours(self, c: dict[str, Any]) -> str:
        """A credential and when it opens doors: "门卡 …1234 (保洁时段)"."""
        text = self.credential_text(c)
        return (
            self.t("console.cred_hours", cred=text, schedule=c["schedule"])
            if c.get("schedule")
            else text
        )

    @property
    def members_text(self) -> str:
        h = self.household
        if h is None:
            return ""
        return "\n".join(line for p in h["people"] for line in self.member_lines(p))

    @property
    def visits_text(self) -> str:
        h = self.household
        if h is None:
            return ""
        rows = [
            self.t(
                "console.visit_row",
                at=time.strftime("%Y-%m-%d", time.localtime(float(v["at"]))),
                by=v.get("by") or "",
                notes=(v.get("name") or "")
                + (" " if v.get("name") else "")
                + (v.get("notes") or ""),
            )
            for v in h.get("visits") or []
        ]
        return "\n".join([self.t("console.visits"), *(rows or [self.t("console.no_visits")])])
