"""Run every benchmark under bench/ (bench_*.py), one after another, and list the results files.

Each benchmark measures its own baseline in the same run and writes its figures to
bench/results/<name>.json and a summary to bench/results/<name>.md.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    only = set(argv)
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        name = script.stem.removeprefix("bench_")
        if only and name not in only:
            continue
        print(f"== {script.name}", flush=True)
        t0 = time.monotonic()
        r = subprocess.run([sys.executable, str(script)], cwd=HERE.parent)
        print(f"== {script.name}: exit {r.returncode} in {time.monotonic() - t0:.0f} s", flush=True)
        if r.returncode:
            failed.append(script.name)
    for md in sorted((HERE / "results").glob("*.md")):
        print(f"results: {md.relative_to(HERE.parent)}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
