"""A sample compound for development and measurement: ``compound sample``.

``demo`` is the four-door demo compound (``data/demo_compound.json``). ``xian`` is the size the
product is for: 62 buildings with two or three entrances each, about 5,520 units, 5,500
households and 24,700 people (owners, family, about 3,800 tenants with leases, about 340 elderly
people living alone), cards for most people and PINs for some, and 156 doors: one per building
entrance, four compound gates and eight garage entrances, each serving the buildings above it.

Everything is drawn from one seeded ``random.Random``, so a seed always gives the same compound.
The plan is built as plain data first; it is then written through the store's own methods
(``add_unit``, ``add_person``, ``register_tenant``, ``add_card``, ``set_pin``, ``add_door``), so
every row is validated and logged like one a manager registers, one transaction per building.
``--days N`` then adds history (``devkit.sample_history``).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from compound.domain.access import decide
from compound.domain.clock import ManualClock
from compound.domain.model import InvalidInput, Person
from compound.services import rental
from compound.store.db import Store
from devkit.env import DATA, seed_compound, seed_officers
from devkit.sample_history import add_history
from devkit.sample_people import Resident, Residents

SIZES = ("demo", "xian")
# Days of history a sample may have: 400 at the Xi'an size is some 20 million events, twice the
# 200-day benchmark fixture.
MAX_DAYS = 400


@dataclass(frozen=True)
class Block:
    """Buildings of one kind: how many, their entrances, floors and units per floor."""

    buildings: int
    entrances: int
    floors: int
    per_floor: int
    lock: str


XIAN_BLOCKS = (
    Block(20, 3, 12, 2, "strike"),  # slab blocks, three stairwells
    Block(30, 2, 18, 2, "strike"),  # mid-rise
    Block(12, 2, 20, 4, "maglock"),  # towers
)
XIAN_GATES = (
    ("gate-south", "South gate 南门 (main)", "maglock"),
    ("gate-north", "North gate 北门", "maglock"),
    ("gate-east", "East gate 东门", "strike"),
    ("gate-west", "West gate 西门 (pedestrian)", "strike"),
)
XIAN_GARAGES = 8
# Share of units that stand empty, are home to one elderly person living alone, or are let.
VACANT, ELDERLY_ALONE, RENTED = 0.0036, 0.0585, 0.244


@dataclass(frozen=True)
class DoorPlan:
    id: str
    name: str
    serves: tuple[str, ...]
    lock: str


@dataclass
class Plan:
    site_name: str
    units: list[tuple[str, int]] = field(default_factory=list)  # (address, occupants)
    doors: list[DoorPlan] = field(default_factory=list)
    people: dict[str, list[Resident]] = field(default_factory=dict)  # by unit address


def xian_plan(seed: int, today: date, scale: float = 1.0) -> Plan:
    """The Xi'an-size compound as data. ``scale`` below 1 keeps that share of the buildings
    (at least one of each kind), gates and garages: a small compound of the same make-up."""
    if not 0 < scale <= 1:
        raise InvalidInput("--scale must be above 0 and at most 1")
    rng = random.Random(seed)  # noqa: S311 - sample data, not secrets
    residents = Residents(rng, today)
    plan = Plan("长安·曲江花园 (sample)")
    building = 0
    buildings: list[int] = []
    for block in XIAN_BLOCKS:
        for _ in range(max(1, round(block.buildings * scale))):
            building += 1
            buildings.append(building)
            for e in range(1, block.entrances + 1):
                plan.doors.append(
                    DoorPlan(
                        f"b{building}-e{e}",
                        f"Building {building} entrance {e} {building}号楼{e}单元",
                        (f"{building}-{e}",),
                        block.lock,
                    )
                )
                for floor in range(1, block.floors + 1):
                    for n in range(1, block.per_floor + 1):
                        unit = f"{building}-{e}-{floor}{n:02d}"
                        people = _household(residents, unit)
                        plan.units.append((unit, len(people)))
                        if people:
                            plan.people[unit] = people
    gates = XIAN_GATES[: max(1, round(len(XIAN_GATES) * scale))]
    plan.doors += [DoorPlan(i, name, ("*",), lock) for i, name, lock in gates]
    garages = max(1, round(XIAN_GARAGES * scale))
    for k in range(garages):
        above = buildings[k * len(buildings) // garages : (k + 1) * len(buildings) // garages]
        serves = tuple(str(b) for b in above)
        plan.doors.append(
            DoorPlan(f"garage-{k + 1}", f"Garage {k + 1} 地库{k + 1}号口", serves, "")
        )
    return plan


def _household(residents: Residents, unit: str) -> list[Resident]:
    r = residents.rng.random()
    if r < VACANT:
        return []
    if r < VACANT + ELDERLY_ALONE:
        return residents.elderly_alone(unit)
    if r < VACANT + ELDERLY_ALONE + RENTED:
        return residents.tenants(unit)
    return residents.owners(unit)


def write_plan(store: Store, plan: Plan, say: Callable[[str], None] | None = None) -> None:
    """Register the planned compound through the store, one transaction per building."""
    with store.transaction():
        if store.setting("site_name") is None:
            store.set_setting("site_name", plan.site_name)
        if store.setting("timezone") is None:
            store.set_setting("timezone", "Asia/Shanghai")
    by_building: dict[int, list[tuple[str, int]]] = {}
    for unit, occupants in plan.units:
        by_building.setdefault(int(unit.split("-")[0]), []).append((unit, occupants))
    for i, (number, units) in enumerate(by_building.items(), 1):
        with store.transaction():
            for unit, occupants in units:
                store.add_unit(unit, occupants)
                for r in plan.people.get(unit, ()):
                    _register(store, r)
        if say and (i % 10 == 0 or i == len(by_building)):
            say(f"registered building {number} ({i} of {len(by_building)})")
    with store.transaction():
        for d in plan.doors:
            store.add_door(d.id, d.name, list(d.serves), lock_type=d.lock or "strike")


def _register(store: Store, r: Resident) -> None:
    if r.role == "tenant":
        pid = rental.register_tenant(
            store,
            {
                "name": r.name,
                "unit": r.unit,
                "id_number": r.id_number,
                "phone": r.phone,
                "lease_start": r.lease_start,
                "lease_end": r.lease_end,
                "origin": r.origin,
                "layer": r.layer,
                "by": "sample",
            },
        )["id"]
    else:
        pid = store.add_person(
            r.name,
            r.unit,
            r.role,
            id_number=r.id_number,
            id_type="resident-id",
            phone=r.phone,
            lives_alone=r.lives_alone,
            birth_year=r.birth_year,
        )
    if r.card:
        store.add_card(pid, r.card)
    if r.pin:
        store.set_pin(pid, r.pin)


# -- the command's work ---------------------------------------------------------------------


def refuse_if_filled(store: Store) -> None:
    row = store.one(
        "SELECT (SELECT COUNT(*) FROM people) AS people, (SELECT COUNT(*) FROM units) AS units,"
        " (SELECT COUNT(*) FROM doors) AS doors"
    )
    if row and (row["people"] or row["units"] or row["doors"]):
        raise InvalidInput(
            f"the database {store.path} already holds {row['people']} people, {row['units']} "
            f"units and {row['doors']} doors; a sample goes only into an empty database "
            "(give a new --db)"
        )


@contextmanager
def _registered_at(store: Store, when: float) -> Iterator[None]:
    """Date the registration ``when`` (before the history), then give the clock back."""
    clock = store.clock
    store.clock = ManualClock(t=when)
    try:
        yield
    finally:
        store.clock = clock


def sample(
    store: Store,
    size: str,
    *,
    days: int = 0,
    seed: int = 1,
    scale: float = 1.0,
    say: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Fill an empty database with the sample compound ``size`` and ``days`` of history before
    now; return the counts and cards that open each door."""
    if size not in SIZES:
        raise InvalidInput(f"unknown sample size {size!r}: use {' or '.join(SIZES)}")
    if not 0 <= days <= MAX_DAYS:
        raise InvalidInput(
            f"--days must be a whole number of days from 0 to {MAX_DAYS} (got {days}); "
            f"{MAX_DAYS} days is about {MAX_DAYS * 50_000:,} passages at the Xi'an size"
        )
    refuse_if_filled(store)
    now = store.clock.now()
    # With history, the compound was registered an hour before its first passage.
    with _registered_at(store, now - days * 86400 - 3600 if days else now):
        if size == "demo":
            seed_data = json.loads((DATA / "demo_compound.json").read_text(encoding="utf-8"))
            with store.transaction():
                seed_compound(store, seed_data)
        else:
            today = datetime.fromtimestamp(now, store.tz).date()
            write_plan(store, xian_plan(seed, today, scale), say)
            demo = json.loads((DATA / "demo_compound.json").read_text(encoding="utf-8"))
            seed_officers(store, demo["officers"])  # the same duty officers as the demo's
    passages = add_history(store, days, seed, now, say=say)
    return {
        "size": size,
        "seed": seed,
        **counts(store),
        "passages": passages,
        "sample_cards": sample_cards(store, now),
    }


