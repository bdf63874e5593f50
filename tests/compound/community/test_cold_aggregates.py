"""The officer wall's aggregates worked out by SQLite (the 24-hour histogram, the visits due):
the same answers as counting in Python, which held the core's GIL for a day's passages."""

from __future__ import annotations

from collections import Counter

import pytest

from compound.domain.clock import ManualClock
from compound.services import rental
from compound.services.reports import hourly
from compound.store.db import Store

DAY = 86400.0


def test_the_hourly_histogram_counts_each_hours_passages(store: Store, clock: ManualClock) -> None:
    store.add_unit("1-1-101")
    pid = store.add_person("张伟", "1-1-101", "owner")
    start = clock.now()
    times = [start - 30 * 3600, start - 5 * 3600 - 10, start - 5 * 3600 + 5, start - 60, start]
    for t in times:
        store.append_event("access.granted", at=t, door_id="d1", person_id=pid, data={})
    store.append_event("access.denied", at=start - 60, door_id="d1", data={})
    hours = hourly(store, start, 24)
    end = (int(start) // 3600 + 1) * 3600
    first = end - 24 * 3600
    want = Counter(int(t - first) // 3600 for t in times if first <= t < end)
    assert [h["entries"] for h in hours] == [want.get(i, 0) for i in range(24)]
    assert sum(h["entries"] for h in hours) == 4  # the one 30 h ago is outside


def python_due(store: Store, now: float, within_days: float) -> set[str]:
    """The rule as the core applied it in Python before: every tenant read, then filtered."""
    rows = store.read(
        "SELECT u.address, tp.layer, tp.registered_at, p.created_at, hc.class AS hclass,"
        " (SELECT MAX(at) FROM visits v WHERE v.person_id = p.id"
        "    OR v.household_id = p.household_id) AS last_visit"
        " FROM people p JOIN households h ON h.id = p.household_id"
        " JOIN units u ON u.id = h.unit_id"
        " LEFT JOIN tenant_profiles tp ON tp.person_id = p.id"
        " LEFT JOIN household_classes hc ON hc.household_id = p.household_id"
        " WHERE p.role = 'tenant' AND p.moved_out_at IS NULL"
    )
    out = set()
    for r in rows:
        layer = r["layer"] or rental.LAYER_FOR_CLASS.get(r["hclass"] or "", "watch")
        base = r["last_visit"] or r["registered_at"] or r["created_at"]
        if base + rental.VISIT_INTERVAL_DAYS[layer] * DAY - now <= within_days * DAY:
            out.add(r["address"])
    return out


def test_visits_due_are_those_python_picked(store: Store, clock: ManualClock) -> None:
    """Each layer (given, or from the household's class at registration), a visit that moves
    the due date, tenants far from due left out."""
    for n, (unit, layer, cls) in enumerate(
        [
            ("1-1-101", "focus", None),
            ("1-1-102", None, "trusted"),
            ("1-1-103", None, "focus"),
            ("1-1-104", None, None),
            ("1-1-105", "stable", None),
        ]
    ):
        store.add_unit(unit)
        pid = rental.register_tenant(
            store,
            {
                "name": f"租户{n}",
                "unit": unit,
                "id_number": f"61011319900101{n:04d}",
                "lease_end": "2099-01-01",
                "layer": layer,
                "by": "t",
            },
        )["id"]
        if cls is not None:
            rental.set_household_class(store, store.person(pid).household_id, cls, "t")
        if unit == "1-1-103":
            clock.advance(20 * DAY)
            rental.add_visit(store, {"person": pid, "by": "officer"})
    seen = set()
    for step in (0, 10, 70, 100, 200):
        clock.advance(step * DAY)
        for within in (0, 7, 50, 400):
            got = {v.unit for v in rental.visits_due(store, clock.now(), within)}
            assert got == python_due(store, clock.now(), within), (step, within)
            seen |= got
    assert seen == {f"1-1-10{i}" for i in range(1, 6)}


def test_ended_leases_are_swept_in_batches_each_logged(
    store: Store, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many leases ended at once (a box off for a while) go in a few transactions, not one per
    tenant; every one is revoked and logged, and a second sweep finds nothing."""
    monkeypatch.setattr(rental, "SWEEP_BATCH", 2)
    store.add_unit("1-1-101")
    tenants = [
        store.add_person(f"租户{n}", "1-1-101", "tenant", lease_end="2020-01-01")
        for n in "一二三四五"
    ]
    for n, pid in enumerate(tenants):
        store.add_card(pid, f"5000{n}")
    done = rental.sweep_leases(store, clock.now())
    assert sorted(d["person"] for d in done) == tenants
    assert all(d["credentials_revoked"] == 1 for d in done)
    live = store.read("SELECT COUNT(*) AS n FROM credentials WHERE revoked_at IS NULL")
    assert live[0]["n"] == 0
    assert len(store.events(types=["tenant.lease_ended"])) == 5
    assert store.verify_log().ok
    assert rental.sweep_leases(store, clock.now()) == []
