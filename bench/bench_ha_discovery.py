"""A card at a door while another device flaps its availability as fast as it can, with the
discovery cleanup's recheck on the network thread (as it was) and off it, coalesced (as it is).

Any device may write its own ``device/<name>/availability`` as often as it likes. The core's
discovery cleanup (``compound/services/ha_discovery_cleanup.py``) looks at the door map again on
every availability message. It used to do so on the bus's network thread: a read of the
bridges' registrations and a pass over the retained door configs per message, on the thread that
also carries every door's swipe. Now a message only asks for a recheck on a thread of its own,
in a queue of one.

The compound is the ``xian`` sample (``compound sample --size xian``: 156 doors), its doors
registered to 26 bridges of 6 doors each, with each door's five retained discovery configs on
the broker (780), as a site with Home Assistant has. A flapping device (a separate process)
publishes online/offline on its own availability topic at QoS 1, keeping 100 messages in flight,
for the whole run. A reader sends one card at a time, at the doors in turn, and times each
request to its access result. The turns alternate between the old path (the bench points the
availability subscription at an inline recheck: the old code, for this bench only) and the
new, in the same run on the same broker, so both see the same machine and load; before the
flapping starts, one quiet turn gives the baseline.

    flock /work/helpers/bench.lock .venv/bin/python bench/bench_ha_discovery.py
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import row, summary_ms, write  # noqa: E402
from compound.adapters.broker import Mosquitto  # noqa: E402
from compound.adapters.mqtt import Bus, BusConfig, Message  # noqa: E402
from compound.app.devices import add as add_device  # noqa: E402
from compound.app.wiring import build_core  # noqa: E402
from compound.config import Config, CoreConfig  # noqa: E402
from compound.domain.clock import SystemClock  # noqa: E402
from compound.protocol.acl import Device  # noqa: E402
from compound.protocol.messages import AccessRequest, encode, new_id  # noqa: E402
from compound.protocol.topics import Topics  # noqa: E402
from compound.services.ha_discovery_cleanup import StaleDiscoveryCleanup  # noqa: E402
from compound.store.db import Store  # noqa: E402
from devkit.sample import sample, sample_cards  # noqa: E402
from firmware_bridge.discovery import discovery_messages  # noqa: E402

SITE = "bench"
TURNS = 3  # of each path, alternating
SWIPES = 100  # per turn, at most
TURN_S = 25.0  # a turn's time, at most
LOST_S = 5.0  # a card without a result by then is counted lost
WINDOW = 100  # the flapper's messages in flight


def flap(port: int) -> None:
    """The flapping device: online, offline, ... as fast as the broker takes them, for ever."""
    topics = Topics(SITE)
    bus = Bus(BusConfig(port=port), topics, "flapper")
    bus.start(timeout=10)
    topic, i = topics.availability("flapper"), 0
    while True:
        last = None
        for _ in range(WINDOW):
            last = bus.publish_tracked(topic, b"offline" if i % 2 else b"online", qos=1)
            i += 1
        while last is not None and not last.done():
            time.sleep(0.0002)


def compound(tmp: Path) -> tuple[Store, list[dict[str, str]], list[str]]:
    store = Store(tmp / "c.db", SystemClock(), tmp / "keys")
    t0 = time.perf_counter()
    sample(store, "xian")
    print(f"xian sample built in {time.perf_counter() - t0:.0f} s", flush=True)
    doors = [d.id for d in store.doors()]
    for i in range(0, len(doors), 6):
        add_device(store, Device(f"bridge{i // 6}", "bridge", tuple(doors[i : i + 6])), "bench")
    return store, sample_cards(store, store.clock.now(), per_door=1), doors


def swipes(
    reader: Bus, results: queue.Queue[str], cards: list[dict[str, str]], n: int
) -> tuple[list[float], int]:
    """``n`` cards one at a time (or until TURN_S is up): the times to their results, and how
    many got no result within LOST_S (dropped on the way: the broker's queue to the core)."""
    topics, out, lost, end = Topics(SITE), [], 0, time.monotonic() + TURN_S
    for i in range(n):
        if time.monotonic() > end:
            break
        c = cards[i % len(cards)]
        req = AccessRequest(new_id(), c["door"], "card", c["card"], time.time(), "bench")
        t0 = time.perf_counter()
        reader.publish(topics.access_request(c["door"]), encode(req))
        try:
            while results.get(timeout=max(0.0, t0 + LOST_S - time.perf_counter())) != req.id:
                pass  # a late answer to an earlier request
        except queue.Empty:
            lost += 1
            continue
        out.append(time.perf_counter() - t0)
    return out, lost


def main() -> None:
    if sys.argv[1:2] == ["--flap"]:
        flap(int(sys.argv[2]))
        return
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        store, cards, doors = compound(tmp)
        mosq = Mosquitto().start()
        topics = Topics(SITE)
        try:
            publisher = Bus(BusConfig(port=mosq.port), topics, "discovery")
            publisher.start(timeout=10)
            for i, door in enumerate(doors):
                for topic, payload in discovery_messages(topics, f"bridge{i // 6}", [door], "ha"):
                    publisher.publish(topic, json.dumps(payload).encode(), qos=1, retain=True)
            publisher.stop()
            figures = run(store, mosq.port, cards)
        finally:
            mosq.cleanup()
            store.close()
    report(figures, len(doors), len(cards))


def run(store: Store, port: int, cards: list[dict[str, str]]) -> dict[str, Any]:
    topics = Topics(SITE)
    core_bus = Bus(BusConfig(port=port), topics, "core")
    # One reader sending request after request: let them all in, as bench_core.py does.
    fast = CoreConfig(door_rate_per_s=100000.0, door_burst=100000, door_queue=100000)
    core = build_core(store, core_bus, SystemClock(), Config(core=fast))
    core.start()
    core_bus.start(timeout=10)
    ext = next(e for e in core.extensions if isinstance(e, StaleDiscoveryCleanup))
    counts: Counter[str] = Counter()
    inline = [False]
    reload = ext._reload

    def counted_reload() -> None:
        counts["inline_rechecks" if inline[0] else "worker_rechecks"] += 1
        reload()

    ext._reload = counted_reload  # type: ignore[method-assign]
    ask = ext._ask

    def switch(msg: Message) -> None:
        counts["availability_messages"] += 1
        if inline[0]:
            ext.recheck()  # the old path: a recheck per message, on the network thread
        else:
            ask(msg)

    # For this bench only: the availability subscription goes through the switch.
    with core_bus._lock:
        core_bus._handlers = [(f, switch if h is ask else h, q) for f, h, q in core_bus._handlers]
        core_bus._routes = {}
    results: queue.Queue[str] = queue.Queue()

    def heard(m: Message) -> None:
        results.put(json.loads(m.payload)["request_id"])

    reader = Bus(BusConfig(port=port), topics, "reader")
    reader.subscribe(topics.access_result("+"), heard)
    reader.start(timeout=10)
    swipes(reader, results, cards, 30)  # warm up
    quiet, _ = swipes(reader, results, cards, SWIPES)
    flapper = subprocess.Popen([sys.executable, __file__, "--flap", str(port)])
    lat: dict[str, list[float]] = {"before": [], "after": []}
    lost: dict[str, int] = {"before": 0, "after": 0}
    msgs: dict[str, float] = {"before": 0.0, "after": 0.0}
    spent: dict[str, float] = {"before": 0.0, "after": 0.0}
    try:
        time.sleep(2.0)  # the flapper connected and flapping
        for turn in range(2 * TURNS):
            path = "before" if turn % 2 == 0 else "after"
            inline[0] = path == "before"
            time.sleep(0.5)  # the other path's backlog drains into this turn's path
            n0, t0 = counts["availability_messages"], time.perf_counter()
            times, missing = swipes(reader, results, cards, SWIPES)
            lat[path] += times
            lost[path] += missing
            msgs[path] += counts["availability_messages"] - n0
            spent[path] += time.perf_counter() - t0
            print(f"turn {turn} ({path}) done", flush=True)
    finally:
        flapper.terminate()
        flapper.wait(10)
        reader.stop()
        core.stop()
        core_bus.stop()
    before, after = summary_ms(lat["before"]), summary_ms(lat["after"])
    return {
        "quiet": summary_ms(quiet),
        "before": before,
        "after": after,
        "ratio_p50": round(before["p50_ms"] / after["p50_ms"], 2),
        "ratio_p99": round(before["p99_ms"] / after["p99_ms"], 2),
        "lost": lost,
        "availability_per_s": {p: round(msgs[p] / spent[p]) for p in msgs},
        "rechecks": {k: counts[k] for k in ("inline_rechecks", "worker_rechecks")},
        "coalesced": core.counters["ha_discovery.recheck_coalesced"],
    }


def report(f: dict[str, Any], doors: int, cards: int) -> None:
    md = f"""# Card at a door while a device flaps its availability (xian sample)

{doors} doors in 26 bridges' registrations, their 5 retained discovery configs each on the
broker; a flapping device publishing online/offline at QoS 1 with {WINDOW} in flight, as fast as
the broker takes them; one card at a time at {cards} doors in turn; {TURNS} turns of each path,
alternating, each {SWIPES} cards or {TURN_S:.0f} s, whichever comes first.

| what | n | p50 ms | p99 ms |
|---|---|---|---|
{row("quiet (nothing flapping)", f["quiet"])}
{row("flapping, recheck per message on the network thread (before)", f["before"])}
{row("flapping, recheck off the network thread, coalesced (after)", f["after"])}

Cards without a result within {LOST_S:.0f} s (not in the latencies): before {f["lost"]["before"]},
after {f["lost"]["after"]}.
Ratios before / after: median {f["ratio_p50"]}, p99 {f["ratio_p99"]}.
Availability messages the core took a second: before {f["availability_per_s"]["before"]},
after {f["availability_per_s"]["after"]}. Rechecks done: {f["rechecks"]["inline_rechecks"]}
on the network thread (before), {f["rechecks"]["worker_rechecks"]} on the recheck thread
(after; {f["coalesced"]} messages dropped as already covered by a waiting recheck).
"""
    write("ha_discovery_flap", f, md)


if __name__ == "__main__":
    main()
