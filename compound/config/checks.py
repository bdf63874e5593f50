"""How a section of the config file is checked: bounds in each field's metadata (``bounded``),
the value's type from the field's annotation, unknown keys refused; every problem one line that
names the file, the section, the key and what is allowed (``ConfigError``)."""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import field
from math import isfinite
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
        # TOML has nan and inf; nan passes every bound (it compares false with all of them)
        if isinstance(value, bool) or not isinstance(value, int | float) or not isfinite(value):
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
