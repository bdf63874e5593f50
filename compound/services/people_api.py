"""Bus API for registering units, people and credentials (used by the manager console)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from compound.domain import validation
from compound.domain.model import InvalidInput, Person, UnitAddress, mask_id_number, mask_phone
from compound.domain.paging import flag, page_of
from compound.domain.search import initials, terms
from compound.services.askers import consoles_only
from compound.services.extension import Offers
from compound.services.pin_suggest import suggest_pin
from compound.store.people_search import MAX_IDS, find_people, find_units, names_of

if TYPE_CHECKING:
    from compound.services.core import Core
    from compound.store.db import Store


MAX_CREDENTIALS = 100


def person_dict(p: Person, *, masked: bool = True) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "unit": str(p.unit),
        "role": str(p.role),
        "household_id": p.household_id,
        "id_number": mask_id_number(p.id_number) if masked else p.id_number,
        "phone": mask_phone(p.phone) if masked else p.phone,
        "lease_start": p.lease_start.isoformat() if p.lease_start else None,
        "lease_end": p.lease_end.isoformat() if p.lease_end else None,
        "moved_out_at": p.moved_out_at,
        "lives_alone": p.lives_alone,
        "birth_year": p.birth_year,
    }


def person_details(store: Store, pid: int) -> dict[str, Any]:
    """One person (ID number masked) with the credentials they hold or held: every live one
    and the newest others, at most ``MAX_CREDENTIALS`` (``credential_total`` counts them all;
    a host who issues a visitor pass a day has hundreds after a year)."""
    d = person_dict(store.person(pid))
    names = {sid: sched.name for sid, sched in store.schedules().items()}
    held = store.credentials(pid)
    now = store.clock.now()
    live = [c for c in held if c.revoked_at is None and (c.valid_until or now + 1) > now]
    keep = {c.id for c in [*live, *reversed(held)][:MAX_CREDENTIALS]}
    d["credential_total"] = len(held)
    d["credentials"] = [
        {
            "id": c.id,
            "kind": str(c.kind),
            "label": c.label,
            "valid_from": c.valid_from,
            "valid_until": c.valid_until,
            "revoked_at": c.revoked_at,
            "schedule": names.get(c.schedule_id) if c.schedule_id else None,
        }
        for c in held
        if c.id in keep
    ]
    return d


def people_page(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    """One page of people: {q, page, size, unit, role, include_moved_out} → {items, total,
    page, size}; ``q`` is a name or part of one, initials, a unit, a card, or the end of an ID
    or phone number (``compound.domain.search``). ID numbers masked."""
    page = page_of(p)
    people, total = find_people(
        store,
        terms(p.get("q")),
        page,
        unit=UnitAddress.parse(str(p["unit"])) if p.get("unit") else None,
        role=validation.role(str(p["role"])) if p.get("role") else None,
        include_moved_out=flag(p, "include_moved_out"),
    )
    return page.reply([person_dict(x) for x in people], total)


def unit_page(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    """One page of units in address order: {q (the start of an address), page, size}."""
    t = terms(p.get("q"))
    if t is not None and t.unit_start is None:
        raise InvalidInput("q for units is the start of an address: 3, 3-2 or 3-2-15")
    page = page_of(p)
    units, total = find_units(store, t.unit_start if t else None, page)
    return page.reply(units, total)


def _int(params: dict[str, Any], key: str) -> int:
    try:
        return int(params[key])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(f"{key} must be a number") from None


def _schedule(params: dict[str, Any]) -> str | None:
    return str(params["schedule"]) if params.get("schedule") else None


class PeopleApi:
    def __init__(self, core: Core) -> None:
        self.core = core

    def offers(self) -> Offers:
        s = self.core.store
        return Offers(
            api={
                "unit.add": lambda p: s.add_unit(str(p.get("unit", ""))),
                "unit.list": lambda p: unit_page(s, p),
                "person.add": self.person_add,
                "person.list": self.person_list,
                "person.names": self.person_names,
                "person.show": lambda p: self.person_show(_int(p, "id")),
                "person.move_out": lambda p: {
                    "seq": s.move_out(_int(p, "id"), str(p.get("by", "manager"))).seq
                },
                "card.add": lambda p: {
                    "id": s.add_card(_int(p, "person"), str(p.get("number", "")), _schedule(p))
                },
                "pin.set": lambda p: {
                    "id": s.set_pin(_int(p, "person"), str(p.get("pin", "")), _schedule(p))
                },
                "pin.suggest": lambda p: {"pin": suggest_pin(s)},
                "pass.issue": self.pass_issue,
                "credential.revoke": self.credential_revoke,
            }
        )

    def start(self) -> None:
        initials("王")  # reads pypinyin's dictionaries now, not inside a registration's lock

    def stop(self) -> None:
        pass

    def person_add(self, p: dict[str, Any]) -> dict[str, Any]:
        """Register a person; with ``create_unit`` their unit too, and with ``card`` / ``pin``
        their credentials. All of it in one transaction: a refused card leaves no person."""
        s = self.core.store
        with s.transaction():
            if p.get("create_unit"):
                s.add_unit(str(p.get("unit", "")))
            pid = s.add_person(
                str(p.get("name", "")),
                str(p.get("unit", "")),
                str(p.get("role", "")),
                id_number=p.get("id_number") or None,
                id_type=p.get("id_type") or None,
                phone=p.get("phone") or None,
                lease_start=p.get("lease_start") or None,
                lease_end=p.get("lease_end") or None,
                lives_alone=bool(p.get("lives_alone", False)),
                birth_year=p.get("birth_year"),
            )
            if p.get("card"):
                s.add_card(pid, str(p["card"]))
            if p.get("pin"):
                s.set_pin(pid, str(p["pin"]))
        return {"id": pid}

    def person_list(self, p: dict[str, Any]) -> dict[str, Any]:
        return people_page(self.core.store, p)

    def person_names(self, p: dict[str, Any]) -> dict[str, str]:
        """Names for the person ids a screen shows (at most 200): {"12": "王小明", ...}."""
        ids = p.get("ids")
        if not isinstance(ids, list) or len(ids) > MAX_IDS:
            raise InvalidInput(f"ids must be a list of at most {MAX_IDS} person ids")
        try:
            wanted = [int(i) for i in ids]
        except (TypeError, ValueError):
            raise InvalidInput("ids must be person ids (numbers)") from None
        return {str(k): v for k, v in names_of(self.core.store, wanted).items()}

    def person_show(self, pid: int) -> dict[str, Any]:
        return person_details(self.core.store, pid)

    def credential_revoke(self, p: dict[str, Any]) -> dict[str, Any]:
        """A card, PIN or pass taken back from the console's credentials tab (a door panel or
        station cannot: it would lock residents out)."""
        actor = consoles_only(
            self.core.store, p, "credentials are revoked from the manager's console"
        )
        cid = _int(p, "id")
        by = str(p.get("by") or "manager")  # what the console typed; the actor is who it is
        self.core.store.revoke_credential(cid, f"{by} ({actor})" if actor else by)
        return {"id": cid, "revoked": True}

    def pass_issue(self, p: dict[str, Any]) -> dict[str, Any]:
        now = self.core.clock.now()
        hours = float(p.get("hours", 4))
        cid, token = self.core.store.issue_pass(_int(p, "person"), now, now + hours * 3600)
        return {"id": cid, "token": token, "valid_until": now + hours * 3600}
