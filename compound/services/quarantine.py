"""Quarantine at the broker for a device that floods its door (the core's side).

The decision worker sheds a flooding door's requests (``services/intake.py``), but every one of
them still crosses the broker and is parsed on the core's one network thread, so at 10,000 a
second the other doors' requests queue behind the junk. Once a door sheds more than
``FLOOD_FACTOR`` times its allowed rate (``[core] door_rate_per_s``; 100 a second by default,
where a real door sends about one), this extension finds the broker users whose ACL lets them
write the topic the flood came on (``compound.protocol.quarantine``: the door's bridge for its
reader, its panel for the panel's PINs and passes, the face service for faces), records them
as quarantined at that door (``compound.store.quarantine``: a ``device.quarantined`` event and a
``quarantine`` alarm naming them) and asks for the broker's ACL to be rewritten without their
request rules for that door.

How the ACL gets rewritten is ``[security] quarantine``: ``request`` (the installed box, where
the core may not write the broker's files) writes ``broker-acl.request`` beside the database,
which a privileged systemd path unit answers with ``compound devices write``: that command reads
the quarantines from the database, and a quarantine can only take request rights away, so the
core gains nothing by asking. ``broker`` rewrites the files and signals Mosquitto from the core
itself, where it may (a test, the benchmark). ``off`` sheds floods at the door only. An operator
gives the rights back with ``compound devices release NAME``.

A device that floods its own availability topic costs the network thread the same way (and
every message there asks the core's availability readers for work), but no door sheds it: the
device roster counts each device's availability messages where they arrive
(``DeviceRoster.seen``), and a device with more than ``AVAILABILITY_LIMIT`` since the last check
is quarantined for its availability topic (``protocol.quarantine.AVAILABILITY``: its write rule
for that topic goes; what that does to its last will and its reconnecting is said there).

A bridge that floods one of its doors' own topics (the door's events, its state or its answers
to commands) costs the same: each message is parsed on the core's network thread before the
door's queue sheds it (measured: a card at another bridge's door went from 4 to over 200 ms,
and cards were lost). So do a door's call signals, a station's replies and a bridge's zone
reports. The core counts what each of those brings where it arrives (``Core.arrivals``); one
with more than its limit since the last check (``protocol.topic_floods``) gets its writers
quarantined for that topic alone. A bridge flooding a door's events keeps its card readers, its
other doors and that door's other topics, so the door still opens by card and the wall still
shows its state. What it costs: that door's events (a forced door, its fire input) no longer reach
the log until the operator releases the bridge, and the bridge keeps them in its journal
meanwhile (``firmware_bridge.event_delivery``), so none is lost. The officer has the flood
alarm and the quarantine alarm at that door, and exit buttons and fire release work in the
bridge itself. Letting the flood on would slow every door of the compound instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from compound.config import Config
from compound.protocol.access_channels import FACE, PANEL, READER, from_key
from compound.protocol.quarantine import AVAILABILITY, writers
from compound.protocol.topic_floods import flood_of
from compound.services.device_roster import DeviceRoster
from compound.services.extension import Offers
from compound.store import quarantine as records

if TYPE_CHECKING:
    from compound.services.core import Core

log = logging.getLogger(__name__)

CHECK_EVERY_S = 0.5
FLOOD_FACTOR = 5  # shed per second, in multiples of the rate a door is allowed
REQUEST_FILE = "broker-acl.request"
# Availability messages from one device in one check (0.5 s): 40 a second. A real device says
# "online" when it connects and leaves "offline" as its will, a handful of times a day; one
# reconnecting every second says 2 a second, and the core's own clearing of a revoked device's
# availability adds one. Twenty times that is a flood, never a device having a bad day.
AVAILABILITY_LIMIT = 20


def request_file(config: Config) -> Path:
    """Where the core asks for the broker's files to be rewritten (``quarantine = "request"``)."""
    return Path(config.store.path).resolve().parent / REQUEST_FILE


