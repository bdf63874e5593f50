"""Who holds the core's GIL while the screens' API calls loop (py-spy ``--gil``).

The door decisions run on their own thread in the core; the screens' API calls on another. A
decision waits whenever the API thread holds the GIL, so the loaded p99 (bench_scale: checks and
screens looping) follows how long API calls hold it. This starts Mosquitto and `compound core` on
a sample database, loops the screens' calls (``bench_scale.SCREEN_CALLS``) while a reader swipes,
and samples the core with ``py-spy record --gil`` for 15 s: only the thread holding the GIL is
sampled, so the counts say which code keeps the decisions waiting.

    nice -n 10 .venv/bin/python bench/profile_loaded.py --db xian.db [--out NAME]

Needs py-spy on PATH. Writes bench/results/<NAME>.md (default loaded_profile).
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_scale import Reader, screens_loop  # noqa: E402
from bench.common import pct, write  # noqa: E402
from compound.adapters.broker import Mosquitto  # noqa: E402
from compound.adapters.mqtt import BusConfig  # noqa: E402
from compound.protocol.topics import Topics  # noqa: E402


def door_cards(db: Path) -> tuple[str, list[dict[str, str]]]:
    conn = sqlite3.connect(db)
    try:
        row = conn.execute("SELECT value FROM settings WHERE key = 'site_id'").fetchone()
        cards = [
            {"door": d, "card": c}
            for d, c in conn.execute(
                "SELECT ds.door_id, c.lookup FROM credentials c"
                " JOIN people p ON p.id = c.person_id JOIN households h ON h.id = p.household_id"
                " JOIN units u ON u.id = h.unit_id"
                " JOIN door_scopes ds ON ds.scope = u.building || '-' || u.entrance"
                " WHERE c.kind = 'card' AND c.revoked_at IS NULL AND p.moved_out_at IS NULL"
                " GROUP BY ds.door_id"
            )
        ]
    finally:
        conn.close()
    return (row[0] if row else "demo"), cards


def summarise(raw: Path) -> tuple[int, Counter[str], Counter[str]]:
    threads: Counter[str] = Counter()
    frames: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        if not line.strip():
            continue
        stack, count = line.rsplit(" ", 1)
        n = int(count)
        total += n
        parts = stack.split(";")
        threads[next((f for f in parts if "threading.py" not in f), parts[0])] += n
        frames[next((f for f in reversed(parts) if "compound/" in f), "(outside compound)")] += n
    return total, threads, frames


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--out", default="loaded_profile")
    args = ap.parse_args()
    db = Path(args.db).resolve()
    site, cards = door_cards(db)
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="profile-") as d:
        work = Path(d)
        mosq = Mosquitto().start()
        cfg = work / "c.toml"
        cfg.write_text(
            f'[site]\nid = "{site}"\n[broker]\nport = {mosq.port}\n'
            f'[store]\npath = "{db}"\nkey_dir = "{db.parent / "keys"}"\n'
        )
        core = subprocess.Popen(
            [sys.executable, "-m", "compound.app.cli", "--config", str(cfg), "core"],
            cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        topics = Topics(site)
        try:
            reader = Reader(BusConfig(port=mosq.port), topics)
            while reader.swipe(cards[0]["door"], cards[0]["card"], timeout=2) is None:
                pass
            stop = threading.Event()
            screens: dict[str, list] = {}
            bus = BusConfig(port=mosq.port)
            st = threading.Thread(target=screens_loop, args=(bus, topics, stop, screens))
            st.start()
            time.sleep(2)
            raw = work / "gil.txt"
            spy = subprocess.Popen(
                ["py-spy", "record", "--pid", str(core.pid), "--duration", "15", "--gil",
                 "--nonblocking", "--format", "raw", "-o", str(raw)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            loaded, lost = reader.run(cards, 300)
            spy.wait(120)
            stop.set()
            st.join(60)
            total, threads, frames = summarise(raw)
        finally:
            core.terminate()
            core.wait(20)
            mosq.cleanup()
    import os

    lines = [
        "# Who holds the core's GIL while the screens loop",
        "",
        f"`bench/profile_loaded.py` on {db.name}: py-spy `--gil` for 15 s, {total} samples (each"
        " is the thread holding the GIL at that moment). Card -> result meanwhile: p50"
        f" {pct(loaded, 50) * 1000:.1f} ms, p99 {pct(loaded, 99) * 1000:.1f} ms, {lost} lost;"
        f" load average {os.getloadavg()[0]:.1f}.",
        "",
        "| thread | samples | share |",
        "|---|---|---|",
        *[f"| {k} | {v} | {v / total:.0%} |" for k, v in threads.most_common(5)],
        "",
        "| deepest compound frame | samples |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in frames.most_common(12)],
    ]
    write(args.out, {"samples": total, "threads": dict(threads)}, "\n".join(lines))


if __name__ == "__main__":
    main()
