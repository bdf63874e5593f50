"""Texts of the manager console's schedules, holidays, indoor stations, household view and
building notices, in Chinese and English (merged into ``ui.i18n.STRINGS``), and the core's
refusals for them (merged into ``ui.i18n_core.MESSAGES``: ``core_text`` says them)."""

from __future__ import annotations

from ui.i18n_patterns import V
from ui.i18n_spans import SPAN_MESSAGES, SPAN_STRINGS

CONSOLE_STRINGS: dict[str, tuple[str, str]] = {
    **SPAN_STRINGS,  # the schedule editor's spans
    "console.tab_schedules": ("门禁时段", "Schedules"),
    "console.tab_stations": ("室内机", "Stations"),
    "console.tab_household": ("住户", "Household"),
    # schedules and holidays
    "console.doors": ("门 ({n})", "Doors ({n})"),
    "console.door_row": ("{name}  ·  {schedule}", "{name}  ·  {schedule}"),
    "console.any_time": ("不限时段", "any time"),
    "console.schedules": ("时段 ({n})", "Schedules ({n})"),
    "console.schedule_row": ("{name}: {hours}；节假日{holidays}", "{name}: {hours}; {holidays}"),
    "console.holidays_open": ("照常开放", "open on holidays"),
    "console.holidays_closed": ("关闭", "closed on holidays"),
    "console.never": ("从不", "never"),
    "console.sched_name": ("时段名称", "Schedule name"),
    "console.sched_days_needed": ("请至少选择一天", "Choose at least one day"),
    "console.sched_added": ("时段“{name}”已添加", "Schedule “{name}” added"),
    "console.sched_name_needed": ("请填写时段名称", "Give the schedule a name"),
    "console.sched_remove": ("删除时段", "Remove schedule"),
    "console.sched_removed": ("时段“{name}”已删除", "Schedule “{name}” removed"),
    "console.assign": ("设为此门时段", "Give to door"),
    "console.assign_none": ("此门不限时段", "Door: any time"),
    "console.assigned": ("{door} 的访客时段: {schedule}", "{door} visitor hours: {schedule}"),
    "console.pick_door": ("请先选择一扇门", "Choose a door first"),
    "console.pick_schedule": ("请先选择一个时段", "Choose a schedule first"),
    "console.holidays": ("{year} 年节假日 ({n})", "Holidays {year} ({n})"),
    "console.holiday_row": ("{date} {weekday} {name}", "{date} {weekday} {name}"),
    "console.workday_mark": ("调休上班", "worked weekend day"),
    "console.holiday_date": ("日期 YYYY-MM-DD", "Date YYYY-MM-DD"),
    "console.holiday_name": ("名称，如 国庆节", "Name, e.g. National Day"),
    "console.holiday_workday": ("调休上班日", "Worked weekend day"),
    "console.holiday_add": ("添加日期", "Add date"),
    "console.holiday_added": ("{date} 已加入节假日表", "{date} added to the holiday list"),
    "console.holiday_remove": ("删除", "Remove"),
    "console.holiday_removed": ("{date} 已从节假日表删除", "{date} removed from the holiday list"),
    "console.holidays_file": ("导入", "Import"),
    "console.holidays_import_ask": (
        "导入节假日表：新增 {added} 天，更正 {updated} 天，不变 {unchanged} 天"
        "（其中调休上班 {workdays} 天；{years} 年）。表中没有的日期保持不变。",
        "Import the holiday list: {added} new, {updated} corrected, {unchanged} unchanged"
        " ({workdays} worked weekend days; {years}). Dates not in the file stay as they are.",
    ),
    "console.holidays_import_do": ("导入", "Import"),
    "console.holidays_imported": (
        "已导入节假日表 ({n} 天有变化)",
        "Holiday list imported ({n} changed)",
    ),
    "console.holidays_refused": ("节假日表未导入:", "Holiday list not imported:"),
    "console.choose_file": (
        "选择节假日表文件 (CSV: 日期,名称,调休)",
        "Choose the holiday file (CSV: date,name,workday)",
    ),
    "console.prev_year": ("上一年", "Previous year"),
    "console.next_year": ("下一年", "Next year"),
    "day.mon": ("周一", "Mon"),
    "day.tue": ("周二", "Tue"),
    "day.wed": ("周三", "Wed"),
    "day.thu": ("周四", "Thu"),
    "day.fri": ("周五", "Fri"),
    "day.sat": ("周六", "Sat"),
    "day.sun": ("周日", "Sun"),
    # indoor stations
    "console.stations": ("室内机 ({n})", "Indoor stations ({n})"),
    "console.station_row": ("{station}  →  {unit}", "{station}  →  {unit}"),
    "console.station_search": ("按房号或设备号查找", "Find by unit or station id"),
    "console.station_id": ("室内机编号", "Station id"),
    "console.station_unit": ("房号 3-2-1501", "Unit 3-2-1501"),
    "console.station_add": ("登记室内机", "Register station"),
    "console.station_added": ("室内机 {station} 已登记到 {unit}", "Station {station} rings {unit}"),
    "console.station_login": (
        "室内机的设备登录账号由管理员在本机的设备管理中创建",
        "Its device login is made on the box by the administrator (compound devices add)",
    ),
    "console.no_such_unit": (
        "没有房号 {unit}：请核对，或先登记该房屋",
        "There is no unit {unit}: check it, or register the unit first",
    ),
    "console.station_remove": ("删除室内机", "Remove station"),
    "console.station_remove_ask": (
        "删除 {unit} 的室内机 {station}？此后呼叫 {unit} 将不再响铃此设备。",
        "Remove station {station} of {unit}? Calls to {unit} will no longer ring it.",
    ),
    "console.station_removed": (
        "已删除 {unit} 的室内机 {station}",
        "Station {station} of {unit} removed",
    ),
    "console.pick_station": ("请先选择一台室内机", "Choose a station first"),
    "console.cancel": ("取消", "Cancel"),
    "console.confirm_remove": ("确认删除", "Remove"),
    # the household view
    "console.household_search": (
        "查找住户: 姓名、拼音首字母、房号、卡号",
        "Find: name, initials, unit, card",
    ),
    "console.household_pick": ("点选一位住户查看其房屋", "Tap a person to open their household"),
    "console.household_title": ("{unit} 住户 ({n} 人)", "{unit}: {n} people"),
    "console.household_class": ("房屋分类: {cls}", "Household class: {cls}"),
    "console.class_none": ("未分类", "not classed"),
    "console.set_class": ("设定分类", "Set class"),
    "console.class_set": ("{unit} 已设为 {cls}", "{unit} is now {cls}"),
    "console.pick_class": ("请先选择分类", "Choose a class first"),
    "console.pick_household": ("请先打开一户", "Open a household first"),
    "console.set_layer": ("设定分层", "Set layer"),
    "console.layer_set": ("{name} 已设为 {layer}", "{name} is now in the {layer} layer"),
    "console.pick_tenant": ("请先选择一位租户", "Choose a tenant first"),
    "console.pick_layer": ("请先选择分层", "Choose a layer first"),
    "console.member_row": ("{name}  {role}{layer}", "{name}  {role}{layer}"),
    "console.lease": ("租期 {start} 至 {end}", "lease {start} to {end}"),
    "console.no_credentials": ("无有效凭证", "no live credential"),
    # a credential's hours, set on the household page
    "console.cred_hours": ("{cred} ({schedule})", "{cred} ({schedule})"),
    "console.cred_pick": ("选择凭证", "Credential"),
    "console.cred_schedule": ("凭证时段", "Credential hours"),
    "console.cred_schedule_do": ("设定时段", "Set hours"),
    "console.cred_schedule_set": ("{cred} 的时段: {schedule}", "{cred} now opens: {schedule}"),
    "console.pick_credential": ("请先选择一个凭证", "Choose a credential first"),
    "console.visits": ("最近走访", "Recent visits"),
    "console.visit_by": ("走访人", "Visited by"),
    "console.visit_notes": ("走访情况", "What was found"),
    "console.visit_record": ("记录走访", "Record visit"),
    "console.visit_recorded": ("已记录对 {unit} 的走访", "Visit to {unit} recorded"),
    "console.visit_by_needed": ("请填写走访人", "Say who made the visit"),
    "console.no_visits": ("暂无走访记录", "No visits recorded"),
    "console.visit_row": ("{at}  {by}  {notes}", "{at}  {by}  {notes}"),
    # the credentials tab's person, picked from a search
    "creds.search": (
        "查找: 姓名、拼音首字母、房号、证件或手机尾号、卡号",
        "Find: name, initials, unit, ID or phone tail, card",
    ),
    "creds.person": ("人员", "Person"),
    "creds.none_chosen": ("请在右侧点选人员", "Pick a person on the right"),
    "creds.chosen": ("{name} · {unit}", "{name} · {unit}"),
    "creds.pick_first": ("请先查找并点选人员", "Find and tap a person first"),
    "creds.credential": ("凭证", "Credential"),
    "creds.none_held": ("无有效凭证", "none held"),
    "creds.no_credential": ("请先选择要撤销的凭证", "Choose the credential to revoke first"),
    "creds.revoke": ("撤销凭证", "Revoke"),
    "creds.revoke_ask": (
        "撤销 {name}（{unit}）的{cred}？",
        "Revoke the {cred} of {name} ({unit})?",
    ),
    "creds.revoke_yes": ("确认撤销", "Revoke"),
    "creds.revoked": ("已撤销 {name}（{unit}）的{cred}", "Revoked the {cred} of {name} ({unit})"),
    "creds.move_out_ask": (
        "将{name}（{unit}）迁出？其门卡、密码、通行码和人脸数据都将删除。",
        "Move {name} ({unit}) out? Their cards, PINs, passes and face data are deleted.",
    ),
    "creds.face_for": ("人脸录入: {name} · {unit}", "Face of {name} · {unit}"),
    "creds.face_pick_first": ("请先在“凭证”页点选人员", "Pick the person on Credentials first"),
    "creds.move_out_yes": ("确认迁出", "Move out"),
    "creds.moved_out": (
        "{name}（{unit}）已迁出，人脸数据已删除",
        "{name} ({unit}) moved out; face data deleted",
    ),
    # moving out and revoking on the household page (asked with creds.*_ask)
    "console.member_move_out": ("人员", "Person"),
    "console.move_out": ("迁出", "Move out"),
    "console.pick_member": ("请先选择要迁出的人员", "Choose who moves out first"),
    # notices for some buildings
    "console.notice_buildings": ("楼号 (空=全部), 如 1,3", "Buildings (empty = all), e.g. 1,3"),
    "console.notice_for": (
        "通知已发布到 {buildings} 号楼",
        "Notice posted to building {buildings}",
    ),
}

