"""``schedule.add`` with several spans a day, over the bus of a running core on a real
Mosquitto: the new form is saved and decides at the door, the one-span form still works, and
each mistake comes back as one refusal that names the day and the spans and writes nothing.
Also ``compound schedule add`` with a ``--hours`` for each ``--days``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from compound.adapters.broker import Mosquitto
from compound.adapters.mqtt import ApiError, Bus
from compound.app.cli import main
from compound.app.wiring import build_core
from compound.config import Config
from compound.domain.access import Reason, decide
from compound.services.core import Core
from compound.store.db import Store

GATE = {
    "name": "正门",
    "hours": [
        {"days": "mon-fri", "spans": ["06:00-09:00", "16:30-22:00"]},
        {"days": "sat-sun", "spans": [{"from": "08:00", "to": "20:00"}]},
    ],
    "holidays": "closed",
}


@pytest.fixture
def core(live_store: Store, mosquitto: Mosquitto, make_bus: Callable[..., Bus]) -> Iterator[Core]:
    live_store.add_unit("3-2-1501", occupants=2)
    live_store.add_door("gate", "Gate", ["3"])
    bus = make_bus(mosquitto.port, "core", start=False)
    c = build_core(live_store, bus, live_store.clock, Config())
    c.start()
    bus.start()
    yield c
    c.stop()


def visitor_at(store: Store, card: str, when: datetime) -> Reason:
    """What the core's decision says for a visitor's card at the gate at ``when``."""
    at = when.replace(tzinfo=store.tz).timestamp()
    return decide(store.facts("gate", "card", card), at, store.tz).reason


@pytest.mark.integration
def test_spans_saved_over_the_bus_decide_and_mistakes_are_refused(
    core: Core, live_store: Store, mosquitto: Mosquitto, make_bus: Callable[..., Bus]
) -> None:
    ui = make_bus(mosquitto.port, "ui-manager")
    added = ui.request("schedule.add", GATE)
    assert added["hours"] == [
        {
            "days": "mon-fri",
            "spans": [{"from": "06:00", "to": "09:00"}, {"from": "16:30", "to": "22:00"}],
        },
        {"days": "sat-sun", "spans": [{"from": "08:00", "to": "20:00"}]},
    ]
    assert added["holidays"] == "closed" and added["holiday_hours"] == []
    listed = ui.request("schedule.list")
    assert [s["hours"] for s in listed] == [added["hours"]]

    bad: list[tuple[dict[str, Any], str]] = [
        (
            {"hours": [{"days": "mon-fri", "spans": ["06:00-09:00", "08:00-10:00"]}]},
            "on Monday, 06:00-09:00 and 08:00-10:00 overlap",
        ),
        ({"hours": [{"days": "mon", "spans": ["07:30-07:30"]}]}, "the span 07:30-07:30 is empty"),
        (
            {
                "hours": [
                    {
                        "days": "sat",
                        "spans": ["0:00-1:00", "2:00-3:00", "4:00-5:00", "6:00-7:00", "8:00-9:00"],
                    }
                ]
            },  # fmt: skip
            "Saturday has 5 spans; a day has at most 4",
        ),
        (
            {
                "hours": [
                    {"days": "mon-fri", "spans": ["22:00-02:00"]},
                    {"days": "sat", "spans": ["01:00-05:00"]},
                ]
            },
            "on Saturday, 01:00-05:00 and 22:00-02:00 overlap",
        ),
        (
            {
                "hours": [
                    {"days": "mon-fri", "spans": ["06:00-09:00"]},
                    {"days": "fri", "spans": ["20:00-22:00"]},
                ]
            },
            "Friday is in two sets of days",
        ),
        ({"hours": [{"days": "mon", "spans": ["late"]}]}, "malformed span 'late'"),
        ({"hours": "every day"}, "hours is a list"),
    ]
    for params, message in bad:
        with pytest.raises(ApiError, match=message):
            ui.request("schedule.add", {"name": "bad", **params})
    assert [s["name"] for s in ui.request("schedule.list")] == ["正门"]  # nothing written

    # The one-span form of before is still taken.
    one = ui.request(
        "schedule.add", {"name": "夜班", "days": "sat-sun", "from": "22:00", "to": "06:00"}
    )
    assert one["hours"] == [{"days": "sat-sun", "spans": [{"from": "22:00", "to": "06:00"}]}]

    # The door's hours bind a visitor: both weekday spans open, the gap between them does not.
    ui.request("door.set_schedule", {"door": "gate", "schedule": "正门"})
    pid = live_store.add_person("访客", "3-2-1501", "visitor")
    live_store.add_card(pid, "7001")
    wednesday = datetime(2026, 11, 18)
    assert visitor_at(live_store, "7001", wednesday.replace(hour=6)) is Reason.GRANTED
    assert visitor_at(live_store, "7001", wednesday.replace(hour=12)) is Reason.OUTSIDE_SCHEDULE
    assert visitor_at(live_store, "7001", wednesday.replace(hour=21, minute=59)) is Reason.GRANTED
    assert visitor_at(live_store, "7001", wednesday.replace(hour=22)) is Reason.OUTSIDE_SCHEDULE
    saturday = datetime(2026, 11, 21)
    assert visitor_at(live_store, "7001", saturday.replace(hour=7)) is Reason.OUTSIDE_SCHEDULE
    assert visitor_at(live_store, "7001", saturday.replace(hour=8)) is Reason.GRANTED
    # New hours for the schedule in use: the door keeps it and follows them at once; a mistake
    # leaves the hours as they were.
    noon = {"days": "mon-fri", "spans": ["11:00-13:00", "22:00-01:00"]}
    with pytest.raises(ApiError, match="on Monday, 11:00-13:00 and 12:00-14:00 overlap"):
        ui.request(
            "schedule.set_hours",
            {"name": "正门", "hours": [{**noon, "spans": ["11:00-13:00", "12:00-14:00"]}]},
        )
    assert visitor_at(live_store, "7001", wednesday.replace(hour=12)) is Reason.OUTSIDE_SCHEDULE
    changed = ui.request("schedule.set_hours", {"name": "正门", "hours": [noon]})
    assert changed["hours"] == [
        {
            "days": "mon-fri",
            "spans": [{"from": "11:00", "to": "13:00"}, {"from": "22:00", "to": "01:00"}],
        }
    ]
    assert visitor_at(live_store, "7001", wednesday.replace(hour=12)) is Reason.GRANTED
    assert visitor_at(live_store, "7001", wednesday.replace(hour=6)) is Reason.OUTSIDE_SCHEDULE
    thursday = datetime(2026, 11, 19)
    assert visitor_at(live_store, "7001", thursday.replace(hour=0, minute=30)) is Reason.GRANTED
    assert visitor_at(live_store, "7001", saturday.replace(hour=12)) is Reason.OUTSIDE_SCHEDULE
    with pytest.raises(ApiError, match="unknown schedule 'nope'"):
        ui.request("schedule.set_hours", {"name": "nope", "hours": [noon]})
    live_store.add_holiday("2026-11-18", "test")
    assert visitor_at(live_store, "7001", wednesday.replace(hour=12)) is Reason.OUTSIDE_SCHEDULE


def test_the_cli_takes_a_hours_for_each_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COMPOUND_DB", str(tmp_path / "c.db"))
    monkeypatch.delenv("COMPOUND_CONFIG", raising=False)
    assert main(["init", "--site", "t1"]) == 0
    argv = ["schedule", "add", "gate", "--days", "mon-fri", "--hours", "06:00-09:00,16:30-22:00"]
    argv += ["--days", "sat-sun", "--hours", "08:00-20:00", "--holidays", "09:00-12:00"]
    capsys.readouterr()
    assert main([*argv, "--json"]) == 0, capsys.readouterr().err
    out = json.loads(capsys.readouterr().out)
    assert [len(h["spans"]) for h in out["hours"]] == [2, 1]
    assert out["holiday_hours"] == [{"from": "09:00", "to": "12:00"}]
    assert main(["schedule", "list"]) == 0
    line = capsys.readouterr().out
    assert "mon-fri 06:00-09:00, 16:30-22:00; sat-sun 08:00-20:00; holidays 09:00-12:00" in line
    capsys.readouterr()
    setting = ["schedule", "set", "gate", "--days", "mon-sun", "--hours", "07:00-19:00", "--json"]
    assert main(setting) == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["hours"][0]["days"] == "mon-sun"
    for bad, message in (
        (["--days", "mon", "--hours", "06:00-09:00,08:00-10:00"], "on Monday"),
        (["--days", "mon", "--days", "tue", "--hours", "06:00-09:00"], "one --hours for each"),
        (["--days", "mon"], "give --days with --from and --to"),
    ):
        assert main(["schedule", "add", "x", *bad]) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err
