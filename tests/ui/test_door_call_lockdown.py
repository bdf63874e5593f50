"""The door panel during a lockdown: the resident's unlock is refused by the core; the panel
says so while the call goes on, and shows what comes next (here: the call ending)."""

from __future__ import annotations

from compound.domain.clock import ManualClock
from ui.gateway import LocalGateway
from ui.i18n import Strings
from ui.viewmodels.door import DoorPanelVM


def test_the_panel_says_the_door_stays_shut_and_the_call_goes_on(clock: ManualClock) -> None:
    gw = LocalGateway()
    vm = DoorPanelVM(gw, Strings("en"), clock, "b3-e2")
    for k in "3-2-1501":
        vm.key(k)
    vm.ok()
    call_id = str(vm.call_id)
    topic = f"intercom/b3-e2/call/{call_id}/state"
    gw.deliver(topic, {"state": "answered", "unit": "3-2-1501"})
    gw.deliver(topic, {"state": "unlock_refused", "reason": "lockdown", "unit": "3-2-1501"})
    assert vm.status_line == "Lockdown: the door cannot be opened"
    assert vm.call_id == call_id  # still talking to the resident
    gw.deliver(topic, {"state": "ended"})
    assert vm.call_id is None and vm.status_line != "Lockdown: the door cannot be opened"
    zh = DoorPanelVM(LocalGateway(), Strings("zh"), clock, "b3-e2")
    assert zh.t("call.unlock_refused") == "小区封控中，门不能打开"
