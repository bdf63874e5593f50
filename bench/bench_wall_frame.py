"""Officer wall frame time on the compound of the real size while passages arrive.

A real Kivy window (1920×1080) under Xvfb; the wall on the real bus (Mosquitto, the core)
over a database made by ``compound sample --size xian --days 1`` (156 doors, ~24,700 people, a
day of ~50,000 passages), staged by ``devkit.xian_screens.Shots`` (a site plan with every door
placed, the wall registered as the officer's station). 131 doors report a forced opening, so
the alarm panel holds 131 open alarms; then card readers send 10 passages a second (cards at
their own building's door, one in ten a card nobody holds, refused) while the wall shows, in
turn, its overview (door tiles, alarm queue, live passages), the site map and the event viewer.

Frame time is the UI thread's work for one frame (from the end of Kivy's frame-rate sleep to
the end of the buffer swap), as in ``bench_ui_frame``, and the same without the swap; a square
changes colour every frame so every loop turn draws. The longest frame is reported too.

Each frame's CPU is reported too: the UI thread's, and the whole process's (with Mesa's
rasteriser threads); unlike the wall-clock figures they do not grow with the machine's load.

Phases: the empty window (the GL floor), the overview with no passages, then each view with
10 passages a second (``--profile VIEW``: its busiest functions), and the overview drawn
while the passages arrive with the screen's refresh detached (the drawing without the wall's
own work), and the overview with passages in turns with the window cleared as Kivy clears it
(colour, depth and stencil) instead of the colour alone (``ui.kivy_env.window_clear``).
Target: p99 ≤ 33 ms. Settings to try without writing the results (``--scratch``):
``LP_NUM_THREADS``, ``COMPOUND_UI_MULTISAMPLES`` and ``COMPOUND_UI_TEXT_FILTER`` in the
environment.
``python -m bench.bench_wall_frame [--db XIAN.db]`` (without ``--db`` the sample is built
first, about 25 s); runs itself under xvfb-run when there is no display.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import heapq
import io
import json
import os
import pstats
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_ui_frame import FrameMeter  # noqa: E402 - after the path is set; no Kivy yet

PHASE_S = 10.0
RATE = 10.0  # passages a second
ALARMS = 131
CLEAR_TURNS = 4  # the overview with passages measured in turns with Kivy's clear
TARGET_MS = 33.0
DRAWN_SPAN = 2.0  # a phase of the frames the wall draws on its own lasts this many phases


def options() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--db", type=Path, help="a database made by compound sample --size xian")
    ap.add_argument("--phase-s", type=float, default=PHASE_S, help="seconds measured per phase")
    ap.add_argument("--rate", type=float, default=RATE, help="passages a second")
    ap.add_argument(
        "--profile",
        choices=("overview", "map", "events"),
        help="profile the UI thread in this view with passages arriving",
    )
    ap.add_argument("--scratch", action="store_true", help="print; do not write bench/results")
    ap.add_argument("--ui-nice", type=int, default=None, help="the wall's niceness (its unit's)")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    return ap.parse_args()


def sample_db() -> Path:
    """A fresh xian sample with a day of history, as the compound-scale issue builds it."""
    work = Path(tempfile.mkdtemp(prefix="wall-frame-"))
    db = work / "xian.db"
    env = dict(os.environ, COMPOUND_DB=str(db))
    cli = [sys.executable, "-m", "compound.app.cli"]
    subprocess.run([*cli, "init", "--site", "xian"], env=env, check=True, capture_output=True)
    subprocess.run(
        [*cli, "sample", "--size", "xian", "--days", "1"], env=env, check=True, capture_output=True
    )
    return db


def cards(store: Any) -> list[tuple[str, str]]:
    """(door, card) for residents at their own entrance's door, spread over the doors."""
    rows = store.read(
        "SELECT c.lookup AS card, u.building AS b, u.entrance AS e FROM credentials c"
        " JOIN people p ON p.id = c.person_id JOIN households h ON h.id = p.household_id"
        " JOIN units u ON u.id = h.unit_id"
        " WHERE c.kind = 'card' AND c.revoked_at IS NULL AND p.moved_out_at IS NULL"
    )
    pairs = [(f"b{r['b']}-e{r['e']}", str(r["card"])) for r in rows]
    random.Random(1).shuffle(pairs)
    return pairs


