"""The head file: the newest committed event, signed after every commit that logged one.

The checkpoint file (``checkpoint.py``) is appended every 100 events and at shutdown, so the
newest events since the last checkpoint could be deleted unseen. The head file closes that
window at the cost of one small write per commit: ``<db>.head`` holds two fixed-size slots, in
separate 4 KiB pages, and the head of sequence ``seq`` goes to slot ``seq % 2``. A write cut
short by a power loss spoils at most one slot; the other still holds the head before it. Two
processes writing the same database (the core and a CLI command) write different heads to
different slots or the same head to the same slot; a late writer may leave an older head
there, which is only less strict, never a false alarm.

Durability: the slot is written into the page cache at once (``pwrite``), and flushed
(``fdatasync``) at most once a second, by the next commit or by a timer one second after an
unflushed write. So a running or cleanly stopped box has every committed event anchored; after
a sudden power loss, the events of the last second before it may not be.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

from compound.protocol.messages import canonical

SLOT = 4096  # one page per slot: a torn write spoils one slot only
RECORD = 255  # bytes of JSON, padded with spaces, then a newline
SYNC_EVERY_S = 1.0


@dataclass(frozen=True)
class Checkpoint:
    """A signed head of the log: its newest event's sequence number and hash, and when."""

    seq: int
    hash: str
    at: float
    mac: str


def sign(key: bytes, seq: int, hash_: str, at: float) -> str:
    body = canonical({"seq": seq, "hash": hash_, "at": at})
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def head_path(db: Path) -> Path:
    return db.with_name(db.name + ".head")


def encode(cp: Checkpoint) -> bytes:
    body = json.dumps(
        {"seq": cp.seq, "hash": cp.hash, "at": cp.at, "mac": cp.mac}, sort_keys=True
    ).encode()
    return body.ljust(RECORD) + b"\n"


class HeadWriter:
    """Writes signed heads to one database's head file; shared by the threads of a process.
    The file stays open between writes (closed when the writer is collected, or on an error,
    then opened again by the next write)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd: list[int] = []  # the open descriptor, if any (a list: the finaliser's view)
        weakref.finalize(self, _close_all, self._fd)
        self._synced_at = 0.0  # monotonic time of the last fdatasync
        self._timer: threading.Timer | None = None
        self.writes = 0
        self.syncs = 0

    def write(self, cp: Checkpoint) -> None:
        """Put ``cp`` in its slot; flush now if the last flush is a second old, else within a
        second. Raises ``OSError``."""
        record = encode(cp)
        with self._lock:
            try:
                fd = self._open()
                os.pwrite(fd, record, (cp.seq % 2) * SLOT)
                self.writes += 1
                if time.monotonic() - self._synced_at >= SYNC_EVERY_S:
                    self._sync(fd)
                elif self._timer is None:
                    self._timer = threading.Timer(SYNC_EVERY_S, self._sync_later)
                    self._timer.daemon = True
                    self._timer.start()
            except OSError:
                _close_all(self._fd)  # opened again next time (the file may have been moved)
                raise

    def _open(self) -> int:
        if self._fd:
            return self._fd[0]
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
        self._fd.append(fd)
        return fd

    def _sync(self, fd: int) -> None:
        os.fdatasync(fd)
        self.syncs += 1
        self._synced_at = time.monotonic()

    def _sync_later(self) -> None:
        with self._lock:
            self._timer = None
            if self._fd:
                try:
                    self._sync(self._fd[0])
                except OSError:
                    pass  # the next write flushes again, and reports a failure to write


def _close_all(fds: list[int]) -> None:
    while fds:
        try:
            os.close(fds.pop())
        except OSError:
            pass


def read_heads(path: Path, key: bytes) -> tuple[list[Checkpoint], str]:
    """The signed heads in the file, and a problem if a slot is signed with another key.
    A slot that is empty or cannot be read as a record (a torn write) is left out."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], ""
    except OSError as e:
        return [], f"cannot read head file {path}: {e.strerror}"
    found: list[Checkpoint] = []
    for slot in (0, 1):
        raw = data[slot * SLOT : slot * SLOT + RECORD + 1].strip()
        if not raw:
            continue
        try:
            d = json.loads(raw)
            cp = Checkpoint(int(d["seq"]), str(d["hash"]), float(d["at"]), str(d["mac"]))
        except (ValueError, KeyError, TypeError):
            continue
        if not hmac.compare_digest(cp.mac, sign(key, cp.seq, cp.hash, cp.at)):
            return found, f"head file {path} slot {slot} is not signed with this box's key"
        found.append(cp)
    return sorted(found, key=lambda c: c.seq), ""
