"""The string table: every text a screen shows, in Chinese and English, switchable at run time."""

from __future__ import annotations

from collections.abc import Callable

from ui.i18n_console import CONSOLE_STRINGS
from ui.i18n_control import CONTROL_STRINGS
from ui.i18n_wall import MORE_STRINGS
from ui.i18n_zones import ZONE_STRINGS

LANGS = ("zh", "en")

STRINGS: dict[str, tuple[str, str]] = {
    # shared
    "lang.switch": ("English", "中文"),
    "banner.bus": (
        "与本机总线断开，显示最后已知状态",
        "Bus disconnected, showing last known state",
    ),
    "banner.core": ("核心服务离线，显示最后已知状态", "Core offline, showing last known state"),
    "banner.device": ("设备离线: {devices}", "Device offline: {devices}"),
    "unavailable": ("此功能暂不可用", "Not available on this box yet"),
    "working": ("处理中…", "Working…"),
    "done": ("完成", "Done"),
    "error": ("错误: {message}", "Error: {message}"),
    # door panel
    "door.title": ("{door}", "{door}"),
    "door.look": ("请看摄像头，或拨打房号", "Look at the camera, or dial a room"),
    "door.welcome": ("欢迎回家, {name}", "Welcome home, {name}"),
    "door.welcome_anon": ("欢迎回家", "Welcome home"),
    "door.unknown": (
        "未识别，请使用门卡、密码或呼叫",
        "Not recognised, please use card, PIN or call",
    ),
    "door.pass_checking": ("正在核验访客码…", "Checking the visitor pass…"),
    "door.pass_ok": ("访客码有效，欢迎 {name}", "Visitor pass accepted, welcome {name}"),
    "door.pass_ok_anon": ("访客码有效，欢迎", "Visitor pass accepted, welcome"),
    "door.pass_bad": ("访客码无效: {reason}", "Visitor pass refused: {reason}"),
    "door.not_a_pass": ("不是本小区的访客码", "not a pass of this compound"),
    "door.blink": ("请看摄像头并眨眨眼", "Look at the camera and blink"),
    # the face service's random liveness challenge: shown in both languages whatever the screen's
    "door.challenge_turn_left": ("请向左转头\nTurn your head to the left",) * 2,
    "door.challenge_turn_right": ("请向右转头\nTurn your head to the right",) * 2,
    "door.challenge_look_up": ("请抬头\nLook up",) * 2,
    "door.challenge_blink_twice": ("请眨眼两次\nBlink twice",) * 2,
    "door.not_live": ("未通过活体检测，请使用门卡、密码或呼叫", "Not live: use card, PIN or call"),
    "door.denied": ("无法通行: {reason}", "Access refused: {reason}"),
    "door.mode_dial": ("拨打房号", "Dial room"),
    "door.mode_pin": ("输入密码", "Enter PIN"),
    "door.call": ("呼叫", "Call"),
    "door.hangup": ("挂断", "Hang up"),
    "door.ok": ("确认", "OK"),
    "door.clear": ("清除", "Clear"),
    "door.emergency": ("紧急呼叫", "Emergency"),
    "door.dial_hint": ("楼号-单元-房号, 如 3-2-1501", "Building-entrance-room, e.g. 3-2-1501"),
    "door.dial_hint_room": ("请输入房号, 如 1501", "Dial the room, e.g. 1501"),
    "door.pin_hint": ("请输入开门密码", "Enter your door PIN"),
    "door.pin_wrong": ("密码错误，还可尝试 {left} 次", "Wrong PIN, {left} tries left"),
    "door.pin_wrong_plain": ("密码错误", "Wrong PIN"),
    "door.pin_locked": (
        "密码输入已锁定，{seconds} 秒后再试",
        "PIN locked, try again in {seconds} s",
    ),
    "door.emergency_sent": (
        "已呼叫社区民警，请稍候",
        "Calling the community officer, please wait",
    ),
    "door.emergency_answered": ("民警已接听", "The officer answered"),
    "door.emergency_unanswered": (
        "无人接听，已通知110/物业",
        "No answer: 110 and the property office have been told",
    ),
    "door.emergency_ended": ("紧急呼叫已结束", "Emergency call ended"),
    "door.unavailable": ("服务暂不可用，请刷卡", "Service unavailable, please use your card"),
    "door.notices": ("物业通知", "Notices"),
    "door.no_notices": ("暂无通知", "No notices"),
    "door.camera": ("摄像头", "Camera"),
    "door.no_camera": ("等待摄像头画面", "Waiting for the camera"),
    "call.dialing": ("正在呼叫 {unit}…", "Calling {unit}…"),
    "call.ringing": ("{unit} 振铃中…", "Ringing {unit}…"),
    "call.answered": ("{unit} 已接听", "{unit} answered"),
    "call.door_opened": ("门已打开，请进", "Door opened, please come in"),
    "call.unlock_refused": ("小区封控中，门不能打开", "Lockdown: the door cannot be opened"),
    "call.rejected": ("对方拒绝了呼叫", "The call was declined"),
    "call.no_answer": ("无人接听", "No answer"),
    "call.busy": ("对方忙", "Busy"),
    "call.ended": ("通话结束", "Call ended"),
    "call.failed": ("呼叫失败: {message}", "Call failed: {message}"),
    "call.no_core": ("主机无应答，请稍后再试", "The box did not answer; please try again"),
    "call.forwarded": ("无人接听，正在转接物业…", "No answer, calling the property desk…"),
    "call.desk_answered": ("物业已接听", "The property desk answered"),
    "call.code.unknown_door": (
        "本门未登记，请联系物业",
        "This door is not registered; please call the property office",
    ),
    "call.code.bad_number": (
        "房号有误，请输入 楼号-单元-房号 或房号",
        "Not a room number: dial building-entrance-room or the room alone",
    ),
    "call.code.not_served": ("本门不能呼叫该房号", "This door cannot call that room"),
    "call.code.ambiguous_room": (
        "多个单元有此房号，请输入 楼号-单元-房号",
        "More than one entrance has that room: dial building-entrance-room",
    ),
    "call.code.no_such_unit": ("房号不存在，请核对", "No such room, please check the number"),
    "call.code.no_station": (
        "该住户未装室内机，请联系物业",
        "That flat has no indoor station; please call the property office",
    ),
    "call.code.stale": (
        "门口机时间有误，请联系物业",
        "The panel's clock is wrong; please call the property office",
    ),
    "call.code.other": (
        "无法呼叫，请联系物业",
        "The call could not be made; please call the property office",
    ),
    # officer wall
    "officer.title": ("社区警务室 · {site}", "Community police room · {site}"),
    "officer.doors": ("门禁状态", "Doors"),
    "officer.passages": ("实时通行", "Live passages"),
    "officer.alarms": ("报警队列", "Alarms"),
    "officer.no_alarms": ("无未处理报警", "No open alarms"),
    "officer.ack": ("确认", "Acknowledge"),
    "officer.ack_title": ("确认报警", "Acknowledge alarm"),
    "officer.ack_remark": ("处理说明", "Remark: what was done"),
    "officer.ack_need_note": ("请填写处理说明", "Enter a remark"),
    "officer.cancel": ("取消", "Cancel"),
    "officer.chart": ("24 小时每小时进入人次", "Entries per hour, last 24 h"),
    "officer.elderly": ("独居老人未出现", "Elderly not seen"),
    "officer.visits": ("出租房待走访", "Rental visits due"),
    "officer.strangers": ("反复出现的陌生人", "Strangers seen repeatedly"),
    "officer.search": ("人员通行查询", "Passage search"),
    "officer.search_hint": ("姓名或人员编号", "Name or person id"),
    "officer.search_go": ("查询", "Search"),
    "officer.none": ("无", "None"),
    "state.locked": ("已锁", "locked"),
    "state.unlocked": ("已开锁", "unlocked"),
    "state.open": ("开启", "open"),
    "state.held_open": ("长时间未关", "held open"),
    "state.forced": ("被强行打开", "forced"),
    "state.offline": ("离线", "offline"),
    "state.unknown": ("未知", "unknown"),
    "state.alarm": ("报警", "alarm"),
    "officer.building": ("{n}号楼", "Building {n}"),
    "officer.site_doors": ("大门与地库", "Gates and garages"),
    "officer.entrance": ("{n}单元", "Entrance {n}"),
    "officer.door_in": ("{b}号楼{n}单元", "Building {b} entrance {n}"),
    "officer.abnormal": ("异常门禁 ({n})", "Needs attention ({n})"),
    "passage.granted": ("通过", "in"),
    "passage.denied": ("拒绝", "refused"),
    "reason.unknown door": ("未知门禁", "unknown door"),
    "reason.unknown credential": ("未登记的凭证", "unknown credential"),
    "reason.revoked": ("凭证已注销", "credential revoked"),
    "reason.not yet valid": ("尚未生效", "not yet valid"),
    "reason.expired": ("已过期", "expired"),
    "reason.lease ended": ("租期已结束", "lease ended"),
    "reason.moved out": ("已迁出", "moved out"),
    "reason.outside schedule": ("不在通行时段", "outside the allowed hours"),
    "reason.door not serving this person": ("无权通过此门", "not allowed at this door"),
    "reason.lockdown": ("封控中", "lockdown"),
    "reason.too many failed attempts": ("多次失败已锁定", "too many failed attempts"),
    "reason.other": ("其他原因", "other reason"),
    "officer.page_hint": ("点按翻页", "tap for the next page"),
    "officer.search_one": ("{who}: {n} 次通行", "{who}: {n} passages"),
    "officer.search_many": (
        "{shown} / {total} 人, {n} 次通行",
        "{shown} / {total} people, {n} passages",
    ),
    "officer.unseen_days": ("{d} 天未出现", "not seen for {d} d"),
    "officer.overdue_days": ("逾期 {d} 天", "{d} d overdue"),
    "officer.sightings": ("{d} 天内出现 {n} 次", "seen {n} times in {d} d"),
    # manager console
    "manager.title": ("物业管理 · {site}", "Property management · {site}"),
    "manager.tab_people": ("住户登记", "Register"),
    "manager.tab_creds": ("凭证", "Credentials"),
    "manager.tab_face": ("人脸录入", "Face"),
    "manager.tab_import": ("批量导入", "Import"),
    "manager.tab_notice": ("通知", "Notices"),
    "manager.name": ("姓名", "Name"),
    "manager.unit": ("房号", "Unit"),
    "manager.role": ("身份", "Role"),
    "severity.critical": ("紧急", "Critical"),
    "severity.high": ("高", "high"),
    "severity.medium": ("中", "medium"),
    "severity.low": ("低", "low"),
    "alarm.forced_open": ("强行开门", "Forced open"),
    "alarm.held_open": ("门未关闭", "Held open"),
    "alarm.tamper": ("防拆报警", "Tamper"),
    "alarm.fire_release": ("消防联动开门", "Fire release"),
    "alarm.failed_attempts": ("多次验证失败", "Failed attempts"),
    "alarm.unknown_face": ("陌生人反复出现", "Stranger seen repeatedly"),
    "alarm.zone": ("区域报警", "Zone alarm"),
    "alarm.zone_tamper": ("区域防拆报警", "Zone wiring tampered"),
    "alarm.camera_gone": ("人脸摄像机无画面", "Face camera gone"),
    "alarm.camera_blind": ("人脸摄像机被遮挡", "Face camera covered or blinded"),
    "alarm.camera_frozen": ("人脸摄像机画面冻结", "Face camera picture frozen"),
    "alarm.emergency": ("紧急呼叫", "Emergency call"),
    "alarm.emergency_unanswered": (
        "紧急呼叫无人接听, 已转110",
        "Emergency unanswered, sent to 110",
    ),
    "alarm.elderly_unseen": ("独居老人未出现", "Elderly resident not seen"),
    "alarm.group_rental": ("疑似群租", "Suspected group rental"),
    "alarm.count": ("预警", "Warning line crossed"),
    "alarm.flood": ("设备请求异常频繁", "Device flooding requests"),
    "alarm.event_flood": ("门事件异常频繁", "Door flooding events"),
    "alarm.quarantine": ("设备已被隔离", "Device quarantined at the broker"),
    "alarm.other": ("其他报警", "Other alarm"),
    "cred.card": ("门卡", "card"),
    "cred.pin": ("密码", "PIN"),
    "cred.pass": ("访客码", "visitor pass"),
    "cred.face": ("人脸", "face"),
    "role.owner": ("业主", "owner"),
    "role.family": ("家庭成员", "family"),
    "role.tenant": ("租户", "tenant"),
    "role.visitor": ("访客", "visitor"),
    "rental.focus": ("重点户", "focus"),
    "rental.general": ("一般户", "general"),
    "rental.trusted": ("放心户", "trusted"),
    "layer.focus": ("重点层", "focus"),
    "layer.watch": ("关注层", "watch"),
    "layer.stable": ("稳定层", "stable"),
    "manager.id_number": ("证件号", "ID number"),
    "manager.phone": ("电话", "Phone"),
    "manager.lease_start": ("租期开始", "Lease start"),
    "manager.lease_end": ("租期结束", "Lease end"),
    "manager.rental_class": ("出租户分类", "Rental class"),
    "manager.tenant_layer": ("租户分层", "Tenant layer"),
    "manager.register": ("登记", "Register"),
    "manager.registered": ("已登记 {name} (编号 {id})", "Registered {name} (id {id})"),
    "manager.person_id": ("人员编号", "Person id"),
    "manager.people": ("住户", "People"),
    "manager.people_search": (
        "姓名、拼音首字母、房号、卡号、证件号或手机尾号",
        "Name, initials, unit, card, end of ID or phone",
    ),
    "manager.no_match": ("没有匹配的人员", "No one matches"),
    "manager.page": ("第 {page} / {pages} 页", "Page {page} of {pages}"),
    "manager.previous": ("上一页", "Previous"),
    "manager.next": ("下一页", "Next"),
    "manager.card": ("卡号", "Card number"),
    "manager.pin": ("密码", "PIN"),
    "manager.issue_card": ("发卡", "Issue card"),
    "manager.set_pin": ("设置密码", "Set PIN"),
    "manager.issue_pass": ("访客通行码", "Visitor pass"),
    "manager.pass_hours": ("有效小时", "Hours valid"),
    "manager.move_out": ("迁出 (删除人脸)", "Move out (deletes face)"),
    "manager.moved_out": ("已迁出，人脸数据已删除", "Moved out; face data deleted"),
    "manager.card_done": ("已发卡", "Card issued"),
    "manager.card_swiped": (
        "读到卡号 {card}，已填入“凭证”页的卡号栏，姓名未改动",
        "Card {card} read: it is in the card field on Credentials; the name is unchanged",
    ),
    "manager.pin_done": ("密码已设置", "PIN set"),
    "manager.pass_done": ("通行码有效至 {until}", "Pass valid until {until}"),
    "manager.consent": ("本人已同意采集人脸 (知情同意)", "Resident consents to face capture"),
    "manager.consent_needed": ("请先确认本人同意", "Record the resident's consent first"),
    "manager.capture": ("拍照", "Capture"),
    "manager.enrol": ("录入人脸", "Enrol face"),
    "manager.enrolled": (
        "人脸已录入: {accepted}/{total} 张照片合格",
        "Face enrolled: {accepted} of {total} photos accepted",
    ),
    "manager.not_enrolled": (
        "没有合格的照片，未录入: {reason}",
        "No photo was usable, nothing enrolled: {reason}",
    ),
    "manager.quality": ("画面质量: {text}", "Quality: {text}"),
    "manager.csv_path": ("CSV 文件路径", "CSV file path"),
    "manager.import": ("导入", "Import"),
    "manager.import_sending": ("正在发送 {sent}/{parts}", "Sending {sent} of {parts}"),
    "manager.import_done": ("已导入全部 {rows} 人", "All {rows} people imported"),
    "manager.import_refused": (
        "{count} 处问题（共 {rows} 行），未导入任何人",
        "{count} problem(s) in {rows} rows; nothing was imported",
    ),
    "manager.import_failed": ("未导入任何人: {message}", "Nothing was imported: {message}"),
    "manager.line_error": ("第 {line} 行: {message}", "Line {line}: {message}"),
    "manager.cell_error": (
        "第 {line} 行，{column} 列: {message}",
        "Line {line}, column {column}: {message}",
    ),
    "manager.notice_body": ("通知内容", "Notice text"),
    "manager.notice_until": ("有效至 (YYYY-MM-DD)", "Until (YYYY-MM-DD)"),
    "manager.post": ("发布", "Post"),
    "manager.posted": ("通知已发布", "Notice posted"),
}
STRINGS.update(MORE_STRINGS)  # the wall's calls, event viewer and site map
STRINGS.update(CONTROL_STRINGS)  # the wall's lockdown and remote opens
STRINGS.update(CONSOLE_STRINGS)  # the console's schedules, stations and households
STRINGS.update(ZONE_STRINGS)  # the wall's alarm zones


class Strings:
    """The current language and lookups in it; screens re-read their texts when it changes."""

    def __init__(self, lang: str = "zh") -> None:
        if lang not in LANGS:
            raise ValueError(f"language must be one of {', '.join(LANGS)}")
        self.lang = lang
        self.listeners: list[Callable[[], None]] = []

    def toggle(self) -> None:
        self.lang = "en" if self.lang == "zh" else "zh"
        for fn in list(self.listeners):
            fn()

    def __call__(self, key: str, **kw: object) -> str:
        pair = STRINGS.get(key)
        if pair is None:
            return key
        text = pair[LANGS.index(self.lang)]
        return text.format(**kw) if kw else text
