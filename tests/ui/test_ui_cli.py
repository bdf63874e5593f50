"""``compound ui`` refuses a door panel's notice window it cannot use with a message, before
any window opens."""

from __future__ import annotations

from pathlib import Path

import pytest

from compound.app.cli import main


@pytest.mark.parametrize("value", ["-1", "301"])
def test_a_notice_spread_out_of_range_is_refused(
    tmp_path: Path, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["--db", str(tmp_path / "c.db"), "ui", "--role", "door", "--notice-spread", value])
    assert rc == 2
    assert "--notice-spread must be 0 to 300 seconds" in capsys.readouterr().err
