"""The week's entrants kept up to date from the log: after the first check only new events are
read, and the counts are what reading the whole week again gives (who entered, who dropped out
of the window, units too quiet to be a group rental left out)."""

from __future__ import annotations

import random

from compound.domain.clock import ManualClock
from compound.services.entrants import RecentEntrants
from compound.store.db import Store

DAY = 86400.0


def whole_week(store: Store, since: float) -> dict[str, int]:
    rows = store.read(
        "SELECT u.address, COUNT(DISTINCT e.person_id) AS n FROM events e"
        " JOIN people p ON p.id = e.person_id JOIN households h ON h.id = p.household_id"
        " JOIN units u ON u.id = h.unit_id"
        " WHERE e.type = 'access.granted' AND e.at > ? GROUP BY u.id",
        (since,),
    )
    return {r["address"]: r["n"] for r in rows}


def counts(entrants: RecentEntrants, since: float, at_least: int = 1) -> dict[str, int]:
    return {u.unit: u.distinct_entrants for u in entrants.units(since, at_least)}


def test_entrants_follow_the_log_as_reading_the_week_again_would(
    store: Store, clock: ManualClock
) -> None:
    store.add_unit("1-1-101", 2)
    store.add_unit("1-1-102")
    a = [store.add_person(f"甲{i}", "1-1-101", "family") for i in range(6)]
    b = store.add_person("乙", "1-1-102", "owner")
    store.add_door("b1-e1", "Building 1", ["1"])

    def enter(pid: int) -> None:
        store.append_event("access.granted", door_id="b1-e1", person_id=pid, data={})

    enter(a[0])
    enter(a[1])
    enter(b)
    entrants = RecentEntrants(store)
    since = clock.now() - 7 * DAY
    assert counts(entrants, since) == whole_week(store, since) == {"1-1-101": 2, "1-1-102": 1}
    clock.advance(3 * DAY)
    for p in a[2:5]:
        enter(p)
    enter(a[2])  # twice: one entrant
    since = clock.now() - 7 * DAY
    assert counts(entrants, since) == whole_week(store, since) == {"1-1-101": 5, "1-1-102": 1}
    clock.advance(5 * DAY)  # the first day's passages leave the window
    enter(a[5])
    since = clock.now() - 7 * DAY
    assert counts(entrants, since) == whole_week(store, since) == {"1-1-101": 4}
    # A unit with fewer entrants than could ever fire is not even looked up.
    assert counts(entrants, since, at_least=5) == {}
    (unit,) = entrants.units(since, 4)
    assert (unit.unit, unit.registered, unit.distinct_entrants) == ("1-1-101", 2, 4)
    # 1-1-102 declared no occupants: its residents count, read again after a registration.
    enter(b)
    assert {u.unit: u.registered for u in entrants.units(since, 1)}["1-1-102"] == 1
    enter(store.add_person("丙", "1-1-102", "family"))
    assert {u.unit: u.registered for u in entrants.units(since, 1)}["1-1-102"] == 2


def test_counts_kept_as_entrants_come_and_go_match_the_week_read_again(
    store: Store, clock: ManualClock
) -> None:
    """Entrants filed by the hour of their latest passage, counts per unit kept as they come
    and go: after each of many steps (the window's edge inside an hour, people entering again,
    new residents) the counts are what reading the whole week gives."""
    rnd = random.Random(7)
    store.add_door("b1-e1", "Building 1", ["1"])
    units = [f"1-1-{101 + i}" for i in range(6)]
    people: list[int] = []
    for u in units:
        store.add_unit(u)
        people += [store.add_person(f"住户{u}{n}", u, "family") for n in range(4)]
    entrants = RecentEntrants(store)
    for step in range(40):
        if step % 9 == 8:
            people.append(store.add_person(f"新{step}", rnd.choice(units), "family"))
        for pid in rnd.sample(people, 3):
            store.append_event("access.granted", door_id="b1-e1", person_id=pid, data={})
        clock.advance(rnd.uniform(0.3, 11) * 3600)
        since = clock.now() - 2 * DAY
        assert counts(entrants, since) == whole_week(store, since), step
