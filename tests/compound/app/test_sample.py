"""``compound sample`` and ``compound api``: a sample compound that is the same for the same
seed, whose history keeps the hash chain and whose sample cards really open their doors; any
core API method called from the command line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from compound.adapters.broker import Mosquitto
from compound.adapters.mqtt import Bus
from compound.app.cli import main
from compound.app.wiring import build_core
from compound.config import Config
from compound.domain.access import decide
from compound.domain.clock import ManualClock, SystemClock
from compound.domain.model import InvalidInput
from compound.store.db import Store
from devkit.sample import sample, xian_plan
from devkit.sample_people import id_check_digit

SMALL = 0.02  # of the Xi'an size: three buildings, about 1,300 people


pytestmark = pytest.mark.usefixtures("no_env")  # the developer's settings stay out


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def assert_cards_open_their_doors(store: Store, cards: list[dict[str, str]], now: float) -> None:
    """Each sample card is granted at its door by the core's own decision on the store's facts,
    and every door has one."""
    for c in cards:
        decision = decide(store.facts(c["door"], "card", c["card"]), now, store.tz)
        assert decision.granted, (c, decision)
    assert {c["door"] for c in cards} == {d.id for d in store.doors()}


def first_person(store: Store) -> tuple[str, str, str | None]:
    p = store.person(1)
    return p.name, str(p.unit), p.id_number


def test_demo_reproduces_the_demo_compound(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "demo.db"
    rc, out, err = run(capsys, "--db", str(db), "sample", "--size", "demo", "--json")
    assert rc == 0, err
    r = json.loads(out)
    assert (r["people"], r["doors"], r["units"], r["tenants"]) == (9, 4, 9, 3)
    assert r["passages"] == 0 and r["elderly_alone"] == 1
    store = Store(db, SystemClock())
    try:
        assert store.setting("site_id") == "demo"
        assert first_person(store)[0] == "张伟"
        assert_cards_open_their_doors(store, r["sample_cards"], SystemClock().now())
    finally:
        store.close()


def test_a_second_run_on_a_filled_database_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "c.db")
    assert run(capsys, "--db", db, "sample", "--size", "demo")[0] == 0
    rc, out, err = run(capsys, "--db", db, "sample", "--size", "xian", "--scale", "0.01")
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and "already holds 9 people" in err and "new --db" in err


def test_the_same_seed_gives_the_same_compound(tmp_path: Path) -> None:
    results = []
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        store = Store(tmp_path / f"{name}.db", ManualClock())
        try:
            r = sample(store, "xian", seed=seed, scale=SMALL)
            results.append((r, first_person(store)))
        finally:
            store.close()
    (a, first_a), (b, first_b), (c, first_c) = results
    assert a == b and first_a == first_b
    assert first_c != first_a
    # the same make-up as the full size: several entrances per building, gates and a garage
    assert a["buildings"] == 3 and a["doors"] == a["entrances"] + 2
    assert 1000 < a["people"] < 2000 and a["tenants"] > 100 and a["elderly_alone"] > 5
    assert a["cards"] > 0.8 * a["people"] and 0 < a["pins"] < a["people"]


def test_people_look_real_and_pass_the_stores_checks() -> None:
    plan = xian_plan(3, date(2026, 9, 21), SMALL)
    people = [r for rs in plan.people.values() for r in rs]
    assert len({r.id_number for r in people}) == len(people)
    for r in people:
        assert len(r.id_number) == 18 and r.id_number[17] == id_check_digit(r.id_number[:17])
        assert r.id_number[6:10] == str(r.birth_year)
        assert 2 <= len(r.name) <= 4
        assert (r.role == "tenant") == (r.lease_end is not None)
    assert {"owner", "family", "tenant"} == {r.role for r in people}
    with pytest.raises(InvalidInput, match="scale"):
        xian_plan(3, date(2026, 9, 21), 0)


def test_history_keeps_the_chain_and_the_cards_open_their_doors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "c.db")
    rc, out, err = run(
        capsys,
        "--db",
        db,
        "sample",
        "--size",
        "xian",
        "--scale",
        str(SMALL),
        "--days",
        "2",
        "--json",
    )
    assert rc == 0, err
    r = json.loads(out)
    # about two passages per resident a day, a few percent of them refused
    assert 3.5 * r["people"] < r["passages"] < 4.5 * r["people"]
    rc, out, _ = run(capsys, "--db", db, "log", "verify", "--json")
    assert rc == 0 and json.loads(out) == {
        "ok": True,
        "events": r["events"],
        "first_broken": None,
        "problem": "",
    }
    store = Store(db, SystemClock())
    try:
        now = SystemClock().now()
        assert_cards_open_their_doors(store, r["sample_cards"], now)
        rows = store.query(
            "SELECT type, COUNT(*) AS n, MIN(at) AS first, MAX(at) AS last FROM events"
            " WHERE type LIKE 'access.%' GROUP BY type"
        )
        by_type = {row["type"]: row for row in rows}
        assert by_type["access.granted"]["n"] > 20 * by_type["access.denied"]["n"]
        assert now - 2 * 86400 - 5 < by_type["access.granted"]["first"]
        assert by_type["access.granted"]["last"] < now
        # in time order: the registration first, then the passages, each after the one before
        ats = [row["at"] for row in store.query("SELECT at FROM events ORDER BY seq")]
        assert ats == sorted(ats)
    finally:
        store.close()


# -- compound api ---------------------------------------------------------------------------


def test_api_params_that_are_not_a_json_object_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for params, says in (
        ("{bad", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        # Python's words, not JSON's: sent on, the core dropped the request and nothing answered
        ('{"hours": NaN}', "NaN is no JSON number"),
        ('{"hours": -Infinity}', "-Infinity is no JSON number"),
    ):
        rc, out, err = run(capsys, "api", "door.list", "--params", params)
        assert rc == 2 and out == "" and err.count("\n") == 1 and says in err
    rc, _, err = run(capsys, "api", "door/list")
    assert rc == 2 and "malformed API method" in err


@pytest.fixture
def core_config(
    live_store: Store, mosquitto: Mosquitto, make_bus: Callable[..., Bus], tmp_path: Path
) -> Iterator[Path]:
    """A core on a real Mosquitto serving the demo sample; the config file the CLI uses."""
    sample(live_store, "demo")
    bus = make_bus(mosquitto.port, "core", start=False)
    core = build_core(live_store, bus, live_store.clock, Config())
    core.start()
    bus.start()
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[site]\nid = "test"\n[broker]\nport = {mosquitto.port}\n')
    yield cfg
    core.stop()


@pytest.mark.integration
def test_api_calls_the_core_and_prints_its_reply(
    core_config: Path, live_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg, db = str(core_config), str(live_store.path)
    rc, out, err = run(capsys, "--config", cfg, "--db", db, "api", "door.list", "--json")
    assert rc == 0, err
    assert sorted(d["id"] for d in json.loads(out)["items"]) == ["b1-e1", "b2-e1", "b3-e2", "gate"]
    rc, out, _ = run(capsys, "--config", cfg, "api", "events.recent", "--params", '{"limit": 2}')
    assert rc == 0 and len(json.loads(out)) == 2  # indented JSON without --json
    rc, out, err = run(
        capsys, "--config", cfg, "api", "door.unlock", "--params", '{"door": "nowhere"}'
    )
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and "refused: unknown door 'nowhere'" in err
