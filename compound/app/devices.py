"""Device and service credentials on the bus: ``compound devices add|list|revoke|write``.

Each device or service gets its own broker user with a random password (shown once; only the
Mosquitto hash is kept) and a role that fixes what it may publish and read
(``compound.protocol.acl``).
Door adapters also get the per-door command keys they need to check the core's signatures.
Every change rewrites the broker's password and ACL files atomically and asks Mosquitto to
reload them (SIGHUP), so a revoked device is cut off at once.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compound.adapters import keys
from compound.domain.model import InvalidInput
from compound.protocol import quarantine
from compound.protocol.acl import Device, mosquitto_hash, new_password, render_acl, render_passwords
from compound.protocol.topics import Topics
from compound.store.db import Store
from compound.store.quarantine import quarantined, release


@dataclass(frozen=True)
class Issued:
    device: Device
    password: str
    door_keys: dict[str, bytes]


def _device(row: dict[str, Any]) -> Device:
    return Device(
        name=row["name"],
        role=row["role"],
        doors=tuple(json.loads(row["doors"])),
        unit=row["unit"],
        cameras=tuple(json.loads(row["cameras"])),
        methods=tuple(json.loads(row["methods"])),
    )


def devices(store: Store, include_revoked: bool = False) -> list[dict[str, Any]]:
    where = "" if include_revoked else " WHERE revoked_at IS NULL"
    rows = store.query(f"SELECT * FROM devices{where} ORDER BY name")  # noqa: S608 - fixed text
    return [
        {
            "name": r["name"],
            "role": r["role"],
            "doors": json.loads(r["doors"]),
            "unit": r["unit"],
            "cameras": json.loads(r["cameras"]),
            "methods": json.loads(r["methods"]),
            "created_at": r["created_at"],
            "revoked_at": r["revoked_at"],
        }
        for r in rows
    ]


def door_keys(store: Store, device: Device) -> dict[str, bytes]:
    if device.role not in ("bridge", "relay"):
        return {}
    return {d: keys.door_command_key(store.master_key, d) for d in device.doors}


def add(store: Store, device: Device, by: str) -> Issued:
    password = new_password()
    now = store.clock.now()
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT revoked_at FROM devices WHERE name = ?", (device.name,)
        ).fetchone()
        if row is not None and row[0] is None:
            raise InvalidInput(
                f"device {device.name!r} already has a credential; revoke it first "
                f"(compound devices revoke {device.name})"
            )
        conn.execute("DELETE FROM devices WHERE name = ?", (device.name,))
        conn.execute(
            "INSERT INTO devices (name, role, doors, unit, cameras, methods, password_hash,"
            " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                device.name,
                device.role,
                json.dumps(list(device.doors)),
                device.unit,
                json.dumps(list(device.cameras)),
                json.dumps(list(device.methods)),
                mosquitto_hash(password),
                now,
                by,
            ),
        )
        store.append_event(
            "device.added",
            at=now,
            data={
                "device": device.name,
                "role": device.role,
                "doors": list(device.doors),
                "by": by,
            },
        )
    return Issued(device, password, door_keys(store, device))


def revoke(store: Store, name: str, by: str) -> None:
    now = store.clock.now()
    with store.transaction() as conn:
        n = conn.execute(
            "UPDATE devices SET revoked_at = ?, revoked_by = ?, password_hash = NULL"
            " WHERE name = ? AND revoked_at IS NULL",
            (now, by, name),
        ).rowcount
        if n == 0:
            raise InvalidInput(f"no active device {name!r}; see `compound devices list`")
        store.append_event("device.revoked", at=now, data={"device": name, "by": by})


def active(store: Store) -> list[tuple[Device, str]]:
    rows = store.query("SELECT * FROM devices WHERE revoked_at IS NULL ORDER BY name")
    return [(_device(r), r["password_hash"]) for r in rows]


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # per thread too: the core's quarantine and a command may write from one process
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    _give_to_broker(tmp)
    os.replace(tmp, path)


def _give_to_broker(path: Path) -> None:
    # Mosquitto drops to its own user after start and rereads the files on SIGHUP as that
    # user; the files are group-readable by it and by no one else.
    import grp

    try:
        gid = grp.getgrnam("mosquitto").gr_gid
    except KeyError:
        return
    try:
        os.chown(path, -1, gid)
    except PermissionError:
        pass  # not root: the installer runs `compound devices` as root or as the broker's group


def write_files(store: Store, topics: Topics, acl_file: Path, password_file: Path) -> int:
    """Rewrite both broker files from the database; returns the number of active devices.
    A quarantined user's block lacks its access-request rules (``protocol/quarantine.py``)."""
    current = active(store)
    _write_atomic(password_file, render_passwords({d.name: h for d, h in current}))
    rules = quarantine.rules_with(quarantined(store))
    _write_atomic(acl_file, render_acl([d for d, _ in current], topics, rules))
    return len(current)


