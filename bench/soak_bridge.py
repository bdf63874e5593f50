"""Soak parts with `compound bridge` as a real process (see bench/soak.py).

The site: a real Mosquitto, a `compound core` process, and `compound bridge` as systemd runs it,
driving a simulated Modbus relay board and an entrance MCU, each on its own pty (byte-level
simulators from devkit). Three doors: d1 a strike and d2 a maglock on the board, d3 on the
MCU's own relay. The bridge reads only the per-door key files (never the master key) and keeps
its event journal in its state directory.

1. ``bridge_kills``: the bridge is killed (SIGKILL, then SIGTERM) while a door is held released
   by an unlock the core sent (a pulse of ``OPEN_S``), at a random moment of the pulse, and
   started again after systemd's ``RestartSec``. From the board's and the MCU's own relay
   history: how long after the end of its pulse each door was still released. From the core's
   log: every door event any bridge process published, or left in its journal, is logged.
2. ``core_kills``: the core is SIGKILLed while the doors see exit-button presses, the fire input
   and forced-open doors, and started again; at the end every door event is in the log once,
   and each door's events are logged in the order they happened.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.common import pct
from bench.soak_common import wait
from bench.soak_site import CONTACT2, EXIT1, FIRE, LATE_S, OPEN_S, RELEASED, RESTART_S, Site

# -- checks on the core's log ------------------------------------------------------------------


def logged_events(db: Path) -> list[tuple[str, str]]:
    """(door, event id) of every door event in the log, in log order."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT door_id, json_extract(data, '$.event_id') FROM events"
            " WHERE json_extract(data, '$.event_id') IS NOT NULL ORDER BY seq"
        ).fetchall()
    finally:
        conn.close()
    return [(str(d), str(i)) for d, i in rows]


def journal_owed(work: Path) -> set[str]:
    """Event ids a bridge journal still holds without an acknowledgement."""
    owed: dict[str, bool] = {}
    for path in (work / "bridge-state").glob("*.jsonl"):
        for line in path.read_text(errors="replace").splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if "ack" in rec:
                owed.pop(rec["ack"], None)
            elif rec.get("id"):
                owed[rec["id"]] = True
    return set(owed)


def delivery(site: Site, timeout: float = 180.0) -> dict[str, Any]:
    """Wait until every event seen on the bus or still in the journal is logged (the journal
    replays what the core missed), then compare: lost, logged twice, and out of order (a door's
    events logged in another order than they happened)."""

    def logged_all() -> bool:
        ids = {i for _, i in logged_events(site.db)}
        with site.obs.lock:
            seen = set(site.obs.events)
        return seen <= ids and journal_owed(site.work) <= ids

    wait(logged_all, timeout)
    log = logged_events(site.db)
    ids = [i for _, i in log]
    with site.obs.lock:
        seen = dict(site.obs.events)
    owed = journal_owed(site.work)
    out_of_order = 0
    last: dict[str, float] = {}
    for door, i in log:
        at = float(seen.get(i, {}).get("at", 0.0))
        if at < last.get(door, 0.0):
            out_of_order += 1
        last[door] = max(at, last.get(door, 0.0))
    types: dict[str, int] = defaultdict(int)
    for body in seen.values():
        types[body.get("type", "?")] += 1
    conn = sqlite3.connect(site.db)
    try:
        # Logged more than a second after they happened: kept in the journal through an outage.
        late = conn.execute(
            "SELECT COUNT(*) FROM events WHERE json_extract(data, '$.occurred_at') IS NOT NULL"
            " AND at - json_extract(data, '$.occurred_at') > 1.0"
        ).fetchone()[0]
        unlocked = dict(
            conn.execute(
                "SELECT door_id, COUNT(*) FROM events WHERE type = 'door.unlocked' OR"
                " (type = 'alarm.raised' AND json_extract(data, '$.kind') = 'fire_release')"
                " GROUP BY door_id"
            ).fetchall()
        )
    finally:
        conn.close()
    # Every release on the hardware (the board's and the MCU's own relay history) has its
    # "unlocked" (or fire release) event in the log: an event lost before it was journaled
    # would show here.
    releases = {d: sum(1 for c in site.history(d) if c.on == RELEASED[d]) for d in RELEASED}
    return {
        "events_published": len(seen),
        "events_by_type": dict(sorted(types.items())),
        "events_logged": len(set(ids)),
        "events_lost": len((set(seen) | owed) - set(ids)),
        "events_logged_twice": len(ids) - len(set(ids)),
        "events_out_of_order": out_of_order,
        "journal_still_owed": len(owed - set(ids)),
        "events_logged_late_from_the_journal": late,
        "releases_on_the_hardware": sum(releases.values()),
        "releases_without_a_logged_event": sum(
            max(0, n - unlocked.get(d, 0)) for d, n in releases.items()
        ),
    }


