"""``compound sample --days``: up to 400 days of history (the benchmark's fixture is 200 days,
about 10 million events at the Xi'an size); past that, one clear line and nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compound.app.cli import main
from compound.domain.clock import ManualClock
from compound.store.db import Store
from devkit.sample import MAX_DAYS, sample

pytestmark = pytest.mark.usefixtures("no_env")  # the developer's settings stay out


@pytest.mark.parametrize("days", ["401", "-1", "100000"])
def test_days_past_the_bound_are_refused_in_one_line_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], days: str
) -> None:
    db = tmp_path / "c.db"
    capsys.readouterr()
    rc = main(["--db", str(db), "sample", "--size", "xian", "--days", days])
    out, err = capsys.readouterr()
    assert rc == 2 and out == "" and err.count("\n") == 1
    assert "--days must be a whole number of days from 0 to 400" in err and days in err
    store = Store(db, ManualClock(), tmp_path / "keys")
    try:
        assert store.one("SELECT COUNT(*) AS n FROM people") == {"n": 0}
        assert store.one("SELECT COUNT(*) AS n FROM events") == {"n": 0}
    finally:
        store.close()


def test_the_longest_history_is_written_day_by_day_and_verifies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert MAX_DAYS == 400
    db = tmp_path / "c.db"
    said: list[str] = []
    store = Store(db, ManualClock(t=1_790_000_000.0), tmp_path / "keys")
    try:
        r = sample(store, "demo", days=MAX_DAYS, say=said.append)
        # the demo's nine people, about two passages a day each, for 400 days
        assert 400 * 2 * 9 * 0.9 < r["passages"] < 400 * 2 * 9 * 1.1
        assert said[-1].startswith(f"history: day {MAX_DAYS} of {MAX_DAYS}, {r['passages']} ")
        first = store.one("SELECT MIN(at) AS t FROM events WHERE type LIKE 'access.%'")
        assert first is not None and first["t"] >= 1_790_000_000.0 - MAX_DAYS * 86400
    finally:
        store.close()
    capsys.readouterr()
    assert main(["--db", str(db), "log", "verify", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["events"] == r["events"]
