"""What the city tier's tests share: boxes with real stores and uplinks, the platform's ingest
in this process, and the exactly-once check against PostgreSQL."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from compound.adapters.mqtt import Bus
from compound.adapters.platform_db import PlatformDb
from compound.domain.clock import SystemClock
from compound.protocol.topics import Topics
from compound.services.platform_ingest import Ingest
from compound.services.platform_links import LinkWatch
from compound.services.uplink import UplinkSender, status
from compound.store.db import Store
from devkit.city_cluster import PLATFORM_USER, CityCluster
from devkit.postgres import TempPostgres


def need(binary: object, what: str) -> None:
    if binary is None:
        if os.geteuid() == 0:
            pytest.fail(f"{what} is not installed; ./dev test installs it")
        pytest.skip(f"{what} is not installed and this user cannot install it")


def box(tmp_path: Path, site: str, n: int) -> Store:
    store = Store(tmp_path / f"{site}.db", SystemClock(), tmp_path / f"keys-{site}")
    store.add_unit("1-1-101")
    store.add_person("张三", "1-1-101", "tenant", id_number="110101199001011234")
    for i in range(n):
        passage(store, i)
    return store


def passage(store: Store, i: int) -> None:
    store.append_event(
        "access.granted",
        door_id="b1",
        person_id=1,
        data={"kind": "card"},
        uplink={"type": "passage", "door": "b1", "credential": "card", "n": i},
    )


class Boxes:
    """Several compounds' uplinks, each with its own store, credential and broker node (and,
    with ``failover``, the other nodes to go to when its own is lost)."""

    def __init__(
        self,
        cluster: CityCluster,
        stores: dict[str, Store],
        nodes: list[int],
        *,
        failover: bool = False,
    ) -> None:
        self.stores = stores
        self.stop = threading.Event()
        self.buses: dict[str, Bus] = {}
        self.senders: dict[str, UplinkSender] = {}
        self.threads: list[threading.Thread] = []
        for (site, store), node in zip(stores.items(), nodes, strict=True):
            cfg = cluster.bus_config(site, node, failover=failover)
            bus = Bus(cfg, Topics(site), f"uplink-{site}")
            sender = UplinkSender(
                store, bus, site, window=32, require_platform_ack=True, confirm_timeout_s=3.0
            )
            bus.start(timeout=20)
            self.buses[site] = bus
            self.senders[site] = sender
            t = threading.Thread(target=sender.run, args=(self.stop,), kwargs={"idle_s": 0.05})
            t.start()
            self.threads.append(t)

    def drained(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(
                status(s)["waiting"] == 0 and status(s)["unconfirmed"] == 0
                for s in self.stores.values()
            ):
                return True
            time.sleep(0.2)
        return False

    def close(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(10)
        for b in self.buses.values():
            b.stop()


class Platform:
    def __init__(
        self, cluster: CityCluster, pg: TempPostgres, node: int, name: str, *, links: bool = False
    ) -> None:
        self.db = PlatformDb(pg.dsn)
        self.bus = Bus(cluster.bus_config(PLATFORM_USER, node), Topics("city"), name)
        self.ingest = Ingest(self.db, self.bus)
        # the boxes' availability and status reports, as ``compound platform ingest`` runs it
        self.links = LinkWatch(PlatformDb(pg.dsn), self.bus) if links else None
        self.bus.start(timeout=20)
        self.stop = threading.Event()
        self.thread = self.ingest.start(self.stop)
        self.links_thread = self.links.start(self.stop) if self.links else None

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)
        if self.links is not None and self.links_thread is not None:
            self.links_thread.join(10)
            self.links.db.close()
        self.bus.stop()
        self.db.close()


def assert_exactly_once(pg: TempPostgres, stores: dict[str, Store]) -> None:
    db = PlatformDb(pg.dsn)
    try:
        for site, store in stores.items():
            want = [r["seq"] for r in store.query("SELECT seq FROM outbox ORDER BY seq")]
            assert db.site_seqs(site) == want, f"{site}: every record once, in order"
    finally:
        db.close()
