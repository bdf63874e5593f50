"""Alert rules on a controllable clock: each fires at its threshold and not one below, and an
acknowledged alert stays acknowledged while its condition lasts."""

from __future__ import annotations

import dataclasses

import pytest

from compound.config import AlertsConfig, ConfigError, CountRuleConfig, load_section
from compound.domain.clock import ManualClock
from compound.domain.model import Event
from compound.services.alerts import (
    AlertEngine,
    CountAbove,
    FailedAttempts,
    UnknownFaceRepeats,
    group_rental_threshold,
)
from compound.services.community_api import Community
from compound.store.db import Store


def ev(type_: str, at: float, door: str | None = "b1", **data: object) -> Event:
    return Event(0, at, type_, door, None, dict(data))


@pytest.fixture
def community(store: Store) -> Community:
    cm = Community(store, AlertsConfig())
    store.event_hooks.append(cm.on_event)
    return cm


def open_alarms(store: Store, rule: str) -> list[dict[str, object]]:
    return store.query("SELECT * FROM alarms WHERE rule = ? AND acknowledged_at IS NULL", (rule,))


def test_failed_attempts_fire_at_five_not_four() -> None:
    """GB 50396: an alarm after at most 5 consecutive failures; 4 must stay quiet."""
    rule = FailedAttempts(5, 300, "medium")
    fired = [rule.observe(ev("access.denied", 1000 + i)) for i in range(5)]
    assert [len(f) for f in fired] == [0, 0, 0, 0, 1]
    assert fired[4][0].subject == "b1" and fired[4][0].data["failures"] == 5


def test_a_grant_resets_the_consecutive_count() -> None:
    """Failures are consecutive: a resident who gets in breaks the run."""
    rule = FailedAttempts(5, 300, "medium")
    for i in range(4):
        assert rule.observe(ev("access.denied", 1000 + i)) == []
    rule.observe(ev("access.granted", 1005))
    assert [len(rule.observe(ev("access.denied", 1010 + i))) for i in range(5)] == [0] * 4 + [1]


def test_failures_outside_the_window_do_not_count() -> None:
    """Five failures spread over a day are not an attack on the door."""
    rule = FailedAttempts(5, 300, "medium")
    out = [rule.observe(ev("access.denied", 1000 + i * 100)) for i in range(5)]
    assert all(o == [] for o in out)  # never more than 3 within any 300 s
    assert rule.observe(ev("access.denied", 1401)) == []  # 1200, 1300, 1400, 1401
    assert rule.observe(ev("access.denied", 1402))  # five within 300 s


def test_failures_at_other_doors_are_counted_separately() -> None:
    rule = FailedAttempts(3, 300, "medium")
    rule.observe(ev("access.denied", 1, door="a"))
    rule.observe(ev("access.denied", 2, door="a"))
    assert rule.observe(ev("access.denied", 3, door="b")) == []
    assert rule.observe(ev("access.denied", 4, door="a"))[0].subject == "a"


@pytest.mark.parametrize("per_door", [False, True])
def test_count_rule_fires_at_the_warning_line(per_door: bool) -> None:
    """预警触发: the generic count rule fires exactly when the count reaches the line."""
    rule = CountAbove(CountRuleConfig("night", "door.opened", 10, 3600, "low", per_door))
    out = [rule.observe(ev("door.opened", 100 + i)) for i in range(10)]
    assert [len(o) for o in out] == [0] * 9 + [1]
    assert out[-1][0].subject == ("b1" if per_door else "door.opened")
    assert out[-1][0].rule == "count:night"


def test_unknown_face_k_times_in_t_days() -> None:
    """A stranger seen on 3 separate occasions within 7 days raises; 2 occasions do not,
    and sightings a minute apart are one occasion."""
    rule = UnknownFaceRepeats(3, 7, 600, "medium")
    day = 86400.0
    assert rule.observe(ev("face.unknown", 0, track="t1")) == []
    assert rule.observe(ev("face.unknown", 60, track="t1")) == []  # same visit
    assert rule.observe(ev("face.unknown", 120, track="t1")) == []  # still the same visit
    assert rule.observe(ev("face.unknown", 2 * day, track="t1")) == []
    assert rule.observe(ev("face.unknown", 3 * day, track="t2")) == []  # someone else
    f = rule.observe(ev("face.unknown", 5 * day, track="t1"))
    assert len(f) == 1 and f[0].subject == "t1" and f[0].data["sightings"] == 3


def test_unknown_face_sightings_older_than_the_window_drop_out() -> None:
    rule = UnknownFaceRepeats(3, 7, 600, "medium")
    day = 86400.0
    rule.observe(ev("face.unknown", 0, track="t"))
    rule.observe(ev("face.unknown", 4 * day, track="t"))
    assert rule.observe(ev("face.unknown", 8 * day, track="t")) == []  # day 0 fell out
    assert rule.observe(ev("face.unknown", 9 * day, track="t"))


def test_zone_alarm_once_while_open_then_again_after_ack(
    store: Store, community: Community, clock: ManualClock
) -> None:
    """An intrusion zone raises at once; a chattering zone input does not raise a storm while
    the alarm is open; after acknowledgement a new intrusion is a new alarm."""
    for _ in range(3):
        store.append_event("door.intrusion", door_id="fence-n", data={"zone": "north"})
    alarms = open_alarms(store, "zone")
    assert len(alarms) == 1 and alarms[0]["severity"] == "critical"
    store.acknowledge_alarm(int(alarms[0]["id"]), "officer", "cat on the fence")  # type: ignore[call-overload]
    assert open_alarms(store, "zone") == []
    clock.advance(60)
    store.append_event("door.intrusion", door_id="fence-n", data={"zone": "north"})
    assert len(open_alarms(store, "zone")) == 1


