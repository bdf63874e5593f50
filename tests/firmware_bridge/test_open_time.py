"""One open time per door (issue 14): the core's door record. Every unlock command carries it
(access, remote, intercom), and the bridge uses the last one it carried out for the exit button
too, instead of its own config's ``open_time_s``."""

from __future__ import annotations

import json

import pytest

from compound.domain.clock import ManualClock
from compound.protocol.messages import DoorCommand
from firmware_bridge.door_state import DoorMachine, DoorSetup
from tests.firmware_bridge.conftest import EXIT, Rig, wait_for
from tests.firmware_bridge.test_command_answers import answer


def test_the_exit_button_opens_for_the_last_commanded_open_time() -> None:
    clock = ManualClock()
    m = DoorMachine(DoorSetup("a", open_time_s=3), clock)
    m.link(True)
    assert m.exit_button().events[-1] == ("unlocked", {"reason": "exit button", "seconds": 3})
    m.tick()
    clock.advance(3)
    m.tick()  # relocked: the config's time, before the core said anything
    assert not m.released
    m.unlock(9.0, "card access")
    clock.advance(9)
    m.tick()
    assert m.exit_button().events[-1] == ("unlocked", {"reason": "exit button", "seconds": 9.0})
    clock.advance(8.9)
    m.tick()
    assert m.released  # still open: the door's time, not the bridge config's 3 s
    clock.advance(0.2)
    m.tick()
    assert not m.released
    m.unlock(None, "old core")  # a command without a duration keeps the door's last time
    assert m.relock_at == pytest.approx(clock.monotonic() + 9.0)


@pytest.mark.integration
def test_every_unlock_path_carries_the_door_records_open_time(rig: Rig) -> None:
    """The rig's bridge config says 3 s, the core's door record for d1 says 5 s (`door add`'s
    default): the card, the remote open and the intercom's unlock all carry 5 s, and so does
    the exit button after."""
    console = rig.bus("console")
    rig.mcu.card(10001)  # access
    wait_for(lambda: rig.messages("door/d1/cmd"), what="the card's command")
    remote = console.request("door.unlock", {"door": "d1", "reason": "parcel"})
    answer(rig, remote["command_id"])
    # What the intercom does when a resident answers and opens (services/intercom.py).
    rig.core.send_command("d1", "unlock", "intercom: 3-2-1501")
    cmds = wait_for(
        lambda: (c := rig.messages("door/d1/cmd")) and len(c) == 3 and c, what="three commands"
    )
    assert [DoorCommand.decode(m.payload).duration_s for m in cmds] == [5.0, 5.0, 5.0]
    console.request("lockdown.set", {"on": True, "by": "officer"})  # relocks; exit still works
    wait_for(lambda: rig.board.coils[0] is False, what="relocked")
    before = len(rig.messages("door/d1/event"))
    rig.board.set_input(EXIT, True)
    wait_for(lambda: rig.board.coils[0] is True, what="exit release")
    unlocked = wait_for(
        lambda: [
            e
            for m in rig.messages("door/d1/event")[before:]
            if (e := json.loads(m.payload))["type"] == "unlocked"
        ],
        what="the exit button's release",
    )
    assert unlocked[0]["data"] == {"reason": "exit button", "seconds": 5.0}
