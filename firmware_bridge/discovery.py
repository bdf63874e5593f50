"""Home Assistant MQTT discovery for the bridge's doors: pure, topics and payloads only.

Each door becomes one device with a lock and four binary sensors (contact, forced, tamper,
fire), all read from the door's retained state topic. Each is available only while the bridge
is online and the door itself is not ``offline``: a door whose board stopped answering shows as
unavailable, never as UNLOCKED or as a quiet sensor.

The lock can be commanded: its command topic is ``ha/<ha user>/door/<door>/set``, which only
that ``ha`` broker user may write (``compound.protocol.acl``). The bridge does not act on it;
the core does, as a remote open attributed to that user (``compound.services.ha_lock``), so
Home Assistant's unlock is decided, signed and logged like any other, lockdown included.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from compound.protocol.topics import HA_DOOR_SENSORS, Topics, ha_door_discovery_topics

# Sensor key: Home Assistant device class, condition on the door's state payload. The keys are
# HA_DOOR_SENSORS, from which the ACL names the discovery topics a bridge may write too.
SENSOR_KINDS = {
    "contact": ("door", "value_json.state in ['open','held_open','forced']"),
    "forced": ("safety", "value_json.state == 'forced'"),
    "tamper": ("tamper", "value_json.tamper"),
    "fire": ("smoke", "value_json.fire"),
}

DOOR_ONLINE = "{{ 'offline' if value_json.state == 'offline' else 'online' }}"


def availability(topics: Topics, client_id: str, door_id: str) -> list[dict[str, str]]:
    """Both must say online (``availability_mode: all``): the bridge, and the door itself."""
    return [
        {"topic": topics.availability(client_id)},
        {"topic": topics.door_state(door_id), "value_template": DOOR_ONLINE},
    ]


def discovery_messages(
    topics: Topics, client_id: str, door_ids: Iterable[str], ha_user: str = "ha"
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(topic, retained payload) for every door's lock and sensors."""
    site = topics.site
    for door_id in door_ids:
        state = topics.door_state(door_id)
        device = {"identifiers": [f"compound_{site}_{door_id}"], "name": f"Door {door_id}"}
        avail: dict[str, Any] = {
            "availability": availability(topics, client_id, door_id),
            "availability_mode": "all",
        }
        lock = {
            "name": None,
            "unique_id": f"{site}_{door_id}_lock",
            "state_topic": state,
            "value_template": (
                "{{ 'UNLOCKED' if value_json.state in ['unlocked','open','held_open','forced']"
                " else 'LOCKED' }}"
            ),
            "command_topic": topics.ha_lock_command(ha_user, door_id),
            "payload_unlock": "UNLOCK",
            "payload_lock": "LOCK",
            **avail,
            "device": device,
        }
        config_topics = ha_door_discovery_topics(site, door_id)
        yield config_topics["lock"], lock
        for key in HA_DOOR_SENSORS:
            cls, tmpl = SENSOR_KINDS[key]
            sensor = {
                "name": key,
                "unique_id": f"{site}_{door_id}_{key}",
                "device_class": cls,
                "state_topic": state,
                "value_template": "{{ 'ON' if " + tmpl + " else 'OFF' }}",
                **avail,
                "device": device,
            }
            yield config_topics[key], sensor
