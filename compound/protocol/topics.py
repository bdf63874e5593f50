"""The one topic scheme of the local bus, under ``compound/<site>/``.

Each topic names the thing it is about in a fixed position so that a broker ACL can be written
per client: a door adapter may publish only under ``door/<its door>/``, only the core may write
``door/+/cmd`` and ``access/+/result``, every broker user asks only under ``api/<its user
name>/`` and reads replies only under ``reply/<its user name>/``
(``reply/<user>/<client id>/<method>``). The broker does not tell a subscriber who published a
message, so the request topic says it and the ACL holds each user to its own name: the server
takes the asker from the topic and answers only under ``reply/<that user>/``. A bus without a
user name, as in the demo, uses its client id as the user: ``api/<client id>/<method>`` and
``reply/<client id>/<method>``. The README has the same table.

| topic                                  | who publishes         | retained | what                          |
|----------------------------------------|-----------------------|----------|-------------------------------|
| door/<door>/cmd                        | core                  | no       | unlock / lock command         |
| door/<door>/ack                        | door adapter          | no       | a command done, or why not    |
| door/<door>/event/ack                  | core                  | no       | a door event is logged        |
| door/<door>/state                      | door adapter          | yes      | locked, unlocked, open, ...   |
| door/<door>/event                      | door adapter          | no       | contact, exit button, alarms  |
| access/<door>/request                  | the door's bridge     | no       | a card or PIN at its reader   |
| access/<door>/request/panel            | the door's panel      | no       | a PIN or pass at the panel    |
| access/<door>/request/face             | face service only     | no       | a face matched at that door   |
| access/<door>/result                   | core                  | no       | grant or deny, with reason    |
| intercom/<door>/call                   | that door's panel/MCU | no       | dial, hang up, emergency      |
| intercom/unit/<unit>/ring              | core                  | no       | indoor stations of that unit  |
| intercom/station/<station>/reply       | indoor station        | no       | answer, reject, unlock        |
| intercom/<door>/call/<call id>/state   | core                  | no       | ringing, ..., failed (reason) |
| face/<camera>/result                   | face service          | no       | who the camera sees           |
| face/<camera>/frame                    | face service          | no       | JPEG preview for panels       |
| face/<camera>/state                    | face service          | yes      | online, or gone (no frames)   |
| device/<client>/availability           | every client          | yes      | online / offline (last will)  |
| device/<bridge user>/doors             | that bridge           | yes      | door ids it is wired for now  |
| api/<user>/<method>                    | UIs, CLI, as <user>   | no       | request to the core           |
| reply/<user>/<client>/<method>         | core, face service    | no       | response (MQTT v5 style)      |
| events/<type>                          | core                  | no       | logged events, for the UIs    |
| notice                                 | core                  | yes      | notices changed: panels ask   |
| site/lockdown                          | core                  | yes      | lockdown on/off, for devices  |
| zone/<bridge user>/<zone>/state        | that bridge           | yes      | alarm zone: normal, alarm,    |
|                                        |                       |          | offline; its last trip        |
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SEGMENT = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def valid_segment(value: str) -> bool:
    """True when ``value`` can stand as one topic level (no wildcards, no separators)."""
    return bool(_SEGMENT.match(value))


@dataclass(frozen=True)
class Topics:
    site: str

    def __post_init__(self) -> None:
        if not valid_segment(self.site):
            raise ValueError(f"site id {self.site!r} must be 1-64 letters, digits, '_', '.', '-'")

    @property
    def root(self) -> str:
        return f"compound/{self.site}"

    # doors
    def door_cmd(self, door: str) -> str:
        return f"{self.root}/door/{door}/cmd"

    def door_ack(self, door: str) -> str:
        return f"{self.root}/door/{door}/ack"

    def door_state(self, door: str) -> str:
        return f"{self.root}/door/{door}/state"

    def door_event(self, door: str) -> str:
        return f"{self.root}/door/{door}/event"

    # access requests and results
    def access_request(self, door: str) -> str:
        return f"{self.root}/access/{door}/request"

    def panel_access_request(self, door: str) -> str:
        # The panel's own topic, apart from the reader's: a panel cannot assert a card, and a
        # panel that floods is shed and quarantined without silencing its door's card reader.
        return f"{self.root}/access/{door}/request/panel"

    def face_access_request(self, door: str) -> str:
        # A topic of its own, which only the face service's broker user may write: a face match
        # names a person, and nothing else on the bus can know one.
        return f"{self.root}/access/{door}/request/face"

    def access_result(self, door: str) -> str:
        return f"{self.root}/access/{door}/result"

    # intercom signalling (media stays on the devices)
    def intercom_call(self, door: str) -> str:
        return f"{self.root}/intercom/{door}/call"

    def intercom_ring(self, unit: str) -> str:
        return f"{self.root}/intercom/unit/{unit}/ring"

    def intercom_reply(self, station: str) -> str:
        return f"{self.root}/intercom/station/{station}/reply"

    def intercom_call_state(self, door: str, call_id: str) -> str:
        """Under the calling door, so the ACL can let a panel read its own door's calls only."""
        return f"{self.root}/intercom/{door}/call/{call_id}/state"

    # face service
    def face_result(self, camera: str) -> str:
        return f"{self.root}/face/{camera}/result"

    def face_frame(self, camera: str) -> str:
        return f"{self.root}/face/{camera}/frame"

    def face_state(self, camera: str) -> str:
        return f"{self.root}/face/{camera}/state"

    # Home Assistant's lock: an unlock asked by the broker user ``user`` (an ``ha`` device),
    # which the core carries out as a remote open attributed to that user
    def ha_lock_command(self, user: str, door: str) -> str:
        return f"{self.root}/ha/{user}/door/{door}/set"

    # alarm zones: under the broker user of the bridge that reads them, so that a bridge can
    # speak only for its own zones and the core knows which bridge a zone report came from
    def zone_state(self, bridge: str, zone: str) -> str:
        return f"{self.root}/zone/{bridge}/{zone}/state"

    # everyone
    def availability(self, client: str) -> str:
        return f"{self.root}/device/{client}/availability"

    def bridge_doors(self, bridge: str) -> str:
        """Retained: the doors the bridge with broker user ``bridge`` is wired for now, which
        the core reads only as far as its registration goes (``compound.protocol.door_list``)."""
        return f"{self.root}/device/{bridge}/doors"

    def api(self, user: str, method: str) -> str:
        """A request to ``method`` from broker user ``user``: the ACL lets each user write
        under its own name only, so the server learns from the topic who asks."""
        return f"{self.root}/api/{user}/{method}"

    def reply(self, client: str, method: str) -> str:
        return f"{self.root}/reply/{client}/{method}"

    def events(self, type_: str) -> str:
        return f"{self.root}/events/{type_}"

    @property
    def notice(self) -> str:
        return f"{self.root}/notice"

    @property
    def site_lockdown(self) -> str:
        """Retained: a device that (re)starts learns at once whether the site is locked down."""
        return f"{self.root}/site/lockdown"

    # wildcards used by subscribers
    def all(self, pattern: str) -> str:
        return f"{self.root}/{pattern}"

    def split(self, topic: str) -> list[str]:
        """The levels after ``compound/<site>/``; empty when the topic is not ours."""
        prefix = self.root + "/"
        if not topic.startswith(prefix):
            return []
        return topic[len(prefix) :].split("/")


