"""A results file that also holds analysis written by hand keeps it when its bench runs again:
the bench replaces only the part between its marks (``bench.common.write_generated``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import common


def test_the_hand_written_text_survives_a_new_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    common.write_generated("x", {"rows": 1}, "# Title\n\n| rows | 1 |")
    md = tmp_path / "x.md"
    first = md.read_text()
    assert first.startswith(common.GENERATED_START) and "| rows | 1 |" in first
    md.write_text(first + "\n**Reading this run.** The lock was held 1 s.\n")
    common.write_generated("x", {"rows": 2}, "# Title\n\n| rows | 2 |")
    second = md.read_text()
    assert "| rows | 2 |" in second and "| rows | 1 |" not in second
    assert second.endswith("\n**Reading this run.** The lock was held 1 s.\n")
    assert second.count(common.GENERATED_START) == second.count(common.GENERATED_END) == 1
    assert json.loads((tmp_path / "x.json").read_text())["rows"] == 2


def test_a_file_without_the_marks_keeps_what_it_held_below_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    (tmp_path / "x.md").write_text("# Old\n\nAnalysis written by hand.\n")
    common.write_generated("x", {}, "# New")
    text = (tmp_path / "x.md").read_text()
    assert text.index("# New") < text.index(common.GENERATED_END) < text.index("# Old")
    assert text.endswith("Analysis written by hand.\n")
