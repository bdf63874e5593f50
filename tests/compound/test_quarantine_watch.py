"""The core's side of the quarantine, on a real store with fakes for the bus and the decision
worker: who is quarantined for which flood, that nobody is for a door within its rate, and how
the broker is asked (the request file the privileged step watches)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compound.app import devices
from compound.app.wiring import quarantine_applier
from compound.config import Config, CoreConfig, SecurityConfig, StoreConfig
from compound.domain.clock import ManualClock
from compound.ports import Message
from compound.protocol.acl import Device
from compound.protocol.quarantine import AVAILABILITY
from compound.protocol.topic_floods import DOOR_TOPIC_LIMIT, ZONE_LIMIT
from compound.protocol.topics import Topics
from compound.services.device_roster import DeviceRoster
from compound.services.quarantine import AVAILABILITY_LIMIT, QuarantineWatch, request_file
from compound.services.topic_counts import TopicCounts
from compound.store.db import Store
from compound.store.quarantine import quarantined

T = Topics("s1")


@dataclass
class FakeDecisions:
    shed: dict[str, int] = field(default_factory=dict)


@dataclass
class FakeBus:
    subscribed: list[tuple[str, Any]] = field(default_factory=list)

    def subscribe(self, topic: str, handler: Any, qos: int = 1) -> None:
        self.subscribed.append((topic, handler))


@dataclass
class FakeCore:
    store: Store
    config: Config
    clock: ManualClock
    topics: Topics = T
    bus: FakeBus = field(default_factory=FakeBus)
    decisions: FakeDecisions = field(default_factory=FakeDecisions)
    extensions: list[Any] = field(default_factory=list)
    arrivals: TopicCounts = field(default_factory=TopicCounts)


def setup(store: Store, clock: ManualClock, tmp_path: Path, mode: str = "request") -> FakeCore:
    for d in (
        Device("core", "core"),
        Device("panel1", "panel", doors=("d1",)),
        Device("bridge1", "bridge", doors=("d1", "d2")),
        Device("face1", "face"),
        Device("station1", "station", unit="3-2-1501"),
    ):
        devices.add(store, d, "test")
    config = Config(
        store=StoreConfig(path=str(tmp_path / "compound.db")),
        core=CoreConfig(door_rate_per_s=20.0),
        security=SecurityConfig(quarantine=mode),
    )
    return FakeCore(store, config, clock)


def test_a_card_flood_quarantines_the_doors_bridge_only_and_asks_the_broker(
    store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    core = setup(store, clock, tmp_path)
    applied = []
    watch = QuarantineWatch(core, lambda: applied.append(1))  # type: ignore[arg-type]
    core.decisions.shed = {"d1": 10, "d2": 30}
    watch.check(1.0)  # the first look: 10 and 30 shed, within 100 a second
    core.decisions.shed = {"d1": 5000, "d2": 60}
    watch.check(1.0)
    # the reader's topic is the bridge's alone: the panel at the same door keeps its rights
    assert quarantined(store) == {("bridge1", "d1")}
    assert applied == [1]
    alarm = store.alarms(open_only=True)[0]
    assert alarm.kind == "quarantine" and "bridge1" in alarm.message
    event = store.events(types=["device.quarantined"])[-1]
    assert event.door_id == "d1" and event.data["devices"] == ["bridge1"]
    core.decisions.shed = {"d1": 9000, "d2": 60}
    watch.check(1.0)  # still flooding: already quarantined, nothing new, no second request
    assert applied == [1]


def test_a_panel_flood_quarantines_the_panel_and_not_its_doors_reader(
    store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    core = setup(store, clock, tmp_path)
    watch = QuarantineWatch(core, lambda: None)  # type: ignore[arg-type]
    core.decisions.shed = {"d1": 40, "d1/panel": 0}
    watch.check(1.0)
    core.decisions.shed = {"d1": 80, "d1/panel": 4000}  # the reader within its rate
    watch.check(1.0)
    assert quarantined(store) == {("panel1", "d1")}


def test_a_face_flood_quarantines_the_face_service_only(
    store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    core = setup(store, clock, tmp_path)
    watch = QuarantineWatch(core, lambda: None)  # type: ignore[arg-type]
    core.decisions.shed = {"d1/face": 590}
    watch.check(1.0)
    assert quarantined(store) == {("face1", "d1")}


def test_a_device_flooding_its_availability_is_quarantined_for_it_alone(
    store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    core = setup(store, clock, tmp_path)
    roster = DeviceRoster(core)  # type: ignore[arg-type]
    core.extensions.append(roster)
    watch = QuarantineWatch(core, lambda: None)  # type: ignore[arg-type]
    roster.seen.update({"panel1": 3, "bridge1": 2, "core": 500})
    watch.check(0.5)  # the first look: the core is never quarantined
    roster.seen.update({"panel1": AVAILABILITY_LIMIT, "bridge1": 400})
    watch.check(0.5)  # the panel at the limit, the bridge far over it
    assert quarantined(store) == {("bridge1", AVAILABILITY)}
    alarm = store.alarms(open_only=True)[0]
    assert alarm.door_id is None
    assert "800 availability messages a second from bridge1" in alarm.message


def arrive(core: FakeCore, counts: dict[str, int]) -> None:
    """``counts[topic]`` live messages on each topic reach the core (zone reports counted
    under their bridge's pattern, as the zones service counts them)."""
    plain = core.arrivals.counting(lambda m: None)
    zoned = core.arrivals.counting(lambda m: None, lambda m: m.topic.rsplit("/", 2)[0] + "/+/state")
    for topic, n in counts.items():
        count = zoned if "/zone/" in topic else plain
        for _ in range(n):
            count(Message(topic, b"{}"))


def test_a_bridge_flooding_a_doors_events_is_quarantined_for_that_topic_alone(
    store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    core = setup(store, clock, tmp_path)
    applied = []
    watch = QuarantineWatch(core, lambda: applied.append(1))  # type: ignore[arg-type]
    arrive(core, {T.door_event("d1"): 5, T.door_state("d2"): 3})
    watch.check(0.5)  # the first look
    # d2's state at the limit (an honest journal burst is under it), d1's events far over it;
    # a topic that is not a door's own is never a door topic's flood
    arrive(
        core,
        {
            T.door_event("d1"): 4000,
            T.door_state("d2"): DOOR_TOPIC_LIMIT,
            T.door_event("d1") + "/ack": 900,
        },
    )
    watch.check(0.5)
    assert quarantined(store) == {("bridge1", T.door_event("d1"))}
    assert applied == [1]
    alarm = store.alarms(open_only=True)[0]
    assert alarm.door_id == "d1"
    assert "8000 door events a second at d1" in alarm.message
    assert T.door_event("d1") in alarm.message
    # the same bridge flooding its card reader at the same door is a second quarantine
    core.decisions.shed = {"d1": 0}
    watch.check(0.5)
    core.decisions.shed = {"d1": 5000}
    watch.check(0.5)
    assert quarantined(store) == {("bridge1", T.door_event("d1")), ("bridge1", "d1")}
    # each look counts what came since the one before: d2's state, at the limit in each of
    # two windows, is no flood; over it in one window, it is
    arrive(core, {T.door_state("d2"): DOOR_TOPIC_LIMIT})
    watch.check(0.5)
    arrive(core, {T.door_state("d2"): DOOR_TOPIC_LIMIT})
    watch.check(0.5)
    assert ("bridge1", T.door_state("d2")) not in quarantined(store)
    arrive(core, {T.door_state("d2"): 4 * DOOR_TOPIC_LIMIT})
    watch.check(0.5)
    assert ("bridge1", T.door_state("d2")) in quarantined(store)
    assert "800 door states a second at d2" in store.alarms(open_only=True)[0].message


def test_call_signals_station_replies_and_zone_reports_floods_are_quarantined(
    store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    core = setup(store, clock, tmp_path)
    watch = QuarantineWatch(core, lambda: None)  # type: ignore[arg-type]
    call, reply = T.intercom_call("d1"), T.all("intercom/station/station1/reply")
    zones = T.zone_state("bridge1", "+")  # a bridge's zone reports, counted under its pattern
    watch.check(0.5)
    arrive(core, {call: DOOR_TOPIC_LIMIT, reply: 3})
    arrive(core, {T.zone_state("bridge1", f"z{i}"): 1 for i in range(ZONE_LIMIT)})
    watch.check(0.5)  # at the limits; zones: each named once
    assert quarantined(store) == set()
    arrive(core, {call: 800, reply: 700, T.bridge_doors("bridge1"): 3 * DOOR_TOPIC_LIMIT})
    arrive(core, {T.zone_state("bridge1", f"z{i}"): 1 for i in range(ZONE_LIMIT + 1)})
    watch.check(0.5)
    # the call topic is written by the door's panel and by its bridge's call button: the
    # broker does not say which of them sent it, so both lose it (and nothing else)
    assert quarantined(store) == {
        ("panel1", call),
        ("bridge1", call),
        ("station1", reply),
        ("bridge1", zones),
        ("bridge1", T.bridge_doors("bridge1")),
    }
    said = {a.message.split(";")[0] for a in store.alarms(open_only=True)}
    users = "broker user(s) {} quarantined: "
    assert "d1: " + users.format("bridge1, panel1") + "1600 call signals a second at d1" in said
    assert users.format("station1") + "1400 station replies a second from station1" in said
    zoned = f"{2 * (ZONE_LIMIT + 1)} zone reports a second from bridge1"
    assert users.format("bridge1") + zoned in said
    assert users.format("bridge1") + "600 door lists a second from bridge1" in said


def test_the_request_file_is_what_the_privileged_step_watches(
    store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    core = setup(store, clock, tmp_path)
    ask = quarantine_applier(core)  # type: ignore[arg-type]
    ask()
    assert request_file(core.config) == tmp_path / "broker-acl.request"
    assert request_file(core.config).exists()
    unit = Path(__file__).resolve().parents[2] / "systemd" / "compound-quarantine.path"
    assert "PathChanged=/var/lib/compound/broker-acl.request" in unit.read_text()
    other = Store(tmp_path / "other.db", clock, tmp_path / "k2")
    try:
        off = setup(other, clock, tmp_path, "off")
        watch = QuarantineWatch(off, lambda: None)  # type: ignore[arg-type]
        watch.start()  # off: no check runs
        assert watch._thread is None
        watch.stop()
    finally:
        other.close()
