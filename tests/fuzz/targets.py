"""Fuzz targets shared by the CI fuzz tests and ``bench/bench_fuzz.py``.

Each target takes untrusted input, runs it through a real decoder, and returns the number of
relay actions it caused. Only the documented error types may escape a decoder; anything else
is a crash. The door command path goes all the way to a door state machine that is online and
ready: the only way to move its relay is a command signed with the door's key.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from compound import config as config_mod
from compound.adapters import keys
from compound.adapters.bus_types import api_handler, read_reply, reply_correlation
from compound.config import ConfigError
from compound.domain.clock import ManualClock
from compound.domain.uplink_records import parse_ack
from compound.ports import ApiError, BusError, Message
from compound.protocol.messages import (
    MAX_PAYLOAD,
    AccessRequest,
    AccessResult,
    ApiReply,
    DoorCommand,
    DoorEvent,
    IntercomCall,
    MessageError,
    decode_object,
)
from compound.protocol.topics import Topics
from firmware_bridge import mcu_protocol as mp
from firmware_bridge.command_guard import CommandGuard, Refused, command_id
from firmware_bridge.door_state import DoorMachine, DoorSetup

MASTER = bytes(range(32))
DOORS = ("d1", "d2")
NOW = 1_800_000_000.0

# Totals over a run, read by bench/bench_fuzz.py.
STATS: Counter[str] = Counter()

DECODERS = (DoorCommand, AccessRequest, AccessResult, DoorEvent, ApiReply, IntercomCall)


def decode_all(payload: bytes) -> int:
    """Every bus payload decoder: a value or ``MessageError``."""
    STATS["cases.decoders"] += 1
    for cls in DECODERS:
        try:
            cls.decode(payload)
        except MessageError:
            pass
    return 0


class DoorRig:
    """A command guard in front of two online door machines, counting relay actions."""

    def __init__(self) -> None:
        self.clock = ManualClock(NOW)
        self.guard = CommandGuard(
            lambda d: keys.door_command_key(MASTER, d), set(DOORS), self.clock
        )
        self.machines = {d: DoorMachine(DoorSetup(d), self.clock) for d in DOORS}
        for m in self.machines.values():
            m.link(True)
        self.relay_actions = 0

    def feed(
        self, topic_door: str, payload: bytes, retained: bool = False, genuine: bool = False
    ) -> int:
        """Relay actions caused; fuzz input (``genuine`` false) must cause none."""
        if not genuine:
            STATS["cases.door_commands"] += 1
        try:
            cmd = self.guard.check(topic_door, payload, retained)
        except Refused:
            return 0
        machine = self.machines[cmd.door_id]
        out = (
            machine.unlock(cmd.duration_s, cmd.reason)
            if cmd.action == "unlock"
            else machine.lock(cmd.reason)
        )
        if out.relay is not None:
            self.relay_actions += 1
            if not genuine:
                STATS["relay_actions_from_fuzz"] += 1
            return 1
        return 0


def frames(chunks: list[bytes]) -> int:
    """The serial frame reader on an arbitrary byte stream, then each frame's payload parser."""
    STATS["cases.serial"] += 1
    reader = mp.FrameReader()
    for chunk in chunks:
        for frame in reader.feed(chunk):
            assert frame.type in mp.TYPES  # noqa: S101
            for parse in (mp.parse_card, mp.parse_digits):
                try:
                    parse(frame.payload)
                except ValueError:  # WiegandError is one
                    pass
    reader.idle()
    return 0


_CONFIG_DIR = Path(tempfile.mkdtemp(prefix="compound-fuzz-"))


def config_text(text: str) -> int:
    """The config loader on arbitrary text: a ``Config`` or one ``ConfigError``."""
    STATS["cases.config"] += 1
    path = _CONFIG_DIR / "fuzz.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        config_mod.load(path)
    except ConfigError:
        pass
    return 0


# -- the bus callbacks: what runs on a network thread for every message ---------------------


class CallbackRig:
    """The callbacks a message reaches on arrival, with real objects: the paho ``Bus``'s own
    ``on_message`` (not started: the callback is called as paho's network thread would call
    it), its reply handling (``Replies``, ``reply_correlation``, ``read_reply``), the API
    server's handler, the core's door feed and the bridge's command guard, event
    acknowledgement and lockdown readers, and the platform acknowledgement parser.

    ``feed`` must return with nothing raised; ``effects`` counts what an input caused
    (methods called, replies published, requests woken, events logged) so that a test can
    require none for input that must be refused."""

    TOPICS = Topics("fuzz")

    def __init__(self) -> None:
        from compound.adapters.mqtt import Bus, BusConfig
        from compound.services.door_feed import DoorFeed
        from compound.store.db import Store

        self.effects: Counter[str] = Counter()
        self.counters: Counter[str] = Counter()
        t = self.TOPICS
        self.bus = Bus(BusConfig(), t, "fuzz-bus")
        self.bus.subscribe(t.all("door/+/event"), self._count("handler"))
        self.pending_corr, self.pending = self.bus._replies.open()
        work = Path(tempfile.mkdtemp(prefix="compound-fuzz-cb-"))
        self.store = Store(work / "c.db", ManualClock(NOW), work / "keys")
        self.store.add_door("d1", "Door 1", ["*"])
        self.feed_ = DoorFeed(self.store, self.store.clock, t, self.counters)
        self.api = api_handler(
            {"status": self._count("method")}, (), MAX_PAYLOAD, self._publish, t, self.counters
        )
        self.events_at_start = self._head()

    def _count(self, what: str) -> Callable[..., None]:
        def count(*_: object) -> None:
            self.effects[what] += 1

        return count

    def _publish(self, *_: object, **__: object) -> None:
        self.effects["reply_published"] += 1

    def feed(self, payload: bytes) -> None:
        from compound.adapters import mqtt as mqtt_adapter

        STATS["cases.callbacks"] += 1
        t = self.TOPICS
        # paho's callback, on a reply topic and on a subscribed topic
        for topic in (self.bus._reply_prefix + "status", t.door_event("d1")):
            m = mqtt_adapter.mqtt.MQTTMessage(topic=topic.encode())
            m.payload = payload
            self.bus._client.on_message(self.bus._client, None, m)  # type: ignore[misc]
        reply = Message(t.reply("fuzz-bus", "status"), payload)
        self.bus._replies.deliver(reply)
        reply_correlation(reply)
        try:
            read_reply("status", payload)
        except (BusError, ApiError):
            pass
        for rt in (t.reply("u", "status"), None):
            self.api(Message(t.api("u", "status"), payload, response_topic=rt))
        for handler in (self.feed_.on_event, self.feed_.on_state, self.feed_.on_command_answer):
            handler(Message(t.door_event("d1"), payload))
        command_id(payload)
        parse_ack(payload, "fuzz")
        for reader in (_event_ack_id, _lockdown_on):
            reader(payload)
        if self.pending.event.is_set():
            self.effects["request_woken"] += 1
        self.effects["events_logged"] = self._head() - self.events_at_start

    def _head(self) -> int:
        return int(self.store.query("SELECT COALESCE(MAX(seq), 0) AS n FROM events")[0]["n"])

    def close(self) -> None:
        self.store.close()


def _event_ack_id(payload: bytes) -> object:
    """What the bridge's event delivery reads from an acknowledgement (event_delivery.on_ack)."""
    try:
        return decode_object(payload).get("id")
    except MessageError:
        return None


def _lockdown_on(payload: bytes) -> object:
    """What the bridge's commands read from the site's lockdown state (commands.on_lockdown)."""
    try:
        return decode_object(payload).get("on")
    except MessageError:
        return None
