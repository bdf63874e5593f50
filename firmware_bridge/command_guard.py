"""Checks every door command before it may reach a relay; pure, clock-injected.

A command passes only if it is a well-formed, non-retained ``DoorCommand`` for a door this bridge
drives, carried on that door's own topic, signed with that door's key, not expired, issued after
this bridge started, not seen before, and newer (by ``seq``) than the last command accepted for
that door. Every refusal is counted by reason so that an installer sees replays and forgeries in
the bridge's status.

Replays across a restart: the ids seen and the last ``seq`` live in memory, and systemd restarts
a bridge within about a second, well inside a command's 3 s lifetime. Rather than persisting
them, the guard refuses every command issued (by its own signed ``issued_at``) before
``started_at``, the moment this bridge began taking commands. A command captured before a
restart was issued before it, so it is refused whatever the new process remembers; nothing is
written to disk on the command path, and no lost, stale or restored state file can reopen the
window. It relies on what the expiry already relies on: the core and the bridge read the same
box's clock. A command the core sent in the second the bridge was down is refused too, and
answered as such (the bridge acknowledges every refusal).

Clock steps: "before this bridge started" is judged on the wall clock as it reads now, not as
it read at the start. The guard keeps the monotonic time of its start beside the wall time,
and takes the start to be ``now - (monotonic now - monotonic at start)``: a clock stepped back
an hour moves the start back an hour, so the core's new commands (stamped with the same
stepped clock) pass at once instead of being refused until wall time catches up. A command
issued before a step back of more than its lifetime reads as from the future and is refused.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable

from compound.domain.clock import Clock
from compound.protocol.messages import MAX_PAYLOAD, DoorCommand, MessageError, decode_object
from compound.protocol.topics import valid_segment

KeyFor = Callable[[str], bytes]

# A command issued further in the future than this is refused: the core and the bridge share
# one box's clock, so more than a little skew means the command was made up.
MAX_FUTURE_S = 2.0


class Refused(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def command_id(payload: bytes) -> str | None:
    """The id a refused command gives, to answer it by; None when it cannot be read."""
    if len(payload) > MAX_PAYLOAD:
        return None
    try:
        value = decode_object(payload).get("id")
    except MessageError:
        return None
    return value if isinstance(value, str) and valid_segment(value) else None


class CommandGuard:
    def __init__(
        self,
        key_for: KeyFor,
        doors: set[str],
        clock: Clock,
        seen_limit: int = 10_000,
        floor: dict[str, int] | None = None,
        on_accept: Callable[[str, int], None] | None = None,
    ) -> None:
        """``floor``: the last ``seq`` carried out per door by earlier processes, and
        ``on_accept`` keeps each new one (``command_floor``), so that the order check holds
        across restarts too."""
        self.key_for = key_for
        self.doors = doors
        self.clock = clock
        self.seen_limit = seen_limit
        self.refused: Counter[str] = Counter()
        self.accepted = 0
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._last_seq: dict[str, int] = dict(floor or {})
        self._on_accept = on_accept
        # Commands issued before this are refused (see the module's docstring); the bridge sets
        # it again when it starts taking commands.
        self.started_at = clock.now()

    @property
    def started_at(self) -> float:
        """The wall time at which this bridge began taking commands, as read then."""
        return self._started_wall

    @started_at.setter
    def started_at(self, wall: float) -> None:
        self._started_wall = wall
        self._started_mono = self.clock.monotonic()

    def start_now(self) -> float:
        """The start, on the wall clock as it reads now: moved by any step since."""
        return self.clock.now() - (self.clock.monotonic() - self._started_mono)

    def check(self, topic_door: str, payload: bytes, retained: bool) -> DoorCommand:
        """The command, if it may act; otherwise ``Refused`` (already counted)."""
        try:
            cmd = self._check(topic_door, payload, retained)
        except Refused as e:
            self.refused[e.reason] += 1
            raise
        self.accepted += 1
        return cmd

    def _check(self, topic_door: str, payload: bytes, retained: bool) -> DoorCommand:
        if len(payload) > MAX_PAYLOAD:
            raise Refused("oversized", f"{len(payload)} bytes")
        if retained:
            # A retained command would be delivered again at every reconnect.
            raise Refused("retained")
        try:
            cmd = DoorCommand.decode(payload)
        except MessageError as e:
            raise Refused("malformed", str(e)) from None
        if cmd.door_id != topic_door:
            raise Refused("wrong_topic", f"{cmd.door_id} on {topic_door}")
        if cmd.door_id not in self.doors:
            raise Refused("unknown_door", cmd.door_id)
        if not cmd.mac_ok(self.key_for(cmd.door_id)):
            raise Refused("bad_mac", cmd.id)
        now = self.clock.now()
        if cmd.expires_at < now:
            raise Refused("expired", f"{now - cmd.expires_at:.1f} s late")
        if cmd.issued_at > now + MAX_FUTURE_S:
            raise Refused("from_future", cmd.id)
        if cmd.issued_at < min(self.started_at, self.start_now()):
            raise Refused("issued_before_start", cmd.id)
        if cmd.id in self._seen:
            raise Refused("replayed", cmd.id)
        if cmd.seq <= self._last_seq.get(cmd.door_id, -1):
            raise Refused("out_of_order", f"seq {cmd.seq}")
        # Only a command that passed every check is remembered.
        self._seen[cmd.id] = None
        if len(self._seen) > self.seen_limit:
            self._seen.popitem(last=False)
        self._last_seq[cmd.door_id] = cmd.seq
        if self._on_accept is not None:
            self._on_accept(cmd.door_id, cmd.seq)  # on disk before the relay moves
        return cmd
