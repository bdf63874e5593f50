"""The command keys of the doors this bridge drives, read from the files that
``compound devices add NAME --role bridge --door DOOR --key-dir DIR`` writes.

The bridge never reads the box's master key: that key signs for every door and derives the PIN
and pass lookup keys, so a bridge holding it would be a skeleton key for the site. Each door's
key is its own 0600 file; a file that is missing, unreadable, of the wrong size or readable by
others stops the bridge at start with a message naming the door and the file. No key is ever
made up here: a made-up key would only refuse every command, silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from compound.app.devices import door_key_file

KEY_SIZE = 32


class DoorKeyError(Exception):
    """A door's command key cannot be used; the message (one line) says which and why."""


def load_door_keys(key_dir: Path, doors: Iterable[str]) -> dict[str, bytes]:
    return {door: read_door_key(key_dir, door) for door in doors}


def read_door_key(key_dir: Path, door: str) -> bytes:
    path = door_key_file(key_dir, door)
    fix = f"issue it with `compound devices add <bridge user> --role bridge --door {door} "
    fix += f"--key-dir {key_dir}`"
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            data = f.read(KEY_SIZE + 1)
    except FileNotFoundError:
        raise DoorKeyError(f"door {door}: no command key file {path}; {fix}") from None
    except OSError as e:
        raise DoorKeyError(
            f"door {door}: cannot read command key file {path}: {e.strerror}"
        ) from None
    if len(data) != KEY_SIZE:
        raise DoorKeyError(
            f"door {door}: command key file {path} has {st.st_size} bytes, expected {KEY_SIZE}; "
            + fix
        )
    mode = st.st_mode & 0o777
    if mode & 0o077:
        raise DoorKeyError(
            f"door {door}: command key file {path} is readable by others (mode {mode:o}); "
            "chmod 600 it"
        )
    return data