def counts(store: Store) -> dict[str, int]:
    def n(sql: str) -> int:
        row = store.one(f"SELECT COUNT(*) AS n FROM {sql}")  # noqa: S608 - fixed text below
        return int(row["n"]) if row else 0

    live = "moved_out_at IS NULL"
    return {
        "people": n(f"people WHERE {live}"),
        "households": n("households WHERE closed_at IS NULL"),
        "units": n("units"),
        "buildings": n("buildings"),
        "entrances": n("entrances"),
        "doors": n("doors"),
        "owners": n(f"people WHERE role = 'owner' AND {live}"),
        "family": n(f"people WHERE role = 'family' AND {live}"),
        "tenants": n(f"people WHERE role = 'tenant' AND {live}"),
        "elderly_alone": n(f"people WHERE lives_alone = 1 AND {live}"),
        "cards": n("credentials WHERE kind = 'card' AND revoked_at IS NULL"),
        "pins": n("credentials WHERE kind = 'pin' AND revoked_at IS NULL"),
        "events": n("events"),
    }


def sample_cards(store: Store, now: float, per_door: int = 2) -> list[dict[str, str]]:
    """Up to ``per_door`` cards for each door that open it now, each checked with the core's
    own decision on the store's facts."""
    cards: dict[int, str] = {}
    for r in store.query(
        "SELECT person_id, lookup FROM credentials WHERE kind = 'card' AND revoked_at IS NULL"
        " ORDER BY id"
    ):
        cards.setdefault(r["person_id"], r["lookup"])
    groups: dict[tuple[int, int], list[Person]] = {}
    for p in store.people():
        if p.id in cards:
            groups.setdefault((p.unit.building, p.unit.entrance), []).append(p)
    tz = store.tz
    out: list[dict[str, str]] = []
    for door in store.doors():
        found = 0
        for p in _candidates(groups, [(s.building, s.entrance) for s in door.serves]):
            if decide(store.facts(door.id, "card", cards[p.id]), now, tz).granted:
                out.append({"door": door.id, "card": cards[p.id]})
                found += 1
                if found == per_door:
                    break
    return out


def _candidates(
    groups: dict[tuple[int, int], list[Person]], scopes: list[tuple[int | None, int | None]]
) -> Iterator[Person]:
    for building, entrance in scopes:
        for (b, e), people in groups.items():
            if building in (None, b) and entrance in (None, e):
                yield from people
