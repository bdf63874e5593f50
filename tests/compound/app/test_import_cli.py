"""``compound import people|doors FILE.csv``: real files as Excel saves them go in whole, a sheet
with one bad row or one clash with the store changes nothing, and what an import registers is
what registering the same people by hand registers (same rows, same events, a hash chain that
holds)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from compound.app.cli import main
from compound.domain.clock import SystemClock
from compound.domain.search import terms
from compound.store.db import Store
from compound.store.people_search import find_people
from devkit.sample_sheet import doors_csv, people_csv, plan

HEADER = "name,unit,role,id_number,phone,lease_start,lease_end,card,pin\r\n"


pytestmark = pytest.mark.usefixtures("no_env")  # the developer's settings stay out


def run(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main(["--db", str(db), *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def counts(db: Path) -> tuple[int, int, int, int]:
    s = Store(db, SystemClock())
    try:
        row = s.one(
            "SELECT (SELECT COUNT(*) FROM people) a, (SELECT COUNT(*) FROM credentials) b,"
            " (SELECT COUNT(*) FROM units) c, (SELECT COUNT(*) FROM events) d"
        )
        assert row is not None
        return row["a"], row["b"], row["c"], row["d"]
    finally:
        s.close()


def test_a_gbk_register_with_chinese_header_goes_in_whole_and_opens_doors(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = plan(scale=0.02)  # three buildings of the sample compound, about 1,300 people
    (tmp_path / "doors.csv").write_text(doors_csv(p), encoding="utf-8")
    (tmp_path / "people.csv").write_bytes(people_csv(p).encode("gbk"))
    rc, out, err = run(capsys, db, "import", "doors", str(tmp_path / "doors.csv"))
    assert rc == 0, err
    rc, out, err = run(capsys, db, "import", "people", str(tmp_path / "people.csv"), "--json")
    assert rc == 0, err
    r = json.loads(out)
    residents = [x for xs in p.people.values() for x in xs]
    assert (r["encoding"], r["rows"]) == ("gbk", len(residents))
    assert r["cards"] == sum(1 for x in residents if x.card)
    s = Store(db, SystemClock())
    try:
        assert s.verify_log().ok
        someone = next(x for x in residents if x.card and x.role == "tenant")
        found, _ = find_people(s, terms(someone.name), _page())
        person = next(f for f in found if str(f.unit) == someone.unit)
        assert person.id_number == someone.id_number and person.lease_end is not None
        door = next(d for d in p.doors if someone.unit.startswith(d.serves[0] + "-"))
        facts = s.facts(door.id, "card", someone.card or "")
        assert facts.person is not None and facts.person.id == person.id
        tenants = s.one("SELECT COUNT(*) n FROM tenant_profiles")
        assert tenants is not None
        assert tenants["n"] == sum(1 for x in residents if x.role == "tenant")
    finally:
        s.close()


def _page():  # type: ignore[no-untyped-def]
    from compound.domain.paging import page_of

    return page_of({"size": 50})


def test_one_bad_row_changes_nothing_and_is_named(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = "".join(f"人{i},1-1-{100 + i},owner,,,,,{7000 + i},\r\n" for i in range(1, 40))
    f = tmp_path / "p.csv"
    f.write_bytes(b"\xef\xbb\xbf" + (HEADER + good + "坏,1-1-9x,owner,,,,,,\r\n").encode())
    before = counts(db)
    rc, out, err = run(capsys, db, "import", "people", str(f))
    assert rc == 2
    assert "line 41, column unit: malformed room number '1-1-9x'" in err
    assert "nothing was imported" in err
    assert counts(db) == before


def test_clashes_with_the_store_are_named_and_change_nothing(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s = Store(db, SystemClock())
    try:
        s.add_unit("2-1-101")
        pid = s.add_person("钱多多", "2-1-101", "owner", id_number="610113198001011234")
        s.add_card(pid, "5555")
    finally:
        s.close()
    f = tmp_path / "p.csv"
    f.write_text(
        HEADER
        + "孙一,2-1-102,owner,,,,,8001,\r\n"
        + "孙二,2-1-102,family,610113198001011234,,,,,\r\n"
        + "孙三,2-1-102,family,,,,,005555,\r\n",
        encoding="utf-8",
    )
    before = counts(db)
    rc, out, err = run(capsys, db, "import", "people", str(f), "--json")
    assert rc == 2
    r = json.loads(out)
    assert [(e["line"], e["column"]) for e in r["errors"]] == [(3, "id_number"), (4, "card")]
    assert f"registered to person {pid}" in r["errors"][0]["message"]
    assert counts(db) == before


def test_an_imported_person_is_the_same_as_one_registered_by_hand(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The bulk writer may not drift from the one-by-one path: same rows, same events, same
    records for the city platform."""
    row = "周八,4-1-201,tenant,610113199002021238,13900000000,2026-03-01,2027-02-28,4242,482913"
    f = tmp_path / "p.csv"
    f.write_text(HEADER + row + "\r\n", encoding="utf-8")
    assert run(capsys, db, "import", "people", str(f))[0] == 0
    hand = tmp_path / "hand.db"
    assert main(["--db", str(hand), "init", "--site", "t1"]) == 0
    s = Store(hand, SystemClock())
    try:
        s.add_unit("4-1-201")
        from compound.services.rental import register_tenant

        pid = register_tenant(
            s,
            {
                "name": "周八",
                "unit": "4-1-201",
                "id_number": "610113199002021238",
                "phone": "13900000000",
                "lease_start": "2026-03-01",
                "lease_end": "2027-02-28",
                "by": "t",
            },
        )["id"]
        s.add_card(pid, "4242")
        s.set_pin(pid, "482913")
        by_hand = _shape(s)
    finally:
        s.close()
    s = Store(db, SystemClock())
    try:
        imported = _shape(s)
        assert s.verify_log().ok
    finally:
        s.close()
    assert imported["person"] == by_hand["person"]
    assert imported["credentials"] == by_hand["credentials"]
    assert imported["outbox"] == by_hand["outbox"]
    events = imported["events"]
    assert isinstance(events, list) and events[-1][0] == "people.imported"
    assert events[:-1] == by_hand["events"]


