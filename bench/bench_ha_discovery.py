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

Then, with the new path, the same flapping with the core's flood quarantine off and on
(``compound/services/quarantine.py``: a device publishing its availability more than 20 times in
a half-second check loses its write rule for it at the broker), in alternating turns. The broker
runs the shipped settings that matter here (no anonymous clients, the ACL and passwords from
``compound devices``, 1,000 messages queued per client) and every client has its own user; the
flapper is a door panel's user. An "off" turn stops the watch and releases the flapper (the ACL
rewritten, Mosquitto signalled), so its flood reaches the core again; an "on" turn starts the
watch with the flood going, and times the swipes once the quarantine has taken (the record
made, and the core's count of the flapper's availability standing still for 0.3 s).

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
from compound.app.devices import write_files  # noqa: E402
from compound.app.wiring import build_core, quarantine_applier  # noqa: E402
from compound.config import Config, CoreConfig, SecurityConfig  # noqa: E402
from compound.domain.clock import SystemClock  # noqa: E402
from compound.protocol.acl import Device  # noqa: E402
from compound.protocol.messages import AccessRequest, encode, new_id  # noqa: E402
from compound.protocol.topics import Topics  # noqa: E402
from compound.services.device_roster import DeviceRoster  # noqa: E402
from compound.services.ha_discovery_cleanup import StaleDiscoveryCleanup  # noqa: E402
from compound.services.quarantine import QuarantineWatch  # noqa: E402
from compound.store import quarantine as records  # noqa: E402
from compound.store.db import Store  # noqa: E402
from devkit.sample import sample, sample_cards  # noqa: E402
from firmware_bridge.discovery import discovery_messages  # noqa: E402

SITE = "bench"
TURNS = 3  # of each path, alternating
SWIPES = 100  # per turn, at most
TURN_S = 25.0  # a turn's time, at most
LOST_S = 5.0  # a card without a result by then is counted lost
WINDOW = 100  # the flapper's messages in flight


def flap(port: int, password: str) -> None:
    """The flapping device: online, offline, ... as fast as the broker takes them, for ever."""
    topics = Topics(SITE)
    bus = Bus(BusConfig(port=port, username="flapper", password=password), topics, "flapper")
    bus.start(timeout=10)
    topic, i = topics.availability("flapper"), 0
    while True:
        last = None
        for _ in range(WINDOW):
            last = bus.publish_tracked(topic, b"offline" if i % 2 else b"online", qos=1)
            i += 1
        while last is not None and not last.done():
            time.sleep(0.0002)


def compound(tmp: Path) -> tuple[Store, list[dict[str, str]], list[str], dict[str, str]]:
    store = Store(tmp / "c.db", SystemClock(), tmp / "keys")
    t0 = time.perf_counter()
    sample(store, "xian")
    print(f"xian sample built in {time.perf_counter() - t0:.0f} s", flush=True)
    doors = [d.id for d in store.doors()]
    for i in range(0, len(doors), 6):
        add_device(store, Device(f"bridge{i // 6}", "bridge", tuple(doors[i : i + 6])), "bench")
    users = [
        Device("core", "core"),
        Device("reader", "core"),
        Device("flapper", "panel", tuple(doors[:1])),  # a door panel's user
    ]
    passwords = {d.name: add_device(store, d, "bench").password for d in users}
    return store, sample_cards(store, store.clock.now(), per_door=1), doors, passwords


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
        flap(int(sys.argv[2]), sys.argv[3])
        return
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        tmp.chmod(0o755)  # Mosquitto drops to its own user and rereads the files as that user
        store, cards, doors, passwords = compound(tmp)
        topics = Topics(SITE)
        mosq, security = shipped_broker(store, tmp)
        try:
            publisher = Bus(user(mosq.port, "reader", passwords), topics, "discovery")
            publisher.start(timeout=10)
            for i, door in enumerate(doors):
                for topic, payload in discovery_messages(topics, f"bridge{i // 6}", [door], "ha"):
                    publisher.publish(topic, json.dumps(payload).encode(), qos=1, retain=True)
            publisher.stop()
            figures = run(store, mosq.port, cards, passwords, security)
        finally:
            mosq.cleanup()
            store.close()
    report(figures, len(doors), len(cards))