def test_acknowledged_failed_attempts_stay_acknowledged(
    store: Store, community: Community, clock: ManualClock
) -> None:
    """After acknowledgement more failures do not re-raise until a fresh run of five."""
    for _ in range(5):
        clock.advance(1)
        store.append_event("access.denied", door_id="b1", data={"reason": "unknown"})
    (alarm,) = open_alarms(store, "failed_attempts")
    store.acknowledge_alarm(int(alarm["id"]), "officer")  # type: ignore[call-overload]
    for _ in range(4):
        clock.advance(1)
        store.append_event("access.denied", door_id="b1", data={"reason": "unknown"})
    assert open_alarms(store, "failed_attempts") == []
    assert store.alarm(int(alarm["id"])).acknowledged_by == "officer"  # type: ignore[call-overload]
    clock.advance(1)
    store.append_event("access.denied", door_id="b1", data={"reason": "unknown"})
    assert len(open_alarms(store, "failed_attempts")) == 1
    assert store.verify_log().ok


def _elderly(store: Store) -> int:
    store.add_unit("1-1-101")
    return store.add_person("王奶奶", "1-1-101", "owner", lives_alone=True, birth_year=1940)


def test_elderly_not_seen_fires_at_48h_not_before(
    store: Store, community: Community, clock: ManualClock
) -> None:
    """特殊人群看护: 48 h without passing any door raises; 47:59:59 does not."""
    pid = _elderly(store)
    clock.advance(48 * 3600 - 1)
    assert community.tick()["alarms"] == []
    clock.advance(1)
    (aid,) = community.tick()["alarms"]
    assert store.alarm(aid).kind == "elderly_unseen"
    assert [p["person_id"] for p in community.elderly_unseen()] == [pid]


def test_elderly_alarm_acknowledged_stays_acknowledged_until_seen_again(
    store: Store, community: Community, clock: ManualClock
) -> None:
    """The condition persists after the officer acknowledges; no alarm every minute. Once the
    person passes a door and then disappears again, that is a new absence and a new alarm."""
    pid = _elderly(store)
    clock.advance(48 * 3600)
    (aid,) = community.tick()["alarms"]
    store.acknowledge_alarm(aid, "officer", "called her daughter")
    for _ in range(5):
        clock.advance(3600)
        assert community.tick()["alarms"] == []
    store.append_event("access.granted", door_id="b1", person_id=pid, data={"kind": "card"})
    clock.advance(48 * 3600 - 1)
    assert community.tick()["alarms"] == []
    clock.advance(1)
    assert len(community.tick()["alarms"]) == 1


def test_elderly_threshold_is_configurable_within_24_to_72_hours(
    store: Store, clock: ManualClock
) -> None:
    cfg = load_section(AlertsConfig, {"elderly_unseen_h": 24.0}, "compound.toml: alerts")
    cm = Community(store, cfg)
    _elderly(store)
    clock.advance(24 * 3600 - 1)
    assert cm.tick()["alarms"] == []
    clock.advance(1)
    assert len(cm.tick()["alarms"]) == 1
    for bad in (23.0, 73.0):
        with pytest.raises(ConfigError, match="elderly_unseen_h"):
            load_section(AlertsConfig, {"elderly_unseen_h": bad}, "compound.toml: alerts")


def test_group_rental_threshold_arithmetic() -> None:
    assert group_rental_threshold(2, 2.0, 3) == 5
    assert group_rental_threshold(4, 2.0, 3) == 9
    assert group_rental_threshold(0, 2.0, 3) == 3


def test_group_rental_fires_at_threshold_and_stays_acknowledged(
    store: Store, community: Community, clock: ManualClock
) -> None:
    """群租: 2 registered occupants, threshold 5 distinct entrants in 7 days."""
    store.add_unit("2-1-301", occupants=2)
    people = [store.add_person(f"P{i}", "2-1-301", "tenant") for i in range(5)]
    for pid in people[:4]:
        clock.advance(60)
        store.append_event("access.granted", door_id="b2", person_id=pid, data={"kind": "card"})
    community._last_group_check = -1e18
    assert community.tick()["alarms"] == []
    store.append_event("access.granted", door_id="b2", person_id=people[4], data={})
    community._last_group_check = -1e18
    (aid,) = community.tick()["alarms"]
    assert "2-1-301" in store.alarm(aid).message
    store.acknowledge_alarm(aid, "officer")
    clock.advance(3600)
    community._last_group_check = -1e18
    assert community.tick()["alarms"] == []


def test_engine_prime_replays_without_raising(store: Store, clock: ManualClock) -> None:
    """After a restart the half-counted window is remembered, and nothing is raised for it."""
    for _ in range(4):
        clock.advance(1)
        store.append_event("access.denied", door_id="b1", data={})
    cm = Community(store, AlertsConfig())
    assert cm.prime() == 4
    assert store.alarms() == []
    store.event_hooks.append(cm.on_event)
    clock.advance(1)
    store.append_event("access.denied", door_id="b1", data={})
    assert len(open_alarms(store, "failed_attempts")) == 1


def test_engine_includes_configured_count_rules() -> None:
    cfg = dataclasses.replace(
        AlertsConfig(), count_rules=[CountRuleConfig("x", "door.opened", 2, 10, "low")]
    )
    engine = AlertEngine(cfg)
    assert engine.observe(ev("door.opened", 1)) == []
    assert engine.observe(ev("door.opened", 2))[0].rule == "count:x"
