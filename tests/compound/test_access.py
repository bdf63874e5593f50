"""The access decision: every reason, at its boundary, with a fixed clock."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from compound.domain.access import Facts, Reason, decide
from compound.domain.model import (
    Credential,
    CredentialKind,
    Door,
    Person,
    Role,
    Schedule,
    Scope,
    TimeWindow,
    UnitAddress,
)

TZ = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 11, 18, 12, 0, tzinfo=TZ).timestamp()  # a Wednesday


def person(role: Role = Role.OWNER, **kw: object) -> Person:
    return Person(1, "张伟", UnitAddress.parse("3-2-1501"), role, 1, **kw)  # type: ignore[arg-type]


def cred(**kw: object) -> Credential:
    return Credential(10, 1, CredentialKind.CARD, **kw)  # type: ignore[arg-type]


DOOR = Door("b3-e2", "B3 E2", (Scope.parse("3-2"),))


def facts(**kw: object) -> Facts:
    base: dict[str, object] = {
        "door_id": "b3-e2",
        "door": DOOR,
        "credential": cred(),
        "person": person(),
    }
    base.update(kw)
    return Facts(**base)  # type: ignore[arg-type]


def test_resident_with_live_card_is_granted() -> None:
    d = decide(facts(), NOON, TZ)
    assert d.granted and d.reason is Reason.GRANTED and d.person_id == 1


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"door": None}, Reason.UNKNOWN_DOOR),
        ({"credential": None, "person": None}, Reason.UNKNOWN_CREDENTIAL),
        ({"lockdown": True}, Reason.LOCKDOWN),
        ({"credential": cred(revoked_at=NOON - 1)}, Reason.REVOKED),
        ({"credential": cred(valid_from=NOON + 1)}, Reason.NOT_YET_VALID),
        ({"credential": cred(valid_until=NOON)}, Reason.EXPIRED),
        ({"person": person(moved_out_at=NOON - 5)}, Reason.MOVED_OUT),
        ({"person": person(Role.TENANT, lease_end=date(2026, 11, 17))}, Reason.LEASE_ENDED),
        ({"door": Door("b1", "B1", (Scope.parse("1"),))}, Reason.DOOR_NOT_SERVING),
    ],
)
def test_each_denial_reason(kw: dict[str, object], reason: Reason) -> None:
    d = decide(facts(**kw), NOON, TZ)
    assert not d.granted
    assert d.reason is reason


def test_lease_runs_to_the_end_of_its_last_local_day() -> None:
    tenant = person(Role.TENANT, lease_end=date(2026, 11, 18))
    late = datetime(2026, 11, 18, 23, 59, tzinfo=TZ).timestamp()
    assert decide(facts(person=tenant), late, TZ).granted
    assert decide(facts(person=tenant), late + 60, TZ).reason is Reason.LEASE_ENDED


def test_revocation_in_the_future_does_not_yet_apply() -> None:
    assert decide(facts(credential=cred(revoked_at=NOON + 60)), NOON, TZ).granted


DAYTIME = Schedule(1, "day", (TimeWindow(frozenset(range(7)), 7 * 60, 22 * 60),))


def test_door_hours_bind_visitors_not_residents() -> None:
    door = Door("b3-e2", "B3 E2", (Scope.parse("3-2"),), schedule_id=1)
    night = datetime(2026, 11, 18, 23, 30, tzinfo=TZ).timestamp()
    visitor = person(Role.VISITOR)
    kw = {"door": door, "schedules": {1: DAYTIME}}
    assert decide(facts(person=visitor, **kw), NOON, TZ).granted
    assert decide(facts(person=visitor, **kw), night, TZ).reason is Reason.OUTSIDE_SCHEDULE
    assert decide(facts(**kw), night, TZ).granted


def test_holiday_uses_holiday_windows() -> None:
    sched = Schedule(1, "workdays", (TimeWindow(frozenset(range(7)), 0, 1440),), ())
    f = facts(
        credential=cred(schedule_id=1),
        schedules={1: sched},
        holidays=frozenset({date(2026, 11, 18)}),
    )
    assert decide(f, NOON, TZ).reason is Reason.OUTSIDE_SCHEDULE


def test_missing_schedule_denies() -> None:
    f = facts(credential=cred(schedule_id=99), schedules={})
    assert decide(f, NOON, TZ).reason is Reason.OUTSIDE_SCHEDULE


def test_gate_serving_the_whole_compound() -> None:
    gate = Door("gate", "Gate", (Scope.parse("*"),))
    assert decide(facts(door=gate), NOON, TZ).granted
