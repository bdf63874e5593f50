"""Rental housing and the floating population (以房管人, 流动人口登记).

Rental households are classed focus / general / trusted (重点户 / 一般户 / 放心户); tenants are
layered focus / watch / stable (重点层 / 关注层 / 稳定层) and visited every half month / quarter /
half year. A visit to a household counts for every tenant in it. Tenants' credentials stop at
lease end in the access decision itself; the sweep here also revokes them and logs it, so the
register shows who left without being moved out. Short-stay guests (民宿 / 网约房) are visitors
with a time-boxed pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from compound.domain import validation
from compound.domain.model import InvalidInput, UnitAddress, mask_id_number, mask_phone
from compound.domain.paging import Page
from compound.domain.register_sheet import (  # kept with the register's columns
    HOUSEHOLD_CLASSES,
    ID_TYPES,
    LAYER_FOR_CLASS,
    LAYERS,
)
from compound.store.db import Store

SWEEP_BATCH = 200  # leases ended per write transaction
# days between visits for each tenant layer: half a month, a quarter, half a year
VISIT_INTERVAL_DAYS = {"focus": 15.0, "watch": 91.0, "stable": 182.0}
# Each living tenant's next visit date is kept beside them by SQLite (the ``visit_due`` table,
# migration 270, whose triggers recompute it whenever a visit, a layer, a class, a registration
# or a move-out changes it), indexed by date: a page of the visits due is a range of that index,
# and only the page's tenants are joined to their names, units and last visits.
_PAGE_SQL = (
    "SELECT d.due_at, p.id, p.name, p.household_id, u.address, tp.layer,"
    " hc.class AS hclass,"
    " (SELECT MAX(at) FROM visits v WHERE v.person_id = p.id"
    "    OR v.household_id = p.household_id) AS last_visit"
    " FROM (SELECT person_id, due_at FROM visit_due WHERE due_at <= ?"
    "       ORDER BY due_at, person_id LIMIT ? OFFSET ?) d"
    " JOIN people p ON p.id = d.person_id"
    " JOIN households h ON h.id = p.household_id"
    " JOIN units u ON u.id = h.unit_id"
    " LEFT JOIN tenant_profiles tp ON tp.person_id = p.id"
    " LEFT JOIN household_classes hc ON hc.household_id = p.household_id"
    " ORDER BY d.due_at, d.person_id"
)
_COUNT_SQL = "SELECT COUNT(*) AS n FROM visit_due WHERE due_at <= ?"


@dataclass(frozen=True)
class VisitDue:
    person_id: int
    name: str
    unit: str
    layer: str
    household_id: int
    household_class: str | None
    last_visit: float | None
    due_at: float
    overdue: bool

    def as_dict(self, now: float) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "name": self.name,
            "unit": self.unit,
            "layer": self.layer,
            "household_id": self.household_id,
            "household_class": self.household_class,
            "last_visit": self.last_visit,
            "due_at": self.due_at,
            "overdue": self.overdue,
            "days_overdue": round(max(0.0, now - self.due_at) / 86400, 1),
        }


def _by(by: Any) -> str:
    text = str(by or "").strip()
    if not text:
        raise InvalidInput("say who does this (by / --by NAME); it goes in the log")
    return text[:100]


def household_id(store: Store, ref: Any) -> int:
    """A household by id, or the open rental household of a unit address (e.g. 3-2-1501)."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
        row = store.one("SELECT id FROM households WHERE id = ?", (int(ref),))
        if row is None:
            raise InvalidInput(f"unknown household {ref}")
        return int(row["id"])
    addr = UnitAddress.parse(str(ref or ""))
    row = store.one(
        "SELECT h.id FROM households h JOIN units u ON u.id = h.unit_id"
        " WHERE u.address = ? AND h.closed_at IS NULL ORDER BY h.rental DESC, h.id LIMIT 1",
        (str(addr),),
    )
    if row is None:
        raise InvalidInput(f"no household lives in {addr}")
    return int(row["id"])


def set_household_class(store: Store, ref: Any, cls: str, by: Any) -> dict[str, Any]:
    if cls not in HOUSEHOLD_CLASSES:
        raise InvalidInput(f"unknown household class {cls!r}: use focus, general or trusted")
    who = _by(by)
    hid = household_id(store, ref)
    now = store.clock.now()
    with store.transaction() as c:
        c.execute(
            "INSERT INTO household_classes (household_id, class, set_at, set_by)"
            " VALUES (?, ?, ?, ?) ON CONFLICT(household_id) DO UPDATE SET"
            " class = excluded.class, set_at = excluded.set_at, set_by = excluded.set_by",
            (hid, cls, now, who),
        )
        store.append_event("household.classed", data={"household": hid, "class": cls, "by": who})
    return {"household": hid, "class": cls}


