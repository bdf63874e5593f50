"""The box's configuration file (TOML), checked before anything starts.

Each section is a frozen dataclass; every field has a default, a type, and optional bounds in its
metadata. An unknown key, a wrong type or a value out of bounds stops the program with one line
that names the file, the section, the key and what is allowed.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compound.camera_config import CameraWiring


class ConfigError(ValueError):
    """The configuration cannot be used; the message says where and why."""


def bounded(
    default: Any,
    lo: float | None = None,
    hi: float | None = None,
    *,
    choices: tuple[Any, ...] = (),
    doc: str = "",
) -> Any:
    return field(default=default, metadata={"lo": lo, "hi": hi, "choices": choices, "doc": doc})


@dataclass(frozen=True)
class SiteConfig:
    id: str = "demo"
    name: str = "Demo compound"
    timezone: str = "Asia/Shanghai"


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
class BoardWiring:
    """One Modbus RTU relay/input board on an RS-485 line."""

    name: str = "board1"
    port: str = "/dev/ttyUSB0"  # a device path or a pyserial URL
    baud: int = bounded(9600, choices=(2400, 4800, 9600, 19200, 38400, 57600, 115200))
    unit: int = bounded(1, 1, 247)  # Modbus device address
    inputs: int = bounded(8, 1, 32)  # discrete inputs read on every poll
    fire_input: int = bounded(-1, -1, 31)  # input wired to the fire panel; -1: none


@dataclass(frozen=True)
class DoorWiring:
    """Which relay and inputs of which board belong to a door; -1 means not wired."""

    id: str = ""
    board: str = "board1"
    relay: int = bounded(0, 0, 31)
    contact: int = bounded(-1, -1, 31)
    exit: int = bounded(-1, -1, 31)
    tamper: int = bounded(-1, -1, 31)
    lock: str = bounded("strike", choices=("strike", "maglock"))
    egress: bool = True
    open_time_s: float = bounded(5.0, 1.0, 600.0)
    held_open_s: float = bounded(60.0, 2.0, 3600.0)


@dataclass(frozen=True)
class McuWiring:
    """An entrance's intercom/reader microcontroller on its own serial line."""

    name: str = "mcu1"
    port: str = "/dev/ttyUSB1"
    baud: int = bounded(115200, choices=(9600, 19200, 38400, 57600, 115200))
    door: str = ""  # the door whose reader, keypad and call button it carries


ALWAYS_ARMED_ZONES = ("panic", "smoke", "gas", "water")  # 24-hour zones: never disarmed


@dataclass(frozen=True)
class ZoneWiring:
    """An alarm zone (区域报警) on a board's discrete input (``firmware_bridge/zones.py``)."""

    id: str = ""  # its id on the bus (letters, digits, '_', '.', '-')
    name: str = ""  # what the officer reads, e.g. "North fence, section 3"
    location: str = ""
    board: str = "board1"
    input: int = bounded(0, 0, 31)
    fault_input: int = bounded(-1, -1, 31)  # the board's "loop cut or shorted" bit; -1: none
    kind: str = bounded("perimeter", choices=("perimeter", "intrusion", *ALWAYS_ARMED_ZONES))
    normally: str = bounded("closed", choices=("closed", "open"))
    debounce_s: float = bounded(0.3, 0.0, 10.0)


@dataclass(frozen=True)
class BridgeConfig:
    client_id: str = "bridge"
    # The per-door command keys, door-<door>.key, as `compound devices add NAME --role bridge
    # --door DOOR --key-dir DIR` writes them; default: [store] key_dir. Never the master key.
    key_dir: str = ""
    # The bridge's own files (the journal of door events); default: bridge/ beside the database.
    state_dir: str = ""
    poll_interval_s: float = bounded(0.05, 0.01, 1.0)
    mcu_heartbeat_timeout_s: float = bounded(5.0, 1.0, 60.0)
    boards: list[BoardWiring] = field(default_factory=list)
    doors: list[DoorWiring] = field(default_factory=list)
    mcus: list[McuWiring] = field(default_factory=list)
    zones: list[ZoneWiring] = field(default_factory=list)
    # The broker user of Home Assistant (`compound devices add ha --role ha`): its locks'
    # command topic, in the discovery configs, names it, as the ACL requires.
    ha_user: str = "ha"


@dataclass(frozen=True)
class IntercomConfig:
    ring_timeout_s: float = bounded(45.0, 30.0, 60.0)
    forward_to_desk: bool = True  # busy or unanswered calls ring the property desk
    desk: str = "desk"  # station group of the property desk
    officer: str = "officer"  # station group that the emergency button calls
    talk_timeout_s: float = bounded(90.0, 30.0, 300.0)  # an answered call ends after this


SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class CountRuleConfig:
    """A warning line: more than ``threshold`` events of ``event_type`` within ``window_s``."""

    name: str = "count"
    event_type: str = "access.denied"
    threshold: int = bounded(20, 1, 1_000_000)
    window_s: float = bounded(600.0, 1.0, 31 * 86400.0)
    severity: str = bounded("medium", choices=SEVERITIES)
    # count each door separately instead of the whole site
    per_door: bool = False


