"""The one place the core and its features are put together.

The CLI (``compound core``), the demo, the tests and the benchmarks all build the core here, so a
feature added to ``core_features`` is on everywhere at once, checked by mypy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from compound.adapters.mqtt import Bus
from compound.app import devices
from compound.config import Config
from compound.domain.clock import Clock
from compound.services.alarm_snapshots import AlarmSnapshots
from compound.services.camera_alarms import CameraAlarms
from compound.services.community_api import CommunityApi
from compound.services.core import Core
from compound.services.core_lists import CoreLists
from compound.services.device_roster import DeviceRoster
from compound.services.door_feed import DoorFeedBus
from compound.services.extension import Extension
from compound.services.ha_discovery_cleanup import StaleDiscoveryCleanup
from compound.services.ha_lock import HaLock
from compound.services.household_api import HouseholdApi
from compound.services.import_api import ImportApi
from compound.services.intercom import Intercom
from compound.services.lists_api import ListsApi
from compound.services.officer_ack import OfficerAck
from compound.services.officer_control import OfficerControl
from compound.services.people_api import PeopleApi
from compound.services.quarantine import QuarantineWatch, request_file
from compound.services.schedules_api import SchedulesApi
from compound.services.security import SecurityExtension
from compound.services.site_plan_api import SitePlanApi
from compound.services.station_passes import StationPasses
from compound.services.zone_officer import ZoneOfficer
from compound.services.zones import ZoneAlarms
from compound.store.db import Store


def core_features(core: Core) -> Sequence[Extension]:
    """The core's features, in the order they start (and the reverse of the order they stop)."""
    officer_ack = OfficerAck(core)  # its lookup and limit serve the wall's lockdown and opens too
    zones = ZoneAlarms(core)
    return (
        DoorFeedBus(core.doors, core.bus),
        CoreLists(core),
        PeopleApi(core),
        ImportApi(core),
        SecurityExtension(core),
        CommunityApi(core),
        Intercom(core),
        ListsApi(core),
        officer_ack,
        OfficerControl(core, officer_ack),
        AlarmSnapshots(core),
        SchedulesApi(core),
        HouseholdApi(core),
        SitePlanApi(core),
        DeviceRoster(core),
        StaleDiscoveryCleanup(core),
        CameraAlarms(core),
        HaLock(core),
        zones,
        ZoneOfficer(core, officer_ack, zones),  # arming and disarming at the wall
        StationPasses(core),
        QuarantineWatch(core, quarantine_applier(core)),
    )


def quarantine_applier(core: Core) -> Callable[[], None]:
    """How a quarantine the core records reaches the broker ([security] quarantine)."""
    sec = core.config.security
    if sec.quarantine == "broker":

        def rewrite() -> None:
            devices.write_files(
                core.store, core.topics, Path(sec.acl_file), Path(sec.password_file)
            )
            devices.reload_broker(sec.broker_pid_file)

        return rewrite

    def ask() -> None:
        # Whatever the file says, the privileged step reads the quarantines from the database.
        request_file(core.config).write_text(f"{core.clock.now()}\n")

    return ask


def build_core(store: Store, bus: Bus, clock: Clock, config: Config) -> Core:
    return Core(store, bus, clock, config, features=core_features)
