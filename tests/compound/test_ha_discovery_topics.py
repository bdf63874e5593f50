"""Which door a Home Assistant discovery topic is for: the core clears the configs of doors no
bridge serves, so it must name exactly the topics ``ha_door_discovery_topics`` gives, and no
other site's or other entity's."""

from __future__ import annotations

import pytest

from compound.protocol.topics import ha_door_discovery_topics, ha_door_of_discovery_topic


@pytest.mark.parametrize("door", ["d1", "b3-e2", "gate_north", "x_contact"])
def test_every_topic_of_a_door_names_that_door(door: str) -> None:
    for topic in ha_door_discovery_topics("xian", door).values():
        assert ha_door_of_discovery_topic("xian", topic) == door


@pytest.mark.parametrize(
    "topic",
    [
        "homeassistant/lock/other_d1/config",  # another site's
        "homeassistant/lock/xianx_d1/config",
        "homeassistant/switch/xian_d1/config",  # not a door's kind of entity
        "homeassistant/binary_sensor/xian_d1_smoke/config",  # not one of a door's sensors
        "homeassistant/binary_sensor/xian_contact/config",  # no door before the sensor
        "homeassistant/lock/xian_d1/attributes",
        "homeassistant/lock/xian_/config",
        "homeassistant/lock/xian_d1/config/x",
        "compound/xian/door/d1/state",
    ],
)
def test_other_topics_name_no_door(topic: str) -> None:
    assert ha_door_of_discovery_topic("xian", topic) is None
