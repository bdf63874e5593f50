"""A card at other bridges' doors while one bridge floods one of its doors' events, with the
core's flood quarantine off and on, against no flood at all.

The broker lets a bridge write its own doors' events, not how many. The core sheds a door's
events past its limit (``compound/domain/door_event_limit.py``), but every one of them has by
then crossed the broker and been parsed on the core's network thread, which also carries every
door's swipe. With the quarantine on (``compound/services/quarantine.py``), a door topic that
brings more than 100 messages in a half-second check gets its writer's rule for that topic
taken out of the broker's ACL: the bridge keeps its readers, its other doors and that door's
state.

The compound is the ``xian`` sample (``compound sample --size xian``: 156 doors), its doors
registered to 26 bridges of 6 doors each. The broker runs the shipped settings that matter here
(no anonymous clients, the ACL and passwords from ``compound devices``, 1,000 messages queued
per client) and every client has its own user. The flooder (a separate process) is the first
bridge's user, publishing valid events of its first door at QoS 1 with 100 in flight, as fast as
the broker takes them. A reader sends one card at a time at the other bridges' doors in turn
and times each request to its access result.

Turns: one quiet (nothing flooding), then with the flood going, the quarantine off and on in
alternating turns, then one quiet again. An "off" turn stops the watch and releases the bridge
(the ACL rewritten, Mosquitto signalled), so the flood reaches the core again; an "on" turn
starts the watch with the flood going, and times the cards once the quarantine has taken (the
record made, and the core's count of the flood's events standing still for 0.3 s).

    flock /work/helpers/bench.lock .venv/bin/python bench/bench_event_flood.py
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_ha_discovery import (  # noqa: E402
    LOST_S,
    SWIPES,
    TURN_S,
    shipped_broker,
    swipes,
    user,
)
from bench.common import row, summary_ms, write  # noqa: E402
from compound.adapters.mqtt import Bus, BusConfig, Message  # noqa: E402
from compound.app.devices import add as add_device  # noqa: E402
from compound.app.wiring import build_core, quarantine_applier  # noqa: E402
from compound.config import Config, CoreConfig, SecurityConfig  # noqa: E402
from compound.domain.clock import SystemClock  # noqa: E402
from compound.protocol.acl import Device  # noqa: E402
from compound.protocol.messages import DoorEvent, encode, new_id  # noqa: E402
from compound.protocol.topics import Topics  # noqa: E402
from compound.services.core import Core  # noqa: E402
from compound.services.quarantine import QuarantineWatch  # noqa: E402
from compound.store import quarantine as records  # noqa: E402
from compound.store.db import Store  # noqa: E402
from devkit.sample import sample, sample_cards  # noqa: E402

SITE = "bench"
TURNS = 3  # of each quarantine path, alternating
WINDOW = 100  # the flooder's events in flight
PER_BRIDGE = 6


def flood(port: int, password: str, door: str) -> None:
    """The flooding bridge: valid events of one of its doors, as fast as the broker takes them."""
    topics = Topics(SITE)
    bus = Bus(BusConfig(port=port, username="bridge0", password=password), topics, "flooder")
    bus.start(timeout=10)
    topic = topics.door_event(door)
    while True:
        last = None
        for _ in range(WINDOW):
            ev = DoorEvent(door, "opened", time.time(), {}, new_id())
            last = bus.publish_tracked(topic, encode(ev), qos=1)
        while last is not None and not last.done():
            time.sleep(0.0002)


def compound(tmp: Path) -> tuple[Store, list[dict[str, str]], list[str], dict[str, str]]:
    store = Store(tmp / "c.db", SystemClock(), tmp / "keys")
    t0 = time.perf_counter()
    sample(store, "xian")
    print(f"xian sample built in {time.perf_counter() - t0:.0f} s", flush=True)
    doors = [d.id for d in store.doors()]
    passwords = {}
    for i in range(0, len(doors), PER_BRIDGE):
        dev = Device(f"bridge{i // PER_BRIDGE}", "bridge", tuple(doors[i : i + PER_BRIDGE]))
        passwords[dev.name] = add_device(store, dev, "bench").password
    for dev in (Device("core", "core"), Device("reader", "core")):
        passwords[dev.name] = add_device(store, dev, "bench").password
    mine = set(doors[:PER_BRIDGE])  # the flooding bridge's doors: the cards go elsewhere
    cards = [c for c in sample_cards(store, store.clock.now(), per_door=1) if c["door"] not in mine]
    return store, cards, doors, passwords


def main() -> None:
    if sys.argv[1:2] == ["--flood"]:
        flood(int(sys.argv[2]), sys.argv[3], sys.argv[4])
        return
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        tmp.chmod(0o755)  # Mosquitto drops to its own user and rereads the files as that user
        store, cards, doors, passwords = compound(tmp)
        mosq, security = shipped_broker(store, tmp)
        try:
            figures = run(store, mosq.port, cards, doors[0], passwords, security)
        finally:
            mosq.cleanup()
            store.close()
    report(figures, len(doors), len(cards))


def run(
    store: Store,
    port: int,
    cards: list[dict[str, str]],
    door: str,
    passwords: dict[str, str],
    security: SecurityConfig,
) -> dict[str, Any]:
    topics = Topics(SITE)
    core_bus = Bus(user(port, "core", passwords), topics, "core")
    # One reader sending request after request: let them all in, as bench_core.py does.
    fast = CoreConfig(door_rate_per_s=100000.0, door_burst=100000, door_queue=100000)
    core = build_core(store, core_bus, SystemClock(), Config(core=fast, security=security))
    core.start()
    watch = next(e for e in core.extensions if isinstance(e, QuarantineWatch))
    watch.stop()  # on in the "on" turns only
    core_bus.start(timeout=10)
    results: queue.Queue[str] = queue.Queue()

    def heard(m: Message) -> None:
        results.put(json.loads(m.payload)["request_id"])

    reader = Bus(user(port, "reader", passwords), topics, "reader")
    reader.subscribe(topics.access_result("+"), heard)
    reader.start(timeout=10)
    swipes(reader, results, cards, 30)  # warm up
    lat: dict[str, list[float]] = {"quiet": [], "q_off": [], "q_on": []}
    lost = {"quiet": 0, "q_off": 0, "q_on": 0}
    quiet, missing = swipes(reader, results, cards, SWIPES)
    lat["quiet"] += quiet
    lost["quiet"] += missing
    flooder = subprocess.Popen(
        [sys.executable, __file__, "--flood", str(port), passwords["bridge0"], door]
    )
    try:
        time.sleep(2.0)  # the flooder connected and flooding
        q = quarantine_turns(core, watch, reader, results, cards)
        for path in ("q_off", "q_on"):
            lat[path] += q["lat"][path]
            lost[path] += q["lost"][path]
    finally:
        flooder.terminate()
        flooder.wait(10)
    watch.stop()
    records.release(core.store, "bridge0", "bench")
    quarantine_applier(core)()
    time.sleep(3.0)  # what the broker had queued for the core drains
    quiet, missing = swipes(reader, results, cards, SWIPES)
    lat["quiet"] += quiet
    lost["quiet"] += missing
    reader.stop()
    shed = {k: v for k, v in core.counters.items() if k.startswith("door_event")}
    core.stop()
    core_bus.stop()
    off, on = summary_ms(lat["q_off"]), summary_ms(lat["q_on"])
    return {
        "quiet": summary_ms(lat["quiet"]),
        "q_off": off,
        "q_on": on,
        "ratio_p50": round(off["p50_ms"] / on["p50_ms"], 1),
        "ratio_p99": round(off["p99_ms"] / on["p99_ms"], 1),
        "lost": lost,
        "events_per_s": q["rate"],
        "took_s": q["took"],
        "quiet_s": q["quiet"],
        "record": core.store.events(types=["device.quarantined"])[-1].data["reason"],
        "core_counters": shed,
    }


def quarantine_turns(
    core: Core,
    watch: QuarantineWatch,
    reader: Bus,
    results: queue.Queue[str],
    cards: list[dict[str, str]],
) -> dict[str, Any]:
    """Turns with the quarantine off (the bridge released, the watch stopped) and on (the
    watch started with the flood going; cards timed once the quarantine has taken)."""
    apply = quarantine_applier(core)
    c = core.counters

    def taken() -> int:
        """The flood's events the core took off its connection: nearly all are dropped by the
        door's queue or its limit (a handful a second logged). Counted, not subscribed to: a
        second subscription of the core's would have the broker send the flood twice."""
        return c["door_event.shed"] + c["door_event.shed.rate"]

    lat: dict[str, list[float]] = {"q_off": [], "q_on": []}
    lost = {"q_off": 0, "q_on": 0}
    rate = {"q_off": 0.0, "q_on": 0.0}
    took: list[float] = []  # watch started -> quarantine recorded
    quiet: list[float] = []  # watch started -> the core's count of the flood stands still
    for turn in range(2 * TURNS):
        path = "q_off" if turn % 2 == 0 else "q_on"
        if path == "q_off":
            watch.stop()
            if records.quarantined(core.store):
                records.release(core.store, "bridge0", "bench")
                apply()
            time.sleep(1.0)  # the flood reaches the core again
        else:
            t0, held = time.perf_counter(), len(watch.quarantined)
            watch.start()
            while len(watch.quarantined) == held:
                time.sleep(0.01)
                assert time.perf_counter() - t0 < 30, "no quarantine"  # noqa: S101
            took.append(time.perf_counter() - t0)
            last = -1
            while (n := taken()) != last:
                last = n
                time.sleep(0.3)
                assert time.perf_counter() - t0 < 30, "the flood still comes"  # noqa: S101
            quiet.append(time.perf_counter() - t0 - 0.3)
        n0, t1 = taken(), time.perf_counter()
        times, missing = swipes(reader, results, cards, SWIPES)
        lat[path] += times
        lost[path] += missing
        rate[path] += (taken() - n0) / (time.perf_counter() - t1) / TURNS
        print(f"turn {turn} ({path}) done", flush=True)
    return {
        "lat": lat,
        "lost": lost,
        "rate": {p: round(r) for p, r in rate.items()},
        "took": [round(x, 2) for x in took],
        "quiet": [round(x, 2) for x in quiet],
    }


