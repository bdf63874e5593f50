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

A door can also leave a bridge's wiring while its registration still lists it. The bridge says
which doors it is wired for on its own retained ``device/<user>/doors``
(``compound.protocol.door_list``), which the core takes only as far as the registration goes: a
door counts as served by a bridge when it is in both, or in the registration alone while that
bridge has published no list (older firmware). A list that arrives asks for a recheck like an
availability message; it is kept as it came (the latest per bridge) and read on the recheck
thread, where one that cannot be read is ignored, counted (``ha_discovery.door_list_malformed``)
and logged.

A site with no bridge registered at all (the demo, a broker without an ACL) is left alone: the
registry is not the door map there.

The looking again is done off the bus's network thread, and once for a burst. Any device may
write its own availability as often as it likes (a device reconnecting in a loop, a storm of last
wills); reading the registry on the network thread for each of those messages held up every
message behind it, the doors' swipes included. The messages only ask for a recheck, on a thread
of its own, in a queue of one: a recheck still waiting will read the registry after every message
that came before it, so further messages are dropped and counted
(``ha_discovery.recheck_coalesced``). After each recheck the thread waits ``RECHECK_GAP_S``
before the next, so a device flapping without pause gets the registry read once a second, not as
often as one read can follow another (a recheck thread busy without pause still took the
interpreter from the network thread, and the swipes waited). A door config that looks unserved
is cleared by the recheck too, after the registry is read again: the registry known here may be
a recheck behind a bridge that has just come back with a new door, whose configs follow its
"online".
"""

from __future__ import annotations

import json
import logging
import threading
from typing import TYPE_CHECKING

from compound.adapters.bus_types import ApiWorker
from compound.adapters.mqtt import Message
from compound.ports import Handler
from compound.protocol.door_list import decode_door_list, served_doors
from compound.protocol.topics import HA_DOOR_DISCOVERY_FILTERS, ha_door_of_discovery_topic
from compound.services.extension import Offers

if TYPE_CHECKING:
    from compound.services.core import Core

log = logging.getLogger(__name__)

RECHECK_GAP_S = 1.0  # between two rechecks: how late a change to the door map may be cleaned up


class StaleDiscoveryCleanup:
    def __init__(self, core: Core) -> None:
        self.core = core
        self._lock = threading.Lock()  # the network thread, the recheck thread, start()
        self._configs: dict[str, str] = {}  # retained door configs on the broker: topic -> door
        self._served: frozenset[str] | None = None  # None: the registry is not the door map
        self._lists_in: dict[str, bytes] = {}  # door lists arrived, not read yet: bridge -> list
        self._lists: dict[str, frozenset[str]] = {}  # on the recheck thread: bridge -> its doors
        self._rechecks: ApiWorker | None = None
        self._ask: Handler = lambda msg: None  # asks for a recheck; set by start()
        self._stopping = threading.Event()  # ends the gap after a recheck at once

    def offers(self) -> Offers:
        return Offers()

    def start(self) -> None:
        self.recheck()
        # A queue of one: a recheck waiting already covers every message that came before it.
        self._rechecks = ApiWorker(
            "ha-discovery", self.core.counters, 1, "ha_discovery.recheck_coalesced"
        )
        self._ask = self._rechecks.wrap(self.on_availability)
        bus, topics = self.core.bus, self.core.topics
        # Before the configs: a bridge's retained list is known when its configs come.
        # Counted where they arrive, for the flood quarantine (``services/quarantine.py``).
        bus.subscribe(topics.bridge_doors("+"), self.core.arrivals.counting(self.on_door_list))
        for topic_filter in HA_DOOR_DISCOVERY_FILTERS:
            bus.subscribe(topic_filter, self.on_config)
        bus.subscribe(topics.all("device/+/availability"), self._ask)

    def stop(self) -> None:
        self._stopping.set()
        if self._rechecks is not None:
            self._rechecks.stop()  # before the core closes the store the recheck reads

    def on_config(self, msg: Message) -> None:
        """On the network thread: note the config; one that looks unserved asks a recheck."""
        door = ha_door_of_discovery_topic(self.core.topics.site, msg.topic)
        if door is None:
            return
        with self._lock:
            if not msg.payload:
                self._configs.pop(msg.topic, None)  # cleared (by us, or its bridge)
                return
            self._configs[msg.topic] = door
            unserved = self._served is not None and door not in self._served
        if unserved:
            self._ask(msg)

    def on_door_list(self, msg: Message) -> None:
        """On the network thread: keep a bridge's list as it came, and ask for a recheck."""
        parts = self.core.topics.split(msg.topic)
        if len(parts) != 3:
            return
        with self._lock:
            self._lists_in[parts[1]] = msg.payload  # a later one replaces it: the latest counts
        self._ask(msg)

    def on_availability(self, msg: Message) -> None:
        """On the recheck thread: a device came, went or was revoked (or a config looked
        unserved, or a bridge said which doors it is wired for): the door map may have
        changed."""
        self.recheck()
        self._stopping.wait(RECHECK_GAP_S)  # what comes meanwhile waits, as one recheck

    def recheck(self) -> None:
        """Read the door map from the registry, and clear the configs of doors not on it."""
        self._reload()
        self._sweep()

    def _reload(self) -> None:
        rows = self.core.store.read(
            "SELECT name, doors, revoked_at FROM devices WHERE role = 'bridge'"
        )
        bridges = {r["name"] for r in rows}
        with self._lock:
            arrived, self._lists_in = self._lists_in, {}
        for bridge, payload in arrived.items():
            # Only a bridge's (on a broker without an ACL, any client may write the topic):
            # lists under other names are not kept.
            if bridge in bridges:
                self._read_list(bridge, payload)
        registered = {r["name"]: json.loads(r["doors"]) for r in rows if r["revoked_at"] is None}
        served = served_doors(registered, self._lists)
        with self._lock:
            self._served = served if rows else None

    def _read_list(self, bridge: str, payload: bytes) -> None:
        """Take a bridge's list; one that cannot be read changes nothing."""
        if not payload:  # cleared: the bridge's registration counts again
            self._lists.pop(bridge, None)
            return
        try:
            self._lists[bridge] = decode_door_list(payload)
        except ValueError as e:
            self.core.counters["ha_discovery.door_list_malformed"] += 1
            log.warning("ignoring the door list of bridge %r: %s", bridge, e)

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
