"""``compound setup``: the first run of a box, and safe to run again.

What the services need before they can start, from the config (``/etc/compound/compound.toml``
on a box):

- the database (created, or migrated, 0600) with the site's id, name and time zone;
- the master key (0600) in the key directory, and the backup key (0600, ``[backup] key_file``,
  never inside a backup: the installer keeps a copy off the box);
- a broker credential for each of the box's own services: ``core`` (its password written to
  ``[broker] password_file``, which the services on the box read) and, when ``[bridge]`` wires
  doors, ``bridge`` with the command keys of those doors (``door-<door>.key``, 0600, where the
  bridge reads them) and its password beside the core's as ``bridge.mqtt``;
- Mosquitto's password and ACL files of ``[security]``, then a reload of the broker.

A credential whose password file is still there is kept; one whose file is gone is issued again
(only a hash of a password is stored, so a lost one cannot be recovered). Existing site settings
are kept unless given again.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from compound.app import backup_files, devices
from compound.app.context import Context
from compound.config.box import site_problem
from compound.domain.model import InvalidInput
from compound.protocol.acl import Device


def _write_secret(path: Path, text: str) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _private(path: Path) -> None:
    if path.exists() and path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)


def ensure_credential(ctx: Context, device: Device, password_file: Path, by: str) -> str:
    """``"kept"`` or ``"issued"``: the device has an active credential and its password file."""
    store = ctx.store
    current = {d["name"]: d for d in devices.devices(store)}
    if device.name in current and password_file.is_file():
        _private(password_file)
        return "kept"
    if device.name in current:
        devices.revoke(store, device.name, by)  # its password is lost: issue a new one
    issued = devices.add(store, device, by)
    _write_secret(password_file, issued.password + "\n")
    return "issued"


_SITE_KEYS = (("site_id", "site", "site id"), ("site_name", "name", "name"),
              ("timezone", "timezone", "time zone"))  # fmt: skip


def settle_site(ctx: Context) -> tuple[str, list[str], list[str]]:
    """Store the site's id, name and time zone: each as given on the command line, else as
    stored, else the config's. A live site's identity changes only when asked for by name: its
    events, uplink records and day bounds carry it. Returns the site id, what changed
    (``"time zone A -> B"``) and what was kept though the config says otherwise."""
    a, cfg, store = ctx.args, ctx.config, ctx.store
    config = {"site_id": cfg.site.id, "site_name": cfg.site.name, "timezone": cfg.site.timezone}
    stored = {key: store.setting(key) for key, _, _ in _SITE_KEYS}
    given = {key: getattr(a, option, None) for key, option, _ in _SITE_KEYS}
    value = {key: given[key] or stored[key] or config[key] for key, _, _ in _SITE_KEYS}
    problem = site_problem(value["site_id"], value["timezone"])
    if problem:  # before anything is written: a stored bad zone broke every report after
        raise InvalidInput(f"site {problem}")
    changed: list[str] = []
    kept: list[str] = []
    with store.transaction():
        for key, option, label in _SITE_KEYS:
            if stored[key] != value[key]:
                store.set_setting(key, value[key])
                if stored[key]:
                    changed.append(f"{label} {stored[key]} -> {value[key]}")
            elif not given[key] and config[key] != value[key]:
                kept.append(f"{label} {value[key]} (the config says {config[key]}; "
                            f"--{option} changes it)")  # fmt: skip
    return value["site_id"], changed, kept


def setup(ctx: Context) -> dict[str, Any]:
    a, cfg = ctx.args, ctx.config
    by = a.by or os.environ.get("USER", "installer")
    store = ctx.store  # creates the database (0600) and the master key (0600) if missing
    _private(store.key_dir / "master.key")
    backup_key = backup_files.key_path(ctx)
    backup_files.make_key(backup_key)
    site, changed, _ = settle_site(ctx)

    if not cfg.broker.password_file:
        raise InvalidInput(
            "[broker] password_file is not set in the config: the services need it to log in"
        )
    secrets = Path(cfg.broker.password_file)
    done = {"core": ensure_credential(ctx, Device("core", "core"), secrets, by)}
    key_files: list[str] = []
    doors = tuple(d.id for d in cfg.bridge.doors)
    if doors:
        bridge = Device("bridge", "bridge", doors=doors)
        done["bridge"] = ensure_credential(ctx, bridge, secrets.with_name("bridge.mqtt"), by)
        key_dir = Path(cfg.bridge.key_dir or store.key_dir)
        key_files = devices.write_key_files(key_dir, devices.door_keys(store, bridge))
    sec = cfg.security
    n = devices.write_files(store, ctx.topics(), Path(sec.acl_file), Path(sec.password_file))
    return {
        "db": str(store.path),
        "site": site,
        "changed": changed,
        "master_key": str(store.key_dir / "master.key"),
        "backup_key": str(backup_key),
        "credentials": done,
        "door_key_files": key_files,
        "devices": n,
        "acl_file": sec.acl_file,
        "password_file": sec.password_file,
        "broker_reloaded": devices.reload_broker(sec.broker_pid_file),
    }


def cmd_setup(ctx: Context) -> int:
    r = setup(ctx)
    creds = ", ".join(f"{k} {v}" for k, v in r["credentials"].items())
    ctx.out(
        r,
        f"box ready: database {r['db']} (site {r['site']}), master key {r['master_key']}\n"
        f"backup key {r['backup_key']}: keep a copy off the box, backups open only with it\n"
        f"service credentials: {creds}; {r['devices']} device(s) in {r['password_file']} "
        f"and {r['acl_file']}"
        + "".join(f"\nchanged {c}" for c in r["changed"])
        + ("" if r["broker_reloaded"] else "\nbroker not reloaded: systemctl reload mosquitto"),
    )
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    sp = sub.add_parser(
        "setup", help="first-run setup of the box (safe to run again)", parents=[common],
        description="Create the database, keys, service credentials and broker files.",
    )  # fmt: skip
    sp.add_argument("--site", help="site id used on the bus (default: the config's)")
    sp.add_argument("--name", help="the compound's name")
    sp.add_argument("--timezone", help="IANA time zone")
    sp.add_argument("--by", help="who runs it (for the log)")
    sp.set_defaults(fn=cmd_setup)
