"""The lock keeper: a small process beside `compound bridge` that locks the doors when the bridge
dies without locking them itself (SIGKILL, the kernel's out-of-memory killer, a crash of the
interpreter).

Why: a relay keeps its last state. A strike the bridge powered for a 5 s pulse stays powered
(open), a maglock it unpowered stays unpowered (open), until something writes the coil again;
after a crash that is the next bridge process, which systemd starts 2 s later (RestartSec=2) and
which needs a second or more before it drives every door locked. Measured without the keeper:
doors released about 4 s past the end of their pulse after every SIGKILL (bench/results/soak.md).

How: `compound bridge` starts the keeper before it touches a relay, with its doors' wiring on the
command line, and holds the write end of a pipe to the keeper's standard input; the keeper only
waits on the read end. When the bridge stops cleanly (its ``stop()`` locked the doors) it writes
``done`` and the keeper exits without a word on the lines. When the bridge dies, the kernel
closes the pipe: the keeper reads end-of-file without ``done``, waits 50 ms (the bridge's last
frame may be half sent), opens each board's line, reads every fire input, and writes each door's
locked level: a Modbus coil write (function 5) on a relay board, a RELAY frame to an entrance
MCU, each repeated until the device echoes it (3 tries). Egress doors are left as they are when a
fire input is active or cannot be read: whether people get out must not depend on the bridge,
as in ``Bridge.stop``. Then it exits; the next bridge process starts its own keeper.

The keeper ignores SIGTERM and SIGINT: systemd's stop signals the whole control group, and the
keeper must outlive the bridge's own locking to cover a bridge that hangs in it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import IO, Any

from compound.config import BridgeConfig
from firmware_bridge import mcu_protocol as mp
from firmware_bridge.serial_port import LineDown, SerialLine

QUIET_S = 0.05  # after the bridge died, before writing: a half-sent frame has ended
TRIES = 3
ANSWER_S = 0.3  # how long a device has to answer one request


@dataclass(frozen=True)
class Output:
    channel: int
    locked_on: bool  # the level that locks: a strike unpowered, a maglock powered
    egress: bool
    door: str


@dataclass(frozen=True)
class Line:
    kind: str  # "board" (Modbus RTU) or "mcu"
    port: str
    baud: int
    unit: int = 1
    fire_input: int = -1
    outputs: list[Output] = field(default_factory=list)


def plan(cfg: BridgeConfig) -> list[Line]:
    """Each serial line and the doors to lock on it, from the bridge's config."""
    lines: list[Line] = []
    for b in cfg.boards:
        outs = [_output(d) for d in cfg.doors if d.board == b.name]
        lines.append(Line("board", b.port, b.baud, b.unit, b.fire_input, outs))
    for m in cfg.mcus:
        outs = [_output(d) for d in cfg.doors if d.board == m.name]
        if outs:
            lines.append(Line("mcu", m.port, m.baud, outputs=outs))
    return lines


def _output(d: Any) -> Output:
    return Output(d.relay, d.lock != "strike", d.egress, d.id)


# -- the bridge's side -----------------------------------------------------------------------


class Keeper:
    """The bridge's handle on its keeper process."""

    def __init__(self, cfg: BridgeConfig) -> None:
        self.spec = json.dumps([asdict(line) for line in plan(cfg)])
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._started = 0.0

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "firmware_bridge.lock_keeper", self.spec],
            stdin=subprocess.PIPE,
        )
        self.starts += 1
        self._started = time.monotonic()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def ensure(self) -> bool:
        """Start it again if it died (at most every 10 s); False when it was started again."""
        if self.alive() or time.monotonic() - self._started < 10.0:
            return True
        self.start()
        return False

    def done(self) -> None:
        """The doors are locked: the keeper may go without touching them."""
        if self.proc is None or self.proc.stdin is None:
            return
        try:
            self.proc.stdin.write(b"done\n")
            self.proc.stdin.close()
            self.proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


