"""Devices taken off the site leave no "offline" behind (a core extension).

Every bus client keeps a retained ``device/<name>/availability``; a device whose credential is
revoked (``compound devices revoke``) would otherwise stay "offline" on every screen's banner
for ever. The revoke command clears the retained state; but the broker cuts the revoked device
off at the reload that follows, and its last will ("offline", retained) may arrive after that.
So the core clears any availability a revoked device still publishes, or that was left retained
while the core was down (it reads the retained ones when it subscribes). Screens forget a device
whose availability is cleared (``ui.viewmodels.base.Availability``).
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING

from compound.adapters.mqtt import Message
from compound.services.extension import Offers

if TYPE_CHECKING:
    from compound.services.core import Core

log = logging.getLogger(__name__)


class DeviceRoster:
    def __init__(self, core: Core) -> None:
        self.core = core
        # Availability messages seen per device, counted on the network thread where they
        # arrive (one dict increment); the quarantine watch reads it to catch a flooding device
        # (``compound.services.quarantine``).
        self.seen: Counter[str] = Counter()

    def offers(self) -> Offers:
        return Offers()

    def start(self) -> None:
        self.core.bus.subscribe(self.core.topics.all("device/+/availability"), self.on_availability)

    def stop(self) -> None:
        pass

    def on_availability(self, msg: Message) -> None:
        parts = self.core.topics.split(msg.topic)
        if len(parts) != 3:
            return
        name = parts[1]
        self.seen[name] += 1
        if not msg.payload:
            return  # already cleared
        if not self.revoked(name):
            return
        self.core.counters["device.revoked_availability_cleared"] += 1
        log.info("clearing the availability of revoked device %s", name)
        self.core.bus.publish(msg.topic, b"", qos=1, retain=True)

    def revoked(self, name: str) -> bool:
        rows = self.core.store.read("SELECT revoked_at FROM devices WHERE name = ?", (name,))
        return bool(rows) and rows[0]["revoked_at"] is not None
