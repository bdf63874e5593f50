"""Each living tenant's next visit date, kept by SQLite beside them (``visit_due``, migration
270), so that the officer's visits-due list reads one page from an index.

The date is kept by triggers, so it must follow every change that moves it, whichever code
makes it: after each step here the kept dates are compared with the rule worked out in Python
from every tenant. And the page read from it must be right at its edges: nothing due, a page
past the end, the last page, a tenant due exactly at the limit.
"""

from __future__ import annotations

import re
from itertools import count
from pathlib import Path

from compound.domain import register_sheet
from compound.domain.clock import ManualClock
from compound.domain.paging import Page
from compound.services import rental
from compound.store.db import Store
from compound.store.migrations import visit_due
from tests.compound.store.test_cold_reads import plans, real_size_statistics

DAY = 86400.0
_ID_NUMBERS = count(1)


def rule(store: Store) -> dict[int, float]:
    """Every living tenant's due date by the rule, worked out in Python from all of them."""
    rows = store.read(
        "SELECT p.id, p.created_at, tp.layer, tp.registered_at, hc.class AS hclass,"
        " (SELECT MAX(at) FROM visits v WHERE v.person_id = p.id"
        "    OR v.household_id = p.household_id) AS last_visit"
        " FROM people p LEFT JOIN tenant_profiles tp ON tp.person_id = p.id"
        " LEFT JOIN household_classes hc ON hc.household_id = p.household_id"
        " WHERE p.role = 'tenant' AND p.moved_out_at IS NULL"
    )
    out = {}
    for r in rows:
        layer = r["layer"] or register_sheet.LAYER_FOR_CLASS.get(r["hclass"] or "", "watch")
        base = r["last_visit"] or r["registered_at"] or r["created_at"]
        out[r["id"]] = base + rental.VISIT_INTERVAL_DAYS[layer] * DAY
    return out


def kept(store: Store) -> dict[int, float]:
    return {r["person_id"]: r["due_at"] for r in store.read("SELECT * FROM visit_due")}


def tenant(store: Store, name: str, unit: str, layer: str | None = None) -> int:
    store.add_unit(unit)
    n = next(_ID_NUMBERS)
    return int(
        rental.register_tenant(
            store,
            {"name": name, "unit": unit, "id_number": f"61011319900101{n:04d}",
             "lease_end": "2099-01-01", "layer": layer, "by": "office"},
        )["id"]
    )  # fmt: skip


def test_the_frozen_rule_is_the_rule_the_services_apply() -> None:
    """The triggers were written with these numbers; a change to the rule needs a migration
    that rewrites them (see the migration's docstring), or boxes keep the old dates."""
    assert visit_due.INTERVAL_DAYS == rental.VISIT_INTERVAL_DAYS
    assert visit_due.LAYER_FOR_CLASS == register_sheet.LAYER_FOR_CLASS


def test_the_kept_dates_follow_every_change(store: Store, clock: ManualClock) -> None:
    a = tenant(store, "租户甲", "1-1-101", "focus")
    b = tenant(store, "租户乙", "1-1-102")
    b2 = tenant(store, "租户丙", "1-1-102")
    for unit in ("1-1-103", "1-1-104"):
        store.add_unit(unit)
    owner = store.add_person("业主丁", "1-1-103", "owner")
    plain = store.add_person("租户戊", "1-1-104", "tenant")  # no profile: by its household
    hid = store.person(b).household_id
    assert hid == store.person(b2).household_id
    clock.advance(3 * DAY)

    def check(what: str) -> None:
        assert kept(store) == rule(store), what

    check("registered")
    bare = store.person(plain).household_id
    rental.set_household_class(store, bare, "general", "office")
    check("a household classed: its tenant without a layer follows the class")
    rental.set_household_class(store, bare, "focus", "office")
    check("the class changed")
    rental.set_household_class(store, hid, "trusted", "office")
    check("a household classed whose tenants have their layers")
    clock.advance(2 * DAY)
    rental.add_visit(store, {"person": a, "by": "officer"})
    check("visit to one tenant")
    clock.advance(DAY)
    rental.add_visit(store, {"household": hid, "by": "officer"})
    check("visit to a household: both its tenants")
    rental.set_tenant_layer(store, b, "focus", "office")
    check("layer changed")
    with store.transaction() as c:
        c.execute("UPDATE people SET created_at = created_at - ?", (50 * DAY,))
        c.execute("UPDATE tenant_profiles SET registered_at = registered_at - ?", (50 * DAY,))
    check("registrations dated back by hand")
    with store.transaction() as c:
        c.execute("UPDATE visits SET at = at - ? WHERE person_id = ?", (10 * DAY, a))
    check("a visit's time corrected")
    with store.transaction() as c:
        c.execute("DELETE FROM visits WHERE household_id = ?", (hid,))
    check("a household visit removed")
    with store.transaction() as c:
        c.execute("UPDATE people SET role = 'tenant' WHERE id = ?", (owner,))
    check("an owner now a tenant")
    with store.transaction() as c:
        c.execute("DELETE FROM tenant_profiles WHERE person_id = ?", (b2,))
    check("a profile removed: the household's class counts")
    with store.transaction() as c:
        c.execute("DELETE FROM household_classes WHERE household_id = ?", (bare,))
    check("a class removed")
    store.move_out(b)
    check("moved out")
    assert b not in kept(store) and {a, b2, owner, plain} <= set(kept(store))
    with store.transaction() as c:
        c.execute("UPDATE people SET role = 'family' WHERE id = ?", (owner,))
    check("a tenant now family")
    assert owner not in kept(store)


