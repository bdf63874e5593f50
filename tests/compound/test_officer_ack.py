"""Acknowledging alarms at the wall by an identified duty officer: the core names the officer
from their card or PIN, logs who and the remark, refuses anything else without changing a
thing, and throttles guessing. Also the ``compound officer`` commands that register them."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from compound.app.cli import main
from compound.domain.clock import ManualClock
from compound.domain.model import InvalidInput, UnitAddress
from compound.ports import ACTOR
from compound.services.officer_ack import OfficerAck
from compound.store import officers
from compound.store.db import Store


def desk(store: Store, clock: ManualClock) -> OfficerAck:
    core = SimpleNamespace(store=store, clock=clock, counters=Counter())
    return OfficerAck(core)  # type: ignore[arg-type]


def forced(store: Store, n: int = 1) -> list[int]:
    store.add_door("b2-e1", "Building 2 entrance 1", ["2-1"])
    return [
        store.raise_alarm(
            "forced_open", f"door b2-e1 forced ({k})", severity="critical", door_id="b2-e1"
        ).id
        for k in range(n)
    ]


def ask(ack: OfficerAck, ids: list[int], kind: str, value: str, note: str) -> dict[str, Any]:
    return ack.ack({"ids": ids, "kind": kind, "value": value, "note": note, ACTOR: "wall1"})


def test_a_card_names_the_officer_in_the_log_with_the_remark(
    store: Store, clock: ManualClock
) -> None:
    officers.add_officer(store, "李伟", "0412", "0012345678", "482916", by="所长")
    ids = forced(store, 2)
    r = ask(desk(store, clock), ids, "card", "12345678", "到场查看，门已关好")
    assert r == {"by": "李伟 (0412)", "acknowledged": ids, "skipped": []}
    assert not store.alarms(open_only=True)
    a = store.alarm(ids[0])
    assert a.acknowledged_by == "李伟 (0412)" and a.note == "到场查看，门已关好"
    ev = store.events(types=["alarm.acknowledged"])
    assert len(ev) == 2
    d = ev[0].data
    assert (d["by"], d["badge"], d["credential"], d["actor"], d["kind"], d["door"]) == (
        "李伟 (0412)",
        "0412",
        "card",
        "wall1",
        "forced_open",
        "b2-e1",
    )
    assert "12345678" not in json.dumps([e.data for e in store.events()])
    assert "482916" not in json.dumps([e.data for e in store.events()])


def test_a_pin_works_and_an_alarm_already_acknowledged_is_skipped(
    store: Store, clock: ManualClock
) -> None:
    officers.add_officer(store, "王芳", "0533", None, "482916", by="所长")
    ids = forced(store, 2)
    store.acknowledge_alarm(ids[1], "desk", "seen")
    r = ask(desk(store, clock), ids, "pin", "482916", "checked")
    assert r["acknowledged"] == [ids[0]] and r["skipped"] == [ids[1]]
    assert store.alarm(ids[1]).acknowledged_by == "desk"


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("card", "99999999"),  # nobody's card
        ("pin", "482917"),  # nobody's PIN
        ("pin", "12345678"),  # the officer's card number typed as a PIN
        ("card", "x' OR 1=1 --"),
        ("pin", "48"),
    ],
)
def test_a_credential_of_nobody_on_duty_changes_nothing(
    store: Store, clock: ManualClock, kind: str, value: str
) -> None:
    officers.add_officer(store, "李伟", "0412", "12345678", "482916", by="所长")
    ids = forced(store)
    before = len(store.events())
    r = ask(desk(store, clock), ids, kind, value, "checked")
    assert r["refused"] == "unknown"
    assert store.alarms(open_only=True) and len(store.events()) == before


def test_a_removed_officer_and_a_residents_card_are_refused(
    store: Store, clock: ManualClock
) -> None:
    officers.add_officer(store, "李伟", "0412", "12345678", None, by="所长")
    officers.remove_officer(store, "0412", by="所长")
    ids = forced(store)
    store.add_unit("2-1-101")
    pid = store.add_person("张三", UnitAddress.parse("2-1-101"), "owner")
    store.add_card(pid, "55556666")
    ack = desk(store, clock)
    assert ask(ack, ids, "card", "12345678", "checked")["refused"] == "unknown"
    assert ask(ack, ids, "card", "55556666", "checked")["refused"] == "unknown"
    assert store.alarms(open_only=True)


def test_guessing_pins_locks_the_kind_out_at_that_wall(store: Store, clock: ManualClock) -> None:
    officers.add_officer(store, "李伟", "0412", "12345678", "482916", by="所长")
    ids = forced(store)
    ack = desk(store, clock)
    for guess in range(5):
        assert ask(ack, ids, "pin", f"10000{guess}", "x")["refused"] == "unknown"
    r = ask(ack, ids, "pin", "482916", "x")  # the right PIN, but too late
    assert r["refused"] == "locked" and r["retry_in"] > 0
    assert store.alarms(open_only=True)
    assert ask(ack, ids, "card", "12345678", "card still works")["acknowledged"] == ids
    clock.advance(r["retry_in"] + 1)
    ids2 = forced_again(store)
    assert ask(ack, ids2, "pin", "482916", "after the lockout")["acknowledged"] == ids2


def forced_again(store: Store) -> list[int]:
    return [store.raise_alarm("forced_open", "again", severity="critical", door_id="b2-e1").id]


@pytest.mark.parametrize(
    "params",
    [
        {"ids": [], "kind": "card", "value": "1", "note": "x"},
        {"ids": ["1"], "kind": "card", "value": "1", "note": "x"},
        {"ids": [1], "kind": "face", "value": "1", "note": "x"},
        {"ids": [1], "kind": "card", "value": "1", "note": "  "},
        {"ids": [1], "kind": "card", "value": "1"},
    ],
)
def test_malformed_requests_are_refused_with_a_reason(
    store: Store, clock: ManualClock, params: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInput):
        desk(store, clock).ack(params)


def test_registering_officers_refuses_duplicates_and_bad_values(store: Store) -> None:
    officers.add_officer(store, "李伟", "0412", "12345678", "482916", by="所长")
    with pytest.raises(InvalidInput, match="badge"):
        officers.add_officer(store, "X", "0412", "1", None, by="所长")
    with pytest.raises(InvalidInput, match="another officer"):
        officers.add_officer(store, "X", "0413", "0012345678", None, by="所长")
    with pytest.raises(InvalidInput, match="^choose another PIN$"):
        officers.add_officer(store, "X", "0413", None, "482916", by="所长")
    with pytest.raises(InvalidInput, match="card or PIN"):
        officers.add_officer(store, "X", "0413", None, None, by="所长")
    with pytest.raises(InvalidInput, match="PIN"):
        officers.add_officer(store, "X", "0413", None, "111111", by="所长")
    assert [o.badge for o in officers.officers(store)] == ["0412"]


def test_officer_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COMPOUND_DB", str(tmp_path / "c.db"))
    monkeypatch.delenv("COMPOUND_CONFIG", raising=False)
    assert main(["init", "--site", "t1"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("482916\n"))
    argv = ["officer", "add", "--name", "李伟", "--badge", "0412", "--card", "123", "--pin", "-"]
    assert main([*argv, "--by", "所长"]) == 0
    capsys.readouterr()
    assert main(["officer", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed == [{"id": 1, "name": "李伟", "badge": "0412", "has_card": True, "has_pin": True}]
    assert (
        main(["officer", "add", "--name", "X", "--badge", "0412", "--pin", "1", "--by", "a"]) == 2
    )
    assert main(["officer", "remove", "0412", "--by", "所长"]) == 0
    assert main(["officer", "remove", "0412", "--by", "所长"]) == 2
    # Nothing piped in: said so (it asked for --card or --pin, which had been given)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    capsys.readouterr()
    assert main([*argv[:6], "--pin", "-", "--by", "所长"]) == 2
    assert "no PIN came on standard input" in capsys.readouterr().err