@dataclass(frozen=True)
class AlertsConfig:
    # elderly person living alone not seen at any door for this many hours
    elderly_unseen_h: float = bounded(48.0, 24.0, 72.0)
    elderly_severity: str = bounded("high", choices=SEVERITIES)
    # GB 50396 wants an alarm after at most 5 consecutive failures at one door
    failed_attempts: int = bounded(5, 2, 5)
    failed_window_s: float = bounded(300.0, 10.0, 86400.0)
    failed_severity: str = bounded("medium", choices=SEVERITIES)
    # suspected group rental: distinct entrants > occupants * factor and > occupants + min_extra
    group_rental_factor: float = bounded(2.0, 1.0, 20.0)
    group_rental_min_extra: int = bounded(3, 1, 100)
    group_rental_days: float = bounded(7.0, 1.0, 31.0)
    group_rental_severity: str = bounded("medium", choices=SEVERITIES)
    # an unknown face seen this many times within this many days
    unknown_face_count: int = bounded(3, 2, 100)
    unknown_face_days: float = bounded(7.0, 1.0, 30.0)
    # sightings of one track closer together than this are one visit
    unknown_face_gap_s: float = bounded(600.0, 0.0, 86400.0)
    unknown_face_severity: str = bounded("medium", choices=SEVERITIES)
    # intrusion and perimeter zones from the alarm inputs
    zone_severity: str = bounded("critical", choices=SEVERITIES)
    # how often the "not seen" and lease-end checks run
    tick_s: float = bounded(60.0, 1.0, 3600.0)
    count_rules: list[CountRuleConfig] = field(default_factory=list)


@dataclass(frozen=True)
class UplinkConfig:
    """The city / police platform's broker; the outbox drains there over TLS."""

    host: str = "127.0.0.1"
    port: int = bounded(8883, 1, 65535)
    protocol: int = bounded(5, choices=(4, 5))
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    username: str | None = None
    password_file: str | None = None
    # records go to <topic_prefix>/<site>/<kind>
    topic_prefix: str = "city"
    # records published but not yet acknowledged (PUBACK) at any time
    window: int = bounded(32, 1, 100)
    # confirmed rows older than this are pruned; unconfirmed rows are never pruned
    keep_sent_days: float = bounded(30.0, 5.0, 3650.0)
    # a record is done only when the platform's cumulative acknowledgement covers it; false for
    # a platform that does not acknowledge (the broker's PUBACK then counts as delivery)
    require_platform_ack: bool = True
    # sent records the platform has not confirmed within this are sent again, oldest first
    confirm_timeout_s: float = bounded(10.0, 1.0, 600.0)
    # at most this many records sent and not yet confirmed by the platform
    max_unconfirmed: int = bounded(2000, 32, 100000)
    # the city broker's other nodes ("host:port"), tried in turn when the current one is lost
    nodes: list[str] = field(default_factory=list)
    # resends the box starts wait longer each time (doubling, jittered) up to this
    backoff_cap_s: float = bounded(120.0, 1.0, 3600.0)


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
class FaceConfig:
    """The face service: one camera at one door (see docs/face.md for the thresholds)."""

    # "/dev/video0", "0", "rtsp://...", or "replay:FOLDER" (photos played as a camera)
    source: str = ""
    camera: str = "cam1"
    door: str = ""
    # largest accepted descriptor distance; dlib's 0.6 is a 1:1 tolerance, too loose for 1:N
    threshold: float = bounded(0.45, 0.2, 0.6)
    # the best person must be this much nearer than any other person
    margin: float = bounded(0.08, 0.0, 0.3)
    # consecutive frames that must name the same person
    agree_frames: int = bounded(3, 1, 30)
    # frames wider than this are shrunk for detection; each upsample finds faces half as large
    detect_width: int = bounded(320, 160, 1920)
    upsample: int = bounded(1, 0, 2)
    fps: float = bounded(8.0, 0.5, 30.0)
    preview_fps: float = bounded(3.0, 0.0, 15.0)
    liveness: bool = True
    liveness_window_s: float = bounded(6.0, 2.0, 30.0)
    # after a request for one person, wait this long before asking again for them
    cooldown_s: float = bounded(5.0, 1.0, 60.0)
    # how long a stranger's face is remembered (in memory only) to count repeat visits; 0: never
    stranger_memory_h: float = bounded(168.0, 0.0, 720.0)
    # [[face.cameras]], all served by one `compound face run`; empty: the one camera above
    cameras: list[CameraWiring] = field(default_factory=list)


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
    # where the config came from; not a key of the file
    source: str = field(default="(defaults)", metadata={"internal": True})

    def replace(self, **sections: Any) -> Config:
        return dataclasses.replace(self, **sections)


def _check(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _check(value, inner[0], where)
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list")
        return [_check(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, not {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be a whole number, not {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where} must be a number, not {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be text in quotes, not {value!r}")
        return value
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return load_section(hint, value, where)
    return value


def load_section(cls: type, raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a table ([{where.split(': ')[-1]}])")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r}; known keys: {', '.join(sorted(fields))}"
        )
    values: dict[str, Any] = {}
    for name, value in raw.items():
        f = fields[name]
        key = f"{where}.{name}" if ": " in where else f"{where}: {name}"
        v = _check(value, hints[name], key)
        meta = f.metadata
        if meta.get("choices") and v not in meta["choices"]:
            allowed = ", ".join(map(str, meta["choices"]))
            raise ConfigError(f"{key} is {v!r}; allowed: {allowed}")
        if meta.get("lo") is not None and v < meta["lo"]:
            raise ConfigError(f"{key} is {v}; the smallest allowed is {meta['lo']}")
        if meta.get("hi") is not None and v > meta["hi"]:
            raise ConfigError(f"{key} is {v}; the largest allowed is {meta['hi']}")
        values[name] = v
    return cls(**values)


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
    cfg = load_section(Config, raw, str(p))
    return dataclasses.replace(cfg, source=str(p))


def from_env(config_path: str | None = None) -> Config:
    return load(config_path or os.environ.get("COMPOUND_CONFIG") or None)
