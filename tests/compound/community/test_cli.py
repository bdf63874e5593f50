"""The officer's and property office's commands, end to end through ``compound.app.cli.main`` with
--json: list and acknowledge alerts, overdue visits, elderly not seen, the tenant register."""

from __future__ import annotations

import csv
import json
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from compound.app.cli import main
from compound.config import AlertsConfig
from compound.domain.clock import ManualClock
from compound.services import rental
from compound.services.community_api import Community
from compound.store.db import Store

ID = "110101199001011234"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A compound set up 100 days ago: a tenant never visited, an elderly resident last seen
    60 hours ago, and five failed attempts at a door."""
    path = tmp_path / "c.db"
    clock = ManualClock(t=time.time() - 100 * 86400)
    s = Store(path, clock, tmp_path / "keys")
    s.add_unit("3-2-1501", occupants=2)
    s.add_unit("1-1-101")
    rental.register_tenant(
        s,
        {
            "name": "李四",
            "unit": "3-2-1501",
            "id_number": ID,
            "origin": "河南",
            "lease_end": "2099-01-01",
            "by": "li",
        },
    )
    old = s.add_person("王奶奶", "1-1-101", "owner", lives_alone=True)
    clock.t = time.time() - 60 * 3600
    s.append_event("access.granted", door_id="b1", person_id=old, data={"kind": "card"})
    cm = Community(s, AlertsConfig())
    for _ in range(5):
        clock.advance(1)
        cm.on_event(s.append_event("access.denied", door_id="b1", data={"reason": "unknown"}))
    s.close()
    return path


def run(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> tuple[int, object]:
    rc = main(["--db", str(db), *args])
    out = capsys.readouterr().out
    return rc, json.loads(out) if out.strip().startswith(("[", "{")) else out


def test_officer_lists_and_acknowledges_alerts(
    capsys: pytest.CaptureFixture[str], db: Path
) -> None:
    rc, alerts = run(capsys, db, "alert", "list", "--open", "--json")
    assert rc == 0 and [a["rule"] for a in alerts] == ["failed_attempts"]  # type: ignore[union-attr,index]
    aid = alerts[0]["id"]  # type: ignore[index]
    rc, acked = run(
        capsys, db, "alert", "ack", str(aid), "--by", "officer", "--note", "ok", "--json"
    )
    assert rc == 0 and acked["acknowledged_by"] == "officer"  # type: ignore[index]
    assert run(capsys, db, "alert", "list", "--open", "--json")[1] == []
    assert main(["--db", str(db), "alert", "ack", str(aid), "--by", "x"]) == 2  # already done


def test_overdue_visits_and_elderly_unseen(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    rc, due = run(capsys, db, "visit", "due", "--json")
    assert rc == 0 and [(d["name"], d["overdue"]) for d in due] == [("李四", True)]  # type: ignore[union-attr,index]
    assert due[0]["days_overdue"] >= 8  # type: ignore[index]
    rc, _ = run(
        capsys, db, "visit", "add", "--person", str(due[0]["person_id"]), "--by", "li", "--json"
    )  # type: ignore[index]
    assert rc == 0 and run(capsys, db, "visit", "due", "--json")[1] == []
    rc, unseen = run(capsys, db, "elderly", "unseen", "--json")
    assert rc == 0 and [u["name"] for u in unseen] == ["王奶奶"]  # type: ignore[union-attr,index]
    assert run(capsys, db, "elderly", "unseen", "--hours", "72", "--json")[1] == []


def test_tenant_register_export_masks_id_numbers(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "tenants.csv"
    rc, r = run(capsys, db, "report", "tenants", "--csv", str(out), "--json")
    assert rc == 0 and r == {"rows": 1, "csv": str(out)}
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0]["name"] == "李四" and rows[0]["origin"] == "河南"
    assert rows[0]["id_number"] == "110***********1234" and ID not in out.read_text("utf-8-sig")
    rc, listing = run(capsys, db, "tenant", "list", "--json")
    assert listing[0]["id_number"] == "110***********1234"  # type: ignore[index]


def test_reports_and_bad_input(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path
) -> None:
    rc, passages = run(capsys, db, "report", "passages", "--json")
    assert rc == 0 and sum(1 for p in passages if p["granted"]) == 1  # type: ignore[union-attr,index]
    day = datetime.fromtimestamp(time.time() - 60 * 3600 + 3, ZoneInfo("Asia/Shanghai")).date()
    rc, daily = run(capsys, db, "report", "daily", "--date", day.isoformat(), "--json")
    assert rc == 0 and daily["denied_total"] == 5 and daily["alerts_raised"] == 1  # type: ignore[index]
    rc, alerts = run(capsys, db, "report", "alerts", "--json")
    assert [a["rule"] for a in alerts] == ["failed_attempts"]  # type: ignore[union-attr,index]
    assert main(["--db", str(db), "household", "class", "9-9-999", "focus", "--by", "x"]) == 2
    assert main(["--db", str(db), "notice", "post", "x", "--until", "yesterday"]) == 2
    assert main(["--db", str(db), "report", "passages", "--csv", str(tmp_path / "no/x.csv")]) == 2
    assert "no household lives in 9-9-999" in capsys.readouterr().err
    # The last day a date can be: its report ends the day after (an OverflowError traceback)
    assert main(["--db", str(db), "report", "daily", "--date", "9999-12-31"]) == 2
    assert main(["--db", str(db), "report", "passages", "--until", "9999-12-31"]) == 2
    assert "give a day before 9999-12-31" in capsys.readouterr().err
    # A folder named as the file: was a traceback, with the export left beside it as .part
    (tmp_path / "exports").mkdir()
    assert main(["--db", str(db), "report", "tenants", "--csv", str(tmp_path / "exports")]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert not (tmp_path / "exports.part").exists()


def test_over_long_visit_notes_and_origin_are_refused_not_cut(
    capsys: pytest.CaptureFixture[str], db: Path
) -> None:
    """Visit notes were cut at 2,000 characters and a tenant's origin at 200 without a word:
    the manager believed the whole text was kept. Now the limit is said and nothing is written."""
    rc, due = run(capsys, db, "visit", "due", "--json")
    pid = str(due[0]["person_id"])  # type: ignore[index]

    def refused(*argv: str) -> str:
        assert main(["--db", str(db), *argv]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        return err

    err = refused("visit", "add", "--person", pid, "--by", "li", "--notes", "记" * 2001)
    assert "visit notes are at most 2000 characters, not 2001" in err
    assert run(capsys, db, "visit", "due", "--json")[1] == due, "no visit was recorded"
    rc, _ = run(capsys, db, "visit", "add", "--person", pid, "--by", "li", "--notes", "记" * 2000)
    assert rc == 0

    tenant = ["tenant", "register", "--name", "王五", "--unit", "1-1-101", "--lease-end"]
    tenant += ["2099-01-01", "--id-number", "110101199001011235", "--origin"]
    err = refused(*tenant, "河南省" * 67 + "县.")
    assert "a tenant's origin is at most 200 characters, not 203" in err
    rc, listing = run(capsys, db, "tenant", "list", "--json")
    assert [t["name"] for t in listing] == ["李四"]  # type: ignore[union-attr,index]
    rc, _ = run(capsys, db, *tenant, "河南省" * 66 + "郑州")
    assert rc == 0
