"""The highest command sequence number carried out per door, kept across bridge restarts.

The command guard refuses a command whose ``seq`` is not above the last one it carried out for
that door; in memory alone that is forgotten at a restart. The guard's other defence across a
restart, "issued before this bridge started", is judged on the wall clock as it reads now, so
after a restart followed by a step of the clock back by D, a command captured about D before
the restart can look fresh. Its sequence number cannot: the core's numbers only grow (kept in
its database, ``compound/services/command_seq.py``), so every command captured before the
restart is at or below the floor kept here.

One append-only file of ``<door> <seq>`` lines in the bridge's state directory, a line written
and flushed (``fdatasync``) for each command carried out, before its relay moves. At start the
file is read (a torn last line is skipped), and rewritten with one line per door: written,
flushed, renamed over the old one, so a power cut leaves one or the other.

If the file cannot be written the command still goes ahead (the time checks still hold), and
the failure is logged once. To let the doors take a core whose numbers went back (its database
restored from a backup older than the floor while the clock is also behind), remove the file
with the bridge stopped.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

log = logging.getLogger(__name__)

COMPACT_AFTER = 10_000  # lines appended before the file is rewritten with one line per door


class CommandFloor:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._floor: dict[str, int] = {}
        self._lines = 0
        self._failing = False

    def load(self) -> dict[str, int]:
        """The floor per door from the file (creating its folder), rewritten compact."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        floor: dict[str, int] = {}
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            text = ""
        for line in text.splitlines():
            door, _, seq = line.partition(" ")
            try:
                n = int(seq)
            except ValueError:
                continue  # a line torn by a power cut
            floor[door] = max(n, floor.get(door, n))
        self._floor = floor
        self._rewrite()
        return dict(floor)

    def record(self, door: str, seq: int) -> None:
        """Keep ``seq`` as ``door``'s floor, flushed to disk; never raises."""
        with self._lock:
            self._floor[door] = max(seq, self._floor.get(door, seq))
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, f"{door} {seq}\n".encode())
                    os.fdatasync(fd)
                finally:
                    os.close(fd)
                self._lines += 1
                if self._lines >= COMPACT_AFTER:
                    self._rewrite()
            except OSError as e:
                if not self._failing:
                    log.error("command sequence floor not kept in %s: %s", self.path, e)
                self._failing = True
                return
            self._failing = False

    def _rewrite(self) -> None:
        tmp = self.path.with_name(self.path.name + ".new")
        data = "".join(f"{d} {n}\n" for d, n in sorted(self._floor.items())).encode()
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
            dfd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
            self._lines = 0
        except OSError as e:
            log.error("cannot rewrite %s: %s", self.path, e)
