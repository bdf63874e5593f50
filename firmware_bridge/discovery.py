"""Home Assistant MQTT discovery for the bridge's doors: pure, topics and payloads only.

Each door becomes one device with a lock and four binary sensors (contact, forced, tamper,
fire), all read from the door's retained state topic and marked unavailable with the bridge.
The lock is read-only: only the core signs door commands, so its command topic is accepted by
Home Assistant's schema and acted on by nobody.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from compound.protocol.topics import Topics, ha_discovery_topic

# Sensor key, Home Assistant device class, condition on the door's state payload.
SENSORS = (
    ("contact", "door", "value_json.state in ['open','held_open','forced']"),
    ("forced", "safety", "value_json.state == 'forced'"),
    ("tamper", "tamper", "value_json.tamper"),
    ("fire", "smoke", "value_json.fire"),
)


def discovery_messages(
    topics: Topics, client_id: str, door_ids: Iterable[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(topic, retained payload) for every door's lock and sensors."""
    site = topics.site
    avail = topics.availability(client_id)
    for door_id in door_ids:
        state = topics.door_state(door_id)
        device = {"identifiers": [f"compound_{site}_{door_id}"], "name": f"Door {door_id}"}
        lock = {
            "name": None,
            "unique_id": f"{site}_{door_id}_lock",
            "state_topic": state,
            "value_template": "{{ 'LOCKED' if value_json.state == 'locked' else 'UNLOCKED' }}",
            "command_topic": f"{topics.root}/door/{door_id}/ha_request",
            "availability_topic": avail,
            "device": device,
        }
        yield ha_discovery_topic("lock", site, door_id), lock
        for key, cls, tmpl in SENSORS:
            sensor = {
                "name": key,
                "unique_id": f"{site}_{door_id}_{key}",
                "device_class": cls,
                "state_topic": state,
                "value_template": "{{ 'ON' if " + tmpl + " else 'OFF' }}",
                "availability_topic": avail,
                "device": device,
            }
            yield ha_discovery_topic("binary_sensor", site, f"{door_id}_{key}"), sensor