class Readers:
    """Card readers sending ``rate`` passages a second from their own thread."""

    def __init__(self, bus: Any, topics: Any, pairs: list[tuple[str, str]], rate: float) -> None:
        self.bus, self.topics, self.pairs, self.rate = bus, topics, pairs, rate
        self.on = threading.Event()
        self.stop = threading.Event()
        self.sent = 0
        threading.Thread(target=self._run, daemon=True, name="bench-readers").start()

    def _run(self) -> None:
        from compound.protocol.messages import AccessRequest, encode, new_id

        i = 0
        while not self.stop.wait(1 / self.rate):
            if not self.on.is_set():
                continue
            door, card = self.pairs[i % len(self.pairs)]
            if i % 10 == 9:
                card = "99999999"  # a card nobody holds: a refused passage
            req = AccessRequest(new_id(), door, "card", card, time.time(), "bench")
            self.bus.publish(self.topics.access_request(door), encode(req))
            self.sent += 1
            i += 1


class Boards:
    """The doors' boards as their bridge reports them (retained door states): each granted
    passage releases the lock, the door is opened a second later and is shut and locked again
    five seconds after the release. Three state messages a granted passage reach the wall, as on
    the box; without them every tile kept its state while the passages came."""

    STEPS = ((0.0, "unlocked"), (1.0, "open"), (5.0, "locked"))

    def __init__(self, shots: Any) -> None:
        self.shots = shots
        self.due: list[tuple[float, int, str, str]] = []  # (when, order, door, state)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.sent = 0
        self._order = 0
        threading.Thread(target=self._run, daemon=True, name="bench-boards").start()

    def granted(self, door: str) -> None:
        now = time.monotonic()
        with self.lock:
            for after, state in self.STEPS:
                self._order += 1
                heapq.heappush(self.due, (now + after, self._order, door, state))

    def _run(self) -> None:
        while not self.stop.wait(0.05):
            now, ready = time.monotonic(), []
            with self.lock:
                while self.due and self.due[0][0] <= now:
                    ready.append(heapq.heappop(self.due))
            for _at, _n, door, state in ready:
                self.shots.door_state(door, state)
                self.sent += 1


def serve(db: Path, rate: float) -> int:
    """The compound side in a process of its own, as on the box (the core is not the wall's
    process): Mosquitto, the core, the staged plan, the forced doors and the card readers.
    Says ``{"port", "site", "alarms"}`` on stdout when ready; then ``on`` on stdin starts the
    readers, ``count`` answers how many decisions were heard, end of input stops it all."""
    from bench.bench_ui_frame import unit_settings
    from compound.domain.clock import SystemClock
    from compound.protocol.messages import AccessResult, DoorEvent, encode
    from devkit.xian_screens import Shots

    # The core and Mosquitto at their units' niceness, whatever the bench was started with
    # (under `nice -n 10` the core fell behind the readers on a loaded machine).
    try:
        os.setpriority(
            os.PRIO_PROCESS, 0, int(unit_settings("compound-core.service").get("Nice", "0"))
        )
    except PermissionError:
        pass
    shots = Shots(db, Path(tempfile.mkdtemp(prefix="wall-frame-out-")))
    decided = {"n": 0}
    try:
        shots.stage()
        shots.boards_report()  # every door locked, as its board says when the bridge starts
        doors = sorted(d.id for d in shots.store.doors())
        watch = shots.admin
        boards = Boards(shots)

        def heard(m: Any) -> None:
            decided["n"] += 1
            result = AccessResult.decode(m.payload)
            if result.granted:
                boards.granted(result.door_id)

        watch.subscribe(shots.topics.all("access/+/result"), heard)
        now = SystemClock().now()
        for door in [d for d in doors if d.startswith("b")][:ALARMS]:
            event = DoorEvent(door, "forced_open", now)
            watch.publish(shots.topics.door_event(door), encode(event))
            shots.door_state(door, "forced")
        deadline = time.monotonic() + 120
        while len(shots.store.alarms(open_only=True)) < ALARMS and time.monotonic() < deadline:
            time.sleep(0.5)
        readers = Readers(watch, shots.topics, cards(shots.store), rate)
        ready = {"port": shots.cfg.port, "site": shots.topics.site}
        ready["alarms"] = len(shots.store.alarms(open_only=True))
        print(json.dumps(ready), flush=True)
        for line in sys.stdin:
            if line.strip() == "on":
                readers.on.set()
            elif line.strip() == "count":
                print(decided["n"], flush=True)
            elif line.strip() == "states":
                print(boards.sent, flush=True)
        readers.stop.set()
        boards.stop.set()
    finally:
        shots.close()
    return 0


