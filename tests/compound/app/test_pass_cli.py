"""``compound pass list|revoke`` through ``main`` on a temporary database: the office sees the
live passes, its own and the stations', with the station and the uses spent, and revokes one."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from compound.app.cli import main
from compound.domain.clock import SystemClock
from compound.store import station_passes
from compound.store.db import Store


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "c.db"
    monkeypatch.setenv("COMPOUND_DB", str(path))
    monkeypatch.delenv("COMPOUND_CONFIG", raising=False)
    assert main(["init", "--site", "t1"]) == 0
    assert main(["unit", "add", "3-2-1501"]) == 0
    return path


def ok(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    capsys.readouterr()
    assert main([*argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_the_office_lists_and_revokes_passes(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    office = ok(capsys, "pass", "issue", "--unit", "3-2-1501", "--name", "快递员", "--hours", "2")
    store = Store(db, SystemClock(), tmp_path / "keys")
    try:
        mine = station_passes.issue(store, "st-1501", "3-2-1501", "王五", 4, 3)
    finally:
        store.close()
    listed = ok(capsys, "pass", "list", "--unit", "3-2-1501")
    assert [(r["id"], r["station"], r["max_uses"]) for r in listed] == [
        (mine["id"], "st-1501", 3),
        (office["id"], None, None),
    ]
    assert ok(capsys, "pass", "revoke", str(mine["id"]), "--by", "王经理")["revoked"] is True
    assert [r["id"] for r in ok(capsys, "pass", "list")] == [office["id"]]
    gone = [r for r in ok(capsys, "pass", "list", "--all") if r["id"] == mine["id"]]
    assert gone[0]["revoked_at"] is not None
    capsys.readouterr()
    assert main(["pass", "revoke", "999"]) == 2
    assert "no visitor pass 999" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--hours", "0"], "end after it starts"),
        (["--hours", "800"], "at most 31 days"),
        (["--start", "2026-02-30T10:00"], "malformed time"),
        (["--start", "9999-12-31T23:00"], "within a year"),
    ],
)
def test_a_refused_pass_registers_no_visitor(
    db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """The visitor is registered for the pass: when the pass is refused, neither is written."""
    before = _counts(db)
    capsys.readouterr()
    assert main(["pass", "issue", "--unit", "3-2-1501", "--name", "快递员", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert _counts(db) == before


def _counts(db: Path) -> tuple[int, ...]:
    with sqlite3.connect(db) as c:
        return tuple(
            c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: S608 - fixed names
            for t in ("people", "credentials", "events")
        )
