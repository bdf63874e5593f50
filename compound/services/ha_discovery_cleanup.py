"""A door no bridge serves any more leaves no Home Assistant entity behind (a core extension).

A bridge publishes retained discovery configs for its doors (``firmware_bridge.discovery``).
When a door is taken off a bridge (``compound devices revoke`` and ``add`` with fewer doors),
its configs stayed on the broker for ever, and Home Assistant kept showing a lock and sensors
for a door that bridge no longer drives.

Who clears them is a question of trust. The broker lets a bridge write the discovery topics of
the doors it is registered for, each by name (``compound.protocol.acl``): a bridge that could
write another door's config could point that lock's command topic anywhere, or hide the door
from Home Assistant. So the bridge cannot clear a door it no longer has once the ACL is
rewritten, and it must not be given the right to: even remembering which doors it published
(a file in its state directory), it cannot know whether the door has moved to another bridge
meanwhile, and clearing then would wipe the new bridge's config. The core can: it is trusted
with ``homeassistant/#`` already, and the device registry it reads is the door map the ACL is
written from. It reads the retained door configs, and clears (an empty retained payload) those
of a door that no active bridge is registered for. It looks again whenever a device's
availability changes (a bridge restarting with its new registration says so; a revoke clears
the device's availability), so a change is cleaned up as soon as it is applied, without a
restart of the core.

A site with no bridge registered at all (the demo, a broker without an ACL) is left alone: the
registry is not the door map there.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import TYPE_CHECKING

from compound.adapters.mqtt import Message
from compound.protocol.topics import HA_DOOR_DISCOVERY_FILTERS, ha_door_of_discovery_topic
from compound.services.extension import Offers

if TYPE_CHECKING:
    from compound.services.core import Core

log = logging.getLogger(__name__)


class StaleDiscoveryCleanup:
    def __init__(self, core: Core) -> None:
        self.core = core
        self._lock = threading.Lock()  # the network thread, and start() on the caller's
        self._configs: dict[str, str] = {}  # retained door configs on the broker: topic -> door
        self._served: frozenset[str] | None = None  # None: the registry is not the door map

    def offers(self) -> Offers:
        return Offers()

    def start(self) -> None:
        self._reload()
        bus, topics = self.core.bus, self.core.topics
        for topic_filter in HA_DOOR_DISCOVERY_FILTERS:
            bus.subscribe(topic_filter, self.on_config)
        bus.subscribe(topics.all("device/+/availability"), self.on_availability)

    def stop(self) -> None:
        pass  # the core's bus stops with it; the handlers hold nothing

    def on_config(self, msg: Message) -> None:
        door = ha_door_of_discovery_topic(self.core.topics.site, msg.topic)
        if door is None:
            return
        with self._lock:
            if not msg.payload:
                self._configs.pop(msg.topic, None)  # cleared (by us, or its bridge)
                return
            self._configs[msg.topic] = door
        self._sweep()

    def on_availability(self, msg: Message) -> None:
        """A device came, went or was revoked: the door map may have changed."""
        self._reload()
        self._sweep()

    def _reload(self) -> None:
        rows = self.core.store.read("SELECT doors, revoked_at FROM devices WHERE role = 'bridge'")
        served = frozenset(
            door for r in rows if r["revoked_at"] is None for door in json.loads(r["doors"])
        )
        with self._lock:
            self._served = served if rows else None

    def _sweep(self) -> None:
        with self._lock:
            if self._served is None:
                return
            stale = [t for t, door in self._configs.items() if door not in self._served]
            for topic in stale:
                del self._configs[topic]
        for topic in stale:
            self.core.counters["ha_discovery.stale_cleared"] += 1
            log.info("clearing %s: no bridge serves that door now", topic)
            self.core.bus.publish(topic, b"", qos=1, retain=True)
