"""Files with ID numbers, phones and card numbers are the box user's alone (0600), and a phone
number is masked like an ID number wherever it is shown or exported."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from compound.app.cli import main
from compound.domain.clock import ManualClock
from compound.store.db import Store

pytestmark = pytest.mark.integration


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)  # what a shell or a service gets by default: files come out 0644
    yield
    os.umask(old)


def test_database_wal_shm_and_keys_are_created_0600(tmp_path: Path, loose_umask: None) -> None:
    s = Store(tmp_path / "c.db", ManualClock(), tmp_path / "keys")
    try:
        s.add_unit("3-2-1501")
        s.add_person(
            "张伟", "3-2-1501", "owner", id_number="110101199001011234", phone="13800135678"
        )
        for name in ("c.db", "c.db-wal", "c.db-shm"):
            assert mode(tmp_path / name) == 0o600, name
        assert mode(tmp_path / "keys" / "master.key") == 0o600
        assert mode(tmp_path / "keys") == 0o700
    finally:
        s.close()


def test_an_existing_readable_database_is_made_private_on_open(
    tmp_path: Path, loose_umask: None
) -> None:
    Store(tmp_path / "c.db", ManualClock(), tmp_path / "keys").close()
    for name in ("c.db", "c.db-wal", "c.db-shm"):
        p = tmp_path / name
        if p.exists():
            p.chmod(0o644)
    s = Store(tmp_path / "c.db", ManualClock(), tmp_path / "keys")
    try:
        s.add_unit("1-1-101")
        for name in ("c.db", "c.db-wal", "c.db-shm"):
            assert mode(tmp_path / name) == 0o600, name
    finally:
        s.close()


def test_csv_export_is_0600_and_phones_are_masked(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    loose_umask: None,
) -> None:
    monkeypatch.setenv("COMPOUND_DB", str(tmp_path / "c.db"))
    monkeypatch.delenv("COMPOUND_CONFIG", raising=False)
    assert main(["init", "--site", "t1"]) == 0
    assert main(["unit", "add", "3-2-1501"]) == 0
    for role in ("owner", "tenant"):
        argv = ["person", "add", "--name", "张伟", "--unit", "3-2-1501", "--role", role]
        argv += ["--phone", "138 0013 5678"]
        if role == "tenant":
            argv += ["--id-number", "110101199001011235", "--lease-end", "2099-01-01"]
        assert main(argv) == 0
    capsys.readouterr()
    assert main(["person", "list", "--json"]) == 0
    out = capsys.readouterr().out
    assert "0013" not in out
    assert {p["phone"] for p in json.loads(out)["items"]} == {"138****5678"}

    csv_path = tmp_path / "tenants.csv"
    assert main(["report", "tenants", "--csv", str(csv_path)]) == 0
    assert mode(csv_path) == 0o600
    text = csv_path.read_text(encoding="utf-8-sig")
    assert "138****5678" in text and "0013" not in text and "110***********1235" in text
