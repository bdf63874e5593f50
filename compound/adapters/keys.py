"""Secret keys of the box, each in its own 0600 file outside the database.

The database can be copied for a report or a backup without carrying the keys with it: PINs and
visitor passes are stored as keyed hashes, door commands are signed with keys derived from the
box's master key, and face templates are encrypted with a key of their own.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path


class KeyError_(RuntimeError):
    """A key file exists but cannot be used; the message says which and why."""


def load_or_create(path: Path, size: int = 32) -> bytes:
    """Read the key at ``path``; create it (0600, atomically) if it does not exist."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_bytes(size))
            os.fsync(fd)
        finally:
            os.close(fd)
        # link() fails if another process created the key meanwhile; then we use theirs.
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        data = path.read_bytes()
    except OSError as e:
        raise KeyError_(f"cannot read key file {path}: {e.strerror}") from None
    if len(data) != size:
        raise KeyError_(f"key file {path} has {len(data)} bytes, expected {size}; restore it")
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise KeyError_(f"key file {path} is readable by others (mode {mode:o}); chmod 600 it")
    return data


def derive(master: bytes, purpose: str) -> bytes:
    """A sub-key for one purpose, e.g. ``door-command:b3-e2``; one device never learns another's."""
    return hmac.new(master, purpose.encode(), hashlib.sha256).digest()


def door_command_key(master: bytes, door_id: str) -> bytes:
    return derive(master, f"door-command:{door_id}")


def lookup_hash(master: bytes, kind: str, secret: str) -> str:
    """Keyed hash of a PIN or pass token: findable by equality, useless without the key."""
    return hmac.new(derive(master, f"lookup:{kind}"), secret.encode(), hashlib.sha256).hexdigest()