# -- the keeper's side -----------------------------------------------------------------------


def modbus_crc(data: bytes) -> bytes:
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc.to_bytes(2, "little")


def modbus(unit: int, fc: int, a: int, b: int) -> bytes:
    body = bytes([unit, fc]) + a.to_bytes(2, "big") + b.to_bytes(2, "big")
    return body + modbus_crc(body)


def _ask(line: SerialLine, request: bytes, done: Any) -> bytes | None:
    """Send ``request`` until ``done(reply so far)`` says the answer is there."""
    for _ in range(TRIES):
        try:
            line.write(request)
            got = b""
            deadline = time.monotonic() + ANSWER_S
            while time.monotonic() < deadline:
                got += line.read()
                if done(got):
                    return got
        except LineDown:
            if not line.ensure_open():
                time.sleep(0.1)
    return None


def fire_active(line: SerialLine, spec: Line) -> bool | None:
    """The board's fire input, or None when it cannot be read."""
    if spec.fire_input < 0:
        return False
    req = modbus(spec.unit, 2, spec.fire_input, 1)
    reply = _ask(line, req, lambda r: len(r) >= 6 and r[:2] == req[:2])
    if reply is None or modbus_crc(reply[:4]) != reply[4:6]:
        return None
    return bool(reply[3] & 1)


def lock_board(line: SerialLine, spec: Line, outs: list[Output]) -> int:
    locked = 0
    for o in outs:
        req = modbus(spec.unit, 5, o.channel, 0xFF00 if o.locked_on else 0)
        if _ask(line, req, lambda r, req=req: req in r) is not None:
            locked += 1
    return locked


def lock_mcu(line: SerialLine, outs: list[Output]) -> int:
    locked = 0
    for o in outs:
        req = mp.encode(mp.Frame(mp.RELAY, bytes([o.channel, 1 if o.locked_on else 0])))

        def acked(got: bytes, o: Output = o) -> bool:
            frames = mp.FrameReader().feed(got)
            return any(f.type == mp.RELAY_ACK and f.payload[:1] == bytes([o.channel])
                       for f in frames)  # fmt: skip

        if _ask(line, req, acked) is not None:
            locked += 1
    return locked


def lock_all(lines: list[Line]) -> dict[str, int]:
    """Lock every door (egress doors only when no fire input is active or unknown)."""
    opened = {i: SerialLine(s.port, s.baud, read_timeout=0.05) for i, s in enumerate(lines)}
    for line in opened.values():
        for _ in range(10):  # the port may still be closing in the dead bridge
            if line.ensure_open():
                break
            time.sleep(0.1)
    fire = False
    for i, spec in enumerate(lines):
        if spec.kind == "board" and spec.fire_input >= 0:
            state = fire_active(opened[i], spec) if opened[i].is_open else None
            fire = fire or state is not False
    counts = {"locked": 0, "left_for_fire": 0}
    for i, spec in enumerate(lines):
        outs = [o for o in spec.outputs if not (fire and o.egress)]
        counts["left_for_fire"] += len(spec.outputs) - len(outs)
        if not opened[i].is_open:
            continue
        n = lock_board(opened[i], spec, outs) if spec.kind == "board" else lock_mcu(opened[i], outs)
        counts["locked"] += n
        opened[i].close()
    return counts


def keep(spec: str, stdin: IO[bytes]) -> int:
    lines = [
        Line(**{**d, "outputs": [Output(**o) for o in d["outputs"]]}) for d in json.loads(spec)
    ]
    told = b""
    while chunk := stdin.read(64):
        told += chunk
    if b"done" in told:
        return 0
    time.sleep(QUIET_S)
    counts = lock_all(lines)
    print(
        f"compound: lock keeper: the bridge died; {counts['locked']} doors locked"
        + (f", {counts['left_for_fire']} egress doors left to the fire input"
           if counts["left_for_fire"] else ""),
        file=sys.stderr, flush=True,
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(keep(sys.argv[1], sys.stdin.buffer))