def reload_broker(pid_file: str) -> bool:
    """SIGHUP Mosquitto so it rereads passwords and ACL; False when it is not running here."""
    if not pid_file:
        return False
    try:
        pid = int(Path(pid_file).read_text().strip())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError):
        return False
    return True


def door_key_file(key_dir: Path, door: str) -> Path:
    """Where a door adapter's command key for ``door`` is written, and where the bridge reads it."""
    return key_dir / f"door-{door}.key"


def write_key_files(key_dir: Path, keys_: dict[str, bytes]) -> list[str]:
    written = []
    key_dir.mkdir(parents=True, exist_ok=True)
    for door, key in keys_.items():
        path = door_key_file(key_dir, door)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, key)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        written.append(str(path))
    return written


# -- command line ----------------------------------------------------------------------------


def _sync(ctx: Any) -> dict[str, Any]:
    sec = ctx.config.security
    n = write_files(ctx.store, ctx.topics(), Path(sec.acl_file), Path(sec.password_file))
    reloaded = reload_broker(sec.broker_pid_file)
    return {
        "devices": n,
        "acl_file": sec.acl_file,
        "password_file": sec.password_file,
        "broker_reloaded": reloaded,
    }


def cmd_add(ctx: Any) -> int:
    a = ctx.args
    device = Device(
        name=a.name,
        role=a.role,
        doors=tuple(a.door or ()),
        unit=a.unit,
        cameras=tuple(a.camera or ()),
        methods=tuple(a.method or ()),
    )
    # Made ready before it is issued: a password issued and not written is lost (hash only).
    secret = Path(a.password_file) if a.password_file else None
    made = secret is not None and not secret.exists()
    fd = _writable(secret, "the password") if secret else None
    try:
        if a.key_dir:
            _writable(Path(a.key_dir), "door keys", folder=True)
        issued = add(ctx.store, device, a.by or os.environ.get("USER", "installer"))
        if fd is not None:
            os.ftruncate(fd, 0)
            os.write(fd, (issued.password + "\n").encode())
    except BaseException:
        if secret and made:
            secret.unlink(missing_ok=True)  # refused: no empty password file left behind
        raise
    finally:
        if fd is not None:
            os.close(fd)
    try:
        files = _sync(ctx)
    except OSError:  # the broker cannot learn of it: taken back, not left with a lost password
        revoke(ctx.store, device.name, "compound devices add (broker files not written)")
        raise
    data: dict[str, Any] = {"name": device.name, "role": device.role, **files}
    if a.password_file:
        data["password_file_written"] = a.password_file
    else:
        data["password"] = issued.password  # shown once; only its hash is kept
    if issued.door_keys:
        if a.key_dir:
            data["door_key_files"] = write_key_files(Path(a.key_dir), issued.door_keys)
        else:
            data["door_keys"] = {d: k.hex() for d, k in issued.door_keys.items()}
    text = [f"device {device.name} ({device.role}) added; broker files rewritten"]
    if "password" in data:
        text.append(f"password (shown once): {data['password']}")
    for door, hexkey in data.get("door_keys", {}).items():
        text.append(f"command key for door {door}: {hexkey}")
    if not files["broker_reloaded"]:
        text.append("broker not reloaded (not running here?): systemctl reload mosquitto")
    ctx.out(data, "\n".join(text))
    return 0


def _writable(path: Path, what: str, folder: bool = False) -> int:
    try:  # the file opened for writing (or the folder made); refused in plain words
        if folder:
            path.mkdir(parents=True, exist_ok=True)
            return -1
        return os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    except OSError as e:
        raise InvalidInput(f"cannot write {what} to {path}: {e.strerror}") from None