def pump(seconds: float, until: Any = None) -> None:
    from kivy.base import EventLoop

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        EventLoop.idle()
        if until is not None and until():
            return


def main() -> int:
    args = options()
    if args.serve:
        return serve(args.db, args.rate)
    if not os.environ.get("DISPLAY"):
        cmd = ["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24", sys.executable, *sys.argv]
        return subprocess.call(cmd)
    db = args.db or sample_db()
    site = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_wall_frame", "--serve", "--db", str(db)]
        + ["--rate", str(args.rate)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert site.stdin is not None and site.stdout is not None
    ready = json.loads(site.stdout.readline() or "{}")
    if "port" not in ready:
        raise SystemExit("the compound side did not start")
    from bench.bench_ui_frame import SHIPPED_UI_NICE, unit_settings

    ui_nice = SHIPPED_UI_NICE if args.ui_nice is None else args.ui_nice
    try:
        # As the UI unit runs it, whatever niceness the bench was started with (the rules run
        # benches under `nice -n 10`); the compound side keeps the niceness it was started with.
        os.setpriority(os.PRIO_PROCESS, 0, ui_nice)
    except PermissionError:
        pass
    ui_nice = os.getpriority(os.PRIO_PROCESS, 0)

    def ask(line: str) -> str:
        assert site.stdin is not None and site.stdout is not None
        site.stdin.write(line + "\n")
        site.stdin.flush()
        return site.stdout.readline().strip() if line in ("count", "states") else ""

    from ui import kivy_env
    from ui.kivy_env import ROLE_MAXFPS

    kivy_env.prepare(1920, 1080, maxfps=ROLE_MAXFPS["officer"])
    from kivy.base import EventLoop
    from kivy.clock import Clock as KClock
    from kivy.core.window import Window
    from kivy.graphics import Color, Rectangle
    from kivy.uix.widget import Widget

    from bench.common import report, summary_ms
    from compound.adapters.mqtt import BusConfig
    from compound.domain.clock import SystemClock
    from compound.protocol.topics import Topics
    from ui.app import build_role, ui_dispatch
    from ui.gateway import MqttGateway
    from ui.i18n import Strings

    EventLoop.ensure_window()
    Window.size = (1920, 1080)
    ticker = Widget(size=(8, 8))
    with ticker.canvas:
        colour = Color(1, 0, 0, 1)
        Rectangle(pos=(0, 0), size=(8, 8))
    Window.add_widget(ticker)
    KClock.schedule_interval(lambda dt: setattr(colour, "r", 1.0 - colour.r), 0)
    meter = FrameMeter()
    series: dict[str, dict[str, list[float]]] = {}  # phase → work, own, swap, thread/frame CPU
    top = ""
    load_before = os.getloadavg()[0]
    open_alarms = int(ready["alarms"])
    gw = MqttGateway(
        BusConfig(port=int(ready["port"])),
        Topics(str(ready["site"])),
        "ui-officer-bench",
        dispatch=ui_dispatch,
    )

    pauses: dict[str, list[float]] = {}  # phase → Python's full (generation 2) collections
    started: list[float] = []

    def gc_timer(phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started and current:
            pauses.setdefault(current[0], []).append(time.perf_counter() - started[0])

    current: list[str] = []
    gc.callbacks.append(gc_timer)

    def measure(name: str, seconds: float | None = None) -> None:
        """``seconds`` (a phase's) of frames, added to those of ``name`` measured before."""
        current[:] = [name]
        work, own = meter.run_split(args.phase_s if seconds is None else seconds)
        current.clear()
        kept = series.setdefault(name, {"work": [], "own": [], "swap": [], "thread_cpu": []})
        kept["work"] += work
        kept["own"] += own
        kept["swap"] += [w - o for w, o in zip(work, own, strict=True)]
        kept["thread_cpu"] += list(meter.thread_cpu[1:])
        kept.setdefault("frame_cpu", []).extend(meter.frame_cpu[1:])

    shipped_clear = os.environ.get("COMPOUND_UI_CLEAR") or kivy_env.WINDOW_CLEAR

    try:
        meter.run_split(2.0)
        measure("floor")
        gw.start()
        wall = build_role("officer", gw, Strings("zh"), SystemClock(), station="wall")
        Window.remove_widget(ticker)
        Window.add_widget(wall.root)
        Window.add_widget(ticker)
        wall.vm.load()
        pump(90, lambda: len(wall.vm.doors) >= 150 and wall.vm.alarm_total >= open_alarms)
        pump(30, lambda: len(wall.root.tile_views()) == len(wall.vm.doors))  # a few a frame
        pump(3.0)
        measure("overview_idle")
        ask("on")
        pump(2.0)
        heard_before, t0 = int(ask("count")), time.monotonic()
        states_before = int(ask("states"))
        for view in ("overview", "map", "events"):
            if view != "overview":
                wall.root.show_view(view)
                if view == "events":
                    wall.vm.events.set_category("passages")
                pump(3.0)
            prof = cProfile.Profile() if args.profile == view else None
            if view == "overview":
                # The window cleared as shipped and as Kivy clears it, in turns (a quarter of
                # a phase each), so both meet the same load: what the colour-only clear saves.
                for turn in range(CLEAR_TURNS):
                    turns = (shipped_clear, "all")
                    for clear in turns if turn % 2 == 0 else turns[::-1]:
                        kivy_env.window_clear(clear)
                        pump(0.5)
                        shipped = clear == shipped_clear
                        if prof is not None and shipped:
                            prof.enable()
                        name = f"{view}_loaded" if shipped else f"{view}_loaded_kivy_clear"
                        measure(name, args.phase_s / CLEAR_TURNS)
                        if prof is not None and shipped:
                            prof.disable()
                kivy_env.window_clear(shipped_clear)
            else:
                if prof is not None:
                    prof.enable()
                measure(f"{view}_loaded")
                if prof is not None:
                    prof.disable()
            # The frames the wall draws on its own (no square forcing one on every loop turn):
            # a frame when a passage or the clock changed what it shows, as on the box.
            Window.remove_widget(ticker)
            if prof is not None:
                prof.enable()
            measure(f"{view}_loaded_drawn", args.phase_s * DRAWN_SPAN)
            if prof is not None:
                prof.disable()
            Window.add_widget(ticker)
            if prof is not None:
                out = io.StringIO()
                pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(30)
                top = out.getvalue()
            if view == "overview":
                # The same scene drawn while the passages still arrive, but the screen not
                # updated: what drawing the overview costs without the wall's own work.
                trigger = wall.root._trigger
                wall.vm.listeners.remove(trigger)
                trigger.cancel()
                measure("overview_loaded_not_updated")
                wall.vm.listeners.append(trigger)
                trigger()
        rate = (int(ask("count")) - heard_before) / (time.monotonic() - t0)
        state_rate = (int(ask("states")) - states_before) / (time.monotonic() - t0)
        alarms_shown = wall.vm.alarm_total
        Window.remove_widget(wall.root)
        wall.root.stop()
    finally:
        gw.stop()
        site.stdin.close()
        site.wait(60)
    load_after = os.getloadavg()[0]
    if rate < 0.8 * args.rate:
        # A database copied without its key directory decides nothing but the unknown cards.
        print(
            f"the core decided {rate:.1f} passages a second of {args.rate:g} sent: not the load"
            " this bench is for (is the database's keys/ directory beside it?)",
            file=sys.__stderr__,
        )
        return 1
    empty = [k for k, v in series.items() if len(v["work"]) < 2]
    if empty:
        print(
            f"fewer than 2 frames in {', '.join(empty)}: the machine is too busy",
            file=sys.__stderr__,
        )
        for k in empty:
            for key, v in series[k].items():
                series[k][key] = v * 2 or [float(args.phase_s)] * 2
    stats = {k: {key: summary_ms(v) for key, v in s.items()} for k, s in series.items()}
    work = {k: s["work"] for k, s in stats.items()}
    code = {k: s["own"] for k, s in stats.items()}
    loaded = [k for k in work if k.endswith("_loaded")]
    drawn = [k for k in work if k.endswith("_loaded_drawn")]
    worst = max(work[k]["p99_ms"] for k in loaded)
    worst_drawn = max(work[k]["p99_ms"] for k in drawn)
    floor_p50, floor_p99 = work["floor"]["p50_ms"], work["floor"]["p99_ms"]
    ov = stats["overview_loaded"]
    figures = {
        "database": "compound sample --size xian --days 1",
        "open_alarms": open_alarms,
        "alarms_on_the_wall": alarms_shown,
        "passages_per_s_sent": args.rate,
        "passages_per_s_decided": round(rate, 1),
        "door_states_per_s": round(state_rate, 1),
        "maxfps": ROLE_MAXFPS["officer"],
        "wall_nice": ui_nice,
        "text_filter": os.environ.get("COMPOUND_UI_TEXT_FILTER") or kivy_env.TEXT_FILTER,
        "window_clear": shipped_clear,
        "multisamples": os.environ.get("COMPOUND_UI_MULTISAMPLES", "0"),
        "LP_NUM_THREADS": os.environ.get("LP_NUM_THREADS", "default"),
        "compound_side": "Mosquitto and the core in a process of their own",
        "compound_side_nice": int(unit_settings("compound-core.service").get("Nice", "0")),
        "load_average_1min": [round(load_before, 2), round(load_after, 2)],
        "frame_work": work,
        "frame_work_without_swap": code,
        "swap": {k: s["swap"] for k, s in stats.items()},
        "ui_thread_cpu_per_frame": {k: s["thread_cpu"] for k, s in stats.items()},
        "process_cpu_per_frame": {k: s["frame_cpu"] for k, s in stats.items()},
        "full_gc_pauses_ms": {k: [round(v * 1000, 1) for v in pauses.get(k, [])] for k in series},
        "worst_p99_without_swap_ms": max(code[k]["p99_ms"] for k in loaded),
        "p50_ratio_overview_loaded_vs_floor": round(ov["work"]["p50_ms"] / floor_p50, 2),
        "p99_ratio_overview_loaded_vs_floor": round(ov["work"]["p99_ms"] / floor_p99, 2),
        "p99_ratio_overview_loaded_vs_idle": round(
            ov["work"]["p99_ms"] / work["overview_idle"]["p99_ms"], 2
        ),
        "target_p99_ms": TARGET_MS,
        "worst_p99_every_turn_ms": worst,
        "worst_p99_as_drawn_ms": worst_drawn,
        "met_every_turn": worst <= TARGET_MS,
        "met": worst_drawn <= TARGET_MS,
    }
    ratio_floor = figures["p99_ratio_overview_loaded_vs_floor"]
    ratio_floor50 = figures["p50_ratio_overview_loaded_vs_floor"]
    ratio_idle = figures["p99_ratio_overview_loaded_vs_idle"]
    verdict = "met" if figures["met"] else "NOT met"
    verdict_turn = "met" if figures["met_every_turn"] else "NOT met"

    all_gc = [v for k in series for v in pauses.get(k, [])]
    n_gc = len(all_gc)
    gc_note = f" (longest {max(all_gc) * 1000:.1f} ms)" if all_gc else ""

    def cell(s: dict[str, float]) -> str:
        return f"{s['p50_ms']:.1f} / {s['p99_ms']:.1f}"

    clear_note = ""
    if "overview_loaded_kivy_clear" in stats:
        kc = stats["overview_loaded_kivy_clear"]
        figures["window_clear_vs_kivy"] = {
            "process_cpu_p50_ms": [ov["frame_cpu"]["p50_ms"], kc["frame_cpu"]["p50_ms"]],
            "total_p50_ms": [ov["work"]["p50_ms"], kc["work"]["p50_ms"]],
            "total_p99_ms": [ov["work"]["p99_ms"], kc["work"]["p99_ms"]],
            "cpu_ratio": round(ov["frame_cpu"]["p50_ms"] / kc["frame_cpu"]["p50_ms"], 3),
            "p99_ratio": round(ov["work"]["p99_ms"] / kc["work"]["p99_ms"], 3),
        }
        clear_note = (
            f"- window cleared {shipped_clear} (as shipped) vs Kivy's clear of colour, depth and"
            f" stencil, the overview with passages measured in {CLEAR_TURNS} turns each: all CPU"
            f" a frame p50 **{ov['frame_cpu']['p50_ms']:.1f}** vs"
            f" **{kc['frame_cpu']['p50_ms']:.1f}** ms"
            f" ({figures['window_clear_vs_kivy']['cpu_ratio']}); total p50 / p99"
            f" {cell(ov['work'])} vs {cell(kc['work'])} ms"
            f" (p99 {figures['window_clear_vs_kivy']['p99_ratio']})\n"
        )

    rows = "\n".join(
        f"| {name} | {s['work']['n']} | {cell(s['work'])} | {s['work']['max_ms']:.1f} "
        f"| {cell(s['own'])} | {cell(s['swap'])} | {cell(s['thread_cpu'])} "
        f"| {cell(s['frame_cpu'])} |"
        for name, s in stats.items()
    )
    md = f"""# Officer wall frame time on the xian compound

Real Kivy window (1920×1080) under Xvfb (Mesa llvmpipe, software GL), `maxfps`
{ROLE_MAXFPS["officer"]}, multisampling {figures["multisamples"]}, `LP_NUM_THREADS`
{figures["LP_NUM_THREADS"]}, niceness {ui_nice} (the UI unit's `Nice=`); the wall on the real
bus (Mosquitto and the core in a process of their own, as on the box, niceness
{figures["compound_side_nice"]}) over
`compound sample --size xian --days 1` (156 doors, ~24,700 people, a day of ~50,000
passages), a site plan with every door placed. {open_alarms} doors reported a forced opening:
the wall's alarm panel held {alarms_shown} open alarms. Card readers sent {args.rate:g}
passages a second (one in ten refused); the core decided {rate:.1f} a second during the
loaded phases. Every door's board reported it locked (the forced ones: forced), and each
granted passage's door reported unlocked, open a second later and locked five seconds after
the release: {state_rate:.1f} door states a second reached the wall.

Per frame, p50 / p99 in ms: **total** = the UI thread's frame from the end of Kivy's
frame-rate sleep to the end of the buffer swap (max = the longest the UI thread was held);
**own** = the same without the swap (the wall's code, layout, issuing the drawing); **swap** =
the buffer swap, where Mesa's software rasteriser draws the frame's pixels (a GPU does this
in hardware); **UI CPU** = CPU the UI thread used in the frame; **all CPU** = CPU the whole
process used in the frame (the UI thread and Mesa's rasteriser threads). The wall-clock
columns include waiting for a core on this shared machine; the CPU columns do not.
`overview_loaded_not_updated` draws the same overview while passages arrive with the screen's
refresh detached: the drawing alone, without the wall's work. `overview_loaded_kivy_clear` is
the overview with passages with the window cleared as Kivy clears it (colour, depth and
stencil; as shipped: {shipped_clear}), measured in turns with `overview_loaded` (a quarter of a
phase each). In every phase but the `_drawn` ones
a square changes colour on every loop turn, so a frame is drawn on every turn (up to
{ROLE_MAXFPS["officer"]} a second: the wall's drawing alone keeps both cores busy); a
`_loaded_drawn` phase ({DRAWN_SPAN:g} phases long) counts the frames the wall draws on its
own while the passages arrive, as on the box: one whenever a passage or the clock changed
what it shows.

| phase | frames | total | max | own | swap | UI CPU | all CPU |
|---|---|---|---|---|---|---|---|
{rows}

- overview with passages / empty window measured in the same run: p50 **{ratio_floor50}**,
  p99 **{ratio_floor}**; / overview without passages: p99 **{ratio_idle}**
- target p99 ≤ {TARGET_MS:g} ms for the frames the wall draws while passages arrive
  (`_loaded_drawn`): **{verdict}** (worst p99 {worst_drawn} ms)
- the same with a frame forced on every loop turn (`_loaded`): **{verdict_turn}** (worst p99
  {worst} ms; without the swap {figures["worst_p99_without_swap_ms"]} ms)
{clear_note}- machine load (1-minute average) at start / end: {load_before:.1f} /
  {load_after:.1f} on 2 cores shared with other work
- Python's full garbage collections during the measured phases: {n_gc}{gc_note}
- settings tried (multisampling, rasteriser threads) and what each part of the wall costs:
  docs/notes/ui.md, "The wall's frame time"
"""
    if top:
        md += f"\nBusiest functions on the UI thread (own time), {args.profile} with passages:"
        md += "\n\n```\n"
        md += "\n".join(top.splitlines()[:45]) + "\n```\n"
    report("ui_frame_wall", figures, md, args.scratch)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:
        import traceback

        # Kivy's log takes sys.stderr once a window is made: the failure must still be seen.
        traceback.print_exc(file=sys.__stderr__)
        sys.exit(1)