# -- 1. the bridge killed during unlock pulses ------------------------------------------------


def bridge_kills(work: Path, sigkills: int, sigterms: int, seed: int = 12) -> dict[str, Any]:
    rnd = random.Random(seed)
    site = Site(work)
    try:
        site.start_core()
        starts = [site.start_bridge()]
        figures: dict[str, Any] = {"open_time_s": OPEN_S, "restart_after_s": RESTART_S}
        plan = [("SIGKILL", signal.SIGKILL)] * sigkills + [("SIGTERM", signal.SIGTERM)] * sigterms
        late: dict[str, list[float]] = defaultdict(list)
        left_released: dict[str, int] = defaultdict(int)
        doors = sorted(RELEASED)
        for n, (name, sig) in enumerate(plan):
            door = doors[n % len(doors)]
            asked = time.monotonic()
            site.obs.bus.request(
                "door.unlock", {"door": door, "reason": "soak", "by": "soak"}, timeout=30
            )
            if not wait(lambda d=door, a=asked: site.change(d, a, True) is not None, 30):
                raise RuntimeError(f"{door} was not released by the unlock ({name} #{n})")
            t0 = site.change(door, asked, True) or asked
            time.sleep(max(0.0, t0 + rnd.uniform(0.05, OPEN_S - 0.05) - time.monotonic()))
            site.kill(site.bridge, sig)
            time.sleep(RESTART_S)  # systemd's RestartSec
            starts.append(site.start_bridge())
            t1 = site.change(door, t0 + 0.001, False)
            over = (t1 if t1 is not None else time.monotonic()) - (t0 + OPEN_S)
            late[name].append(over)
            if over > LATE_S:
                left_released[name] += 1
        for name in ("SIGKILL", "SIGTERM"):
            xs = late[name]
            figures[f"{name.lower()}s"] = len(xs)
            figures[f"{name.lower()}_doors_left_released"] = left_released[name]
            if xs:
                figures[f"{name.lower()}_released_past_pulse_p50_s"] = round(pct(xs, 50), 3)
                figures[f"{name.lower()}_released_past_pulse_max_s"] = round(max(xs), 3)
        figures["bridge_start_to_locked_p50_s"] = round(pct(starts, 50), 3)
        figures.update(delivery(site))
        return figures
    finally:
        site.stop()


# -- 2. the core killed while the doors see exit, fire and forced events ----------------------


def core_kills(work: Path, kills: int, seed: int = 21) -> dict[str, Any]:
    rnd = random.Random(seed)
    site = Site(work)
    b = site.board
    hold = 0.25  # an input held this long is seen by the bridge's 50 ms poll
    try:
        site.start_bridge()
        counts: dict[str, int] = defaultdict(int)
        for _ in range(kills):
            site.start_core()
            kill_at = time.monotonic() + rnd.uniform(0.0, 1.5)
            killed = False
            for step in range(6):
                if not killed and time.monotonic() >= kill_at:
                    site.kill(site.core, signal.SIGKILL)
                    killed = True
                if step % 3 == 0:  # the exit button of d1: a press, then let go
                    b.set_input(EXIT1, True)
                    wait(lambda: site.released("d1"), 5)
                    b.set_input(EXIT1, False)
                    counts["exit_presses"] += 1
                elif step % 3 == 1:  # the fire panel: egress doors released, then cleared
                    b.set_input(FIRE, True)
                    wait(lambda: site.released("d1") and site.released("d2"), 5)
                    b.set_input(FIRE, False)
                    counts["fire_activations"] += 1
                else:  # d2 forced open while locked, then closed
                    wait(lambda: not site.released("d2"), 10)
                    b.set_input(CONTACT2, True)
                    time.sleep(hold)
                    b.set_input(CONTACT2, False)
                    counts["forced_opens"] += 1
                time.sleep(hold)
            if not killed:
                site.kill(site.core, signal.SIGKILL)
            # the doors relock (pulse over, fire cleared) before the next round
            wait(lambda: not site.released("d1") and not site.released("d2"), 10)
        site.start_core()
        return {"core_sigkills": kills, **counts, **delivery(site)}
    finally:
        site.stop()
