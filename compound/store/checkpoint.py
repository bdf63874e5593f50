"""Checkpoints of the event log's head, so that deleting the newest events is seen.

The hash chain shows a row altered, removed or slipped in, but not the newest rows removed: what
is left still links. So every ``checkpoint_every`` events, and when the core shuts down after it
logged something, the sequence number and hash of the head are signed (HMAC-SHA256) with a key
the database does not hold (``checkpoint.key`` beside the other keys, 0600), appended as one
line to a checkpoint file beside the database (``<db>.checkpoints``, 0600, append-only,
fsync'd), and queued for the city platform in the outbox (kind ``log_checkpoint``).
After every commit that logged events the head is also signed into the head file
(``log_head.py``), so that the newest events, logged since the last checkpoint, are anchored
too. ``verify_log`` compares the log with every checkpoint and head record: a head older than
one, or a hash that differs from one, names the last event known to be good.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import sqlite3
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from compound.adapters import keys
from compound.protocol.messages import canonical
from compound.store.base import StoreError
from compound.store.log import GENESIS, EventLog, LogCheck, walk_chain
from compound.store.log_head import Checkpoint, HeadWriter, head_path, read_heads, sign

log = logging.getLogger(__name__)

CHECKPOINT_KIND = "log_checkpoint"
CHECKPOINT_EVERY = 100
# A signed record and what it is ("checkpoint" or "head record"); all of them and a problem.
Signed1 = tuple[Checkpoint, str]
Signed = tuple[list[Signed1], str]


@dataclass(frozen=True)
class HeadCheck:
    """What the checkpoints say about the log: a problem and the last good event, or none."""

    problem: str = ""
    first_broken: int | None = None
    last_good: int | None = None


def read_checkpoints(path: Path, key: bytes) -> tuple[list[Checkpoint], str]:
    """The checkpoints in the file, oldest first, and a problem if a line is forged or damaged.
    A last line cut short (power lost while it was written) is not a problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], ""
    except OSError as e:
        return [], f"cannot read checkpoint file {path}: {e.strerror}"
    lines = text.split("\n")
    found: list[Checkpoint] = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        last = i == len(lines) - 1  # no newline after it: written only in part
        try:
            d = json.loads(line)
            cp = Checkpoint(int(d["seq"]), str(d["hash"]), float(d["at"]), str(d["mac"]))
        except (ValueError, KeyError, TypeError):
            if last:
                break
            return found, f"checkpoint file {path} line {i + 1} is damaged"
        if not hmac.compare_digest(cp.mac, sign(key, cp.seq, cp.hash, cp.at)):
            return found, (
                f"checkpoint file {path} line {i + 1} is not signed with this box's checkpoint key"
            )
        found.append(cp)
    return found, ""


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class Checkpoints(EventLog):
    path: Path
    key_dir: Path
    checkpoint_every: int = CHECKPOINT_EVERY
    _unanchored: bool = False  # events logged since the last checkpoint this process wrote
    _last_checkpoint: Checkpoint | None = None
    _head_writer: HeadWriter | None = None
    _head_failing: bool = False  # a failure to write the head file is logged once
    _key_cache: bytes | None = None

    @property
    def checkpoint_path(self) -> Path | None:
        if str(self.path) == ":memory:":
            return None
        return self.path.with_name(self.path.name + ".checkpoints")

    def _checkpoint_key(self) -> bytes:
        if self._key_cache is not None:
            return self._key_cache
        try:
            key = keys.load_or_create(self.key_dir / "checkpoint.key")
        except keys.KeyError_ as e:
            raise StoreError(str(e)) from None
        self._key_cache = key
        return key

    def checkpoint(self) -> Checkpoint | None:
        """Sign the log's head and keep it in the checkpoint file and the outbox; None for an
        empty log or a database in memory."""
        path = self.checkpoint_path
        if path is None:
            return None
        key = self._checkpoint_key()
        with self._lock:
            head = self.conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
            row = head.fetchone()
            if row is None:
                return None
            seq, hash_ = int(row[0]), str(row[1])
            last = self._last_checkpoint
            if last is not None and (last.seq, last.hash) == (seq, hash_):
                self._unanchored = False
                return last
            at = self.clock.now()
            cp = Checkpoint(seq, hash_, at, sign(key, seq, hash_, at))
            _append_line(path, json.dumps(asdict(cp), sort_keys=True))
            with self.transaction() as c:
                c.execute(
                    "INSERT INTO outbox (event_seq, kind, payload, created_at) VALUES (?, ?, ?, ?)",
                    (seq, CHECKPOINT_KIND, canonical(as_record(cp)).decode(), at),
                )
            self._last_checkpoint = cp
            self._unanchored = False
            return cp

    def _after_events(self, seqs: list[int]) -> None:
        """Called once a transaction that logged the events ``seqs`` has committed."""
        self._unanchored = True
        self._write_head()
        every = max(1, self.checkpoint_every)
        if any(s % every == 0 for s in seqs):
            self._try_checkpoint()

    def _write_head(self) -> None:
        """Sign the newest committed event into the head file (``log_head``). Never raises: a
        failure is logged once, and again once it is written."""
        if str(self.path) == ":memory:":
            return
        try:
            key = self._checkpoint_key()
            with self._lock:
                row = self.conn.execute(
                    "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1"
                ).fetchone()
            if row is None:
                return
            seq, hash_ = int(row[0]), str(row[1])
            at = self.clock.now()
            if self._head_writer is None:
                self._head_writer = HeadWriter(head_path(self.path))
            self._head_writer.write(Checkpoint(seq, hash_, at, sign(key, seq, hash_, at)))
        except (StoreError, OSError) as e:
            if not self._head_failing:
                log.error("the log's head is not anchored: %s", e)
            self._head_failing = True
            return
        if self._head_failing:
            log.warning("the log's head is anchored again")
            self._head_failing = False

    def _try_checkpoint(self) -> None:
        try:
            self.checkpoint()
        except (StoreError, OSError) as e:
            log.error("log checkpoint not written: %s", e)

    def checkpoint_at_shutdown(self) -> None:
        """At the core's shutdown: sign the head if this process logged events since the last
        checkpoint it wrote. Never raises; a failure is logged."""
        if self._unanchored:
            self._try_checkpoint()

    def verify_log(self) -> LogCheck:
        """The hash chain from the first event, then the head against the signed checkpoints."""
        return self.verify_from()

    def verify_from(self, after: int = 0, prev: str = GENESIS) -> LogCheck:
        """The chain from the event after ``after`` (whose hash is ``prev``), then the head
        against the signed checkpoints and head records; ``events`` is the head's number.

        The signed records are read before the chain: each was written once its events had
        committed, so the walk, which starts after, holds every event they name, even while the
        core goes on logging (read after the walk, a record of an event committed meanwhile
        would look like a deletion). The walk runs on a read-only connection, outside the lock
        the door decisions take: on 10 million events it takes minutes."""
        signed = self.signed_heads()
        conn = self._reader()
        if conn is None:  # a database in memory has its one connection
            with self._lock:
                return self._verify_on(self.conn, after, prev, signed)
        return self._verify_on(conn, after, prev, signed)

    def _verify_on(
        self, conn: sqlite3.Connection, after: int, prev: str, signed: Signed
    ) -> LogCheck:
        r = walk_chain(conn, after, prev)
        r = LogCheck(r.ok, after + r.events, r.first_broken, r.problem)
        if not r.ok:
            return r
        # the chain runs without a gap from the first event read, so its head is r.events
        h = self.check_head(r.events, signed, conn)
        if h.problem:
            return LogCheck(False, r.events, h.first_broken, h.problem)
        return r

    def signed_heads(self) -> Signed:
        """The signed checkpoints and head records, oldest first, and a problem if one is
        forged or cannot be read."""
        path = self.checkpoint_path
        if path is None:
            return [], ""
        key = self._checkpoint_key()
        found, problem = read_checkpoints(path, key)
        heads, head_problem = read_heads(head_path(self.path), key)
        signed = [(cp, "checkpoint") for cp in found] + [(cp, "head record") for cp in heads]
        signed.sort(key=lambda s: (s[0].seq, s[1] == "checkpoint"))
        return signed, problem or head_problem

    def check_head(
        self, head_seq: int, signed: Signed | None = None, conn: sqlite3.Connection | None = None
    ) -> HeadCheck:
        """Compare the log (already found to link from event 1 to ``head_seq``) with the signed
        checkpoints (``signed``: read now when not given)."""
        if self.checkpoint_path is None:
            return HeadCheck()
        records, problem = self.signed_heads() if signed is None else signed
        if conn is None:
            with self._lock:
                return _compare(self.conn, head_seq, records, problem)
        return _compare(conn, head_seq, records, problem)


