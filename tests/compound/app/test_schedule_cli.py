"""``compound schedule``, ``holiday``, ``station`` and the schedules given to doors and
credentials: each command through ``main`` on a temporary database, and the core's own access
decision (``store.facts`` + ``decide`` at a chosen time) to show what a schedule lets in."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from compound.app.cli import main
from compound.domain.access import Reason, decide
from compound.domain.clock import ManualClock
from compound.domain.model import InvalidInput
from compound.services.schedules_api import SchedulesApi
from compound.store.db import Store

TZ = ZoneInfo("Asia/Shanghai")
WEDNESDAY = (2026, 11, 18)
SATURDAY = (2026, 11, 21)
SUNDAY = (2026, 11, 22)


def at(day: tuple[int, int, int], hour: int, minute: int = 0) -> float:
    return datetime(*day, hour, minute, tzinfo=TZ).timestamp()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "c.db"
    monkeypatch.setenv("COMPOUND_DB", str(path))
    monkeypatch.delenv("COMPOUND_CONFIG", raising=False)
    assert main(["init", "--site", "t1"]) == 0
    return path


def ok(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    capsys.readouterr()
    assert main([*argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """The one line a mistake prints; the exit status is 2."""
    capsys.readouterr()
    assert main(list(argv)) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


def person(capsys: pytest.CaptureFixture[str], role: str = "tenant") -> str:
    main(["unit", "add", "3-2-1501"])
    return str(
        ok(capsys, "person", "add", "--name", "李", "--unit", "3-2-1501", "--role", role)["id"]
    )


def card_reason(db: Path, number: str, when: float, door: str = "b3-e2") -> Reason:
    """What the core decides for this card at this door at this time."""
    store = Store(db, ManualClock(when))
    try:
        return decide(store.facts(door, "card", number), when, store.tz).reason
    finally:
        store.close()


def test_a_card_schedule_refuses_out_of_hours_and_a_holiday_closes_it(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    added = ok(
        capsys,
        "schedule",
        "add",
        "cleaners",
        "--days",
        "mon-fri",
        "--from",
        "7:00",
        "--to",
        "18:00",
    )
    assert added["hours"] == [{"days": "mon-fri", "spans": [{"from": "07:00", "to": "18:00"}]}]
    assert added["holidays"] == "closed"
    main(["door", "add", "b3-e2", "--serves", "3-2"])
    pid = person(capsys)
    assert main(["card", "add", pid, "20001", "--schedule", "cleaners"]) == 0
    assert main(["card", "add", pid, "20002"]) == 0  # the same person, no schedule

    assert card_reason(db, "20001", at(WEDNESDAY, 10)) is Reason.GRANTED
    assert card_reason(db, "20001", at(WEDNESDAY, 6, 59)) is Reason.OUTSIDE_SCHEDULE
    assert card_reason(db, "20001", at(WEDNESDAY, 18)) is Reason.OUTSIDE_SCHEDULE
    assert card_reason(db, "20001", at(SATURDAY, 10)) is Reason.OUTSIDE_SCHEDULE
    assert card_reason(db, "20002", at(SATURDAY, 3)) is Reason.GRANTED

    # A public holiday on that Wednesday closes a schedule that is closed on holidays...
    assert ok(capsys, "holiday", "add", "2026-11-18", "--name", "test day")["workday"] is False
    assert card_reason(db, "20001", at(WEDNESDAY, 10)) is Reason.OUTSIDE_SCHEDULE
    assert card_reason(db, "20002", at(WEDNESDAY, 10)) is Reason.GRANTED
    # ... and a worked Sunday (调休) opens it during working-day hours.
    assert card_reason(db, "20001", at(SUNDAY, 10)) is Reason.OUTSIDE_SCHEDULE
    assert main(["holiday", "add", "2026-11-22", "--workday"]) == 0
    assert card_reason(db, "20001", at(SUNDAY, 10)) is Reason.GRANTED
    assert card_reason(db, "20001", at(SUNDAY, 19)) is Reason.OUTSIDE_SCHEDULE

    # Open on holidays: the same hours, whatever the weekday.
    night = ["--days", "sat-sun", "--from", "22:00", "--to", "06:00", "--holidays", "open"]
    assert ok(capsys, "schedule", "add", "guards", *night)["holiday_hours"] == [
        {"from": "22:00", "to": "06:00"}  # one span past midnight
    ]
    main(["schedule", "add", "delivery", "--days", "mon,wed", "--from", "08:00", "--to", "20:00"])
    assert main(["credential", "set-schedule", "1", "guards"]) == 0
    assert card_reason(db, "20001", at(WEDNESDAY, 23)) is Reason.GRANTED  # holiday, open
    assert card_reason(db, "20001", at(WEDNESDAY, 10)) is Reason.OUTSIDE_SCHEDULE
    assert card_reason(db, "20001", at(SUNDAY, 5)) is Reason.GRANTED  # Saturday night
    assert main(["credential", "set-schedule", "1", "delivery"]) == 0
    # "mon,wed" does not cover every working day: a worked Sunday stays closed for it.
    assert card_reason(db, "20001", at(SUNDAY, 10)) is Reason.OUTSIDE_SCHEDULE
    assert main(["credential", "set-schedule", "1", "none"]) == 0
    assert card_reason(db, "20001", at(SATURDAY, 3)) is Reason.GRANTED


def test_door_hours_bind_visitors_and_door_add_takes_a_schedule(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "unknown schedule" in refused(
        capsys, "door", "add", "b3-e2", "--serves", "3-2", "--schedule", "daytime"
    )
    main(["schedule", "add", "daytime", "--days", "mon-sun", "--from", "07:00", "--to", "22:00"])
    assert main(["door", "add", "b3-e2", "--serves", "3-2", "--schedule", "daytime"]) == 0
    visitor, resident = person(capsys, "visitor"), person(capsys, "owner")
    main(["card", "add", visitor, "30001"])
    main(["card", "add", resident, "30002"])
    night = at(WEDNESDAY, 23, 30)
    assert card_reason(db, "30001", at(WEDNESDAY, 12)) is Reason.GRANTED
    assert card_reason(db, "30001", night) is Reason.OUTSIDE_SCHEDULE
    assert card_reason(db, "30002", night) is Reason.GRANTED
    assert ok(capsys, "door", "set-schedule", "b3-e2", "none") == {
        "door": "b3-e2",
        "schedule": None,
    }
    assert card_reason(db, "30001", night) is Reason.GRANTED
    assert "unknown door" in refused(capsys, "door", "set-schedule", "nope", "daytime")
    assert "unknown schedule" in refused(capsys, "door", "set-schedule", "b3-e2", "nightly")


def test_removal_is_refused_while_a_door_or_a_credential_uses_it(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["schedule", "add", "cleaners", "--days", "mon-fri", "--from", "07:00", "--to", "18:00"])
    main(["door", "add", "b3-e2", "--serves", "3-2", "--schedule", "cleaners"])
    pid = person(capsys)
    main(["card", "add", pid, "20001", "--schedule", "cleaners"])
    pin = ok(capsys, "pin", "set", pid, "--schedule", "cleaners")
    listed = ok(capsys, "schedule", "list")
    assert listed[0]["doors"] == ["b3-e2"] and len(listed[0]["credentials"]) == 2

    err = refused(capsys, "schedule", "remove", "cleaners")
    assert "door b3-e2" in err and "2 credentials" in err
    main(["door", "set-schedule", "b3-e2", "none"])
    err = refused(capsys, "schedule", "remove", "cleaners")
    assert "door" not in err.split(";")[0] and "credentials" in err
    # A new PIN keeps the hours of the one it replaces.
    new_pin = ok(capsys, "pin", "set", pid)
    shown = ok(capsys, "person", "show", pid)
    live = {c["id"]: c["schedule"] for c in shown["credentials"] if c["revoked_at"] is None}
    assert live == {1: "cleaners", new_pin["id"]: "cleaners"} and new_pin["id"] != pin["id"]

    # Once only revoked credentials name it, it goes.
    main(["person", "move-out", pid])
    assert ok(capsys, "schedule", "remove", "cleaners") == {"name": "cleaners", "removed": True}
    assert ok(capsys, "schedule", "list") == []
    assert "unknown schedule" in refused(capsys, "schedule", "remove", "cleaners")


def test_bad_schedules_are_refused_in_one_line_and_write_nothing(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["schedule", "add", "x", "--days", "mon-fri", "--from", "07:00", "--to", "18:00"]
    for i, bad in ((4, "mon-fry"), (6, "7h"), (8, "25:00"), (8, "07:00")):
        argv = list(base)
        argv[i] = bad
        refused(capsys, *argv)
    assert "closed or open" in refused(capsys, *base, "--holidays", "maybe")
    assert "'none' means no schedule" in refused(capsys, *base[:2], "none", *base[3:])
    assert ok(capsys, "schedule", "list") == []
    main(base)
    assert "already exists" in refused(capsys, *base)
    assert "unknown schedule" in refused(capsys, "card", "add", "1", "1", "--schedule", "nope")


OFFICIAL = (
    "date,name,workday\n"
    "2026-09-27,国庆节调休,1\n"
    "2026-10-01,国庆节\n"
    "2026-10-02,国庆节\n"
    "2026/10/3,国庆节,0\n"
)


def test_holiday_import_gbk_and_dry_run(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "holidays.csv"
    f.write_bytes(OFFICIAL.encode("gbk"))
    dry = ok(capsys, "holiday", "import", str(f), "--dry-run")
    assert dry["added"] == 4 and dry["dry_run"] is True
    assert ok(capsys, "holiday", "list") == []
    done = ok(capsys, "holiday", "import", str(f))
    assert (done["added"], done["holidays"], done["workdays"]) == (4, 3, 1)
    listed = ok(capsys, "holiday", "list", "--year", "2026")
    assert [(h["date"], h["name"], h["workday"]) for h in listed] == [
        ("2026-09-27", "国庆节调休", True),
        ("2026-10-01", "国庆节", False),
        ("2026-10-02", "国庆节", False),
        ("2026-10-03", "国庆节", False),
    ]
    assert ok(capsys, "holiday", "list", "--year", "2027") == []
    # Again, as UTF-8 with a byte-order mark and one name corrected: one update.
    f.write_bytes(OFFICIAL.replace("2026-10-02,国庆节", "2026-10-02,中秋节").encode("utf-8-sig"))
    again = ok(capsys, "holiday", "import", str(f))
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 1, 3)


def test_holiday_import_is_all_or_nothing_with_line_numbers(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(
        "date,name,workday\n2026-10-01,国庆节\n2026-10-32,国庆节\n2026-09-30,调休,1\n"
        "2026-10-01,again\n",
        encoding="utf-8",
    )
    err = refused(capsys, "holiday", "import", str(f))
    assert "line 3: malformed date '2026-10-32'" in err
    assert "line 4: 2026-09-30 is a Wednesday" in err
    assert "line 5: 2026-10-01 is already given on line 2" in err
    assert err.endswith("nothing imported")
    assert ok(capsys, "holiday", "list") == []
    f.write_bytes(b"\xff\xfe\x00d\x00a")
    assert "neither UTF-8 nor GBK" in refused(capsys, "holiday", "import", str(f))
    f.write_text("date,name\n", encoding="utf-8")
    assert "no holidays" in refused(capsys, "holiday", "import", str(f))
    assert "cannot read" in refused(capsys, "holiday", "import", str(tmp_path / "missing.csv"))
    assert "not in the holiday list" in refused(capsys, "holiday", "remove", "2026-10-01")
    assert "Monday" in refused(capsys, "holiday", "add", "2026-10-05", "--workday")
    assert "malformed holiday date" in refused(capsys, "holiday", "add", "10/01")


def test_stations(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A station for a unit nobody registered would ring for no one: refused, nothing added.
    assert "no unit 3-2-1501 is registered" in refused(
        capsys, "station", "add", "in-1501", "--unit", "3-2-1501"
    )
    assert ok(capsys, "station", "list") == []
    for unit in ("3-2-1501", "3-2-1502"):
        ok(capsys, "unit", "add", unit)
    assert ok(capsys, "station", "add", "in-1501", "--unit", "3-2-1501") == {
        "station": "in-1501",
        "unit": "3-2-1501",
    }
    ok(capsys, "station", "add", "desk-1", "--unit", "desk")
    ok(capsys, "station", "add", "in-1501", "--unit", "3-2-1502")  # moved: a replaced device
    rows = ok(capsys, "station", "list")
    assert [(r["station"], r["ring_group"]) for r in rows] == [
        ("desk-1", "desk"),
        ("in-1501", "3-2-1502"),
    ]
    assert "station id" in refused(capsys, "station", "add", "in/1501", "--unit", "3-2-1501")
    assert "rings for a unit" in refused(capsys, "station", "add", "s", "--unit", "3-2")
    assert ok(capsys, "station", "remove", "desk-1") == {"station": "desk-1", "removed": True}
    assert "no station" in refused(capsys, "station", "remove", "desk-1")
    kinds = [e["type"] for e in map(json.loads, _out(capsys, "events", "--json").splitlines())]
    assert kinds.count("station.added") == 3 and kinds[-1] == "station.removed"


def _out(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_the_console_api_applies_the_same_rules(db: Path) -> None:
    store = Store(db, ManualClock(at(WEDNESDAY, 12)))
    try:
        api = SchedulesApi(SimpleNamespace(store=store)).offers().api  # type: ignore[arg-type]
        added = api["schedule.add"](
            {"name": "cleaners", "days": "mon-fri", "from": "07:00", "to": "18:00"}
        )
        assert added["name"] == "cleaners" and added["holidays"] == "closed"
        with pytest.raises(InvalidInput, match="malformed days"):
            api["schedule.add"]({"name": "x", "days": "weekdays", "from": "07:00", "to": "18:00"})
        store.add_door("b3-e2", "B3", ["3-2"])
        assert api["door.set_schedule"]({"door": "b3-e2", "schedule": "cleaners"})["schedule"]
        with pytest.raises(InvalidInput, match="still used by door b3-e2"):
            api["schedule.remove"]({"name": "cleaners"})
        assert [s["name"] for s in api["schedule.list"]({})] == ["cleaners"]
        api["holiday.add"]({"date": "2026-10-01", "name": "国庆节"})
        result = api["holiday.import"]({"csv": OFFICIAL, "dry_run": True})
        assert (result["added"], result["unchanged"]) == (3, 1)
        with pytest.raises(InvalidInput, match="line 2"):
            api["holiday.import"]({"csv": "2026-10-01,a\n2026-10-01,b\n"})
        assert [h["date"] for h in api["holiday.list"]({"year": 2026})] == ["2026-10-01"]
        api["holiday.remove"]({"date": "2026-10-01"})
        assert api["holiday.list"]({}) == []
        store.add_unit("3-2-1501")
        store.add_station("in-1", "3-2-1501", ("desk", "officer"))
        assert api["station.remove"]({"station": "in-1"})["removed"] is True
        with pytest.raises(InvalidInput, match="credential must be a number"):
            api["credential.set_schedule"]({"credential": "x", "schedule": "none"})
    finally:
        store.close()
