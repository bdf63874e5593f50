"""Serial: command-to-coil time at 9600 and 115200 baud against the theoretical frame time.

The bridge's ``RelayBoard`` writes one coil (Modbus function 5) to the simulated board on a
pty. The simulator paces the line: it holds a request for the time its bytes take on RS-485 at
the configured baud rate before acting on it, and holds its reply for the reply's wire time.
Measured: write sent → coil changed in the board (command-to-coil), and the whole
request/response round trip as the bridge sees it. Next to them, the theoretical figures:

- a character on the line is 1 start + 8 data + parity + stop bits (8N1 = 10 bits, as the
  boards here are set; 8E1 = 11 bits, the Modbus default);
- a write-coil request and its echoed response are 8 bytes each;
- the Modbus RTU silent interval between frames is 3.5 characters, fixed at 1.75 ms above
  19200 baud by the Modbus serial line specification.

The same pty with an unpaced simulator is the baseline (the pty and the two Python ends).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import summary_ms, write  # noqa: E402
from devkit.simulators import VirtualRelayBoard  # noqa: E402
from firmware_bridge.modbus_board import RelayBoard  # noqa: E402

N = 200
FRAME = 8  # bytes of a write-single-coil request, and of its response


def char_bits(parity: bool) -> int:
    return 1 + 8 + (1 if parity else 0) + 1


def gap_s(baud: int, bits: int) -> float:
    """Modbus RTU t3.5: 3.5 characters, but 1.75 ms fixed above 19200 baud."""
    return 0.00175 if baud > 19200 else 3.5 * bits / baud


def theory(baud: int, parity: bool) -> dict[str, float]:
    bits = char_bits(parity)
    frame = FRAME * bits / baud
    gap = gap_s(baud, bits)
    return {
        "bits_per_char": bits,
        "request_frame_ms": round(frame * 1000, 4),
        "inter_frame_gap_ms": round(gap * 1000, 4),
        # The slave acts once the request is in and the line has been silent for t3.5.
        "command_to_coil_ms": round((frame + gap) * 1000, 4),
        "round_trip_ms": round((2 * frame + 2 * gap) * 1000, 4),
        "round_trip_without_gaps_ms": round(2 * frame * 1000, 4),
    }


def measure(baud: int) -> dict[str, list[float]]:
    board = VirtualRelayBoard(unit=1, line_baud=baud)
    coil_at: list[float] = []
    board.on_coil = lambda c: coil_at.append(time.perf_counter())
    board.start()
    io = RelayBoard("bench", board.port, baud or 115200, 1, timeout=0.5)
    to_coil, round_trip = [], []
    try:
        for i in range(N):
            coil_at.clear()
            t0 = time.perf_counter()
            io.write_coil(0, i % 2 == 0)
            t1 = time.perf_counter()
            round_trip.append(t1 - t0)
            to_coil.append(coil_at[0] - t0)
            time.sleep(0.002)
    finally:
        io.close()
        board.stop()
    return {"to_coil": to_coil, "round_trip": round_trip}


def main() -> None:
    figures: dict[str, Any] = {}
    base = measure(0)
    figures["unpaced_pty"] = {k: summary_ms(v) for k, v in base.items()}
    base_p50 = statistics.median(base["round_trip"]) * 1000
    md = [
        "# Serial: command-to-coil time against the theoretical frame time",
        "",
        "Write one coil (Modbus RTU function 5, 8-byte request, 8-byte response) through the",
        "bridge's `RelayBoard` to the simulated board on a pty, which paces both frames at the",
        "baud rate. Theory at 8N1 (10 bits a character, as configured) and at 8E1 (11 bits),",
        "with the t3.5 silent interval (1.75 ms fixed above 19200 baud).",
        "",
        "| baud | measured command→coil p50 / p99 ms | theory 8N1 frame / frame+t3.5 ms "
        "| measured round trip p50 / p99 ms | theory 8N1 round trip without / with gaps ms "
        "| theory 8E1 round trip with gaps ms |",
        "|---|---|---|---|---|---|",
    ]
    for baud in (9600, 115200):
        m = measure(baud)
        t8n1, t8e1 = theory(baud, False), theory(baud, True)
        s_coil, s_rt = summary_ms(m["to_coil"]), summary_ms(m["round_trip"])
        paced_wire = 2 * FRAME * 10 / baud * 1000
        figures[str(baud)] = {
            "measured_command_to_coil": s_coil,
            "measured_round_trip": s_rt,
            "theory_8N1": t8n1,
            "theory_8E1": t8e1,
            # What the simulator's pacing should add on top of the unpaced pty: the check that
            # it really paces at this baud rate.
            "expected_pacing_ms": round(paced_wire, 4),
            "measured_pacing_ms": round(s_rt["p50_ms"] - base_p50, 4),
        }
        md.append(
            f"| {baud} | {s_coil['p50_ms']} / {s_coil['p99_ms']} "
            f"| {t8n1['request_frame_ms']} / {t8n1['command_to_coil_ms']} "
            f"| {s_rt['p50_ms']} / {s_rt['p99_ms']} "
            f"| {t8n1['round_trip_without_gaps_ms']} / {t8n1['round_trip_ms']} "
            f"| {t8e1['round_trip_ms']} |"
        )
    b = figures["unpaced_pty"]["round_trip"]
    md += [
        "",
        f"Baseline, same pty unpaced: round trip p50 {b['p50_ms']} ms, p99 {b['p99_ms']} ms.",
        "",
        "Pacing check (round trip p50 minus the unpaced baseline, against 16 bytes of wire "
        "time at 8N1): "
        + "; ".join(
            f"{baud} baud: {figures[str(baud)]['measured_pacing_ms']} ms measured, "
            f"{figures[str(baud)]['expected_pacing_ms']} ms expected"
            for baud in (9600, 115200)
        )
        + ".",
        "",
        "The simulator paces the frames' bytes but does not wait out the t3.5 silent interval,",
        "so measured times sit near the 'without gaps' column; a real board adds the gaps",
        "(about 3.6 ms at 9600 baud, 1.75 ms at 115200 per round trip).",
    ]
    write("serial", figures, "\n".join(md))


if __name__ == "__main__":
    main()