def report(f: dict[str, Any], doors: int, cards: int) -> None:
    md = f"""# Card at other doors while one bridge floods a door's events (xian sample)

{doors} doors in 26 bridges' registrations of 6; the first bridge's user publishing valid events
of one of its doors at QoS 1 with {WINDOW} in flight, as fast as the broker takes them; one card
at a time at {cards} doors of the other bridges in turn. A quiet turn before the flood and one
after it; with the flood going, {TURNS} turns of each quarantine path, alternating; each turn
{SWIPES} cards or {TURN_S:.0f} s, whichever comes first.

| what | n | p50 ms | p99 ms |
|---|---|---|---|
{row("quiet (nothing flooding)", f["quiet"])}
{row("flooding, quarantine off", f["q_off"])}
{row("flooding, quarantine on (after it took)", f["q_on"])}

Ratios off / on: median {f["ratio_p50"]}, p99 {f["ratio_p99"]}.
Cards without a result within {LOST_S:.0f} s (not in the latencies): quiet {f["lost"]["quiet"]},
off {f["lost"]["q_off"]}, on {f["lost"]["q_on"]}.
The flooded door's events the core took a second while the cards were timed: off
{f["events_per_s"]["q_off"]}, on {f["events_per_s"]["q_on"]}.
From the watch's start with the flood going to the quarantine recorded: {f["took_s"]} s; to the
core's count of the flood's events standing still (the broker refusing it, the backlog drained):
{f["quiet_s"]} s. The record said: "{f["record"]}".
The core's door-event counters over the run: {f["core_counters"]}.
"""
    write("event_flood", f, md)


if __name__ == "__main__":
    main()
