"""The bridge's journal of door events: each is kept on disk until the core has logged it.

One append-only file of JSON lines in the bridge's state directory: the event itself (a
``DoorEvent`` with its id) when it happens, written and fsync'd before it is first published, and
``{"ack": "<id>"}`` when the core has acknowledged it. Read back at start, every event without
an ack is still owed to the core, in the order it happened.

The file is rewritten with only the events still owed when the bridge starts and whenever many
acknowledged lines have piled up: a new file is written and fsync'd, renamed over the old one,
and the directory fsync'd, so a power cut leaves either the old file or the new one. A line
torn by a power cut is skipped (and counted). An exclusive lock on a file beside the journal
keeps a second bridge process off it.

An acknowledgement line is written without an fsync: lost in a power cut, it costs one more
delivery of an event the core has logged, which the core recognises by its id and ignores.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from pathlib import Path

from compound.protocol.messages import DoorEvent, MessageError, encode

log = logging.getLogger(__name__)

COMPACT_AFTER = 1000  # lines written before acknowledged events are dropped from the file


class JournalError(RuntimeError):
    """The journal cannot be used; the message names the file and what to do."""


class EventJournal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.skipped = 0  # unreadable lines found at start (a torn last line)
        self._fd = -1
        self._lock_fd = -1
        self._lines = 0

    def open(self) -> list[DoorEvent]:
        """Lock the journal and return the events the core has not acknowledged, oldest first."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            lock = self.path.with_name(self.path.name + ".lock")
            self._lock_fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            pending = self._read()
            self.rewrite(pending)
        except BlockingIOError:
            self.close()
            raise JournalError(f"another bridge is using the event journal {self.path}") from None
        except OSError as e:
            self.close()
            raise JournalError(f"cannot use the event journal {self.path}: {e.strerror}") from None
        return pending

    def add(self, event: DoorEvent) -> None:
        """Append an event; on disk when this returns."""
        self._append(encode(event))
        os.fsync(self._fd)

    def acked(self, event_id: str) -> None:
        self._append(json.dumps({"ack": event_id}).encode())

    def compact_due(self, owed: int) -> bool:
        """Many lines of acknowledged events have piled up: time to ``rewrite``."""
        return self._lines - owed >= COMPACT_AFTER

    def close(self) -> None:
        for fd in (self._fd, self._lock_fd):
            if fd >= 0:
                os.close(fd)
        self._fd = self._lock_fd = -1

    # -- internals -------------------------------------------------------------------------

    def _append(self, line: bytes) -> None:
        _write_all(self._fd, line + b"\n")
        self._lines += 1

    def _read(self) -> list[DoorEvent]:
        try:
            text = self.path.read_bytes()
        except FileNotFoundError:
            return []
        owed: dict[str, DoorEvent] = {}  # insertion order: the order they happened
        for line in text.splitlines():
            try:
                record = json.loads(line)
                if isinstance(record, dict) and isinstance(record.get("ack"), str):
                    owed.pop(record["ack"], None)
                    continue
                event = DoorEvent.decode(line)
                if event.id is None:
                    raise MessageError("no id")
                owed[event.id] = event
            except (ValueError, MessageError):
                self.skipped += 1
        if self.skipped:
            log.warning("event journal %s: %d unreadable lines skipped", self.path, self.skipped)
        return list(owed.values())

    def rewrite(self, pending: list[DoorEvent]) -> None:
        """The file with only ``pending``, the events still owed, in place of the old one."""
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            _write_all(fd, b"".join(encode(ev) + b"\n" for ev in pending))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        if self._fd >= 0:
            os.close(self._fd)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        self._lines = len(pending)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
