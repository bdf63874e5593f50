"""More of the core's refusals for ``ui.i18n_core`` (after ``ui.i18n_core_table``): the bus's own
errors, pictures, door settings, search and paging, the officer's acknowledgements, intercom
dialling, station passes, zones, cameras, duty officers, the site plan and the schedules' hours.
Each a pattern of the core's English words with the values it carries, and the Chinese and
English a person at a screen reads (no command-line flags; the Chinese names no parameter)."""

from __future__ import annotations

from ui.i18n_patterns import ANY, M, N, V

_AGAIN = ("请求有误，请重试", "The request was malformed: try again")
_PHOTO = ("照片格式有误，请重新拍照", "The photo was malformed: take it again")

REFUSALS: list[tuple[str, str, str]] = [
    # the bus itself
    (
        rf"unknown method {V}",
        "主机不支持此操作，请联系维护人员升级",
        "The box does not offer this yet: ask for its software to be updated",
    ),
    (r"params must be an object", *_AGAIN),
    (
        rf"the credential of {V} was revoked; this device is answered nothing",
        "本设备的登记已被撤销，请联系物业",
        "This device's registration was revoked: call the property office",
    ),
    (
        r"internal error in \S+; see the core log",
        "主机内部出错，请联系维护人员",
        "Something failed inside the box: call the maintenance staff",
    ),
    # pictures: the site plan, enrolment photos
    (rf"{ANY} is empty", "图片是空的，请重新选择", "The picture is empty: choose another"),
    (
        rf"{ANY} is {N} MB; the largest accepted is {M} MB",
        "图片太大（{n} MB），最大 {m} MB",
        "The picture is {n} MB: at most {m} MB",
    ),
    (
        rf"{ANY} is not an image \(JPEG or PNG expected\)",
        "这不是图片文件，请选择 JPEG 或 PNG 图片",
        "That is not a picture: choose a JPEG or PNG",
    ),
    (
        rf"{ANY} is damaged or truncated \(\S+\)",
        "图片文件已损坏或不完整，请重新选择",
        "The picture file is damaged or incomplete: choose another",
    ),
    (
        rf"{ANY} is \d+×\d+ \({N} megapixels\); the largest accepted is {M} megapixels: "
        r"resize it and try again",
        "图片像素过多（{n} 百万像素，最多 {m} 百万像素），请缩小后重试",
        "The picture has {n} megapixels, at most {m}: make it smaller and try again",
    ),
    (r"\S+ must be a base64 JPEG|\S+ is not valid base64", *_PHOTO),
    (r"images must be a list of base64 JPEG photos", *_PHOTO),
    (r"consent_by must be a name", "请填写记录同意的人", "Say who recorded the consent"),
    (
        r"no usable photo: nothing was stored",
        "没有可用的照片，未保存任何内容",
        "No usable photo: nothing was stored",
    ),
    (
        rf"person {N} has no card, PIN or pass: issue one first.*",
        "{n} 号人员还没有卡、密码或通行码：请先发一种，刷脸不能是唯一的开门方式",
        "Person {n} has no card, PIN or pass: issue one first, a face may not be the only way in",
    ),
    # doors and their settings (the door sheet included)
    (
        rf"malformed door scope {V}: .*",
        "门禁范围“{v}”有误：应为楼号（3）、单元（3-2）、房号（3-2-1501）或 *（全小区）",
        "Door scope “{v}” is wrong: a building (3), an entrance (3-2), a unit (3-2-1501) or *",
    ),
    (
        rf"door id {V} must be 1-64 letters, digits, .*",
        "门编号“{v}”有误：应为 1 到 64 个字母、数字或“_ . -”（如 b3-e2）",
        "Door id “{v}” is wrong: 1 to 64 letters, digits, '_', '.', '-' (e.g. b3-e2)",
    ),
    (
        r"every door needs an id .*",
        "每个门都需要编号（字母、数字或“-”，如 b3-e2）",
        "Every door needs an id (letters, digits, '-', e.g. b3-e2)",
    ),
    (
        r"every door serves something: .*|a door must serve at least one building.*",
        "每个门都要写明服务范围：楼号（3）、单元（3-2）或 *（全小区）",
        "Every door serves something: a building (3), an entrance (3-2) or * for all",
    ),
    (
        rf"malformed (open time|held-open time) {V}: a number of seconds",
        "时间“{v}”有误：应为秒数",
        "“{v}” is not a number of seconds",
    ),
    (
        r"door open time must be between 1 and 60 seconds",
        "开门时长须在 1 到 60 秒之间",
        "The door's open time is 1 to 60 seconds",
    ),
    (
        r"held-open alarm time must be between 5 and 3600 seconds",
        "门未关报警时间须在 5 到 3600 秒之间",
        "The held-open alarm time is 5 to 3600 seconds",
    ),
    (
        rf"unknown lock type {V}: use maglock or strike",
        "锁类型“{v}”无效：应为磁力锁或阴极锁",
        "Unknown lock type “{v}”: maglock or strike",
    ),
    (
        rf"door (?P<d>\S+) is also on line {N}",
        "门 {d} 与第 {n} 行重复",
        "Door {d} is also on line {n}",
    ),
    (r"door (?P<d>\S+) already exists", "门 {d} 已存在", "Door {d} already exists"),
    (r"give the door's id", "请选择一扇门", "Choose a door"),
    # search, lists and paging
    (r"\S+ must be true or false", *_AGAIN),
    (rf"\S+ must be a whole number from {N} to {M}", *_AGAIN),
    (r"q, the search text, must be text", "搜索内容须为文字", "The search must be text"),
    (
        rf"search text too long \({N} characters\): type at most {M}, .*",
        "搜索内容太长（{n} 个字，最多 {m} 个）："
        "可输入姓名、拼音首字母、房号、卡号或证件号、电话的尾号",
        "The search is {n} characters, at most {m}: a name, initials, unit, card or the end of "
        "an ID or phone number",
    ),
    (
        r"the search text has control characters",
        "搜索内容中有无法识别的字符",
        "The search has characters that cannot be typed",
    ),
    (
        r"q for units is the start of an address: .*",
        "按房号查找请输入地址的开头：3、3-2 或 3-2-15",
        "To find units, type the start of an address: 3, 3-2 or 3-2-15",
    ),
    (rf"ids must be a list of at most {N} person ids", "一次最多 {n} 人", "At most {n} people"),
    (r"ids must be person ids \(numbers\)", *_AGAIN),
    (
        r"ask for one door's events or several doors', not both",
        "请只按一扇门或按多扇门查询",
        "Search one door or several, not both",
    ),
    (rf"doors must be a list of 1 to {N} door ids", "最多选择 {n} 扇门", "Choose 1 to {n} doors"),
    (r"(within_days|days) must be from 0 to 366", "天数须在 0 到 366 之间", "Days: 0 to 366"),
    (r"hours must be between 1 and 744", "小时数须在 1 到 744 之间", "Hours: 1 to 744"),
    (
        r"search by person, name or id_number",
        "请按人员、姓名或证件号查询",
        "Search by person, name or ID number",
    ),
    (
        rf"ask for at most {N} passages in all .*",
        "要查的通行记录太多（最多 {n} 条），请减少每页人数",
        "At most {n} passages in all: show fewer people on a page",
    ),
    # alarms and the officer
    (rf"unknown alarm {N}", "报警 {n} 不存在", "There is no alarm {n}"),
    (
        rf"alarm {N} is already acknowledged",
        "报警 {n} 已被处理",
        "Alarm {n} is already acknowledged",
    ),
    (r"give the alarm id( to acknowledge)?", "请选择一条报警", "Choose an alarm"),
    (
        r"say who acknowledges the alarm.*",
        "请填写处理人",
        "Say who acknowledges the alarm",
    ),
    (
        rf"give the alarms to acknowledge as ids: \[1 to {N} numbers\]",
        "请选择要处理的报警（最多 {n} 条）",
        "Choose 1 to {n} alarms to acknowledge",
    ),
    (r"alarm ids are whole numbers", *_AGAIN),
    (
        rf"say what was done \(a remark of 1 to {N} characters\)",
        "请填写处理情况（1 到 {n} 个字）",
        "Say what was done (1 to {n} characters)",
    ),
    (
        r"identify by card or PIN: kind 'card' or 'pin' and its value",
        "请刷卡或输入密码确认身份",
        "Identify with your card or PIN",
    ),
    (r"lockdown needs on: true or false", *_AGAIN),
    (
        r"the site is in lockdown: door (?P<d>\S+) was not opened and nothing was sent.*",
        "小区处于封控中：门 {d} 未打开。确需放行请选择越权开门并填写原因",
        "The compound is in lockdown: door {d} was not opened. To let someone in anyway, "
        "override and give the reason",
    ),
    (
        r"give the officer's name \(1 to 64 characters\)",
        "请填写民警姓名（1 到 64 个字）",
        "Give the officer's name (1 to 64 characters)",
    ),
    (
        r"give the officer's badge number \(1 to 32 characters\)",
        "请填写警号（1 到 32 位）",
        "Give the badge number (1 to 32 characters)",
    ),
    (r"say who (adds|removes) the officer.*", "请填写操作人", "Say who does this"),
    (
        r"an officer identifies at the wall by card or PIN.*",
        "民警在监控墙上凭卡或密码确认身份：请登记卡或密码",
        "An officer identifies at the wall by card or PIN: give one",
    ),
    (
        r"badge (?P<b>\S+) is already a duty officer's",
        "警号 {b} 已登记",
        "Badge {b} is already registered",
    ),
    (
        r"that card already names another officer; use another card",
        "此卡已登记给其他民警，请换一张卡",
        "That card is another officer's: use another card",
    ),
    (r"choose another PIN", "请换一个密码", "Choose another PIN"),
    (
        rf"no duty officer with badge {V}",
        "没有警号为“{v}”的值班民警",
        "No duty officer with badge “{v}”",
    ),
    # intercom dialling and calls
    (rf"no live call {V}", "该呼叫已结束", "That call has ended"),
    (
        r"(?P<u>\S+) cannot be called from door \S+",
        "从此门不能呼叫 {u}",
        "{u} cannot be called from this door",
    ),
    (r"no unit (?P<u>\S+) is registered", "房号 {u} 不存在", "There is no unit {u}"),
    (
        r"no unit (?P<u>\S+) is registered; add it first .*",
        "房号 {u} 尚未登记，请先登记该房屋",
        "Unit {u} is not registered: register it first",
    ),
    (
        r"unit (?P<u>\S+) has no indoor station registered",
        "{u} 没有安装室内机",
        "Unit {u} has no indoor station",
    ),
    (
        r"no unit with room (?P<r>\S+) is served by door \S+",
        "此门没有 {r} 这个房号",
        "There is no room {r} behind this door",
    ),
    (
        r"room (?P<r>\S+) is in more than one entrance here: dial building-entrance-room",
        "多个单元都有 {r}，请输入 楼号-单元-房号",
        "Room {r} is in more than one entrance: dial building-entrance-room",
    ),
    (r"a dial names a unit or a room", "请输入房号", "Dial a unit or a room"),
    # station passes
    (
        r"only an indoor station issues passes this way.*",
        "只有室内机能这样发放通行码",
        "Only an indoor station issues passes this way",
    ),
    (
        r"station \S+ issues passes for unit (?P<u>\S+) only",
        "此室内机只能为 {u} 发放通行码",
        "This station issues passes for unit {u} only",
    ),
    (rf"no pass {N} of unit (?P<u>\S+)", "{u} 没有编号为 {n} 的通行码", "Unit {u} has no pass {n}"),
    (
        r"passes are revoked from the manager's console",
        "通行码请在物业管理台撤销",
        "Passes are revoked from the manager's console",
    ),
    (
        r"credentials are revoked from the manager's console",
        "凭证请在物业管理台撤销",
        "Credentials are revoked from the manager's console",
    ),
    (rf"no visitor pass {N}", "没有编号为 {n} 的访客通行码", "There is no visitor pass {n}"),
    (r"say which pass: id", "请选择通行码", "Choose a pass"),
    (r"hours and uses must be numbers", "时长和次数须为数字", "Hours and uses must be numbers"),
    (
        rf"a pass from the indoor station lasts up to {N} hours",
        "室内机发放的通行码最长 {n} 小时",
        "A pass from the indoor station lasts up to {n} hours",
    ),
    (
        rf"a pass from the indoor station opens 1 to {N} times",
        "室内机发放的通行码可开门 1 到 {n} 次",
        "A pass from the indoor station opens 1 to {n} times",
    ),
    (
        rf"unit (?P<u>\S+) has issued {N} passes in the last 24 hours.*",
        "{u} 在 24 小时内已发放 {n} 个通行码，已达上限，请联系物业",
        "Unit {u} has issued {n} passes in 24 hours, the most allowed: ask the property office",
    ),
    # tenants, visits, households
    (
        r"say who does this \(by / --by NAME\); it goes in the log",
        "请填写操作人（将记入日志）",
        "Say who does this: it goes in the log",
    ),
    (r"no household lives in (?P<u>\S+)", "{u} 没有住户", "No household lives in {u}"),
    (
        rf"unknown tenant layer {V}: use focus, watch or stable",
        "租户分层“{v}”无效：应为重点层、关注层或稳定层",
        "Unknown tenant layer “{v}”: focus, watch or stable",
    ),
    (rf"person {N} is an? \S+, not a tenant", "{n} 号人员不是租户", "Person {n} is not a tenant"),
    (
        r"a tenant registration needs the ID number.*",
        "登记租户须填写证件号",
        "A tenant needs the ID number",
    ),
    (
        r"a tenant registration needs the lease end.*",
        "登记租户须填写租期结束日期",
        "A tenant needs the lease end (YYYY-MM-DD)",
    ),
    (
        r"a short stay lasts 1 to 744 hours \(31 days\); longer stays are tenants",
        "短住最长 744 小时（31 天），更长请登记为租户",
        "A short stay lasts 1 to 744 hours (31 days): register longer stays as tenants",
    ),
    (
        r"say whom the visit was to: a person or a household",
        "请选择走访对象：人员或住户",
        "Say whom the visit was to: a person or a household",
    ),
    # zones and devices
    (
        r"zones are armed and disarmed from the officer's console",
        "防区只能在值班台布防或撤防",
        "Zones are armed and disarmed at the officer's console",
    ),
    (rf"unknown zone {V} \(say its bridge .*", "防区“{v}”不存在", "There is no zone “{v}”"),
    (
        r"say who arms or disarms the zone.*",
        "请填写布防或撤防人（将记入日志）",
        "Say who arms or disarms the zone: it goes in the log",
    ),
    (
        r"zone (?P<z>\S+) is an? \S+ zone, armed day and night; it cannot be disarmed",
        "防区 {z} 为 24 小时防区，不能撤防",
        "Zone {z} is armed day and night: it cannot be disarmed",
    ),
    (
        r"a schedule arms a perimeter or intrusion zone.*",
        "只有周界或入侵防区可以按时段布防",
        "Only a perimeter or intrusion zone is armed by a schedule",
    ),
    (rf"{V} is not in quarantine.*", "设备“{v}”未被隔离", "Device “{v}” is not in quarantine"),
    # the site plan
    (
        r"a door's place is inside the plan: x and y between 0 and 1",
        "门的位置须在平面图内",
        "A door's place must be on the plan",
    ),
    (
        r"upload the site plan before placing doors on it",
        "请先上传平面图，再放置门禁",
        "Upload the site plan before placing doors on it",
    ),
    (rf"door {V} is not on the plan", "门禁“{v}”不在平面图上", "Door “{v}” is not on the plan"),
    # schedules: hours, holidays
    (rf"no live credential {N}.*", "凭证 {n} 不存在或已失效", "Credential {n} is not in use"),
    (
        rf"\S+ has {N} spans; a day has at most {M}",
        "一天最多 {m} 个时段，这里有 {n} 个",
        "{n} spans in one day: at most {m}",
    ),
    (
        rf"unknown holiday rule {V}: use closed or open",
        "节假日规则“{v}”无效：应为关闭或开放",
        "Unknown holiday rule “{v}”: closed or open",
    ),
    (
        r"on (?P<d>\S+), (?P<s>\S+) and (?P<t>\S+) overlap: join them into one span or move one",
        "时段 {s} 与 {t} 重叠，请合并或调整",
        "On {d}, {s} and {t} overlap: join them or move one",
    ),
    (
        r"(?P<d>\S+) is in two sets of days: give each day one set of hours",
        "同一天出现在两组时段中，每天只能有一组",
        "{d} is in two sets of days: give each day one set of hours",
    ),
    (r"name must be text", "名称须为文字", "The name must be text"),
    (
        rf"{ANY} is neither UTF-8 nor GBK text; nothing imported",
        "文件既不是 UTF-8 也不是 GBK 编码，未导入任何内容",
        "The file is neither UTF-8 nor GBK text: nothing imported",
    ),
    (
        r"(?P<f>[^:]+): (?P<e>.+); nothing imported",
        "文件有误，未导入任何内容，请核对后重试",
        "{e}: nothing imported",
    ),
]
