"""Parts of the city bench's drains (``bench/city_runs.py``): boxes filled once and copied
for each drain (``fill``, ``copy_box``), and what the cluster did meanwhile
(``ClusterWatch``: what the JetStream consumer behind the ingest's MQTT subscription delivered
and redelivered, and the machine's load average)."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from compound.domain.clock import SystemClock
from compound.store.db import Store
from devkit.city_cluster import CityCluster


def append(store: Store, i: int) -> None:
    """One passage through the event log (hash chain, event and outbox row together)."""
    store.append_event(
        "access.granted",
        door_id="b1",
        data={"kind": "card"},
        uplink={"type": "passage", "door": "b1", "credential": "card", "n": i},
    )


def fill(work: Path, boxes: int, per_box: int, threads: int = 6) -> Path:
    """Boxes ``box000``... each holding ``per_box`` records written through the real event
    log, in ``work`` (SQLite waits on the disk, so several boxes fill at once); ``drain(...,
    template=work)`` copies them, so that one filling serves several drains."""

    def one(i: int) -> None:
        st = Store(work / f"box{i:03d}.db", SystemClock(), work / f"keys-box{i:03d}")
        try:
            for j in range(per_box):
                append(st, j)
        finally:
            st.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(one, range(boxes)))
    return work


def copy_box(template: Path, i: int, work: Path, site: str) -> None:
    for f in template.glob(f"box{i:03d}.db*"):
        shutil.copyfile(f, work / f.name.replace(f"box{i:03d}", site))
    shutil.copytree(template / f"keys-box{i:03d}", work / f"keys-{site}")


class ClusterWatch:
    """Samples the cluster while a drain runs: what the JetStream consumers behind the
    ingest's MQTT subscription delivered and redelivered (the gateway's ``ack_wait`` running
    out), and the machine's load average."""

    def __init__(self, cluster: CityCluster, every_s: float = 2.0) -> None:
        self.cluster = cluster
        self.every_s = every_s
        self.delivered: dict[str, int] = {}
        self.redelivered: dict[str, int] = {}
        self.ack_pending_max = 0
        self.loads: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.loads.append(os.getloadavg()[0])
            for node in self.cluster.members:
                if node.proc is not None:
                    self._sample(node)
            self._stop.wait(self.every_s)

    def _sample(self, node: Any) -> None:
        url = f"http://127.0.0.1:{node.http_port}/jsz?accounts=true&streams=true&consumers=true"
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                info = json.loads(r.read())
        except (OSError, ValueError):
            return
        for acc in info.get("account_details") or []:
            for stream in acc.get("stream_detail") or []:
                if stream.get("name") != "$MQTT_msgs":
                    continue
                for c in stream.get("consumer_detail") or []:
                    name = str(c.get("name"))
                    seq = int((c.get("delivered") or {}).get("consumer_seq") or 0)
                    self.delivered[name] = max(self.delivered.get(name, 0), seq)
                    again = int(c.get("num_redelivered") or 0)
                    self.redelivered[name] = max(self.redelivered.get(name, 0), again)
                    pending = int(c.get("num_ack_pending") or 0)
                    self.ack_pending_max = max(self.ack_pending_max, pending)

    def stop(self) -> None:
        """Stop sampling, after a last look (before the ingest disconnects and its consumer
        goes)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)
        for node in self.cluster.members:
            if node.proc is not None:
                self._sample(node)

    def figures(self) -> dict[str, Any]:
        return {
            "cluster_delivered_to_ingest": sum(self.delivered.values()),
            "cluster_redelivered": sum(self.redelivered.values()),
            "cluster_ack_pending_max": self.ack_pending_max,
            "load_avg_median": round(statistics.median(self.loads), 1) if self.loads else None,
            "load_avg_max": round(max(self.loads), 1) if self.loads else None,
        }
