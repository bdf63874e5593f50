"""Fault soak (`make soak`, `./dev soak`): the box's processes killed, its broker restarted, its
boards pulled, its uplink cut, while doors are used. Figures go to bench/results/soak.json and
soak.md.

    .venv/bin/python bench/soak.py [--only SECTION,...] [--kills 200] [--bridge-kills 100] ...

Sections (each in a fresh temporary directory; ``--only`` runs some and merges their figures
into the existing results, keeping the other sections as they were measured):

- core_sigkill (bench/soak_core.py): `compound core` SIGKILLed mid-burst of access requests;
  integrity_check, `log verify`, every request whose result was published is logged.
- broker_restarts (soak_core.py): Mosquitto killed and restarted during unlock requests.
- life_safety_core_dead (soak_doors.py): fire input and exit button with the core SIGKILLed.
- board_vanishes (soak_doors.py): the Modbus board's port disappears and returns.
- uplink_outage (bench_uplink.py): 120 h without the platform, then drained.
- bridge_kills (soak_bridge.py): `compound bridge` SIGKILLed and SIGTERMed during unlock
  pulses; doors left released past their pulse (from the board's and MCU's relay history) and
  door events lost (the bridge's journal replayed to the core).
- core_kills_door_events (soak_bridge.py): `compound core` SIGKILLed while the doors see exit,
  fire and forced-open events; every event in the log, once, in order.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import RESULTS, write  # noqa: E402
from bench.soak_common import table  # noqa: E402
from bench.soak_core import kill_core, restart_broker  # noqa: E402
from bench.soak_doors import board_vanishes, life_safety  # noqa: E402

# The short CI versions (tests/security/test_faults.py) call these through this module.
__all__ = ["board_vanishes", "kill_core", "life_safety", "restart_broker"]

SECTIONS = (
    "core_sigkill",
    "broker_restarts",
    "life_safety_core_dead",
    "board_vanishes",
    "uplink_outage",
    "bridge_kills",
    "core_kills_door_events",
)


def steps(args: argparse.Namespace) -> dict[str, Callable[[Path], dict[str, Any]]]:
    from bench import bench_uplink, soak_bridge

    return {
        "core_sigkill": lambda w: kill_core(w, args.kills),
        "broker_restarts": lambda w: restart_broker(w, args.restarts, args.per_gap),
        "life_safety_core_dead": lambda w: life_safety(w, args.fire),
        "board_vanishes": lambda w: board_vanishes(w, args.vanish),
        "uplink_outage": lambda w: bench_uplink.outage(w, args.outage_hours),
        "bridge_kills": lambda w: soak_bridge.bridge_kills(
            w, args.bridge_sigkills, args.bridge_sigterms
        ),
        "core_kills_door_events": lambda w: soak_bridge.core_kills(w, args.core_kills),
    }


def render(parts: dict[str, dict[str, Any]], measured: dict[str, str]) -> list[str]:
    md = ["# Fault soak", ""]

    def when(name: str) -> list[str]:
        return [f"_Section measured {measured[name]}._", ""] if name in measured else []

    if "core_sigkill" in parts:
        md += table("SIGKILL of the core in the middle of request bursts", parts["core_sigkill"])
        md += when("core_sigkill")
    if "broker_restarts" in parts:
        md += table("Mosquitto killed and restarted during unlock events", parts["broker_restarts"])
        md += [
            "The reconnect time counts from the broker's restart to the core's retained `online`",
            "availability reaching an observer (paho reconnect back-off 1-5 s).",
            "",
            *when("broker_restarts"),
        ]
    if "life_safety_core_dead" in parts:
        md += table("Fire input and exit button with the core SIGKILLed",
                    parts["life_safety_core_dead"])  # fmt: skip
        md += [
            "Release time: from the fire panel input rising on the simulated Modbus board to the",
            "last egress door's coil reaching its released level, read from the board's own coil",
            "history (Modbus RTU at 9600 baud, production poll interval 50 ms).",
            "",
            *when("life_safety_core_dead"),
        ]
    if "board_vanishes" in parts:
        md += table("Modbus board port vanishing and returning", parts["board_vanishes"])
        md += [
            "Detection: from the pty closing (port symlink removed) to the bridge marking the",
            "board down. Reopen: from the board's return at a new pty to every door driven locked.",
            "",
            *when("board_vanishes"),
        ]
    if "uplink_outage" in parts:
        u = parts["uplink_outage"]
        md += table("Upstream link down, then drained", {**u["traffic"], **u["drain"]})
        md += [
            f"Database growth {u['fill']['db_bytes_per_hour']:,} bytes per hour of traffic,"
            f" {u['fill']['db_mb_at_end']} MB at the end; drain / same-run baseline"
            f" {u['drain_vs_baseline']} (see bench/results/uplink.md).",
            "",
            *when("uplink_outage"),
        ]
    if "bridge_kills" in parts:
        b = parts["bridge_kills"]
        md += table("`compound bridge` killed during unlock pulses", b)
        md += [
            "A real `compound bridge` process drives a simulated Modbus board (d1 strike, d2",
            "maglock, 9600 baud) and an entrance MCU (d3 on its own relay), each on a pty. Each",
            f"round an unlock from the core holds one door released for its {b['open_time_s']} s",
            "pulse; at a random moment of the pulse the bridge is SIGKILLed (or SIGTERMed), and",
            f"started again {b['restart_after_s']} s later, as systemd's RestartSec does.",
            "'Released past pulse' is read from the board's and the MCU's own relay history: the",
            "moment the door's relay returned to its locked level, less the pulse's end",
            "(negative: locked before the pulse would have ended). A door counts as left released",
            "when that is over 0.5 s. On SIGTERM the bridge locks before it exits; on SIGKILL its",
            "lock keeper (firmware_bridge/lock_keeper.py) does. Door events: every event any",
            "bridge process published or left in its journal, against the core's log.",
            "",
            *when("bridge_kills"),
        ]
    if "core_kills_door_events" in parts:
        md += table("The core SIGKILLed while the doors see exit, fire and forced-open events",
                    parts["core_kills_door_events"])  # fmt: skip
        md += [
            "Each round starts `compound core`, then presses d1's exit button, raises and clears",
            "the fire input and forces d2 open twice each; the core is SIGKILLed at a random",
            "moment of the first 1.5 s, so most of a round's events happen with the core dead",
            "and wait in the bridge's journal. Out of order: an event logged after a later",
            "event of the same door (by the time it happened).",
            "",
            *when("core_kills_door_events"),
        ]
    return md


def bad(parts: dict[str, dict[str, Any]]) -> bool:
    from bench import bench_uplink

    checks = {
        "core_sigkill": lambda k: k["confirmed_but_lost"]
        or not (k["integrity_check_ok"] and k["log_verify_ok"]),
        "broker_restarts": lambda r: r["events_lost"] or r["events_logged_twice"]
        or r["unintended_releases"],
        "life_safety_core_dead": lambda f: f["fire_releases_over_1s"] or f["non_egress_releases"],
        "board_vanishes": lambda v: v["unlocks_on_reconnect"],
        "uplink_outage": lambda u: not bench_uplink.ok(u),
        "bridge_kills": lambda b: b["sigkill_doors_left_released"]
        or b["sigterm_doors_left_released"] or b["events_lost"]
        or b["releases_without_a_logged_event"],
        "core_kills_door_events": lambda c: c["events_lost"] or c["events_logged_twice"]
        or c["events_out_of_order"],
    }  # fmt: skip
    return any(checks[name](figures) for name, figures in parts.items() if name in checks)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help=f"comma-separated sections of: {', '.join(SECTIONS)}")
    ap.add_argument("--kills", type=int, default=200, help="core SIGKILLs mid-burst")
    ap.add_argument("--restarts", type=int, default=30)
    ap.add_argument("--per-gap", type=int, default=100, help="unlock requests between restarts")
    ap.add_argument("--fire", type=int, default=50, help="fire activations with the core dead")
    ap.add_argument("--vanish", type=int, default=30, help="times the Modbus board vanishes")
    ap.add_argument("--outage-hours", type=float, default=120)
    ap.add_argument("--bridge-sigkills", type=int, default=100, help="bridge SIGKILLs in pulses")
    ap.add_argument("--bridge-sigterms", type=int, default=100, help="bridge SIGTERMs in pulses")
    ap.add_argument("--core-kills", type=int, default=100,
                    help="core SIGKILLs while doors see exit, fire and forced events")  # fmt: skip
    args = ap.parse_args()
    chosen = SECTIONS if not args.only else tuple(s.strip() for s in args.only.split(","))
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        ap.error(f"unknown section {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    previous: dict[str, Any] = {}
    path = RESULTS / "soak.json"
    if args.only and path.exists():
        previous = json.loads(path.read_text())
    parts = {n: previous[n] for n in SECTIONS if n in previous}
    seconds: dict[str, float] = dict(previous.get("seconds", {}))
    seconds.pop("total", None)
    measured: dict[str, str] = dict(previous.get("measured", {}))
    old_when = previous.get("meta", {}).get("when")
    for name in parts:
        if old_when:
            measured.setdefault(name, old_when)
    run = steps(args)
    for name in chosen:
        with tempfile.TemporaryDirectory() as tmp:
            t = time.monotonic()
            parts[name] = run[name](Path(tmp))
            seconds[name] = round(time.monotonic() - t)
            measured[name] = time.strftime("%Y-%m-%d %H:%M:%S")
            print(name, json.dumps(parts[name]), flush=True)
    ordered = {n: parts[n] for n in SECTIONS if n in parts}
    md = render(ordered, measured)
    md.append(f"Seconds per section: {', '.join(f'{n} {s:.0f} s' for n, s in seconds.items())}.")
    write("soak", {**ordered, "seconds": seconds, "measured": measured}, "\n".join(md))
    return 1 if bad(ordered) else 0


if __name__ == "__main__":
    sys.exit(main())
