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


@dataclass(frozen=True)
class Config:
    site: SiteConfig = field(default_factory=SiteConfig)
    broker: BrokerConfig = field(default_factory=BrokerConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    core: CoreConfig = field(default_factory=CoreConfig)
    source: str = "(defaults)"

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
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "source"}
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
