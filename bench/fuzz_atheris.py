"""Optional coverage-guided fuzzing with atheris (libFuzzer) of the same targets as tests/fuzz.

    .venv/bin/python bench/fuzz_atheris.py [--seconds 180]

atheris is not a project dependency: when it is missing, this script installs it with pip into
a folder of its own (var/atheris, ignored by git) and loads it from there, so the project's
environment is left as it was. Each run splits the time between the targets (every bus payload
decoder; the door command path through the command guard into an online door machine; the bus
callbacks: the paho bus's on_message, reply matching, the API server, the door feed, the
bridge's readers; the serial frame reader and payload parsers; the config loader), each in its
own libFuzzer process, and appends the figures to bench/results/fuzz.json under "atheris" and
to fuzz.md.

The bus targets start from the oversized inputs of tests/fuzz/oversized.py as well (numbers of
4,301+ digits, 200 KB of brackets, payloads past the 16 KB bus bound) and run with
``-max_len`` of 256 KB: libFuzzer's default (4,096 bytes) would never try them.

A crash is any exception other than the decoder's documented error type; a relay action caused
by fuzz input is counted and fails the target as a crash too.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / "var" / "atheris"
TARGETS = ("decoders", "door_commands", "callbacks", "serial", "config")
BUS_TARGETS = ("decoders", "door_commands", "callbacks")
MAX_LEN = 256 * 1024  # past the 200 KB of brackets and the 16 KB bus bound


def ensure_atheris() -> None:
    sys.path.insert(0, str(LIB))
    try:
        import atheris  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
    except ImportError:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(LIB), "atheris"],
            check=True,
            timeout=600,
        )


def seeds(name: str) -> Path:
    """A small starting corpus of well-formed inputs, so that the fuzzer starts past the JSON
    and framing layers. No seed carries a valid signature: fuzz input must never hold one."""
    sys.path.insert(0, str(ROOT))
    from compound.protocol.messages import (
        AccessRequest,
        AccessResult,
        ApiReply,
        DoorCommand,
        DoorEvent,
        canonical,
        encode,
    )
    from firmware_bridge import mcu_protocol as mp
    from tests.fuzz.oversized import OVERSIZED
    from tests.fuzz.targets import NOW

    folder = LIB.parent / "atheris-corpus" / name
    folder.mkdir(parents=True, exist_ok=True)
    cmd = DoorCommand("c1", "d1", "unlock", NOW, NOW + 3, "grant", 7, 5.0, "00" * 32)
    if name in BUS_TARGETS:
        items = [
            encode(cmd),
            encode(AccessRequest("r1", "d1", "card", "10001", NOW, "m1")),
            encode(AccessResult("r1", "d1", True, "granted", NOW, 3, "张先生")),
            encode(DoorEvent("d1", "opened", NOW, {"by": "exit"})),
            ApiReply(True, {"doors": []}).encode("k1"),
            ApiReply(False, error="no such method").encode("k2"),
            canonical({**cmd.body(), "mac": None}),
            *(p for p in (b() for b in OVERSIZED.values()) if len(p) <= MAX_LEN),
        ]
        if name == "door_commands":
            items = [b"\x00" + x for x in items]
    elif name == "serial":
        frames = [mp.card_frame(10001), mp.Frame(mp.KEYPAD, b"1234"), mp.Frame(mp.CALL, b"1501")]
        items = [b"\x08" + mp.encode(f) for f in frames] + [b"\x00" + mp.encode(frames[0]) * 2]
    else:
        items = [(ROOT / "data" / "compound.toml").read_bytes()]
    for i, item in enumerate(items):
        (folder / f"seed{i}").write_bytes(item)
    return folder


def run_target(name: str) -> None:
    """In a child process: fuzz one target until libFuzzer's time limit."""
    sys.path.insert(0, str(LIB))
    sys.path.insert(0, str(ROOT))
    import atheris  # type: ignore[import-untyped,unused-ignore]

    from tests.fuzz import targets

    # Instrument every module loaded so far (ours among them) for coverage feedback.
    atheris.instrument_all()

    rig = targets.DoorRig()
    callbacks = targets.CallbackRig() if name == "callbacks" else None

    def one(data: bytes) -> None:
        if name == "decoders":
            targets.decode_all(data)
        elif name == "door_commands":
            fdp = atheris.FuzzedDataProvider(data)
            door = fdp.PickValueInList(["d1", "d2", "d9", ""])
            if rig.feed(door, fdp.ConsumeBytes(fdp.remaining_bytes()), retained=False):
                raise AssertionError("fuzz input moved a relay")
        elif callbacks is not None:
            callbacks.feed(data)
        elif name == "serial":
            cut = data[0] if data else 0
            targets.frames([data[1 : 1 + cut], data[1 + cut :]])
        else:
            targets.config_text(data.decode("utf-8", errors="replace"))

    argv = [a for a in sys.argv[1:] if a != "--target" and a != name]
    atheris.Setup(sys.argv[:1] + argv, one)
    atheris.Fuzz()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=180, help="total, split between targets")
    ap.add_argument("--target", choices=TARGETS, help=argparse.SUPPRESS)
    args, rest = ap.parse_known_args()
    if args.target:
        run_target(args.target)
        return 0
    ensure_atheris()
    per = max(10, args.seconds // len(TARGETS))
    results: dict[str, dict[str, object]] = {}
    for name in TARGETS:
        t0 = time.monotonic()
        longer = [f"-max_len={MAX_LEN}"] if name in BUS_TARGETS else []
        proc = subprocess.run(
            [sys.executable, __file__, "--target", name, f"-max_total_time={per}",
             "-rss_limit_mb=4096", "-print_final_stats=1", *longer, str(seeds(name))],
            capture_output=True, text=True, timeout=per + 120,
        )  # fmt: skip
        out = proc.stdout + proc.stderr
        runs = re.findall(r"stat::number_of_executed_units:\s+(\d+)", out)
        cov = re.findall(r"cov: (\d+)", out)
        crashed = proc.returncode != 0
        results[name] = {
            "seconds": round(time.monotonic() - t0),
            "cases": int(runs[-1]) if runs else 0,
            "coverage_edges": int(cov[-1]) if cov else 0,
            "crashes": 1 if crashed else 0,  # libFuzzer stops at the first crash
        }
        if crashed:
            (ROOT / "var" / f"atheris-{name}.log").write_text(out[-20000:])
        print(name, results[name], flush=True)
    total = {
        "seconds_per_target": per,
        "targets": results,
        "cases": sum(int(str(r["cases"])) for r in results.values()),
        "crashes": sum(int(str(r["crashes"])) for r in results.values()),
    }
    path = ROOT / "bench" / "results" / "fuzz.json"
    figures = json.loads(path.read_text()) if path.exists() else {}
    figures["atheris"] = total
    path.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    md = ROOT / "bench" / "results" / "fuzz.md"
    text = md.read_text() if md.exists() else "# Fuzz\n"
    text = text.split("\n## atheris")[0].rstrip() + "\n\n## atheris (coverage-guided, optional)\n\n"
    text += "| target | seconds | cases | coverage edges | crashes |\n|---|---|---|---|---|\n"
    text += "".join(
        f"| {n} | {r['seconds']} | {r['cases']:,} | {r['coverage_edges']} | {r['crashes']} |\n"
        for n, r in results.items()
    )
    text += f"\nTotal {total['cases']:,} cases, {total['crashes']} crashes"
    text += f" ({time.strftime('%Y-%m-%d %H:%M')}, bench/fuzz_atheris.py).\n"
    md.write_text(text)
    return 1 if total["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
