"""The box's configuration file (TOML), checked before anything starts.

Each section is a frozen dataclass; every field has a default, a type, and optional bounds in its
metadata. An unknown key, a wrong type or a value out of bounds stops the program with one line
that names the file, the section, the key and what is allowed.

The sections live in ``box.py`` (site, broker, store, core, security, backup), ``hardware.py``
(the bridge's boards, doors, entrance controllers and zones) and ``services.py`` (intercom,
alerts, uplink, face, station passes), ``wall.py`` (the officer wall's urgent alarms); the checks
in ``checks.py``. Everything is importable from ``compound.config`` as before.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compound.camera_config import CameraWiring
from compound.config.box import (
    BackupConfig,
    BrokerConfig,
    CoreConfig,
    SecurityConfig,
    SiteConfig,
    StoreConfig,
)
from compound.config.checks import ConfigError, bounded, load_section
from compound.config.hardware import (
    ALWAYS_ARMED_ZONES,
    BoardWiring,
    BridgeConfig,
    DoorWiring,
    McuWiring,
    ZoneWiring,
)
from compound.config.services import (
    SEVERITIES,
    AlertsConfig,
    CountRuleConfig,
    FaceConfig,
    IntercomConfig,
    StationPassesConfig,
    UplinkConfig,
)
from compound.config.wall import WallConfig

__all__ = [
    "ALWAYS_ARMED_ZONES",
    "SEVERITIES",
    "AlertsConfig",
    "BackupConfig",
    "BoardWiring",
    "BridgeConfig",
    "BrokerConfig",
    "CameraWiring",
    "Config",
    "ConfigError",
    "CoreConfig",
    "CountRuleConfig",
    "DoorWiring",
    "FaceConfig",
    "IntercomConfig",
    "McuWiring",
    "SecurityConfig",
    "SiteConfig",
    "StationPassesConfig",
    "StoreConfig",
    "UplinkConfig",
    "WallConfig",
    "ZoneWiring",
    "bounded",
    "from_env",
    "load",
    "load_section",
]


@dataclass(frozen=True)
class Config:
    site: SiteConfig = field(default_factory=SiteConfig)
    broker: BrokerConfig = field(default_factory=BrokerConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    core: CoreConfig = field(default_factory=CoreConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    uplink: UplinkConfig = field(default_factory=UplinkConfig)
    bridge: BridgeConfig = field(default_factory=BridgeConfig)
    intercom: IntercomConfig = field(default_factory=IntercomConfig)
    security: SecurityConfig = field(default_factory=SecurityConfig)
    face: FaceConfig = field(default_factory=FaceConfig)
    backup: BackupConfig = field(default_factory=BackupConfig)
    station_passes: StationPassesConfig = field(default_factory=StationPassesConfig)
    wall: WallConfig = field(default_factory=WallConfig)
    # where the config came from; not a key of the file
    source: str = field(default="(defaults)", metadata={"internal": True})

    def replace(self, **sections: Any) -> Config:
        return dataclasses.replace(self, **sections)


def load(path: str | Path | None) -> Config:
    """Read and check the config; ``None`` means defaults (plus COMPOUND_* overrides)."""
    if path is None:
        return Config()
    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {p} not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read config file {p}: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{p}: not valid TOML: {e}") from None
    try:
        cfg = load_section(Config, raw, str(p))
    except ConfigError as e:
        # A section's own checks (run when it is made) know their section and key, not the file.
        if str(p) in str(e):
            raise
        raise ConfigError(f"{p}: {e}") from None
    return dataclasses.replace(cfg, source=str(p))


def from_env(config_path: str | None = None) -> Config:
    return load(config_path or os.environ.get("COMPOUND_CONFIG") or None)
