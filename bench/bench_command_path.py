"""Door command path: core → bridge → relay (Modbus over a pty) → ack on the bus.

Compared in the same run with a bare paho echo (command out, ack back) on the default stack
(no TCP_NODELAY on the clients nor on Mosquitto) and on raw paho with TCP_NODELAY both ends.
Writes bench/results/command_path.json and .md.
"""

from __future__ import annotations

import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compound import keys  # noqa: E402
from compound.broker import Mosquitto  # noqa: E402
from compound.bus import Bus, BusConfig  # noqa: E402
from compound.clock import SystemClock  # noqa: E402
from compound.config import BoardWiring, BridgeConfig, Config, DoorWiring  # noqa: E402
from compound.core import Core  # noqa: E402
from compound.store import Store  # noqa: E402
from compound.topics import Topics  # noqa: E402
from firmware_bridge.bridge import Bridge  # noqa: E402
from firmware_bridge.simulators import VirtualRelayBoard  # noqa: E402

N = 300


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


class PlainMosquitto(Mosquitto):
    """Mosquitto as installed: no set_tcp_nodelay."""

    def write_config(self) -> None:
        self.conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n")


def paho_echo(port: int, nodelay: bool) -> list[float]:
    got = threading.Event()

    def opener(c: mqtt.Client, u: object, sock: socket.socket) -> None:
        if nodelay:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def client(cid: str) -> mqtt.Client:
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=cid)
        c.on_socket_open = opener
        c.connect("127.0.0.1", port)
        c.loop_start()
        return c

    dev, ctl = client("dev"), client("ctl")
    dev.on_message = lambda c, u, m: dev.publish("ack", m.payload, qos=1)
    ctl.on_message = lambda c, u, m: got.set()
    dev.subscribe("cmd", qos=1)
    ctl.subscribe("ack", qos=1)
    time.sleep(0.5)
    out = []
    for i in range(N):
        got.clear()
        t0 = time.perf_counter()
        ctl.publish("cmd", json.dumps({"id": i}), qos=1)
        if not got.wait(2):
            raise RuntimeError("echo lost")
        out.append((time.perf_counter() - t0) * 1000)
    for c in (dev, ctl):
        c.loop_stop()
        c.disconnect()
    return out


def bridge_path(port: int, workdir: Path) -> list[float]:
    topics = Topics("bench")
    clock = SystemClock()
    store = Store(workdir / "b.db", clock, workdir / "keys")
    store.add_unit("1-1-101")
    store.add_door("d1", "bench door", ["1-1"])
    cfg = BusConfig(port=port)
    core_bus = Bus(cfg, topics, "core")
    core = Core(store, core_bus, clock, Config())
    core.start()
    core_bus.start()
    board = VirtualRelayBoard(unit=1)
    board.start()
    bridge_bus = Bus(cfg, topics, "bridge")
    bcfg = BridgeConfig(
        poll_interval_s=1.0,  # inputs idle; polling must not sit on the line during the run
        boards=[BoardWiring("b1", board.port, 115200, 1, 8, -1)],
        doors=[DoorWiring("d1", "b1", 0, -1, -1, -1)],
    )
    master = store.master_key
    bridge = Bridge(bcfg, bridge_bus, clock, lambda d: keys.door_command_key(master, d))
    bridge.start()
    bridge_bus.start()
    acked = threading.Event()
    core_bus.subscribe(topics.door_ack("d1"), lambda m: acked.set())
    while not bridge.boards["b1"].up:
        time.sleep(0.05)
    time.sleep(0.5)
    out = []
    for i in range(N):
        acked.clear()
        t0 = time.perf_counter()
        core.send_command("d1", "unlock" if i % 2 == 0 else "lock", "bench", 60.0)
        if not acked.wait(2):
            raise RuntimeError("no ack")
        out.append((time.perf_counter() - t0) * 1000)
    coil_changes = len(board.history)
    bridge.stop()
    bridge_bus.stop()
    core.stop()
    core_bus.stop()
    board.stop()
    store.close()
    if coil_changes < N:
        raise RuntimeError(f"only {coil_changes} coil changes for {N} commands")
    return out


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-cmd-"))
    tuned = Mosquitto().start()
    plain = PlainMosquitto().start()
    try:
        runs = {
            "compound_bridge": bridge_path(tuned.port, work),
            "paho_default_stack": paho_echo(plain.port, nodelay=False),
            "paho_tcp_nodelay": paho_echo(tuned.port, nodelay=True),
        }
    finally:
        tuned.cleanup()
        plain.cleanup()
    res = {
        k: {"p50_ms": statistics.median(v), "p99_ms": pct(v, 0.99), "n": len(v)}
        for k, v in runs.items()
    }
    ours = res["compound_bridge"]["p50_ms"]
    res["ratios"] = {
        "default_stack_p50_over_bridge_p50": res["paho_default_stack"]["p50_ms"] / ours,
        "bridge_p50_over_raw_nodelay_p50": ours / res["paho_tcp_nodelay"]["p50_ms"],
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "command_path.json").write_text(json.dumps(res, indent=2) + "\n")
    lines = [
        "# Door command path (loopback Mosquitto, Modbus RTU over a pty)",
        "",
        "core signs → bus → bridge verifies → state machine → coil written and confirmed by the",
        "simulated board → ack on the bus back at the core. Baselines: a bare paho command/ack",
        "echo without any of that work.",
        "",
        "| path | p50 ms | p99 ms |",
        "|---|---|---|",
    ]
    for k in ("compound_bridge", "paho_default_stack", "paho_tcp_nodelay"):
        lines.append(f"| {k} | {res[k]['p50_ms']:.3f} | {res[k]['p99_ms']:.3f} |")
    r = res["ratios"]
    lines += [
        "",
        f"Default stack p50 / bridge p50: {r['default_stack_p50_over_bridge_p50']:.1f}x; "
        f"bridge p50 / raw TCP_NODELAY echo p50: {r['bridge_p50_over_raw_nodelay_p50']:.1f}x.",
    ]
    (out / "command_path.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
