"""No API method of the core returns an unbounded list.

Every method the core and its features register is in one of two tables here: the ones that
read a list, called with the parameters that ask for the most on a store holding more rows of
every kind than any reply may, whose longest list must come back at exactly its maximum (so
the store really had more, and the cut was made); and the ones that return one record or a
fixed aggregate. A method in neither table fails the test, so a new list cannot be added
without a bound. Every reply must also stay under the 256 kB the scale targets allow.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from compound.app.wiring import core_features
from compound.config import Config
from compound.domain.clock import ManualClock
from compound.domain.model import InvalidInput
from compound.domain.paging import MAX_SIZE
from compound.ports import ACTOR
from compound.protocol.topics import Topics
from compound.services.core import STATUS_DOORS, Core
from compound.services.household_api import MAX_PEOPLE
from compound.services.people_api import MAX_CREDENTIALS
from compound.services.reports import MAX_PASSAGES
from compound.services.zones import ZoneAlarms
from compound.store.db import Store

MANY = MAX_SIZE + 50  # rows of each kind: more than any page may hold
HOURS = 24 * 31  # stats.hourly's longest histogram
UNIT = "1-1-101"
REPLY_BYTES = 256 * 1024

# method -> (parameters asking for the most, the length its longest list must be cut to)
LISTS: dict[str, tuple[dict[str, Any], int]] = {
    "door.list": ({"size": MAX_SIZE}, MAX_SIZE),
    "alarm.list": ({"size": MAX_SIZE}, MAX_SIZE),
    "alarm.page": ({"size": MAX_SIZE, "open": True}, MAX_SIZE),
    "events.recent": ({"limit": MAX_SIZE, "newest_first": True}, MAX_SIZE),
    "events.page": ({"size": MAX_SIZE}, MAX_SIZE),
    "person.list": ({"size": MAX_SIZE}, MAX_SIZE),
    "person.names": ({"ids": list(range(1, MAX_SIZE + 1))}, 0),  # a dict of names: see below
    "unit.list": ({"size": MAX_SIZE}, MAX_SIZE),
    "tenant.list": ({"size": MAX_SIZE}, MAX_SIZE),
    "elderly.unseen": ({"size": MAX_SIZE, "hours": 1}, MAX_SIZE),
    "visit.due": ({"size": MAX_SIZE}, MAX_SIZE),
    "strangers.repeat": ({"size": MAX_SIZE, "days": 30}, MAX_SIZE),
    "notice.list": ({"size": MAX_SIZE}, MAX_SIZE),
    "station.list": ({"size": MAX_SIZE}, MAX_SIZE),
    "station.page": ({"size": MAX_SIZE}, MAX_SIZE),
    "call.list": ({"limit": MAX_SIZE}, MAX_SIZE),
    "schedule.list": ({"size": MAX_SIZE}, MAX_SIZE),
    "holiday.list": ({"size": MAX_SIZE}, MAX_SIZE),
    "zone.list": ({"size": MAX_SIZE}, MAX_SIZE),
    "pass.station_list": ({ACTOR: "st-101"}, 100),
    "passages.search": ({"person": 1, "passages": MAX_PASSAGES}, MAX_PASSAGES),
    "stats.hourly": ({"hours": HOURS}, HOURS),
    "household.show": ({"person": 1}, MAX_CREDENTIALS),  # and MAX_PEOPLE people: below
    "person.show": ({"id": 1}, MAX_CREDENTIALS),
    "status": ({}, 0),  # door states: a dict of the first STATUS_DOORS, checked below
}
# Methods returning one record, a count, or an aggregate whose size does not grow with the
# rows (or a write): not asked here, and each says why it needs no page.
ONE_RECORD = {
    "alarm.ack": "the acknowledged alarm",
    "alarm.ack_officer": "the acknowledged alarms of one incident",
    "alarm.snapshot": "one picture",
    "call.hangup": "one call",
    "call.start": "one call",
    "card.add": "one id",
    "credential.revoke": "one credential",
    "credential.set_schedule": "one credential",
    "door.set_schedule": "one door",
    "door.show": "one door",
    "door.unlock": "one command",
    "door.unlock_officer": "one command",
    "doors.import": "counts, and at most 200 errors",
    "emergency.call": "one call",
    "guest.register": "one person",
    "holiday.add": "one date",
    "holiday.import": "counts",
    "holiday.remove": "one date",
    "household.set_class": "one household",
    "lockdown.set": "on or off",
    "lockdown.set_officer": "on or off",
    "log.verify": "one check of the chain",
    "notice.post": "one notice",
    "pass.issue": "one pass",
    "pass.revoke": "one pass",
    "pass.station_issue": "one pass",
    "pass.station_revoke": "one pass",
    "people.import": "counts, and at most 200 errors",
    "person.add": "one id",
    "person.move_out": "one event",
    "pin.set": "one id",
    "pin.suggest": "one PIN",
    "report.daily": "one day: a row of 24 hours per building, counts per alarm kind",
    "schedule.add": "one schedule",
    "schedule.remove": "one schedule",
    "schedule.set_hours": "one schedule",
    "security.status": "counts, and the doors locked out now",
    "siteplan.get": "the plan and one position per placed door (the map draws them all)",
    "siteplan.place": "one position",
    "siteplan.unplace": "one position",
    "station.add": "one station",
    "station.remove": "one station",
    "tenant.register": "one person",
    "tenant.set_layer": "one person",
    "unit.add": "one unit",
    "visit.add": "one visit",
    "zone.arm": "one zone",
    "zone.disarm": "one zone",
    "zone.arm_officer": "one zone",
    "zone.disarm_officer": "one zone",
}


class QuietBus:
    """The bus the core's features subscribe and publish on, doing nothing: the methods are
    called directly here (the wall's door pages go over a real broker in tests/ui)."""

    def __init__(self) -> None:
        self.topics = Topics("bounds")
        self.on_connect_hooks: list[Any] = []
        self.connected = False

    def __getattr__(self, name: str) -> Any:
        return lambda *a, **k: None


def fill(store: Store, clock: ManualClock) -> None:
    """More rows of every kind than a page holds, written straight into the tables."""
    now = clock.now()
    for b in range(1, MANY + 2):
        store.add_unit(f"{b}-1-101")
    hid = store.one("SELECT h.id FROM households h JOIN units u ON u.id = h.unit_id")
    hid = hid["id"] if hid else None
    with store.transaction() as c:
        if hid is None:
            u = c.execute("SELECT id FROM units WHERE address = ?", (UNIT,)).fetchone()[0]
            hid = c.execute(
                "INSERT INTO households (unit_id, rental, created_at) VALUES (?, 1, ?)",
                (u, now - 400 * 86400),
            ).lastrowid
        c.execute("UPDATE households SET rental = 1")
        c.executemany(
            "INSERT INTO people (name, household_id, role, lives_alone, birth_year,"
            " created_at) VALUES (?, ?, 'tenant', 1, 1940, ?)",
            [(f"住户{i}", hid, now - 400 * 86400) for i in range(MANY)],
        )
        c.execute(
            "INSERT INTO schedules (name, windows) VALUES ('busy', '[[[0,1,2,3,4], 0, 1440]]')"
        )
        c.executemany(
            "INSERT INTO schedules (name, windows) VALUES (?, '[]')",
            [(f"s{i}",) for i in range(MANY)],
        )
        c.executemany(
            "INSERT INTO doors (id, name, lock_type, schedule_id) VALUES (?, ?, 'strike', 1)",
            [(f"b{i}-e1", f"Door {i}") for i in range(MANY)],
        )
        c.executemany(
            "INSERT INTO door_scopes (door_id, scope) VALUES (?, ?)",
            [(f"b{i}-e1", f"{i + 2}") for i in range(MANY)],
        )
        c.executemany(
            "INSERT INTO credentials (person_id, kind, lookup, valid_until, schedule_id,"
            " created_at) VALUES (1, 'pass', ?, ?, 1, ?)",
            [(f"h{i}", now + 86400, now) for i in range(MANY)],
        )
        c.executemany(
            "INSERT INTO alarms (raised_at, kind, severity, door_id, message)"
            " VALUES (?, 'forced_open', 'critical', ?, 'forced')",
            [(now - i, f"b{i}-e1") for i in range(MANY)],
        )
        c.executemany(
            "INSERT INTO intercom_stations (station, ring_group, added_at) VALUES (?, ?, ?)",
            [(f"st-{i}", f"{i + 2}-1-101", now) for i in range(MANY)],
        )
        c.executemany(
            "INSERT INTO call_records (id, door_id, ring_group, started_at, ended_at, outcome)"
            " VALUES (?, 'b1-e1', ?, ?, ?, 'no_answer')",
            [(f"c{i}", UNIT, now - i, now - i) for i in range(MANY)],
        )
        c.executemany(
            "INSERT INTO holidays (day, name) VALUES (?, 'h')",
            [
                (f"{2026 + i // 300}-{1 + (i % 300) // 28:02d}-{1 + i % 28:02d}",)
                for i in range(MANY)
            ],
        )
        c.executemany(
            "INSERT INTO notices (text, valid_from, valid_until, posted_by, posted_at)"
            " VALUES (?, ?, ?, 'office', ?)",
            [(f"通知 {i}", now - 10, now + 86400, now) for i in range(MANY)],
        )
        c.execute(
            "INSERT INTO devices (name, role, unit, created_at) VALUES ('st-101', 'station', ?, 0)",
            (UNIT,),
        )
        c.executemany(
            "INSERT INTO credentials (person_id, kind, lookup, created_at)"
            " VALUES (1, 'pass', ?, ?)",
            [(f"sp{i}", now) for i in range(120)],
        )
        c.execute(
            "INSERT INTO station_passes (credential_id, unit, station, visitor, max_uses,"
            " issued_at) SELECT id, ?, 'st-101', 'guest', 1, ? FROM credentials"
            " WHERE lookup LIKE 'sp%'",
            (UNIT, now),
        )
    # The log: a person's passages past the longest history page, strangers seen twice each.
    at = clock.now() + 1
    passages = [("access.granted", "b1-e1", 1, {"kind": "card"})] * (MAX_PASSAGES + 20)
    strangers = [("face.unknown", None, None, {"track": f"s{i % MANY}"}) for i in range(2 * MANY)]
    store.append_events(
        (at, t, door, person, data) for t, door, person, data in passages + strangers
    )
    clock.advance(60)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One filled store and core for every test here: the methods asked only read."""
    tmp = tmp_path_factory.mktemp("bounds")
    clock = ManualClock()
    store = Store(tmp / "compound.db", clock, tmp / "keys")
    fill(store, clock)
    core = Core(store, QuietBus(), clock, Config(), features=core_features)  # type: ignore[arg-type]
    core.start()
    zones = next(e for e in core.extensions if isinstance(e, ZoneAlarms))
    for i in range(MANY):  # zones heard from the bridges
        zones.states[("bridge1", f"z{i}")] = {
            "zone": f"z{i}",
            "kind": "intrusion",
            "state": "normal",
            "name": f"Zone {i}",
        }
    yield core.api
    core.stop()
    store.close()


def lists_in(value: Any) -> Iterator[list[Any]]:
    if isinstance(value, list):
        yield value
        for v in value:
            yield from lists_in(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from lists_in(v)


def test_every_api_method_is_bounded(api: dict[str, Any]) -> None:
    unclassified = sorted(set(api) - set(LISTS) - set(ONE_RECORD))
    assert not unclassified, f"methods with no bound declared here: {unclassified}"
    assert not set(LISTS) & set(ONE_RECORD)
    for method, (params, cut) in LISTS.items():
        reply = api[method](dict(params))
        size = len(json.dumps(reply, ensure_ascii=False).encode())
        assert size <= REPLY_BYTES, f"{method}: a reply of {size} bytes"
        longest = max((len(x) for x in lists_in(reply)), default=0)
        if method == "person.names":
            assert len(reply) == MAX_SIZE
        elif method == "household.show":
            assert len(reply["people"]) == MAX_PEOPLE and longest == cut
        elif method == "status":
            assert len(reply["doors"]) == STATUS_DOORS and reply["door_count"] == MANY
        else:
            assert longest == cut, f"{method}: its longest list has {longest} items, not {cut}"


def test_a_page_past_the_first_reads_on(api: dict[str, Any]) -> None:
    """The doors a page at a time: the second page holds the rest, no door twice, the total
    counts them all, and a page past the end is empty."""
    first = api["door.list"]({"size": MAX_SIZE})
    second = api["door.list"]({"size": MAX_SIZE, "page": 2})
    ids = [d["id"] for d in first["items"] + second["items"]]
    assert first["total"] == MANY and len(ids) == len(set(ids)) == MANY
    assert ids[:3] == ["b0-e1", "b1-e1", "b2-e1"]  # natural order: b2 before b10
    assert first["states"] == {"unknown": MANY}
    assert first["items"][0]["schedule"] == "busy"
    assert api["door.list"]({"size": MAX_SIZE, "page": 9})["items"] == []
    older = api["alarm.list"]({"size": MAX_SIZE, "page": 2})
    assert len(older) == MANY - MAX_SIZE
    assert api["door.show"]({"door": "b7-e1"})["name"] == "Door 7"


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("door.list", {"size": MAX_SIZE + 1}),
        ("door.list", {"page": 0}),
        ("door.show", {"door": "nowhere"}),
        ("door.show", {}),
        ("alarm.list", {"size": "lots"}),
        ("events.recent", {"limit": 1000}),
        ("events.recent", {"types": ["x"] * 50}),
        ("call.list", {"limit": 501}),
        ("station.list", {"size": 10_000}),
        ("strangers.repeat", {"min": "two"}),
        ("passages.search", {"name": "住", "size": 200, "passages": 500}),
        ("zone.list", {"page": -1}),
    ],
)
def test_asking_for_too_much_is_refused_with_a_sentence(
    api: dict[str, Any], method: str, params: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInput) as e:
        api[method](params)
    assert str(e.value) and "Traceback" not in str(e.value)
