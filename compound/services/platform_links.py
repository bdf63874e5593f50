"""The platform's watch on each box's link, for the district view: the uplink's availability
(online, or its last will) and its status report (records it holds that the platform has not
confirmed), both retained on the city broker, saved to ``uplink_links`` once a second.

Runs beside the ingest (``compound platform ingest`` starts it), on the ingest's bus and a
database connection of its own. Messages are read on the network thread and only the latest per
site is kept until the next save, so a flood costs memory per site, not per message. A report
that does not parse, or names another site than its topic, is dropped: it is the box's own
view, not a record, and the guard of ``compound.domain.uplink_link.parse_status`` keeps only
its numbers.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from compound.adapters.mqtt import Bus, Message
from compound.adapters.platform_db import PlatformDb
from compound.domain.ingest_partition import site_of_topic
from compound.domain.uplink_link import availability_site, parse_availability, parse_status

log = logging.getLogger(__name__)


class LinkWatch:
    def __init__(self, db: PlatformDb, bus: Bus, prefix: str = "city") -> None:
        self.db = db
        self._lock = threading.Lock()
        self._online: dict[str, bool] = {}
        self._reports: dict[str, dict[str, Any]] = {}
        self.dropped = 0
        bus.subscribe(f"{prefix}/+/status", self._on_status, qos=0)
        bus.subscribe("compound/+/device/+/availability", self._on_availability, qos=0)

    def _on_status(self, msg: Message) -> None:
        site = site_of_topic(msg.topic)
        report = None if site is None else parse_status(msg.payload, site)
        with self._lock:
            if site is None or report is None:
                self.dropped += 1
            else:
                self._reports[site] = report

    def _on_availability(self, msg: Message) -> None:
        site = availability_site(msg.topic)
        online = parse_availability(msg.payload)
        if site is not None and online is not None:
            with self._lock:
                self._online[site] = online

    def flush(self) -> int:
        """Save what came since the last save; returns the sites saved."""
        with self._lock:
            online, reports = self._online, self._reports
            self._online, self._reports = {}, {}
        if not online and not reports:
            return 0
        try:
            self.db.save_links(online, reports)
        except Exception as e:
            log.warning("links: not saved yet: %s", e)
            with self._lock:  # keep them, unless newer ones came meanwhile
                self._online = {**online, **self._online}
                self._reports = {**reports, **self._reports}
            try:
                self.db.reconnect()
            except Exception as again:
                log.warning("links: database not back yet: %s", again)
            return 0
        return len(set(online) | set(reports))

    def run(self, stop: threading.Event, every_s: float = 1.0) -> None:
        while not stop.wait(every_s):
            self.flush()
        self.flush()

    def start(self, stop: threading.Event) -> threading.Thread:
        t = threading.Thread(target=self.run, args=(stop,), name="platform-links", daemon=True)
        t.start()
        return t
