"""The alarm rules' own messages in Chinese for the wall (``OfficerVM.alarm_line``).

A door's alarm is said on a Chinese wall by its kind and the door's name; an alarm a rule raises
for a person, a unit, a camera or a zone has no door, and its message carries what the officer
needs (who, which unit, for how long, which zone as it was configured). The rules write it in
English for the log (``compound.services.alerts``, ``camera_alarms``, ``zones``); here each is
a pattern with its values and the Chinese the wall shows instead. A message not in the table is
shown as it came."""

from __future__ import annotations

import re

SPAN = r"(?P<span>\d+ (?:d|h|min|s))"
# A face camera's alarm (``compound.services.camera_alarms``): its id, and its doors when known.
CAMERA = r"camera (?P<camera>\S+?)(?: \(.*?\))?(?: at .+?)? "
_UNITS = {"d": "天", "h": "小时", "min": "分钟", "s": "秒"}
# The events a warning line counts (``compound.config.services``: access.denied by default).
_EVENTS = {
    "access.denied": "拒绝通行",
    "access.granted": "通行",
    "intercom.call": "呼叫",
    "alarm.raised": "报警",
}
# A zone's kind (``compound.services.zones.KINDS``) as the wall names it.
_ZONES = {
    "perimeter": "周界",
    "intrusion": "入侵",
    "panic": "紧急按钮",
    "smoke": "烟感",
    "gas": "燃气",
    "water": "水浸",
}

RULE_MESSAGES: list[tuple[str, str]] = [
    (
        r"(?P<name>.+) \((?P<unit>\S+)\), living alone, not seen at any door for (?P<h>\d+) h",
        "{name}（{unit}）独居，已 {h} 小时未在任何门出现",
    ),
    (
        r"unit (?P<unit>\S+): (?P<n>\d+) different people entered within "
        + SPAN
        + r", (?P<r>\d+) registered \(suspected group rental\)",
        "{unit}：{span}内有 {n} 人进出，登记住户 {r} 人",
    ),
    (
        r"unknown face (?P<track>\S+) seen (?P<n>\d+) times within " + SPAN,
        "陌生人 {track} 在{span}内出现 {n} 次",
    ),
    (
        r"(?P<name>.+?): (?P<n>\d+) × (?P<type>[a-z_.]+)(?: at (?P<door>\S+))? within " + SPAN,
        "{name}：{span}内{type} {n} 次{at}",
    ),
    (
        r"(?P<zone>.+): (?P<kind>perimeter|intrusion|panic|smoke|gas|water) alarm",
        "{zone}：{kind}报警",
    ),
    (r"(?P<zone>.+): loop cut or shorted \(tamper\)", "{zone}：线路被剪断或短路（防拆）"),
    # A device quarantined for flooding its own availability (``compound.store.quarantine``):
    # no door's alarm, so the message says what flooded.
    (
        r"broker user\(s\) (?P<users>.+?) quarantined: (?P<n>\d+) availability messages a"
        r" second from \S+; .*",
        "设备 {users} 每秒发送 {n} 条在线状态消息：服务器拒收其在线状态，直至解除隔离",
    ),
    # A station or a bridge quarantined for flooding a topic of its own (no door's).
    (
        r"broker user\(s\) (?P<users>.+?) quarantined: (?P<n>\d+) (?P<flood>station replies|zone"
        r" reports|door lists) a second from \S+; .*",
        "设备 {users} 每秒发送 {n} 条{flood}：服务器拒收，直至解除隔离",
    ),
    # A camera's alarm that says the camera came back (``camera_alarms.BACK``) first.
    (
        CAMERA + r"(?P<what>delivers no frames|sees nothing|shows a frozen picture) .*"
        r"; back online after " + SPAN,
        "人脸摄像机 {camera} {what}，{span}后已恢复",
    ),
    (
        CAMERA + r"delivers no frames .*",
        "人脸摄像机 {camera} 无画面：此处无法刷脸，刷卡、密码和通行码仍可使用",
    ),
    (
        CAMERA + r"sees nothing .*",
        "人脸摄像机 {camera} 被遮挡或画面全黑：此处无法刷脸，刷卡、密码和通行码仍可使用",
    ),
    (
        CAMERA + r"shows a frozen picture .*",
        "人脸摄像机 {camera} 画面冻结：此处无法刷脸，刷卡、密码和通行码仍可使用",
    ),
]
# What a camera's alarm said, on its "back online" line.
_CAMERA = {
    "delivers no frames": "曾无画面",
    "sees nothing": "曾被遮挡或画面全黑",
    "shows a frozen picture": "曾画面冻结",
}
_TABLE = [(re.compile(p + r"\Z", re.DOTALL), zh) for p, zh in RULE_MESSAGES]


def _span(text: str) -> str:
    n, unit = text.split()
    return f"{n} {_UNITS.get(unit, unit)}"


_BACK = re.compile(r"; back online after " + SPAN + r"\Z")
# A door's quarantine (``compound.store.quarantine``): who, and what they flooded the door with.
_FLOODS = {
    "access requests": "开门请求",
    "door events": "门事件",
    "door states": "门状态",
    "answers to door commands": "门指令应答",
    "call signals": "呼叫信号",
    "station replies": "室内机应答",
    "zone reports": "防区状态",
    "door lists": "门列表",
}
_QUARANTINE = re.compile(
    r"\S+: broker user\(s\) (?P<users>.+?) quarantined: (?P<n>\d+) (?P<what>"
    + "|".join(_FLOODS)
    + r") a second at \S+; "
)


def door_note_zh(message: str) -> str:
    """What a door's alarm adds to its kind and door, in Chinese, or "": the "; back online
    after 4 min" of a camera that came back ("，4 分钟后已恢复"), or who a quarantine took and for
    what flood. For an alarm the wall names by its kind and door."""
    text = message.strip()
    if m := _BACK.search(text):
        return f"，{_span(m['span'])}后已恢复"
    if m := _QUARANTINE.match(text):
        what = _FLOODS[m["what"]]
        return f"：设备 {m['users']} 每秒发送 {m['n']} 条{what}，服务器拒收，直至解除隔离"
    return ""


def rule_message_zh(message: str) -> str | None:
    """A rule's alarm message in Chinese, or None when it is not one the table knows."""
    for pattern, zh in _TABLE:
        m = pattern.match(message.strip())
        if m:
            values = m.groupdict()
            if values.get("span"):
                values["span"] = _span(values["span"])
            if values.get("type"):
                values["type"] = _EVENTS.get(values["type"], "事件")
            if "door" in values:
                values["at"] = f"（{values['door']}）" if values["door"] else ""
            if values.get("what"):
                values["what"] = _CAMERA[values["what"]]
            if values.get("flood"):
                values["flood"] = _FLOODS[values["flood"]]
            if values.get("kind"):
                values["kind"] = _ZONES.get(values["kind"], values["kind"])
            return zh.format(**values)
    return None