def test_the_migration_dates_the_tenants_already_living_here(tmp_path: Path) -> None:
    clock = ManualClock()
    store = Store(tmp_path / "c.db", clock, tmp_path / "keys")
    a = tenant(store, "租户甲", "1-1-101", "stable")
    tenant(store, "租户乙", "1-1-102")
    clock.advance(DAY)
    rental.add_visit(store, {"person": a, "by": "officer"})
    want = rule(store)
    # As a box migrated before the table existed: its tenants, no table, the step not run.
    with store.transaction() as c:
        c.execute("DROP TABLE visit_due")  # its index goes with it
        for (name,) in c.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'visit_due_%'"
        ).fetchall():
            c.execute(f"DROP TRIGGER {name}")
        c.execute("DELETE FROM migrations WHERE number = 270")
    store.close()
    store = Store(tmp_path / "c.db", clock, tmp_path / "keys")
    try:
        assert kept(store) == want and len(want) == 2
    finally:
        store.close()


def test_a_page_and_its_total_at_the_edges(store: Store, clock: ManualClock) -> None:
    now = clock.now()

    def page(n: int, within: float = 7.0, size: int = 2) -> tuple[list[int], int]:
        reply = rental.visits_due_page(store, now, within, Page(n, size))
        assert (reply["page"], reply["size"]) == (n, size)
        return [v["person_id"] for v in reply["items"]], reply["total"]

    assert page(1) == ([], 0)  # nothing due: an empty first page
    assert page(3) == ([], 0)  # nor past it
    # Tenants of the watch layer (91 days) due 10 days ago, 3 days ago, exactly 7 days from
    # now (the limit: due), and 7 days and a second from now (not due).
    ids = []
    for i, due_in in enumerate([-10 * DAY, -3 * DAY, 7 * DAY, 7 * DAY + 1]):
        pid = tenant(store, f"租户{i}", f"1-1-10{i + 1}", "watch")
        with store.transaction() as c:
            c.execute(
                "UPDATE tenant_profiles SET registered_at = ? WHERE person_id = ?",
                (now + due_in - 91 * DAY, pid),
            )
        ids.append(pid)
    assert kept(store)[ids[2]] == now + 7 * DAY
    assert page(1) == (ids[:2], 3)
    assert page(2) == ([ids[2]], 3)  # the last page holds the one at the limit
    assert page(3) == ([], 3)  # past the end: empty, with the total
    assert page(1, within=0.0, size=50) == (ids[:2], 2)  # only the overdue
    assert page(1, within=7 + 1 / DAY, size=50) == (ids, 4)
    whole = rental.visits_due(store, now, 7.0)
    assert [v.person_id for v in whole] == ids[:3]
    assert [v.overdue for v in whole] == [True, True, False]


def test_a_page_is_a_range_of_the_due_dates_index(store: Store, clock: ManualClock) -> None:
    """The page and its count read the due dates' index: no tenant outside the page is read
    from people, and no date is worked out at read time."""
    tenant(store, "租户甲", "1-1-101")
    real_size_statistics(store)
    found = plans(store, lambda: rental.visits_due_page(store, clock.now(), 7.0, Page(2, 3)))
    assert len(found) == 2
    (page_sql, page_plan), (count_sql, count_plan) = found
    assert "SEARCH visit_due USING COVERING INDEX visit_due_at (due_at<?)" in page_plan
    assert count_plan == ["SEARCH visit_due USING COVERING INDEX visit_due_at (due_at<?)"]
    assert not any(step.startswith("SCAN p") or "people_role" in step for step in page_plan)


def trigger_sql(store: Store) -> set[str]:
    rows = store.read(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'visit_due_%'"
    )
    return {r["sql"] for r in rows}


def test_a_change_recomputes_only_the_tenants_it_touches(store: Store) -> None:
    """Each trigger's recomputation finds its people by their id or household, never by
    reading every living tenant (2 ms a visit on the Xi'an sample, when the role index led):
    as a box plans it (no statistics: nobody runs ANALYZE there) and with the Xi'an ones."""
    for statistics in ("none", "xian"):
        if statistics == "xian":
            real_size_statistics(store)
        for name, _, _, which in visit_due.RULES:
            for sql in visit_due._refresh(which).split(";\n"):
                if not sql.strip():
                    continue
                sql, n = re.subn(r"\b(?:NEW|OLD)\.\w+", "?", sql)
                plan = [r[3] for r in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}", (1,) * n)]
                bad = [s for s in plan if "people_role" in s or s.startswith("SCAN p")]
                assert bad == [], (statistics, name, plan)
    # The database holds these triggers.
    want = {f"{t} END" for t in visit_due.TRIGGERS.split(" END;\n") if t.strip()}
    assert trigger_sql(store) == want and len(want) == len(visit_due.RULES) + 1
