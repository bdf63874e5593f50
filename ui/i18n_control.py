"""Texts of the wall's lockdown and remote-open controls, in Chinese and English (merged into
``ui.i18n.STRINGS``)."""

from __future__ import annotations

CONTROL_STRINGS: dict[str, tuple[str, str]] = {
    "control.lockdown_button_off": ("封控", "Lockdown"),
    "control.lockdown_button_on": ("封控中 · 解除", "Lockdown ON · lift"),
    "control.lockdown_unknown": ("封控状态未知", "Lockdown state unknown"),
    "control.lockdown_title_on": ("启动封控", "Start a lockdown"),
    "control.lockdown_title_off": ("解除封控", "Lift the lockdown"),
    "control.lockdown_ask_on": (
        "全小区封控：所有门禁拒绝刷卡、密码、人脸和访客码，直到解除。远程开门需要明确的越权确认并记录。",
        "Lock down the whole site: every door refuses cards, PINs, faces and visitor passes "
        "until it is lifted. A remote open will need an explicit, logged override.",
    ),
    "control.lockdown_ask_off": (
        "解除封控：刷卡、密码、人脸和访客码恢复正常。",
        "Lift the lockdown: cards, PINs, faces and visitor passes work again.",
    ),
    "control.lockdown_do_on": ("启动封控", "Start lockdown"),
    "control.lockdown_do_off": ("解除封控", "Lift lockdown"),
    "control.lockdown_on": ("已启动封控", "Lockdown started"),
    "control.lockdown_off": ("已解除封控", "Lockdown lifted"),
    "control.open_title": ("远程开门", "Remote open"),
    "control.open_ask": ("开启 {door}（{state}）？", "Open {door} ({state})?"),
    "control.open_reason": ("开门原因", "Reason for opening"),
    "control.open_do": ("开门", "Open door"),
    "control.open_do_override": ("越权开门", "Override and open"),
    "control.override_warning": (
        "小区正在封控：此次开门属于越权，将连同您的姓名和原因记录在案。",
        "The site is in lockdown: this open is an override, logged with your name and reason.",
    ),
    "control.override_switch_off": ("确认越权：未选", "Confirm override: no"),
    "control.override_switch_on": ("确认越权：已选", "Confirm override: yes"),
    "control.need_reason": ("请填写开门原因", "Enter the reason"),
    "control.need_override": ("封控中开门须先确认越权", "In lockdown, confirm the override first"),
    "control.opened": ("已发送开门指令: {door}", "Open sent to {door}"),
    "control.opened_override": (
        "封控中越权开门指令已发送: {door}",
        "Override open sent to {door} (lockdown)",
    ),
    "control.refused_lockdown": (
        "封控中，{door} 未开启，未发送任何指令",
        "Lockdown: {door} was not opened, nothing was sent",
    ),
    "control.door_opened": ("门已打开: {door}", "Door opened: {door}"),
    "control.door_refused": ("{door} 拒绝开门: {reason}", "{door} refused to open: {reason}"),
    "control.not_opened": ("{door} 未开启: {message}", "{door} not opened: {message}"),
    "control.failed": ("操作失败: {message}", "Not done: {message}"),
}
