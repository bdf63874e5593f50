"""The officer wall's ``[wall]`` section: which alarms pop up and sound. Defaults name the
intrusions a door reports (forced open, tamper) beside critical alarms and emergency calls; a
severity that does not exist or a kind that cannot be one stops the program with a line that
names the section and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from compound.config import ConfigError, WallConfig, load


def test_defaults_and_the_shipped_file_interrupt_for_intrusions() -> None:
    for cfg in (
        WallConfig(),
        load(Path(__file__).resolve().parents[2] / "data/compound.toml").wall,
    ):
        assert cfg.urgent_severities == ["critical"]
        assert {"forced_open", "tamper", "emergency", "emergency_unanswered"} <= set(
            cfg.urgent_kinds
        )


def test_a_wall_may_choose_its_own(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text('[wall]\nurgent_severities = ["critical", "high"]\nurgent_kinds = []\n')
    assert load(p).wall == WallConfig(["critical", "high"], [])


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('urgent_severities = ["urgent"]', "urgent_severities: 'urgent' is no severity"),
        ('urgent_kinds = ["forced open"]', "urgent_kinds: 'forced open' is no alarm kind"),
        ('urgent_kinds = "forced_open"', "must be a list"),
        ("sound = true", "unknown key 'sound'"),
    ],
)
def test_a_wrong_value_is_refused_with_where_and_why(tmp_path: Path, text: str, says: str) -> None:
    p = tmp_path / "c.toml"
    p.write_text(f"[wall]\n{text}\n")
    with pytest.raises(ConfigError, match=says) as refused:
        load(p)
    assert str(refused.value).startswith(f"{p}: "), "the file is named"
    assert str(refused.value).count(str(p)) == 1
