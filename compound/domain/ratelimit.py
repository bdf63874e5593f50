"""Brute-force limits on PIN and face attempts: pure, clock-free (the caller passes ``now``).

Two limits, because a PIN guesser and a stolen credential look different:

- per credential: after ``max_failures`` failures in a row of the same credential (the same
  card, PIN or recognised person), it is refused unread for ``lockout_s``; each further
  lockout doubles, up to ``max_lockout_s``; a grant clears it. This stops someone retrying a
  revoked card or a person outside their schedule from hammering one door after another.
- per door and kind: a guesser tries a different PIN each time, so no single credential fails
  twice. When a door sees ``door_max_failures`` failures of one kind within ``door_window_s``,
  it refuses that kind (not cards, not the exit button) for a doubling lockout, so ten-thousand
  PINs take days instead of minutes. Residents can still use a card, a pass or the intercom.

Refusals while locked are not counted as failures (the attacker learns nothing, and a lockout
does not grow just because someone keeps pressing). The alarm for consecutive failures belongs to
the alert engine (``compound.services.alerts``), which sees every denial in the event log; this
module only throttles.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import deque
from dataclasses import dataclass, field

LIMITED_KINDS = ("pin", "face")


@dataclass(frozen=True)
class Policy:
    max_failures: int = 5
    lockout_s: float = 30.0
    max_lockout_s: float = 900.0
    door_max_failures: int = 20
    door_window_s: float = 60.0
    kinds: tuple[str, ...] = LIMITED_KINDS


@dataclass
class _Lock:
    failures: int = 0
    strikes: int = 0
    until: float = 0.0
    times: deque[float] = field(default_factory=deque)


@dataclass(frozen=True)
class Refusal:
    scope: str  # "credential" or "door"
    until: float


class AttemptLimiter:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._creds: dict[tuple[str, str], _Lock] = {}
        self._doors: dict[tuple[str, str], _Lock] = {}
        # Credentials are kept only as salted digests: a PIN never sits in memory in clear.
        self._salt = secrets.token_bytes(16)
        self.refused = 0
        self.lockouts = 0

    def _cred_key(self, kind: str, value: str) -> tuple[str, str]:
        digest = hashlib.blake2b(value.encode(), key=self._salt, digest_size=16).hexdigest()
        return kind, digest

    def _lockout(self, lock: _Lock, now: float) -> None:
        p = self.policy
        lock.strikes += 1
        lock.until = now + min(p.lockout_s * 2 ** (lock.strikes - 1), p.max_lockout_s)
        self.lockouts += 1

    def _locks(self, door: str, kind: str, value: str, now: float) -> list[Refusal]:
        """The lockouts an attempt meets now: the door's first, then the credential's."""
        if kind not in self.policy.kinds:
            return []
        return [
            Refusal(scope, lock.until)
            for scope, lock in (
                ("door", self._doors.get((door, kind))),
                ("credential", self._creds.get(self._cred_key(kind, value))),
            )
            if lock is not None and now < lock.until
        ]

    def check(self, door: str, kind: str, value: str, now: float) -> Refusal | None:
        """A refusal if this attempt must be turned away unread; None to decide it normally."""
        locks = self._locks(door, kind, value, now)
        if not locks:
            return None
        self.refused += 1
        return locks[0]

    def lockout(self, door: str, kind: str, value: str, now: float) -> Refusal | None:
        """The lockout this attempt would meet now, without counting it as refused: when both
        the door and the credential are locked, the one that ends last."""
        return max(self._locks(door, kind, value, now), key=lambda r: r.until, default=None)

    def tries_left(self, door: str, kind: str, value: str, now: float) -> int | None:
        """How many more failures of this credential at this door before a lockout: the fewer
        of what the credential and the door have left. 0 while locked; None for a kind that is
        not limited (cards, passes)."""
        p = self.policy
        if kind not in p.kinds:
            return None
        if self._locks(door, kind, value, now):
            return 0
        cred = self._creds.get(self._cred_key(kind, value))
        door_lock = self._doors.get((door, kind))
        recent = 0
        if door_lock is not None:
            recent = sum(1 for t in door_lock.times if t > now - p.door_window_s)
        cred_left = p.max_failures - (cred.failures if cred is not None else 0)
        return max(0, min(cred_left, p.door_max_failures - recent))

    def record(self, door: str, kind: str, value: str, granted: bool, now: float) -> None:
        """The outcome of an attempt that was decided (not one refused by ``check``)."""
        p = self.policy
        if kind not in p.kinds:
            return
        key = self._cred_key(kind, value)
        if granted:
            self._creds.pop(key, None)
            return
        cred = self._creds.setdefault(key, _Lock())
        cred.failures += 1
        if cred.failures >= p.max_failures:
            cred.failures = 0
            self._lockout(cred, now)
        door_lock = self._doors.setdefault((door, kind), _Lock())
        if door_lock.strikes and now - door_lock.until > p.max_lockout_s * 4:
            door_lock.strikes = 0  # a long quiet spell forgives earlier door lockouts
        times = door_lock.times
        while times and times[0] <= now - p.door_window_s:
            times.popleft()
        times.append(now)
        if len(times) >= p.door_max_failures:
            times.clear()
            self._lockout(door_lock, now)

    def status(self, now: float) -> dict[str, object]:
        return {
            "locked_doors": sorted(
                f"{d}:{k}" for (d, k), lk in self._doors.items() if now < lk.until
            ),
            "locked_credentials": sum(1 for lk in self._creds.values() if now < lk.until),
            "refused": self.refused,
            "lockouts": self.lockouts,
        }

    def forget_idle(self, now: float) -> None:
        """Drop state nobody needs any more, so memory stays bounded under a long attack."""
        horizon = self.policy.max_lockout_s * 4
        for table in (self._creds, self._doors):
            for key in [
                k for k, lk in table.items() if now - max(lk.until, 0.0) > horizon and not lk.times
            ]:
                del table[key]
