"""Fuzz targets shared by the CI fuzz tests and ``bench/bench_fuzz.py``.

Each target takes untrusted input, runs it through a real decoder, and returns the number of
relay actions it caused. Only the documented error types may escape a decoder; anything else
is a crash. The door command path goes all the way to a door state machine that is online and
ready: the only way to move its relay is a command signed with the door's key.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

from compound import config as config_mod
from compound.adapters import keys
from compound.config import ConfigError
from compound.domain.clock import ManualClock
from compound.protocol.messages import (
    AccessRequest,
    AccessResult,
    ApiReply,
    DoorCommand,
    DoorEvent,
    IntercomCall,
    MessageError,
)
from firmware_bridge import mcu_protocol as mp
from firmware_bridge.command_guard import CommandGuard, Refused
from firmware_bridge.door_state import DoorMachine, DoorSetup

MASTER = bytes(range(32))
DOORS = ("d1", "d2")
NOW = 1_800_000_000.0

# Totals over a run, read by bench/bench_fuzz.py.
STATS: Counter[str] = Counter()

DECODERS = (DoorCommand, AccessRequest, AccessResult, DoorEvent, ApiReply, IntercomCall)


def decode_all(payload: bytes) -> int:
    """Every bus payload decoder: a value or ``MessageError``."""
    STATS["cases.decoders"] += 1
    for cls in DECODERS:
        try:
            cls.decode(payload)
        except MessageError:
            pass
    return 0


class DoorRig:
    """A command guard in front of two online door machines, counting relay actions."""

    def __init__(self) -> None:
        self.clock = ManualClock(NOW)
        self.guard = CommandGuard(
            lambda d: keys.door_command_key(MASTER, d), set(DOORS), self.clock
        )
        self.machines = {d: DoorMachine(DoorSetup(d), self.clock) for d in DOORS}
        for m in self.machines.values():
            m.link(True)
        self.relay_actions = 0

    def feed(
        self, topic_door: str, payload: bytes, retained: bool = False, genuine: bool = False
    ) -> int:
        """Relay actions caused; fuzz input (``genuine`` false) must cause none."""
        if not genuine:
            STATS["cases.door_commands"] += 1
        try:
            cmd = self.guard.check(topic_door, payload, retained)
        except Refused:
            return 0
        machine = self.machines[cmd.door_id]
        out = (
            machine.unlock(cmd.duration_s, cmd.reason)
            if cmd.action == "unlock"
            else machine.lock(cmd.reason)
        )
        if out.relay is not None:
            self.relay_actions += 1
            if not genuine:
                STATS["relay_actions_from_fuzz"] += 1
            return 1
        return 0


def frames(chunks: list[bytes]) -> int:
    """The serial frame reader on an arbitrary byte stream, then each frame's payload parser."""
    STATS["cases.serial"] += 1
    reader = mp.FrameReader()
    for chunk in chunks:
        for frame in reader.feed(chunk):
            assert frame.type in mp.TYPES  # noqa: S101
            for parse in (mp.parse_card, mp.parse_digits):
                try:
                    parse(frame.payload)
                except ValueError:  # WiegandError is one
                    pass
    reader.idle()
    return 0


_CONFIG_DIR = Path(tempfile.mkdtemp(prefix="compound-fuzz-"))


def config_text(text: str) -> int:
    """The config loader on arbitrary text: a ``Config`` or one ``ConfigError``."""
    STATS["cases.config"] += 1
    path = _CONFIG_DIR / "fuzz.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        config_mod.load(path)
    except ConfigError:
        pass
    return 0