def ha_discovery_topic(component: str, site: str, object_id: str) -> str:
    """Home Assistant MQTT discovery config topic (retained)."""
    return f"homeassistant/{component}/{site}_{object_id}/config"


# The binary sensors of a door in Home Assistant (``firmware_bridge.discovery`` says what each
# reads). Here, not in the bridge, because the ACL lets a bridge write its own doors' discovery
# topics and no others: both must name the same ones.
HA_DOOR_SENSORS = ("contact", "forced", "tamper", "fire")


def ha_door_discovery_topics(site: str, door: str) -> dict[str, str]:
    """A door's discovery config topics: ``"lock"`` and each of ``HA_DOOR_SENSORS``. Home
    Assistant takes a lock's command topic from its retained config, so only the door's own
    bridge may write these (``compound.protocol.acl``)."""
    return {
        "lock": ha_discovery_topic("lock", site, door),
        **{
            key: ha_discovery_topic("binary_sensor", site, f"{door}_{key}")
            for key in HA_DOOR_SENSORS
        },
    }


# The filters that take every door's discovery config (and other things' under the same
# components, which ``ha_door_of_discovery_topic`` tells apart).
HA_DOOR_DISCOVERY_FILTERS = ("homeassistant/lock/+/config", "homeassistant/binary_sensor/+/config")


def ha_door_of_discovery_topic(site: str, topic: str) -> str | None:
    """The door whose discovery config ``topic`` is (one of ``ha_door_discovery_topics``), or
    None for any other topic (another site's, another kind of entity's)."""
    parts = topic.split("/")
    if len(parts) != 4 or not parts[2].startswith(f"{site}_"):
        return None
    object_id = parts[2][len(site) + 1 :]
    if parts[1] == "binary_sensor":
        door, _, key = object_id.rpartition("_")
        if key not in HA_DOOR_SENSORS:
            return None
    else:
        door = object_id
    if not valid_segment(door) or topic not in ha_door_discovery_topics(site, door).values():
        return None
    return door