def set_tenant_layer(store: Store, person_id: int, layer: str, by: Any) -> dict[str, Any]:
    if layer not in LAYERS:
        raise InvalidInput(f"unknown tenant layer {layer!r}: use focus, watch or stable")
    who = _by(by)
    person = store.person(person_id)
    if str(person.role) != "tenant":
        raise InvalidInput(f"person {person_id} is a {person.role}, not a tenant")
    now = store.clock.now()
    with store.transaction() as c:
        c.execute(
            "INSERT INTO tenant_profiles (person_id, layer, registered_at, set_by)"
            " VALUES (?, ?, ?, ?) ON CONFLICT(person_id) DO UPDATE SET"
            " layer = excluded.layer, set_by = excluded.set_by",
            (person_id, layer, now, who),
        )
        store.append_event("tenant.layered", person_id=person_id, data={"layer": layer, "by": who})
    return {"person": person_id, "layer": layer}


def register_tenant(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    """Full floating-population registration: ID type and number, origin, phone, lease."""
    who = _by(p.get("by"))
    id_type = str(p.get("id_type") or "resident-id")
    if id_type not in ID_TYPES:
        raise InvalidInput(f"unknown ID type {id_type!r}: use {', '.join(ID_TYPES)}")
    if not p.get("id_number"):
        raise InvalidInput("a tenant registration needs the ID number (--id-number)")
    if not p.get("lease_end"):
        raise InvalidInput("a tenant registration needs the lease end (--lease-end YYYY-MM-DD)")
    origin = validation.origin(str(p.get("origin") or ""))
    layer = p.get("layer")
    if layer is not None and layer not in LAYERS:
        raise InvalidInput(f"unknown tenant layer {layer!r}: use focus, watch or stable")
    with store.transaction() as c:
        pid = store.add_person(
            str(p.get("name", "")),
            str(p.get("unit", "")),
            "tenant",
            id_number=str(p["id_number"]),
            id_type=id_type,
            phone=p.get("phone") or None,
            lease_start=p.get("lease_start") or None,
            lease_end=str(p["lease_end"]),
        )
        person = store.person(pid)
        if layer is None:
            row = c.execute(
                "SELECT class FROM household_classes WHERE household_id = ?",
                (person.household_id,),
            ).fetchone()
            layer = LAYER_FOR_CLASS[row[0]] if row else "watch"
        c.execute(
            "INSERT INTO tenant_profiles (person_id, layer, origin, registered_at, set_by)"
            " VALUES (?, ?, ?, ?, ?)",
            (pid, layer, origin, store.clock.now(), who),
        )
        store.append_event(
            "tenant.registered",
            person_id=pid,
            data={"unit": str(person.unit), "layer": layer, "by": who},
        )
    return {"id": pid, "household": person.household_id, "layer": layer}


def register_guest(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    """A short-stay guest (民宿 / 网约房): a visitor with a pass for the nights booked."""
    hours = p.get("hours", 24)
    if isinstance(hours, bool) or not isinstance(hours, int | float) or not 1 <= hours <= 744:
        raise InvalidInput("a short stay lasts 1 to 744 hours (31 days); longer stays are tenants")
    now = store.clock.now()
    with store.transaction():
        pid = store.add_person(
            str(p.get("name", "")),
            str(p.get("unit", "")),
            "visitor",
            id_number=p.get("id_number") or None,
            id_type=p.get("id_type") or None,
            phone=p.get("phone") or None,
        )
        cid, token = store.issue_pass(pid, now, now + float(hours) * 3600)
        store.append_event(
            "guest.registered",
            person_id=pid,
            data={"unit": str(p.get("unit")), "hours": hours, "by": _by(p.get("by"))},
        )
    return {"id": pid, "credential": cid, "token": token, "valid_until": now + hours * 3600}


def add_visit(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    who = _by(p.get("by"))
    notes = validation.visit_notes(str(p.get("notes") or ""))
    person_id = p.get("person")
    hid: int | None = None
    if person_id is not None:
        try:
            person_id = int(person_id)
        except (TypeError, ValueError):
            raise InvalidInput("person must be a number") from None
        store.person(person_id)
    elif p.get("household") is not None:
        hid = household_id(store, p["household"])
    else:
        raise InvalidInput("say whom the visit was to: a person or a household")
    now = store.clock.now()
    with store.transaction() as c:
        vid = c.execute(
            "INSERT INTO visits (person_id, household_id, at, by, notes) VALUES (?, ?, ?, ?, ?)",
            (person_id, hid, now, who, notes),
        ).lastrowid
        store.append_event(
            "visit.recorded",
            person_id=person_id,
            data={"visit": vid, "household": hid, "by": who},
        )
    return {"id": vid, "person": person_id, "household": hid, "at": now}


def visits_due(store: Store, now: float, within_days: float = 7.0) -> list[VisitDue]:
    """Tenants whose next visit is overdue or falls within ``within_days``; most overdue first
    (then by person). The whole list, for the command line; the screens read it a page at a
    time (``visits_due_page``)."""
    rows = store.read(_PAGE_SQL, (now + within_days * 86400, -1, 0))
    return [_visit_due(r, now) for r in rows]


def visits_due_page(store: Store, now: float, within_days: float, page: Page) -> dict[str, Any]:
    """One page of ``visits_due`` with how many are due: the page is a range of the due dates'
    index, cut in SQLite, and the total a count of that range in the index alone."""
    until = now + within_days * 86400
    rows = store.read(_PAGE_SQL, (until, page.size, page.offset))
    total = store.read(_COUNT_SQL, (until,))[0]["n"]
    return page.reply([_visit_due(r, now).as_dict(now) for r in rows], total)


def _visit_due(r: dict[str, Any], now: float) -> VisitDue:
    layer = r["layer"] or LAYER_FOR_CLASS.get(r["hclass"] or "", "watch")
    return VisitDue(
        r["id"],
        r["name"],
        r["address"],
        layer,
        r["household_id"],
        r["hclass"],
        r["last_visit"],
        r["due_at"],
        now > r["due_at"],
    )


def tenant_register(
    store: Store, include_moved_out: bool = False, page: Page | None = None
) -> list[dict[str, Any]]:
    """The tenant register for the property office and the police; ID numbers masked. The
    whole register for an export, or one ``page`` of it for a screen."""
    sql = (
        "SELECT p.id, p.name, u.address AS unit, p.id_type, p.id_masked AS id_number, p.phone,"
        " p.lease_start, p.lease_end, p.moved_out_at, tp.origin, tp.layer,"
        " hc.class AS household_class"
        " FROM people p JOIN households h ON h.id = p.household_id"
        " JOIN units u ON u.id = h.unit_id"
        " LEFT JOIN tenant_profiles tp ON tp.person_id = p.id"
        " LEFT JOIN household_classes hc ON hc.household_id = p.household_id"
        " WHERE p.role = 'tenant'"
    )
    if not include_moved_out:
        sql += " AND p.moved_out_at IS NULL"
    sql += " ORDER BY u.building, u.entrance, u.room, p.id"
    if page is not None:
        sql += f" LIMIT {page.size:d} OFFSET {page.offset:d}"
    rows = store.read(sql)
    for r in rows:
        r["id_number"] = mask_id_number(r["id_number"])
        r["phone"] = mask_phone(r["phone"])
    return rows


def tenant_page(store: Store, page: Page, include_moved_out: bool = False) -> dict[str, Any]:
    """One page of the tenant register, with how many tenants it holds in all."""
    sql = "SELECT COUNT(*) AS n FROM people WHERE role = 'tenant'"
    if not include_moved_out:
        sql += " AND moved_out_at IS NULL"
    total = store.read(sql)[0]["n"]
    return page.reply(tenant_register(store, include_moved_out, page), total)


def sweep_leases(store: Store, now: float) -> list[dict[str, Any]]:
    """Revoke the live credentials of tenants whose lease ended before today (site time)."""
    today = datetime.fromtimestamp(now, store.tz).date().isoformat()
    rows = store.read(
        "SELECT DISTINCT p.id, p.lease_end FROM people p JOIN credentials c ON c.person_id = p.id"
        " WHERE p.role = 'tenant' AND p.moved_out_at IS NULL AND p.lease_end IS NOT NULL"
        " AND p.lease_end < ? AND c.revoked_at IS NULL",
        (today,),
    )
    done = []
    for i in range(0, len(rows), SWEEP_BATCH):
        # A batch per transaction: one write to disk for many leases (the first sweep after
        # a long pause may find hundreds), and still a short hold of the write lock.
        with store.transaction() as c:
            for r in rows[i : i + SWEEP_BATCH]:
                n = c.execute(
                    "UPDATE credentials SET revoked_at = ? WHERE person_id = ?"
                    " AND revoked_at IS NULL",
                    (now, r["id"]),
                ).rowcount
                store.append_event(
                    "tenant.lease_ended",
                    person_id=r["id"],
                    data={"lease_end": r["lease_end"], "credentials_revoked": n},
                )
                done.append(
                    {"person": r["id"], "lease_end": r["lease_end"], "credentials_revoked": n}
                )
    return done
