"""The alarms a rule raises for a person or a unit (no door to name) read in Chinese on a
Chinese wall: the rules' own messages, made by the rules themselves, through
``ui.i18n_alarms``."""

from __future__ import annotations

from compound.services import alerts
from tests.ui.screen_text import language
from ui.i18n_alarms import rule_message_zh

NOW = 1_800_000_000.0


def test_an_elderly_person_not_seen_and_a_group_rental_in_chinese() -> None:
    watched = [alerts.Watched(7, "王秀英", "12-2-1102", NOW - 50 * 3600, None)]
    (elderly,) = alerts.elderly_unseen(watched, NOW, 48, "medium", {})
    (rental,) = alerts.group_rental(
        [alerts.UnitEntrants("3-1-402", 2, 9)], NOW, 2.0, 3, 7 * 86400, "high", {}
    )
    said = [rule_message_zh(elderly.message), rule_message_zh(rental.message)]
    assert said == [
        "王秀英（12-2-1102）独居，已 50 小时未在任何门出现",
        "3-1-402：7 天内有 9 人进出，登记住户 2 人",
    ]
    for text in said:
        assert text is not None and language(text, "zh", ["王秀英"]) is None, text


def test_a_message_the_table_does_not_know_is_left_as_it_came() -> None:
    assert rule_message_zh("north fence: intrusion") is None


def test_a_zones_alarm_in_chinese() -> None:
    """The zone's own name as configured, the kind of alarm in Chinese (zones.py's words)."""
    from compound.services.zones import KINDS

    for kind in KINDS:
        said = rule_message_zh(f"北侧围墙 (西北角): {kind} alarm")
        assert said is not None and said.startswith("北侧围墙 (西北角)："), kind
        assert language(said, "zh", []) is None, said
    assert rule_message_zh("车库入口: loop cut or shorted (tamper)") == (
        "车库入口：线路被剪断或短路（防拆）"
    )


def test_a_warning_line_crossed_in_chinese() -> None:
    """The rule's own message, made by the rule, for the whole site and for one door."""
    from compound.config.services import CountRuleConfig
    from compound.domain.model import Event

    said = []
    for cfg in (
        CountRuleConfig(name="夜间拒绝", threshold=3, window_s=3600.0),
        CountRuleConfig(name="refusals", threshold=3, window_s=600.0, per_door=True),
    ):
        rule = alerts.CountAbove(cfg)
        fired = [
            f for i in range(3) for f in rule.observe(Event(i, NOW + i, "access.denied", "b3-e2"))
        ]
        said.append(rule_message_zh(fired[0].message))
    assert said == ["夜间拒绝：1 小时内拒绝通行 3 次", "refusals：10 分钟内拒绝通行 3 次（b3-e2）"]


def test_a_device_quarantined_for_flooding_its_availability_in_chinese() -> None:
    message = (
        "broker user(s) panel1 quarantined: 888 availability messages a second from panel1;"
        " the broker refuses their availability (online, offline) until `compound devices release`"
    )
    assert rule_message_zh(message) == (
        "设备 panel1 每秒发送 888 条在线状态消息：服务器拒收其在线状态，直至解除隔离"
    )


def test_a_station_or_bridge_quarantined_for_a_topic_of_its_own_in_chinese() -> None:
    tail = "; the broker refuses what they send on compound/s1/x until `compound devices release`"
    assert rule_message_zh(
        "broker user(s) station1 quarantined: 1400 station replies a second from station1" + tail
    ) == ("设备 station1 每秒发送 1400 条室内机应答：服务器拒收，直至解除隔离")
    assert rule_message_zh(
        "broker user(s) bridge1 quarantined: 610 zone reports a second from bridge1" + tail
    ) == ("设备 bridge1 每秒发送 610 条防区状态：服务器拒收，直至解除隔离")
    assert rule_message_zh(
        "broker user(s) bridge1 quarantined: 600 door lists a second from bridge1" + tail
    ) == ("设备 bridge1 每秒发送 600 条门列表：服务器拒收，直至解除隔离")