def _shape(s: Store) -> dict[str, object]:
    p = s.person(1)
    skip = {"by"}
    return {
        "person": (p.name, str(p.unit), p.role, p.id_number, p.phone, p.lease_start, p.lease_end),
        "credentials": [
            (c["kind"], c["lookup"], c["label"])
            for c in s.query("SELECT kind, lookup, label FROM credentials ORDER BY id")
        ],
        "outbox": [
            {k: v for k, v in json.loads(o["payload"]).items() if k not in skip}
            for o in s.query("SELECT payload FROM outbox ORDER BY seq")
        ],
        "events": [
            (e["type"], {k: v for k, v in json.loads(e["data"]).items() if k not in skip})
            for e in s.query("SELECT type, data FROM events ORDER BY seq")
        ],
    }


def test_dry_run_checks_everything_and_writes_nothing(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "p.csv"
    f.write_text(HEADER + "吴九,6-1-101,owner,,,,,,\r\n", encoding="utf-8")
    before = counts(db)
    rc, out, err = run(capsys, db, "import", "people", str(f), "--dry-run")
    assert rc == 0 and "nothing written" in out
    assert counts(db) == before


def test_doors_all_or_nothing_and_bad_files_get_one_clear_line(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "d.csv"
    f.write_text("id,serves,schedule\nb1-e1,1-1,\nb1-e2,1-2,night-only\n", encoding="utf-8")
    rc, out, err = run(capsys, db, "import", "doors", str(f))
    assert rc == 2 and "line 3, column schedule: unknown schedule 'night-only'" in err
    rc, out, err = run(capsys, db, "door", "list", "--json")
    assert json.loads(out) == []
    rc, _, err = run(capsys, db, "import", "people", str(tmp_path / "missing.csv"))
    assert rc == 2 and err.count("\n") == 1 and "cannot read" in err
    binary = tmp_path / "people.xlsx"
    binary.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    rc, _, err = run(capsys, db, "import", "people", str(binary))
    assert rc == 2 and err.count("\n") == 1 and "UTF-8 or GBK" in err


def test_a_huge_file_is_refused_before_it_is_read(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "huge.csv"
    with open(big, "wb") as f:
        f.truncate(1024 * 1024 * 1024)  # 1 GB, sparse: nothing is written to disk
    rc, _, err = run(capsys, db, "import", "people", str(big))
    assert rc == 2 and "1024 MB" in err and "split it" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["import", "people", "/dev/zero"], "a register is at most 32 MB"),
        (["holiday", "import", "/dev/zero"], "too large for a holiday list"),
    ],
)
def test_a_file_with_no_end_is_read_no_further_than_the_limit(
    db: Path, argv: list[str], message: str
) -> None:
    """A device or a pipe has no size to check first; read whole, /dev/zero took all the memory
    there was (here, the 1 GB the command is allowed: a MemoryError traceback)."""
    limit = 1024**3

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    r = subprocess.run(
        [sys.executable, "-m", "compound.app.cli", "--db", str(db), *argv],
        capture_output=True,
        text=True,
        preexec_fn=cap,  # only sets a limit, before the interpreter starts
        timeout=120,
    )
    assert r.returncode == 2, r.stderr
    assert message in r.stderr and r.stderr.count("\n") == 1


def test_an_over_long_origin_is_named_with_its_line_and_column(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The sheet's origin (户籍地) was cut at 200 characters without a word."""
    f = tmp_path / "p.csv"
    rows = "name,unit,role,id_number,lease_end,origin\r\n"
    rows += f"张三,1-1-101,tenant,110101199001011234,2099-01-01,{'河南' * 101}\r\n"
    f.write_bytes(rows.encode())
    before = counts(db)
    rc, out, err = run(capsys, db, "import", "people", str(f))
    assert rc == 2, out
    assert "line 2, column origin: a tenant's origin is at most 200 characters, not 202" in err
    assert counts(db) == before
