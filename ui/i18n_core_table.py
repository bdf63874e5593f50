"""The table of the core's messages for ``ui.i18n_core``: each a pattern of the core's English
words with the values it carries, and the Chinese and English a person at a screen reads."""

from __future__ import annotations

from ui.i18n_patterns import N, V

_ONE = r"save the whole sheet in one encoding"

# (pattern of the core's message, Chinese, English); values by name, ``v`` shown unquoted.
CORE_MESSAGES: list[tuple[str, str, str]] = [
    # people and their records
    (
        r"a person needs a name of 1 to 100 characters",
        "姓名须为 1 到 100 个字",
        "A name of 1 to 100 characters is needed",
    ),
    (
        rf"unknown role {V}: use owner, family, tenant or visitor",
        "身份“{v}”无效：应为业主、家属、租户或访客",
        "Unknown role “{v}”: owner, family, tenant or visitor",
    ),
    (
        r"lease end (?P<a>\S+) is before lease start (?P<b>\S+)",
        "租期结束 {a} 早于租期开始 {b}",
        "The lease ends ({a}) before it starts ({b})",
    ),
    (
        rf"malformed ID number {V}: 6-20 letters and digits",
        "证件号“{v}”有误：应为 6 到 20 位字母或数字",
        "ID number “{v}” is wrong: 6 to 20 letters and digits",
    ),
    (rf"malformed phone number {V}", "电话号码“{v}”有误", "Phone number “{v}” is wrong"),
    (
        rf"malformed card number {V}: digits only, as the reader prints",
        "卡号“{v}”有误：只能是读卡器显示的数字",
        "Card number “{v}” is wrong: digits only, as the reader shows",
    ),
    (r"a PIN is 6 to 8 digits", "密码须为 6 到 8 位数字", "A PIN is 6 to 8 digits"),
    (
        r"that PIN is too easy to guess; avoid repeated or running digits",
        "密码太容易被猜到：请避免重复或连续的数字",
        "That PIN is too easy to guess: avoid repeated or running digits",
    ),
    (
        r"a pass must end after it starts",
        "通行码的结束时间须晚于开始时间",
        "A pass must end after it starts",
    ),
    (
        r"a visitor pass lasts at most 31 days; register a tenant instead",
        "访客通行码最长 31 天，长住请登记为租户",
        "A visitor pass lasts at most 31 days: register a tenant instead",
    ),
    (
        r"unknown unit (?P<u>\S+): add it first with `compound unit add \S+`",
        "房号 {u} 不存在，请先添加该房号",
        "There is no unit {u}: add it first",
    ),
    (
        rf"ID number already registered to person {N}; move them out first or check the number",
        "该证件号已登记给人员 {n}：请先为其办理迁出，或核对号码",
        "That ID number is registered to person {n}: move them out first or check the number",
    ),
    (rf"unknown person {N}", "没有编号为 {n} 的人员", "There is no person {n}"),
    (rf"person {N} has already moved out", "人员 {n} 已迁出", "Person {n} has already moved out"),
    (
        rf"person {N} has moved out; register them again first",
        "人员 {n} 已迁出，请先重新登记",
        "Person {n} has moved out: register them again first",
    ),
    (rf"person {N} has moved out", "人员 {n} 已迁出", "Person {n} has moved out"),
    (
        r"that (card number|card) is already in use(; choose another)?",
        "此卡号已被使用，请换一张卡",
        "That card is already in use: use another",
    ),
    (
        r"that PIN is already in use(; choose another)?",
        "此密码不能使用，请换一个",
        "That PIN cannot be used: choose another",
    ),
    (
        rf"no live credential {N}",
        "凭证 {n} 不存在或已注销",
        "Credential {n} does not exist or was revoked",
    ),
    (
        r"no free PIN found; try again",
        "暂未找到可用密码，请再试一次",
        "No free PIN found: try again",
    ),
    (
        rf"malformed room number {V}: write building-entrance-room, e\.g\. 3-2-1501",
        "房号“{v}”有误：请写成 楼号-单元-房号，如 3-2-1501",
        "Room number “{v}” is wrong: write building-entrance-room, e.g. 3-2-1501",
    ),
    (
        rf"malformed room number {V}: building and entrance start at 1",
        "房号“{v}”有误：楼号和单元号从 1 开始",
        "Room number “{v}” is wrong: building and entrance start at 1",
    ),
    (
        rf"malformed (?P<w>.+?) {V}: write YYYY-MM-DD, e\.g\. 2027-06-30",
        "日期“{v}”有误：请写成 YYYY-MM-DD，如 2027-06-30",
        "Date “{v}” is wrong: write YYYY-MM-DD, e.g. 2027-06-30",
    ),
    (
        rf"malformed time {V}: write HH:MM, e\.g\. 07:30",
        "时间“{v}”有误：请写成 HH:MM，如 07:30",
        "Time “{v}” is wrong: write HH:MM, e.g. 07:30",
    ),
    (
        r"a time window needs 00:00 <= start < end <= 24:00",
        "时段须在 00:00 到 24:00 之间，且开始早于结束",
        "A time window runs between 00:00 and 24:00, its start before its end",
    ),
    (
        r"weekdays are 0 \(Monday\) to 6 \(Sunday\)",
        "星期须为 0（周一）到 6（周日）",
        "Weekdays are 0 (Monday) to 6 (Sunday)",
    ),
    # the register sheet
    (
        rf"{N} fields, but the header names (?P<m>\d+) columns",
        "这一行有 {n} 项，但标题行只有 {m} 列",
        "This line has {n} fields, but the header names {m} columns",
    ),
    (r"every person needs a name", "每个人都需要姓名", "Every person needs a name"),
    (
        r"every person needs a unit \(building-entrance-room, e\.g\. 3-2-1501\)",
        "每个人都需要房号（楼号-单元-房号，如 3-2-1501）",
        "Every person needs a unit (building-entrance-room, e.g. 3-2-1501)",
    ),
    (
        r"every person needs a role: owner, family, tenant or visitor",
        "每个人都需要身份：业主、家属、租户或访客",
        "Every person needs a role: owner, family, tenant or visitor",
    ),
    (
        r"a tenant needs the ID number \(floating-population register\)",
        "租户须填写证件号（流动人口登记）",
        "A tenant needs an ID number (floating-population register)",
    ),
    (
        r"a tenant needs the lease end \(YYYY-MM-DD\)",
        "租户须填写租期结束日期（YYYY-MM-DD）",
        "A tenant needs the lease end (YYYY-MM-DD)",
    ),
    (r"only tenants have a layer", "只有租户才有分层", "Only tenants have a layer"),
    (
        rf"the same (?P<w>ID number|card number|PIN) as line {N}; each must differ",
        "与第 {n} 行的{w}相同，每人须不同",
        "The same {w} as line {n}: each must differ",
    ),
    (
        rf"unknown ID type {V}: use (?P<l>.+)",
        "证件类型“{v}”无效，应为：{l}",
        "Unknown ID type “{v}”: use {l}",
    ),
    (
        rf"unknown layer {V}: use focus, watch or stable.*",
        "分层“{v}”无效：应为重点层、关注层或稳定层",
        "Unknown layer “{v}”: focus, watch or stable",
    ),
    (
        rf"malformed birth year {V}: four digits, e\.g\. 1948",
        "出生年份“{v}”有误：应为四位数字，如 1948",
        "Birth year “{v}” is wrong: four digits, e.g. 1948",
    ),
    (
        r"the sheet has a header but no rows",
        "表格只有标题行，没有人员",
        "The sheet has a header but no rows",
    ),
    (
        rf"the file is {N} MB; a register is at most (?P<m>\d+) MB: split it",
        "文件有 {n} MB，超过上限 {m} MB，请拆分",
        "The file is {n} MB, over the {m} MB limit: split it",
    ),
    (
        r"cannot read the file as text in UTF-8 or GBK.*",
        "无法读取此文件的编码，请另存为 UTF-8 或 GBK 的 CSV",
        "Cannot read this file's encoding: save it as CSV in UTF-8 or GBK",
    ),
    # a sheet mixing UTF-8 and GBK lines (compound.domain.sheet_encoding)
    (
        rf"line {N} is (?P<o>\S+) while the sheet is (?P<s>\S+): {_ONE}",
        "第 {n} 行是 {o} 编码，而表格是 {s} 编码：请把整个表格保存为同一种编码",
        "Line {n} is in {o} while the sheet is in {s}: save the whole sheet in one encoding",
    ),
    (
        rf"{N} lines are (?P<o>\S+) while the sheet is (?P<s>\S+) \((?P<l>[\d, .]+)\): {_ONE}",
        "有 {n} 行是 {o} 编码（第 {l} 行），而表格是 {s} 编码：请把整个表格保存为同一种编码",
        "{n} lines are in {o} ({l}) while the sheet is in {s}: save the whole sheet in one"
        " encoding",
    ),
    (
        rf"line {N} is neither UTF-8 nor GBK: {_ONE}",
        "第 {n} 行既不是 UTF-8 也不是 GBK 编码（可能一行里混有两种编码）："
        "请把整个表格保存为同一种编码",
        "Line {n} is neither UTF-8 nor GBK (two encodings in one row?): save the whole sheet in"
        " one encoding",
    ),
    (
        rf"{N} lines are neither UTF-8 nor GBK \((?P<l>[\d, .]+)\): {_ONE}",
        "有 {n} 行既不是 UTF-8 也不是 GBK 编码（第 {l} 行）：请把整个表格保存为同一种编码",
        "{n} lines are neither UTF-8 nor GBK ({l}): save the whole sheet in one encoding",
    ),
    (
        r"the file is empty: the first line names the columns",
        "文件是空的：第一行应为列名",
        "The file is empty: the first line names the columns",
    ),
    (
        r"the header line cannot be read: .*",
        "无法读取标题行，请检查引号",
        "The header line cannot be read: check its quotes",
    ),
    (
        rf"more than {N} rows: split the sheet",
        "超过 {n} 行，请拆分表格",
        "More than {n} rows: split the sheet",
    ),
    (
        rf"unknown column {V}; known: .*",
        "未知的列“{v}”，请使用模板中的列名",
        "Unknown column “{v}”: use the template's column names",
    ),
    (r"column (?P<k>\S+) appears twice", "列 {k} 出现了两次", "Column {k} appears twice"),
    (
        r"the header needs a column (?P<k>[a-z_]+)(?: \(or (?P<a>[^)]*)\))?",
        "标题行缺少列：{a}",
        "The header needs a column {k}",
    ),
    (
        r"cannot be read: .*",
        "这一行无法读取，请检查引号",
        "This line cannot be read: check its quotes",
    ),
    (
        rf"{V} is not yes or no: write 1 or 0.*",
        "“{v}”不是“是”或“否”：请填 1 或 0",
        "“{v}” is not yes or no: write 1 or 0",
    ),
    (
        rf"malformed date {V}: write YYYY-MM-DD, e\.g\. 2027-06-30",
        "日期“{v}”有误：请写成 YYYY-MM-DD，如 2027-06-30",
        "Date “{v}” is wrong: write YYYY-MM-DD, e.g. 2027-06-30",
    ),
    (
        r"csv must be the sheet's text.*",
        "表格内容为空：第一行应为列名",
        "The sheet is empty: its first line names the columns",
    ),
    (
        r"sheet must be the id of the sheet being sent.*|part must be the part's number.*",
        "导入请求有误，请重新导入",
        "The import request was malformed: import again",
    ),
    (
        rf"part {N} of sheet .* arrived where part (?P<e>\d+) was expected.*",
        "表格传输中断，未导入任何人，请重新导入",
        "The sheet arrived incomplete; nothing was imported: import it again",
    ),
    (
        rf"the sheet is over {N} KB; nothing was imported.*",
        "表格超过 {n} KB，未导入任何人：请按楼拆分",
        "The sheet is over {n} KB; nothing was imported: split it by building",
    ),
    # notices
    (
        rf"malformed (?P<w>\S+) {V}: write YYYY-MM-DD or YYYY-MM-DDTHH:MM",
        "日期“{v}”有误：请写成 YYYY-MM-DD",
        "Date “{v}” is wrong: write YYYY-MM-DD",
    ),
    (
        rf"a notice needs a text of 1 to {N} characters",
        "通知内容须为 1 到 {n} 个字",
        "A notice needs 1 to {n} characters of text",
    ),
    (r"say who posts the notice.*", "请注明发布人", "Say who posts the notice"),
    (r"say who withdraws the notice.*", "请注明撤回人", "Say who withdraws the notice"),
    (r"a notice needs an end.*", "请填写通知的截止日期", "A notice needs an end date"),
    (
        r"a notice must end after it starts",
        "通知的截止时间须晚于开始时间",
        "A notice must end after it starts",
    ),
    (
        r"that notice would already be over; check the end date",
        "该通知已过期，请检查截止日期",
        "That notice would already be over: check the end date",
    ),
    (rf"a notice runs at most {N} days", "通知最长 {n} 天", "A notice runs at most {n} days"),
    (rf"no current notice {N}", "没有当前的通知 {n}", "No current notice {n}"),
    # face enrolment
    (
        r"give at least one photo of the face",
        "请至少拍摄一张人脸照片",
        "Capture at least one photo of the face",
    ),
    (rf"at most {N} photos at a time", "一次最多 {n} 张照片", "At most {n} photos at a time"),
    (
        r"say who recorded the consent.*",
        "请注明由谁确认了本人同意",
        "Say who recorded the resident's consent",
    ),
    (
        rf"no face consent recorded for person {N}.*",
        "人员 {n} 尚未登记人脸采集同意",
        "No face consent recorded for person {n}",
    ),
    # the site plan, remote opens, the wall's lists and events
    (
        r"image: a PNG or JPEG file, base64-encoded|image is not valid base64",
        "平面图文件无法读取",
        "The plan file cannot be read",
    ),
    (
        rf"the plan image is larger than {N} kB",
        "平面图超过 {n} kB，请缩小后再上传",
        "The plan is larger than {n} kB: make it smaller",
    ),
    (
        r"the site plan must be a PNG or JPEG image",
        "平面图须为 PNG 或 JPEG 图片",
        "The site plan must be a PNG or JPEG image",
    ),
    (
        r"the plan image has too much detail to keep: use a simpler scan",
        "平面图细节过多，请使用更简洁的扫描件",
        "The plan has too much detail to keep: use a simpler scan",
    ),
    (
        r"x and y must be numbers between 0 and 1",
        "位置须在平面图内",
        "The place must be on the plan",
    ),
    (rf"unknown door {V}; see `compound door list`", "门禁“{v}”不存在", "There is no door “{v}”"),
    (r"say why the door is opened.*", "请填写开门原因", "Say why the door is opened"),
    (
        r"a (?P<r>\S+) may not override a lockdown; a console or the wall may",
        "此设备不能在封控中越权开门",
        "This device may not override a lockdown",
    ),
    (rf"unknown alarm kind {V}", "未知的报警类型“{v}”", "Unknown alarm kind “{v}”"),
    (
        r"the end of the time range must be after its start",
        "结束时间应晚于开始时间",
        "The end must be after the start",
    ),
    (
        rf"types must be a list of at most {N} event types",
        "事件类型过多，最多 {n} 种",
        "At most {n} event types",
    ),
    (
        r"(?P<k>[a-z_]+) must be a number",
        "查询参数有误，请重试",
        "A search value was malformed: try again",
    ),
    (
        r"ask for a person's events or a unit's, not both",
        "请只按人员或只按房号查询",
        "Search by a person or by a unit, not both",
    ),
    (r"unknown unit (?P<u>\S+)", "房号 {u} 不存在", "There is no unit {u}"),
    (
        rf"unit (?P<u>\S+) has had more than {N} people; ask for one of them",
        "房号 {u} 住过的人超过 {n} 位，请选择其中一位查询",
        "Unit {u} has had more than {n} people: search for one of them",
    ),
    # the bus and the gateway
    (
        r"the core is not reachable now; try again",
        "主机暂时无法连接，请稍后再试",
        "The box is not reachable now: try again",
    ),
    (
        r"timed out.*|timeout.*|no reply.*",
        "主机无应答，请稍后再试",
        "The box did not answer: try again",
    ),
    (r"not allowed.*|.*not permitted.*", "此操作未获授权", "This screen may not do that"),
]
