"""What every ``compound`` command shares: the opened config, store and bus (``Context``),
the broker connection settings, the signal-driven stop and the one-line event format."""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from compound import config as config_mod
from compound.adapters.mqtt import Bus, BusConfig, eprint
from compound.config import Config, ConfigError
from compound.domain.clock import SystemClock
from compound.domain.model import Event
from compound.protocol.topics import Topics
from compound.store.db import Store, StoreError


class Context:
    """What a command needs, opened on first use."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.config: Config = config_mod.from_env(args.config)
        self.clock = SystemClock()
        self._store: Store | None = None
        self.json = bool(getattr(args, "json", False))

    @property
    def db_path(self) -> str:
        return self.args.db or os.environ.get("COMPOUND_DB") or self.config.store.path

    @property
    def store(self) -> Store:
        if self._store is None:
            path = Path(self.db_path)
            if not path.exists() and self.args.command not in ("init", "setup", "demo", "sample"):
                raise StoreError(
                    f"no database at {path}; run `compound init` first (or give --db / COMPOUND_DB)"
                )
            if not path.parent.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
            self._store = Store(path, self.clock, self.config.store.key_dir or None)
        return self._store

    def topics(self) -> Topics:
        return Topics(self.config.site.id)

    def bus(self, client_id: str) -> Bus:
        return Bus(bus_config(self.config), self.topics(), client_id)

    def api(self, method: str, params: dict[str, Any]) -> Any:
        bus = self.bus(f"cli-{os.getpid()}")
        bus.start(timeout=float(os.environ.get("COMPOUND_BUS_TIMEOUT", "10")), announce=eprint)
        try:
            return bus.request(method, params, timeout=5.0)
        finally:
            bus.stop()

    def out(self, data: Any, text: str | Callable[[], str] | None = None) -> None:
        if self.json:
            print(json.dumps(data, ensure_ascii=False, default=str))
        elif text is not None:
            print(text() if callable(text) else text)
        else:
            print(json.dumps(data, ensure_ascii=False, indent=2, default=str))

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def bus_config(cfg: Config) -> BusConfig:
    """Settings for the local broker."""
    return connection_config(cfg.broker, "broker")


def connection_config(section: Any, name: str) -> BusConfig:
    """A ``BusConfig`` from a config section with broker fields (``[broker]``, ``[uplink]``);
    the password is read from its file here so that a missing file is a config error."""
    password = None
    if section.password_file:
        try:
            password = Path(section.password_file).read_text().strip()
        except OSError as e:
            raise ConfigError(
                f"{name}.password_file {section.password_file}: {e.strerror}"
            ) from None
    return BusConfig(
        host=section.host,
        port=section.port,
        username=section.username,
        password=password,
        protocol=section.protocol,
        tls_ca=section.tls_ca,
        tls_cert=section.tls_cert,
        tls_key=section.tls_key,
        fallbacks=_nodes(getattr(section, "nodes", []), name),
    )


def _nodes(nodes: list[str], name: str) -> tuple[tuple[str, int], ...]:
    out = []
    for n in nodes:
        host, _, port = n.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f'{name}.nodes: {n!r} is not host:port (e.g. "10.0.0.2:8883")')
        out.append((host, int(port)))
    return tuple(out)


def format_event(e: Event | dict[str, Any]) -> str:
    d: dict[str, Any] = e if isinstance(e, dict) else e.as_dict()
    local = datetime.fromtimestamp(d["at"]).strftime("%H:%M:%S")
    parts = [f"#{d['seq']:<6} {local} {d['type']:<22}"]
    if d.get("door_id"):
        parts.append(f"door={d['door_id']}")
    if d.get("person_id") is not None:
        parts.append(f"person={d['person_id']}")
    data = d.get("data") or {}
    for k in ("reason", "kind", "message", "by"):
        if k in data:
            parts.append(f"{k}={data[k]}")
    return " ".join(parts)


def stop_on_signal() -> threading.Event:
    stop = threading.Event()

    def handler(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


AddCommand = Callable[..., argparse.ArgumentParser]


def parsers(
    sub: Any, common: argparse.ArgumentParser
) -> tuple[AddCommand, Callable[[str, str], Any]]:
    """What every command module registers with: ``add(parent, name, fn, help, **kw)`` adds one
    command (its help is also its description, ``--json`` comes from ``common``), and
    ``group(name, help)`` adds a command with actions under it."""

    def add(
        parent: Any, name: str, fn: Callable[[Context], int], help_: str, **kw: Any
    ) -> argparse.ArgumentParser:
        sp: argparse.ArgumentParser = parent.add_parser(
            name, help=help_, description=help_, parents=[common], **kw
        )
        sp.set_defaults(fn=fn)
        return sp

    def group(name: str, help_: str) -> Any:
        g = sub.add_parser(name, help=help_, description=help_)
        return g.add_subparsers(dest="action", required=True, metavar="ACTION")

    return add, group