def cmd_list(ctx: Any) -> int:
    rows = devices(ctx.store, include_revoked=ctx.args.all)
    held = quarantined(ctx.store)
    for r in rows:
        r["quarantined_at"] = sorted(door for name, door in held if name == r["name"])

    def text() -> str:
        return (
            "\n".join(
                f"{r['name']:<20} {r['role']:<8} {','.join(r['doors']) or r['unit'] or '-':<20}"
                + (" revoked" if r["revoked_at"] else "")
                + (
                    f" QUARANTINED at {','.join(r['quarantined_at'])}"
                    if r["quarantined_at"]
                    else ""
                )
                for r in rows
            )
            or "no devices"
        )

    ctx.out(rows, text)
    return 0


def cmd_revoke(ctx: Any) -> int:
    revoke(ctx.store, ctx.args.name, ctx.args.by or os.environ.get("USER", "installer"))
    files = _sync(ctx)
    cleared = clear_availability(ctx, ctx.args.name)
    text = f"device {ctx.args.name} revoked; broker files rewritten"
    if not cleared:
        text += (
            "\nthe broker was not reachable: screens show the device offline until the core"
            " next starts (it clears what a revoked device left)"
        )
    ctx.out({"name": ctx.args.name, **files, "availability_cleared": cleared}, text)
    return 0


def clear_availability(ctx: Any, name: str) -> bool:
    """Clear a revoked device's retained availability, so that no screen shows it offline for
    ever; the core clears a last will that comes later. False when the broker is not there."""
    from compound.adapters.mqtt import BusError

    bus = ctx.bus(f"cli-{os.getpid()}")
    try:
        bus.start(timeout=float(os.environ.get("COMPOUND_BUS_TIMEOUT", "5")))
    except BusError:
        return False
    try:
        bus.publish(ctx.topics().availability(name), b"", qos=1, retain=True)
    finally:
        # Its own "offline" goes after the clear and is waited for: the clear is through.
        bus.stop()
    return True


def cmd_release(ctx: Any) -> int:
    release(ctx.store, ctx.args.name, ctx.args.by or os.environ.get("USER", "operator"))
    files = _sync(ctx)
    ctx.out(
        {"name": ctx.args.name, **files},
        f"device {ctx.args.name} released from quarantine; broker files rewritten",
    )
    return 0


def cmd_write(ctx: Any) -> int:
    files = _sync(ctx)
    ctx.out(files, f"{files['devices']} device(s) written to {files['acl_file']}")
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    g = sub.add_parser(
        "devices",
        help="broker credentials of devices and services",
        description="broker credentials of devices and services",
    )
    act = g.add_subparsers(dest="action", required=True, metavar="ACTION")

    def add_cmd(name: str, fn: Any, help_: str) -> argparse.ArgumentParser:
        sp: argparse.ArgumentParser = act.add_parser(
            name, help=help_, description=help_, parents=[common]
        )
        sp.set_defaults(fn=fn)
        return sp

    sp = add_cmd("add", cmd_add, "issue a broker credential for a device or service")
    sp.add_argument("name", help="user name on the broker; also its client id")
    sp.add_argument(
        "--role",
        required=True,
        help="core, console, panel, bridge, relay, face, station, ha (Home Assistant) or wall",
    )
    sp.add_argument("--door", action="append", help="door it serves (repeatable)")
    sp.add_argument(
        "--unit", help="an indoor station's unit, e.g. 3-2-1501; a wall's station group (officer)"
    )
    sp.add_argument("--camera", action="append", help="camera whose preview a panel shows")
    sp.add_argument("--method", action="append", help="an extra API method it may call")
    sp.add_argument("--password-file", help="write the password here (0600) instead of printing")
    sp.add_argument("--key-dir", help="write door command keys here (0600) instead of printing")
    sp.add_argument("--by", help="who issues it (for the log)")
    sp = add_cmd("list", cmd_list, "list device credentials")
    sp.add_argument("--all", action="store_true", help="include revoked ones")
    sp = add_cmd("revoke", cmd_revoke, "revoke a device's credential and cut it off")
    sp.add_argument("name")
    sp.add_argument("--by", help="who revokes it (for the log)")
    sp = add_cmd("release", cmd_release, "give a quarantined device its access requests back")
    sp.add_argument("name")
    sp.add_argument("--by", help="who releases it (for the log)")
    add_cmd(
        "write",
        cmd_write,
        "rewrite the broker's password and ACL files from the database (quarantines included)",
    )