def shipped_broker(store: Store, tmp: Path) -> tuple[Mosquitto, SecurityConfig]:
    """Mosquitto started with the shipped settings that matter here (no anonymous clients, the
    ACL and passwords from ``compound devices``, 1,000 messages queued per client), and the
    core's security settings that rewrite its files and signal it (``quarantine = "broker"``)."""
    security = SecurityConfig(
        acl_file=str(tmp / "acl"),
        password_file=str(tmp / "passwd"),
        broker_pid_file=str(tmp / "mosquitto.pid"),
        quarantine="broker",
    )
    write_files(store, Topics(SITE), tmp / "acl", tmp / "passwd")
    mosq = Mosquitto(
        workdir=tmp / "mosquitto",
        extra_config=f"per_listener_settings false\nallow_anonymous false\n"
        f"password_file {tmp / 'passwd'}\nacl_file {tmp / 'acl'}\n",
    )
    mosq.extra_config += f"max_queued_messages 1000\nlistener {mosq.port} 127.0.0.1\n"
    mosq.start()
    (tmp / "mosquitto.pid").write_text(f"{mosq.proc.pid}\n")  # type: ignore[union-attr]
    return mosq, security


def user(port: int, name: str, passwords: dict[str, str]) -> BusConfig:
    return BusConfig(port=port, username=name, password=passwords[name])


def run(
    store: Store,
    port: int,
    cards: list[dict[str, str]],
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
    watch.stop()  # the quarantine is off but in the quarantine turns
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

    reader = Bus(user(port, "reader", passwords), topics, "reader")
    reader.subscribe(topics.access_result("+"), heard)
    reader.start(timeout=10)
    swipes(reader, results, cards, 30)  # warm up
    quiet, _ = swipes(reader, results, cards, SWIPES)
    flapper = subprocess.Popen(
        [sys.executable, __file__, "--flap", str(port), passwords["flapper"]]
    )
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
        q = quarantine_turns(core, watch, reader, results, cards, counts)
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
        **q,
    }


def quarantine_turns(
    core: Any,
    watch: QuarantineWatch,
    reader: Bus,
    results: queue.Queue[str],
    cards: list[dict[str, str]],
    counts: Counter[str],
) -> dict[str, Any]:
    """Turns with the quarantine off (the flapper released, the watch stopped) and on (the
    watch started with the flood going; swipes timed once the quarantine has taken)."""
    roster = next(e for e in core.extensions if isinstance(e, DeviceRoster))
    apply = quarantine_applier(core)
    lat: dict[str, list[float]] = {"q_off": [], "q_on": []}
    lost = {"q_off": 0, "q_on": 0}
    rate = {"q_off": 0.0, "q_on": 0.0}
    took: list[float] = []  # watch started -> quarantine recorded
    quiet: list[float] = []  # watch started -> the core's count of the flapper stands still
    for turn in range(2 * TURNS):
        path = "q_off" if turn % 2 == 0 else "q_on"
        if path == "q_off":
            watch.stop()
            if records.quarantined(core.store):
                records.release(core.store, "flapper", "bench")
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
            while (n := roster.seen["flapper"]) != last:
                last = n
                time.sleep(0.3)
                assert time.perf_counter() - t0 < 30, "the flood still comes"  # noqa: S101
            quiet.append(time.perf_counter() - t0 - 0.3)
        n0, t1 = roster.seen["flapper"], time.perf_counter()
        times, missing = swipes(reader, results, cards, SWIPES)
        lat[path] += times
        lost[path] += missing
        rate[path] += (roster.seen["flapper"] - n0) / (time.perf_counter() - t1) / TURNS
        print(f"turn {turn} ({path}) done", flush=True)
    watch.stop()
    return {
        "q_off": summary_ms(lat["q_off"]),
        "q_on": summary_ms(lat["q_on"]),
        "q_lost": lost,
        "q_availability_per_s": {p: round(r) for p, r in rate.items()},
        "q_took_s": [round(x, 2) for x in took],
        "q_quiet_s": [round(x, 2) for x in quiet],
        "q_alarm": core.store.events(types=["device.quarantined"])[-1].data["reason"],
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

## The same flapping, the core's flood quarantine off and on (the new path)

{TURNS} turns of each, alternating. Off: the flapper released and the watch stopped. On: the
watch started with the flood going; the swipes timed once the quarantine has taken.

| what | n | p50 ms | p99 ms |
|---|---|---|---|
{row("flapping, quarantine off", f["q_off"])}
{row("flapping, quarantine on (after it took)", f["q_on"])}

Cards without a result within {LOST_S:.0f} s: off {f["q_lost"]["q_off"]}, on {f["q_lost"]["q_on"]}.
The flapper's availability messages the core took a second while the cards were timed: off
{f["q_availability_per_s"]["q_off"]}, on {f["q_availability_per_s"]["q_on"]}.
From the watch's start with the flood going to the quarantine recorded: {f["q_took_s"]} s;
to the core's count of the flapper standing still (the broker refusing it, the backlog
drained): {f["q_quiet_s"]} s. The record said: "{f["q_alarm"]}".
"""
    write("ha_discovery_flap", f, md)


if __name__ == "__main__":
    main()
