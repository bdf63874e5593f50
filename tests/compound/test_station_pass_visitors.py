"""A visitor a station's pass registered leaves the register when the pass ends: its last use
spent, revoked by the station or the office, or expired. The passage history stays; a visitor
whose pass still runs stays; the look-up starts after the passes already done with."""

from __future__ import annotations

import time
from collections import Counter
from types import SimpleNamespace
from typing import Any

from compound.config import Config
from compound.domain.access import Decision, Reason
from compound.domain.clock import ManualClock
from compound.ports import ACTOR
from compound.services import station_passes as service
from compound.services.station_passes import StationPasses
from compound.store.db import Store

UNIT = "3-2-1501"


def setup(store: Store, clock: ManualClock) -> tuple[StationPasses, dict[str, Any]]:
    store.add_unit(UNIT)
    with store.transaction() as c:
        c.execute(
            "INSERT INTO devices (name, role, unit, created_at) VALUES (?, 'station', ?, 0)",
            ("st-1501", UNIT),
        )
    core = SimpleNamespace(store=store, config=Config(), counters=Counter(), clock=clock)
    ext = StationPasses(core)  # type: ignore[arg-type]
    return ext, ext.offers().api


def issue(api: dict[str, Any], name: str, hours: float = 4, uses: int = 1) -> dict[str, Any]:
    return dict(
        api["pass.station_issue"]({ACTOR: "st-1501", "visitor": name, "hours": hours, "uses": uses})
    )


def gone(store: Store, pid: int) -> bool:
    return store.person(pid).moved_out_at is not None


def test_visitors_leave_when_their_pass_ends(store: Store, clock: ManualClock) -> None:
    ext, api = setup(store, clock)
    used = issue(api, "用完", uses=1)
    by_station = issue(api, "住户撤销")
    by_office = issue(api, "物业撤销")
    expiring = issue(api, "过期", hours=1)
    running = issue(api, "有效", hours=24)
    pid = {
        p["visitor"]: int(
            store.one("SELECT person_id FROM credentials WHERE id = ?", (p["id"],))["person_id"]
        )
        for p in (used, by_station, by_office, expiring, running)
    }
    assert ext.sweep() == 0
    decision = Decision(True, Reason.GRANTED, "b3-e2", pid["用完"], used["id"])
    ext.on_access(SimpleNamespace(kind="pass"), decision, None)  # type: ignore[arg-type]
    api["pass.station_revoke"]({ACTOR: "st-1501", "id": by_station["id"]})
    api["pass.revoke"]({ACTOR: "office", "id": by_office["id"], "by": "李经理"})
    assert ext.sweep() == 3
    assert [gone(store, pid[n]) for n in ("用完", "住户撤销", "物业撤销")] == [True] * 3
    assert not gone(store, pid["过期"]) and not gone(store, pid["有效"])
    ev = store.events(types=["person.moved_out"])[-1]
    assert ev.data["by"] == service.GONE_BY
    clock.advance(3601)
    assert ext.sweep() == 1 and gone(store, pid["过期"]) and not gone(store, pid["有效"])
    assert ext.sweep() == 0
    clock.advance(24 * 3600)
    assert ext.sweep() == 1 and gone(store, pid["有效"])
    # the passes stay listed for the unit, their visitors' history kept
    assert len(api["pass.station_list"]({ACTOR: "st-1501"})["passes"]) == 5


def test_the_sweeper_thread_moves_a_revoked_pass_visitor_out_at_once(
    store: Store, clock: ManualClock
) -> None:
    ext, api = setup(store, clock)
    p = issue(api, "访客")
    person = int(
        store.one("SELECT person_id FROM credentials WHERE id = ?", (p["id"],))["person_id"]
    )
    ext.start()
    try:
        api["pass.station_revoke"]({ACTOR: "st-1501", "id": p["id"]})
        deadline = time.monotonic() + 30  # woken by the revoke, not after SWEEP_S (300 s)
        while not gone(store, person):
            assert time.monotonic() < deadline, "the revoked pass's visitor is still registered"
            time.sleep(0.02)
    finally:
        ext.stop()