# (pattern of the core's message, Chinese, English), as in ``ui.i18n_core.MESSAGES``.
CONSOLE_MESSAGES: list[tuple[str, str, str]] = [
    *SPAN_MESSAGES,  # a schedule's spans refused
    (
        rf"malformed days {V}: write mon-fri, sat-sun or a list such as mon,wed,fri",
        "星期“{v}”有误：请从周一到周日中选择",
        "Days “{v}” are wrong: write mon-fri, sat-sun or mon,wed,fri",
    ),
    (
        rf"malformed time {V}: write HH:MM, e.g. 07:30",
        "时间“{v}”有误：写 HH:MM，如 07:30",
        "Time “{v}” is wrong: write HH:MM, e.g. 07:30",
    ),
    (
        r"a schedule needs --from before 24:00 and --to at another time",
        "开始时间须早于 24:00，且结束时间与开始时间不同",
        "The start must be before 24:00 and the end at another time",
    ),
    (
        r"a schedule needs a name of 1 to 40 characters",
        "时段名称须为 1 到 40 个字",
        "A schedule name is 1 to 40 characters",
    ),
    (
        r"'none' means no schedule; choose another name",
        "这个名称表示不设时段，请换一个名称",
        "“none” means no schedule: choose another name",
    ),
    (rf"schedule {V} already exists", "时段“{v}”已存在", "Schedule “{v}” already exists"),
    (rf"unknown schedule {V}", "没有时段“{v}”", "There is no schedule “{v}”"),
    (
        rf"schedule {V} is still used by .*",
        "时段“{v}”仍有门或凭证在使用，请先为它们改用其他时段或不限时段",
        "Schedule “{v}” is still in use by doors or credentials: give them another first",
    ),
    (rf"unknown door {V}.*", "没有门“{v}”", "There is no door “{v}”"),
    (
        r"malformed (?:holiday )?date (?P<v>'[^']*'|\S+): write YYYY-MM-DD.*",
        "日期“{v}”有误：写 YYYY-MM-DD",
        "Date “{v}” is wrong: write YYYY-MM-DD",
    ),
    (
        r"expected date,name\[,workday\]",
        "每行应为: 日期,名称[,调休]",
        "Each line is date,name[,workday]",
    ),
    (
        rf"workday is 1 \(a weekend day that is worked\) or 0, not {V}",
        "调休一栏应为 1（周末上班）或 0，不是“{v}”",
        "workday is 1 (a worked weekend day) or 0, not “{v}”",
    ),
    (
        r"(?P<v>\S+) is already given on line (?P<n>\d+)",
        "{v} 已在第 {n} 行给出",
        "{v} is already given on line {n}",
    ),
    (
        r".*: no holidays in it \(columns date,name\[,workday\]\)",
        "文件中没有节假日（列: 日期,名称[,调休]）",
        "No holidays in the file (columns date,name[,workday])",
    ),
    (
        r"a holiday name is at most (?P<n>\d+) characters",
        "节假日名称最多 {n} 个字",
        "A holiday name is at most {n} characters",
    ),
    (
        r"(?P<v>\S+) is a \w+: only a Saturday or Sunday can be a worked weekend day.*",
        "{v} 不是周末：只有周六或周日可以设为调休上班日",
        "{v} is not a weekend day: only a Saturday or Sunday can be a worked weekend day",
    ),
    (
        r"(?P<v>\S+) is not in the holiday list.*",
        "{v} 不在节假日表中",
        "{v} is not in the holiday list",
    ),
    (
        r"station id: 1-64 letters, digits, '_', '\.', '-'",
        "室内机编号须为 1 到 64 个字母、数字或 _ . -",
        "A station id is 1 to 64 letters, digits, _ . or -",
    ),
    (
        rf"a station rings for a unit .* not {V}",
        "室内机须对应一个房号（楼-单元-房，如 3-2-1501），“{v}”不是",
        "A station rings for a unit (building-entrance-room, e.g. 3-2-1501), not “{v}”",
    ),
    (rf"no station {V}.*", "没有室内机“{v}”", "There is no station “{v}”"),
    (r"unknown household (?P<v>\S+)", "没有此住户 ({v})", "No such household ({v})"),
    (r"unknown person (?P<v>\S+)", "没有此人 ({v})", "No such person ({v})"),
    (
        rf"unknown household class {V}.*",
        "房屋分类“{v}”无效",
        "Unknown household class “{v}”",
    ),
    (
        rf"unknown building {V}.*",
        "没有 {v} 号楼",
        "There is no building {v}",
    ),
    (
        r"buildings must be a list of building numbers.*",
        "楼号须为数字，以逗号分隔",
        "Buildings are numbers separated by commas",
    ),
]