def _compare(
    conn: sqlite3.Connection, head_seq: int, signed: list[Signed1], problem: str
) -> HeadCheck:
    good = 0
    if signed and signed[-1][0].seq > head_seq:
        cp, what = signed[-1]  # the newest signed: everything up to it is missing
        missing = (
            f"event {cp.seq} is missing"
            if cp.seq == head_seq + 1
            else f"events {head_seq + 1} to {cp.seq} are missing"
        )
        return HeadCheck(
            f"{missing}: the {what} of {_when(cp.at)} signed event {cp.seq}; "
            f"the last good event is {head_seq}",
            head_seq + 1,
            head_seq,
        )
    for cp, what in signed:
        row = conn.execute("SELECT hash FROM events WHERE seq = ?", (cp.seq,)).fetchone()
        if row is None or row[0] != cp.hash:
            return HeadCheck(
                f"event {cp.seq} differs from the {what} of {_when(cp.at)}: the log was "
                f"rewritten after event {good}; the last good event is {good}",
                good + 1,
                good,
            )
        good = cp.seq
    if problem:
        return HeadCheck(problem, None, good)
    return HeadCheck()


def _append_line(path: Path, line: str) -> None:
    data = (line + "\n").encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_mode & 0o077:
                os.fchmod(fd, 0o600)
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as e:
        raise StoreError(f"cannot write checkpoint file {path}: {e.strerror}") from None


def as_record(cp: Checkpoint) -> dict[str, Any]:
    return {"type": CHECKPOINT_KIND, **asdict(cp)}
