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
    "control.lockdown_on": ("{by} 已启动封控", "Lockdown started by {by}"),
    "control.lockdown_off": ("{by} 已解除封控", "Lockdown lifted by {by}"),
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
    "control.opened": ("已发送开门指令: {door}（{by}）", "Open sent to {door} ({by})"),
    "control.opened_override": (
        "封控中越权开门指令已发送: {door}（{by}）",
        "Override open sent to {door} (lockdown, {by})",
    ),
    "control.unknown": (
        "身份未通过核验：此卡或密码不属于值班民警，未做任何更改。",
        "Not recognised: this card or PIN is not a duty officer's. Nothing was changed.",
    ),
    "control.identify": (
        "请刷警员卡或输入个人密码以确认身份",
        "Swipe your officer card or enter your PIN to confirm",
    ),
    "control.refused_lockdown": (
        "封控中，{door} 未开启，未发送任何指令",
        "Lockdown: {door} was not opened, nothing was sent",
    ),
    "control.door_opened": ("门已打开: {door}", "Door opened: {door}"),
    "control.door_refused": ("{door} 拒绝开门: {reason}", "{door} refused to open: {reason}"),
    "control.not_opened": ("{door} 未开启: {message}", "{door} not opened: {message}"),
    "control.failed": ("操作失败: {message}", "Not done: {message}"),
    # acknowledging an alarm as an identified duty officer (card or PIN at the wall)
    "ack.title": ("确认报警 · 值班民警身份核验", "Acknowledge · identify yourself"),
    "ack.remark_hint": ("处置说明（必填）", "Remark: what was done (required)"),
    "ack.remark.on_site": ("已到场处置", "Attended on site"),
    "ack.remark.false_alarm": ("误报，已核实", "False alarm, checked"),
    "ack.remark.called": ("已电话联系住户", "Resident called"),
    "ack.by_card": ("刷卡", "Card"),
    "ack.by_pin": ("密码", "PIN"),
    "ack.card_hint": ("请在读卡器上刷警员卡", "Swipe your officer card on the reader"),
    "ack.pin_hint": ("请输入 6-8 位个人密码", "Enter your 6-8 digit PIN"),
    "ack.do": ("确认", "Acknowledge"),
    "ack.cancel": ("取消", "Cancel"),
    "ack.clear": ("清除", "Clear"),
    "ack.need_note": ("请先填写或选择处置说明", "Write or pick a remark first"),
    "ack.need_card": ("请刷卡", "Swipe your card"),
    "ack.need_pin": ("请输入密码", "Enter your PIN"),
    "ack.need_credential": ("请刷卡或输入密码", "Swipe your card or enter your PIN"),
    "ack.bad_card": ("卡号无法识别，请重新刷卡", "Card number not readable: swipe again"),
    "ack.bad_pin": ("密码只能是数字", "A PIN is digits only"),
    "ack.none": ("没有可确认的报警", "No alarm to acknowledge"),
    "ack.waiting": ("正在核验…", "Checking…"),
    "ack.unknown": (
        "身份未通过核验：此卡或密码不属于值班民警，报警未确认。",
        "Not recognised: this card or PIN is not a duty officer's. Nothing was acknowledged.",
    ),
    "ack.tries_left": ("（还可尝试 {n} 次）", " ({n} tries left)"),
    "ack.locked": (
        "错误次数过多，请 {s} 秒后再试，或改用另一种方式",
        "Too many wrong tries: wait {s} s, or use the other way",
    ),
    "ack.done": ("{by} 已确认 {n} 条报警", "{n} alarm(s) acknowledged by {by}"),
    "ack.done_partly": (
        "{by} 已确认 {n}/{of} 条报警（其余已被确认）",
        "{n} of {of} alarm(s) acknowledged by {by} (the others already were)",
    ),
    # the pop-up for an urgent alarm
    "urgent.loading": ("正在载入现场画面…", "Loading the picture…"),
    "urgent.none": ("无现场画面", "No picture"),
    "urgent.taken": ("画面时间 {at}", "Picture taken at {at}"),
    "urgent.live": ("来电实时画面", "Live picture of the caller"),
    "urgent.close": ("关闭", "Close"),
    "urgent.ack": ("确认报警", "Acknowledge"),
    "urgent.more": ("另有 {n} 条紧急报警待查看", "{n} more urgent alarm(s) waiting"),
    # how a call ended that the officer did not end, shown on the call strip for a moment
    "officer.call_over": ("呼叫结束 · {how}", "Call over · {how}"),
    "officer.call_over.ended": ("来电方已挂断", "the caller hung up"),
    "officer.call_over.no_answer": ("无人接听，呼叫超时", "not answered in time"),
    "officer.call_over.lost": ("门口机无响应，呼叫已结束", "no word from the door"),
    "officer.call_over.forwarded": ("已转接其他值守点", "passed on to another desk"),
    "officer.call_over.taken": ("已由其他分机接听", "answered at another station"),
    "officer.call_end.lost": ("门口机无响应", "no word from the door"),
    "officer.call_end.forwarded": ("已转接", "passed on"),
    # the event viewer's building filter
    "events.all_buildings": ("全部楼栋", "All buildings"),
    # the wall's map before a plan is uploaded
    "map.generated": (
        "按楼栋排布 · {buildings} 个区块，{total} 个门禁",
        "Laid out by building · {buildings} blocks, {total} doors",
    ),
    "map.generated_hint": (
        "尚未上传小区平面图，按楼栋自动排布；点按门禁查看状态",
        "No site plan yet: doors laid out by building. Tap a door for its state",
    ),
    # the manager's plan tab: placing a door by tapping or dragging
    "plan.place_door": (
        "点按平面图，或把中央的标记拖到门的位置: {door}",
        "Tap the plan, or drag the marker from the centre, to place: {door}",
    ),
}