class QuarantineWatch:
    def __init__(self, core: Core, apply: Callable[[], None]) -> None:
        self.core = core
        self._apply = apply
        off = core.config.security.quarantine == "off"
        self._per_s = 0.0 if off else FLOOD_FACTOR * core.config.core.door_rate_per_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last: dict[str, int] = {}  # shed so far, per door and sender (the intake's keys)
        self._last_seen: dict[str, int] = {}  # availability messages so far, per device
        self.quarantined: list[tuple[str, list[str]]] = []  # (door, users), for tests and logs
        self.checks = threading.Condition()  # notified after every check (tests wait on it)
        self.checked = 0

    def offers(self) -> Offers:
        return Offers()

    def start(self) -> None:
        if self._per_s <= 0:
            return
        # A check counts what came since the watch started (or started again), not before.
        self._last = dict(self.core.decisions.shed)
        roster = self._roster()
        self._last_seen = dict(roster.seen) if roster is not None else {}
        self.core.arrivals.take()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="quarantine", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(CHECK_EVERY_S):
            try:
                self.check(CHECK_EVERY_S)
            except Exception:
                log.exception("the flood quarantine check failed")
            with self.checks:
                self.checked += 1
                self.checks.notify_all()

    def check(self, interval_s: float) -> None:
        """Quarantine the writers of every door's channel (its reader, its panel, the face
        service) that shed more than the limit since the last check (``interval_s`` ago): only
        the flooding channel's writers, so a flooding panel does not silence its card reader."""
        limit = self._per_s * interval_s
        t = self.core.topics
        topic_of = {
            READER: t.access_request,
            PANEL: t.panel_access_request,
            FACE: t.face_access_request,
        }
        for key, total in self.core.decisions.shed.items():
            recent = total - self._last.get(key, 0)
            self._last[key] = total
            if recent > limit:
                ch = from_key(key)
                rate = recent / interval_s
                what = f"{rate:.0f} access requests a second at {ch.door}"
                self._quarantine(ch.door, topic_of[ch.sender](ch.door), total, what)
        self._check_availability(interval_s)
        self._check_topics(interval_s)

    def _check_topics(self, interval_s: float) -> None:
        """Quarantine, for that topic alone, the writers of each topic counted on arrival (a
        door's events, state, command answers and call signals, a station's replies, a
        bridge's zone reports) that brought more than its limit since the last check."""
        for topic, recent in self.core.arrivals.take().items():
            flood = flood_of(self.core.topics.split(topic))
            if flood is not None and recent > flood.limit:
                what = flood.reason(recent / interval_s)
                self._quarantine(flood.door, topic, recent, what, only_topic=True)

    def _check_availability(self, interval_s: float) -> None:
        """Quarantine, for its availability topic, each device that published it more than
        ``AVAILABILITY_LIMIT`` times since the last check."""
        roster = self._roster()
        if roster is None:
            return
        for name, total in dict(roster.seen).items():  # a copy: the network thread adds
            recent = total - self._last_seen.get(name, 0)
            self._last_seen[name] = total
            if recent > AVAILABILITY_LIMIT:
                what = f"{recent / interval_s:.0f} availability messages a second from {name}"
                self._quarantine(AVAILABILITY, self.core.topics.availability(name), total, what)

    def _roster(self) -> DeviceRoster | None:
        return next((e for e in self.core.extensions if isinstance(e, DeviceRoster)), None)

    def _quarantine(
        self, door: str, topic: str, total: int, what: str, only_topic: bool = False
    ) -> None:
        store = self.core.store
        names = writers(records.active_devices(store), topic, self.core.topics)
        if not names:
            log.warning("%s floods (%s) but no device credential may write it", topic, what)
            return
        new = records.quarantine(store, names, door, total, what, topic if only_topic else None)
        if not new:
            return
        self.quarantined.append((door, new))
        log.warning("quarantined broker user(s) %s: %s", ", ".join(new), what)
        try:
            self._apply()
        except Exception:  # recorded and alarmed; the flood is still shed at the door
            log.exception("could not apply the quarantine of %s to the broker", ", ".join(new))
