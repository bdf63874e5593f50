"""Texts of the wall's alarm zones view and its arm / disarm dialog, in Chinese and English
(merged into ``ui.i18n.STRINGS``)."""

from __future__ import annotations

ZONE_STRINGS: dict[str, tuple[str, str]] = {
    "officer.view_zones": ("防区", "Zones"),
    "zones.title": ("报警防区", "Alarm zones"),
    "zones.counts": (
        "共 {n} 个 · 报警 {alarm} · 防拆 {tamper} · 离线 {offline} · 撤防 {disarmed}",
        "{n} zones · tripped {alarm} · tamper {tamper} · offline {offline} · disarmed {disarmed}",
    ),
    "zones.loading": ("正在载入防区…", "Loading the zones…"),
    "zones.none": ("尚无防区上报", "No zone has reported yet"),
    "zones.order.bridge": ("按主机分组", "By bridge"),
    "zones.order.name": ("按名称排序", "By name"),
    "zones.kind.perimeter": ("周界", "Perimeter"),
    "zones.kind.intrusion": ("入侵", "Intrusion"),
    "zones.kind.panic": ("紧急按钮", "Panic"),
    "zones.kind.smoke": ("烟感", "Smoke"),
    "zones.kind.gas": ("燃气", "Gas"),
    "zones.kind.water": ("水浸", "Water"),
    "zones.state.normal": ("正常", "Normal"),
    "zones.state.alarm": ("报警", "Tripped"),
    "zones.state.tamper": ("防拆", "Tamper"),
    "zones.state.offline": ("离线", "Offline"),
    "zones.armed": ("布防", "Armed"),
    "zones.disarmed": ("撤防", "Disarmed"),
    "zones.always": ("24小时布防", "Armed 24 h"),
    "zones.schedule": ("按时段布防 · {s}", "Schedule · {s}"),
    "zones.schedule_off": ("时段外 · {s}", "Off hours · {s}"),
    "zones.last_trip": ("触发 {at}", "Tripped {at}"),
    "zones.never": ("未触发", "No trip"),
    "zones.arm": ("布防", "Arm"),
    "zones.disarm": ("撤防", "Disarm"),
    "zones.arm_title": ("防区布防", "Arm a zone"),
    "zones.disarm_title": ("防区撤防", "Disarm a zone"),
    "zones.arm_ask": (
        "布防 {zone}（{where}）？布防后，此防区触发将报警。",
        "Arm {zone} ({where})? A trip will then raise an alarm.",
    ),
    "zones.disarm_ask": (
        "撤防 {zone}（{where}）？撤防期间，此防区触发只记录，不报警。",
        "Disarm {zone} ({where})? While disarmed, a trip is only logged: no alarm.",
    ),
    "zones.disarm_reason": ("撤防原因（选填）", "Reason (optional)"),
    "zones.armed_by": ("{by} 已布防: {zone}", "{zone} armed by {by}"),
    "zones.disarmed_by": ("{by} 已撤防: {zone}", "{zone} disarmed by {by}"),
    "zones.not_done": ("{zone} 未更改: {message}", "{zone} not changed: {message}"),
    "zones.page": ("第 {n}/{of} 页", "Page {n} of {of}"),
    "zones.prev": ("上一页", "Previous"),
    "zones.next": ("下一页", "Next"),
}
