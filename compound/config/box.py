"""The box itself in the config file: its site, the local broker, the store, the core's limits
at the doors, the broker's security files, and backups."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from compound.config.checks import ConfigError, bounded
from compound.protocol.topics import valid_segment


@dataclass(frozen=True)
class SiteConfig:
    id: str = "demo"
    name: str = "Demo compound"
    timezone: str = "Asia/Shanghai"

    def __post_init__(self) -> None:
        # Checked here, not when first used: a command that names the site on the bus or reads
        # a day's bounds would otherwise fail half-way, after it has written.
        problem = site_problem(self.id, self.timezone)
        if problem:
            raise ConfigError(f"[site] {problem}")


def site_problem(site_id: str, timezone: str) -> str:
    """What is wrong with a site id and time zone ("" when nothing is)."""
    if not valid_segment(site_id):
        return f"id {site_id!r} must be 1-64 letters, digits, '_', '.', '-' (e.g. xa-yanta-01)"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return f"timezone {timezone!r} is no IANA time zone (e.g. Asia/Shanghai)"
    return ""


@dataclass(frozen=True)
class BrokerConfig:
    host: str = "127.0.0.1"
    port: int = bounded(1883, 1, 65535)
    # 5 with Mosquitto; the embedded demo broker speaks 3.1.1 (4)
    protocol: int = bounded(5, choices=(4, 5))
    username: str | None = None
    password_file: str | None = None
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    # start an embedded broker when true (demo mode); production uses Mosquitto
    embedded: bool = False


@dataclass(frozen=True)
class StoreConfig:
    path: str = "var/compound.db"
    key_dir: str = ""  # default: a "keys" folder beside the database


@dataclass(frozen=True)
class CoreConfig:
    # how long an unlock command stays valid on the bus
    command_ttl_s: float = bounded(3.0, 0.5, 30.0)
    # an access request older than this (by its own timestamp) is refused as stale
    request_max_age_s: float = bounded(10.0, 1.0, 120.0)
    # Door requests are shed at the door that floods: its sustained rate, its burst and how many
    # of its requests may wait; and how many of all doors may wait. A real door sees about one
    # request a second.
    door_rate_per_s: float = bounded(20.0, 1.0, 100000.0)
    door_burst: int = bounded(40, 1, 100000)
    door_queue: int = bounded(50, 1, 100000)
    intake_total: int = bounded(2000, 10, 1000000)


@dataclass(frozen=True)
class SecurityConfig:
    # broker files written by `compound devices`; the Mosquitto drop-in reads them
    acl_file: str = "/etc/mosquitto/compound/acl"
    password_file: str = "/etc/mosquitto/compound/passwd"  # noqa: S105 - a path
    broker_pid_file: str = "/run/mosquitto/mosquitto.pid"
    # PIN and face attempts: failures before a lockout, and the first lockout (it doubles)
    max_failures: int = bounded(5, 2, 50)
    lockout_s: float = bounded(30.0, 1.0, 3600.0)
    max_lockout_s: float = bounded(900.0, 1.0, 86400.0)
    # failures at one door within the window before the door refuses PINs and faces for a while
    door_max_failures: int = bounded(20, 3, 1000)
    door_window_s: float = bounded(60.0, 5.0, 3600.0)
    quarantine: str = bounded("request", choices=("off", "request", "broker"))  # quarantine.py


@dataclass(frozen=True)
class BackupConfig:
    """``compound backup``: where archives go, their key, how many are kept (docs/install.md)."""

    # archives are written here by default; default: a "backups" folder beside the database
    dir: str = ""
    # 32 random bytes (0600) that encrypt every archive; made by `compound setup`. Never inside
    # a backup: keep a copy off the box, or the archives cannot be restored on a new one.
    # Default: "backup.key" beside the database.
    key_file: str = ""
    # `compound backup create --prune` keeps this many of the site's newest archives
    keep: int = bounded(14, 1, 1000)
