"""Visitor-pass limits for indoor stations are settings (``[station_passes]``) with bounds: a
value out of bounds stops the box with a line naming the key, and the pass API enforces what
the file says, not the built-in defaults."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from compound.config import Config, ConfigError, StationPassesConfig, load
from compound.domain.model import InvalidInput
from compound.ports import ACTOR
from compound.services.station_passes import StationPasses
from compound.store.db import Store


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "c.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_limits_load_with_defaults_and_bounds(tmp_path: Path) -> None:
    assert Config().station_passes == StationPassesConfig(48.0, 10, 10)
    cfg = load(write(tmp_path, "[station_passes]\nmax_hours = 4\nmax_uses = 2\n"))
    assert cfg.station_passes == StationPassesConfig(4.0, 2, 10)
    for text, message in (
        ("max_hours = 200", "station_passes.max_hours is 200.0; the largest allowed is 168.0"),
        ("max_uses = 0", "station_passes.max_uses is 0; the smallest allowed is 1"),
        ("per_unit_per_day = 1.5", "station_passes.per_unit_per_day must be a whole number"),
        ("per_unit = 3", "unknown key 'per_unit'"),
    ):
        with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
            load(write(tmp_path, f"[station_passes]\n{text}\n"))


def test_the_station_api_enforces_the_configured_limits(store: Store) -> None:
    with store.transaction() as c:
        c.execute(
            "INSERT INTO devices (name, role, unit, created_at) VALUES "
            "('st-1501', 'station', '3-2-1501', 0)"
        )
    store.add_unit("3-2-1501")
    limits = StationPassesConfig(max_hours=6.0, max_uses=2, per_unit_per_day=2)
    core = SimpleNamespace(store=store, config=Config(station_passes=limits), counters={})
    api = StationPasses(core).offers().api["pass.station_issue"]  # type: ignore[arg-type]
    ask = {ACTOR: "st-1501", "visitor": "王五"}
    with pytest.raises(InvalidInput, match="up to 6 hours"):
        api({**ask, "hours": 8})  # within the built-in 48 h, beyond the configured 6
    with pytest.raises(InvalidInput, match="opens 1 to 2 times"):
        api({**ask, "uses": 3})
    assert api({**ask, "hours": 6, "uses": 2})["uses"] == 2
    api(ask)
    with pytest.raises(InvalidInput, match="issued 2 passes in the last 24 hours"):
        api(ask)
