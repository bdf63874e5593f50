"""Texts of the wall's call strip, event viewer and site map, and of the manager's site plan
tab, in Chinese and English (merged into ``ui.i18n.STRINGS``)."""

from __future__ import annotations

MORE_STRINGS: dict[str, tuple[str, str]] = {
    # answering calls on the wall
    "officer.call_emergency": ("紧急呼叫", "Emergency call"),
    "officer.call_desk": ("呼叫", "Call"),
    "officer.call_ringing": ("来电响铃中 {s} 秒", "Ringing for {s} s"),
    "officer.call_talking": ("通话中 {s} 秒", "Talking for {s} s"),
    "officer.call_answer": ("接听", "Answer"),
    "officer.call_open": ("开门", "Open door"),
    "officer.call_hangup": ("挂断", "Hang up"),
    "officer.call_asked.answer": ("正在接通…", "Connecting…"),
    "officer.call_asked.unlock": ("正在开门…", "Opening the door…"),
    "officer.call_asked.hangup": ("正在挂断…", "Hanging up…"),
    "officer.call_waiting": ("另有 {n} 个呼叫等待", "{n} more call(s) waiting"),
    "officer.call_offline": ("与总线断开，无法应答", "Bus disconnected: cannot reply"),
    "officer.call_no_picture": ("无画面", "No picture"),
    "officer.call_past": ("{at} {door}: {how}", "{at} {door}: {how}"),
    "officer.call_end.ended": ("已挂断", "hung up"),
    "officer.call_end.door_opened": ("已开门", "door opened"),
    "officer.call_end.rejected": ("已拒接", "declined"),
    "officer.call_end.no_answer": ("无人接听", "not answered"),
    "officer.call_end.busy": ("占线", "busy"),
    "officer.call_end.failed": ("呼叫失败", "failed"),
    "officer.call_end.taken": ("已由其他分机接听", "answered elsewhere"),
    # a grouped alarm row: how many alarms, since the first (the row's time is the newest)
    "officer.incident_many": ("×{n} (自 {since} 起)", "×{n} since {since}"),
    # the event viewer
    "officer.view_overview": ("总览", "Overview"),
    "officer.view_events": ("事件查询", "Events"),
    "officer.view_map": ("平面图", "Site map"),
    "events.title": ("事件查询", "Event viewer"),
    "events.cat.all": ("全部事件", "All events"),
    "events.cat.passages": ("通行", "Passages"),
    "events.cat.denied": ("拒绝通行", "Refused"),
    "events.cat.alarms": ("报警", "Alarms"),
    "events.cat.doors": ("门状态", "Doors"),
    "events.cat.calls": ("对讲呼叫", "Calls"),
    "events.range.1h": ("1 小时", "1 hour"),
    "events.range.24h": ("24 小时", "24 hours"),
    "events.range.7d": ("7 天", "7 days"),
    "events.range.30d": ("30 天", "30 days"),
    "events.range.all": ("全部时间", "Any time"),
    "events.since": ("起 2026-05-01 08:00", "From 2026-05-01 08:00"),
    "events.until": ("止 (可不填)", "To (optional)"),
    "events.apply": ("应用", "Apply"),
    "events.all_doors": ("全部门禁", "All doors"),
    "events.person_hint": (
        "人员: 姓名、拼音首字母、房号、卡号",
        "Person: name, initials, unit, card",
    ),
    "events.clear": ("清除人员", "Any person"),
    "events.prev": ("上一页", "Previous"),
    "events.next": ("下一页", "Next"),
    "events.page": ("第 {n} 页", "Page {n}"),
    "events.export": ("导出 CSV", "Export CSV"),
    "events.exporting": ("正在导出… {n} 条", "Exporting… {n} rows"),
    "events.exported": ("已导出 {n} 条至 {path}", "{n} rows written to {path}"),
    "events.exported_cut": (
        "已导出前 {n} 条至 {path}，请缩小范围",
        "First {n} rows written to {path}: narrow the filters",
    ),
    "events.no_folder": ("文件夹不存在: {folder}", "Folder does not exist: {folder}"),
    "events.bad_time": (
        "时间格式应为 2026-05-01 或 2026-05-01 08:30，而不是 {text}",
        "Write a time as 2026-05-01 or 2026-05-01 08:30, not {text}",
    ),
    "events.bad_range": ("结束时间应晚于开始时间", "The end must be after the start"),
    "event.access.granted": ("通行", "entry"),
    "event.access.denied": ("拒绝", "refused"),
    "event.alarm.raised": ("报警", "alarm"),
    "event.alarm.acknowledged": ("报警已确认", "alarm acknowledged"),
    "event.intercom.call": ("对讲呼叫", "intercom call"),
    "event.door.opened": ("门打开", "door opened"),
    "event.door.closed": ("门关闭", "door closed"),
    "event.door.unlocked": ("门锁打开", "unlocked"),
    "event.door.locked": ("门已上锁", "locked"),
    "event.door.exit_button": ("出门按钮", "exit button"),
    "event.door.held_open": ("门长时间未关", "held open"),
    "event.door.tamper": ("防拆报警", "tamper"),
    "event.door.fire_release": ("消防联动开门", "fire release"),
    "event.door.fire_cleared": ("消防联动解除", "fire cleared"),
    "event.door.remote_unlock": ("远程开门", "remote open"),
    "event.door.remote_unlock_refused": ("远程开门被拒", "remote open refused"),
    "event.door.command_refused": ("门禁命令被拒", "door command refused"),
    "event.other": ("其他事件", "other event"),
    # the site map
    "map.title": (
        "小区平面图 · 已标注 {placed}/{total} 个门禁",
        "Site map · {placed} of {total} doors placed",
    ),
    "map.fit": ("全图", "Fit"),
    "map.none": (
        "尚未上传小区平面图。物业可在管理端“平面图”页上传并标注门禁；在此之前请看左侧门禁列表。",
        "No site plan yet. The property office uploads one and places the doors in the console's"
        " Site plan tab; until then the door tiles on the left are the map.",
    ),
    "map.hint": (
        "点按门禁标记查看详情，拖动平移，按 + / − 缩放",
        "Tap a door for its state; drag to pan, + / − to zoom",
    ),
    "map.urgent": ("{n} 个门禁异常，已放大显示", "{n} door(s) need attention, drawn larger"),
    # the manager's site plan tab
    "manager.tab_siteplan": ("平面图", "Site plan"),
    "plan.upload": ("上传所选平面图", "Upload the chosen plan"),
    "plan.choose_file": (
        "请先在左侧选择 PNG 或 JPEG 文件",
        "Choose a PNG or JPEG file on the left first",
    ),
    "plan.uploaded": ("平面图已上传", "Site plan uploaded"),
    "plan.door": ("选择要标注的门禁", "Choose a door to place"),
    "plan.unplace": ("从平面图移除所选门禁", "Take the chosen door off the plan"),
    "plan.placed": ("已标注 {placed}/{total} 个门禁", "{placed} of {total} doors placed"),
    "plan.none": ("尚未上传平面图", "No site plan uploaded yet"),
    "plan.pick_door": (
        "先选择一个门禁，再点按它在图上的位置",
        "Choose a door, then tap where it stands",
    ),
    "plan.tap_to_place": ("点按平面图放置: {door}", "Tap the plan to place: {door}"),
    # PINs the console proposes
    "manager.suggest_pin": ("生成随机密码", "Propose a PIN"),
    "manager.pin_taken": ("此密码不能使用。", "That PIN cannot be used."),
    "manager.pin_suggested": (
        "建议密码: {pin}（已填入），请告知住户后点“设置密码”",
        "Proposed PIN: {pin} (filled in); tell the resident, then tap Set PIN",
    ),
    # CSV import
    "manager.csv_template": ("保存导入模板", "Save a template"),
    "manager.csv_template_saved": ("模板已保存: {path}", "Template saved: {path}"),
    "manager.csv_encoding": (
        "无法读取此文件的编码，请另存为 UTF-8 或 GBK 的 CSV",
        "Cannot read this file's encoding: save it as CSV in UTF-8 or GBK",
    ),
    # face enrolment
    "manager.no_picture": (
        "摄像头没有画面，无法拍照：请检查录入摄像头",
        "No picture from the camera to capture: check the enrolment camera",
    ),
    "manager.captured": (
        "已拍摄 {n} 张（最多保留 5 张）",
        "{n} photo(s) captured (5 kept at most)",
    ),
    "manager.camera_live": ("摄像头: 实时画面", "Camera: live picture"),
    "manager.camera_none": ("摄像头: 无画面", "Camera: no picture"),
    # a row cut with "…" on the wall, shown whole: what it is, and its close button
    "officer.full_title": ("{what}：完整内容", "{what}: full text"),
    "officer.full_close": ("关闭", "Close"),
    # the on-screen keyboard
    "manager.pinyin": ("拼音键盘", "Keyboard"),
    "manager.space": ("空格", "space"),
}
