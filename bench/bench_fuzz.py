"""Fuzz figures: the CI fuzz suite run with many more cases per target.

Runs every fuzz test in tests/fuzz with ``FUZZ_EXAMPLES`` cases each (default 4000; the soak
raises it), counts the cases per target, the crashes (any exception out of a test) and the relay
actions caused by fuzz input (must be 0). Throughput is compared with a baseline measured in the
same run: ``json.loads`` alone on the same random payloads, so the ratio shows what the strict
checks cost on top of parsing.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("FUZZ_EXAMPLES", "4000")

from bench.common import write  # noqa: E402
from tests.fuzz import targets, test_fuzz  # noqa: E402


def throughput() -> dict[str, float]:
    rnd = random.Random(7)
    corpus = []
    for i in range(20000):
        if i % 2:
            corpus.append(bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 200))))
        else:
            obj = {
                "id": f"x{i}",
                "door_id": "d1",
                "action": rnd.choice(["unlock", "x"]),
                "issued_at": 1.0,
                "expires_at": rnd.choice([0.5, 4.0]),
                "reason": "r",
            }
            corpus.append(json.dumps(obj).encode())
    t0 = time.perf_counter()
    for p in corpus:
        try:
            json.loads(p)
        except ValueError:
            pass
    base = time.perf_counter() - t0
    t0 = time.perf_counter()
    for p in corpus:
        targets.decode_all(p)
    full = time.perf_counter() - t0
    n = len(corpus)
    return {
        "payloads": n,
        "json_loads_us": round(base / n * 1e6, 3),
        "all_decoders_us": round(full / n * 1e6, 3),
        "ratio_vs_json_loads": round(full / base, 2),
    }


def main() -> int:
    examples = int(os.environ["FUZZ_EXAMPLES"])
    tests = [(n, f) for n, f in vars(test_fuzz).items() if n.startswith("test_") and callable(f)]
    crashes: list[dict[str, str]] = []
    t0 = time.monotonic()
    for name, fn in tests:
        try:
            fn()
        except Exception as e:  # a crash is a figure here, not the end of the run
            crashes.append({"test": name, "error": f"{type(e).__name__}: {e}"[:500]})
            traceback.print_exc()
        print(f"{name}: done", flush=True)
    elapsed = time.monotonic() - t0
    stats = dict(targets.STATS)
    cases = sum(v for k, v in stats.items() if k.startswith("cases."))
    tp = throughput()
    figures = {
        "examples_per_target": examples,
        "cases_run": cases,
        "cases_by_target": {k[6:]: v for k, v in stats.items() if k.startswith("cases.")},
        "crashes": len(crashes),
        "crash_details": crashes,
        "relay_actions_from_fuzz": stats.get("relay_actions_from_fuzz", 0),
        "seconds": round(elapsed, 1),
        "throughput": tp,
    }
    md = [
        "# Fuzz figures",
        "",
        f"Hypothesis, {examples} examples per test, {len(tests)} tests, {elapsed:.0f} s.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| cases run | {cases} |",
        *(f"| cases: {k} | {v} |" for k, v in figures["cases_by_target"].items()),
        f"| crashes | {len(crashes)} |",
        f"| relay actions caused by fuzz input | {figures['relay_actions_from_fuzz']} |",
        f"| all five bus decoders per payload | {tp['all_decoders_us']} us |",
        f"| json.loads alone (baseline) | {tp['json_loads_us']} us |",
        f"| ratio | {tp['ratio_vs_json_loads']} |",
        "",
        "Targets: every bus payload decoder (DoorCommand, AccessRequest, AccessResult, DoorEvent,",
        "ApiReply), the door command path through the bridge's command guard into an online door",
        "state machine (random, command-shaped, tampered and replayed commands), the MCU serial",
        "frame reader with its card and digit parsers, and the TOML config loader.",
        "",
    ]
    write("fuzz", figures, "\n".join(md))
    return 1 if crashes or figures["relay_actions_from_fuzz"] else 0


if __name__ == "__main__":
    sys.exit(main())
