"""``compound import people`` on a GBK register with rows pasted in UTF-8: refused whole, the
line named, nothing written. Read whole as GBK, such a sheet imported those rows' names as
mojibake without a word."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from compound.domain.clock import SystemClock
from compound.store.db import Store
from devkit.sample_sheet import people_csv, plan

pytestmark = pytest.mark.usefixtures("no_env")  # the developer's settings stay out


def compound(db: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "compound.app.cli", "--db", str(db), *argv],
        capture_output=True,
        text=True,
        timeout=120,
    )


def names(db: Path) -> list[str]:
    s = Store(db, SystemClock())
    try:
        return [p.name for p in s.people()]
    finally:
        s.close()


def test_a_gbk_sheet_with_a_utf8_row_is_refused_naming_the_line_and_writes_nothing(
    tmp_path: Path, db: Path
) -> None:
    lines = people_csv(plan(scale=0.02)).split("\r\n")
    # A row whose UTF-8 bytes read as GBK too: the whole file then read as GBK, garbled.
    pasted = next(i for i, line in enumerate(lines[1:], 1) if _reads_as_gbk(line.encode()))
    data = "\r\n".join(lines).encode("gbk")
    mixed = data.replace(lines[pasted].encode("gbk"), lines[pasted].encode(), 1)
    garbled = mixed.decode("gbk")  # what the import read before
    assert lines[pasted] not in garbled
    sheet = tmp_path / "residents.csv"
    sheet.write_bytes(mixed)
    for dry in ((), ("--dry-run",)):
        r = compound(db, "import", "people", str(sheet), *dry)
        assert r.returncode == 2, r.stdout
        assert r.stderr == (
            f"compound: {sheet}: line {pasted + 1} is UTF-8 while the sheet is GBK:"
            " save the whole sheet in one encoding\n"
        )
    assert names(db) == []
    # Saved in one encoding, the same rows go in whole, the pasted name as written.
    sheet.write_bytes(data)
    r = compound(db, "import", "people", str(sheet))
    assert r.returncode == 0, r.stderr
    assert lines[pasted].split(",")[0] in names(db)


def test_a_utf8_sheet_with_gbk_rows_is_refused_counting_them(tmp_path: Path, db: Path) -> None:
    rows = ["姓名,房号,身份"] + [f"住户{i},1-1-{101 + i},业主" for i in range(12)]
    sheet = tmp_path / "residents.csv"
    sheet.write_bytes(
        b"\r\n".join(r.encode("gbk" if i in (4, 9) else "utf-8") for i, r in enumerate(rows))
    )
    r = compound(db, "import", "people", str(sheet))
    assert r.returncode == 2
    assert r.stderr.endswith(
        "2 lines are GBK while the sheet is UTF-8 (5, 10): save the whole sheet in one encoding\n"
    )
    assert names(db) == []


def _reads_as_gbk(line: bytes) -> bool:
    try:
        line.decode("gbk")
    except UnicodeDecodeError:
        return False
    return not line.isascii()
