"""The door panel's dialling hint says what a resident dials there: at a door of one building
entrance only the room (the core completes it with the entrance); at a gate or a door of
several entrances the whole number."""

from __future__ import annotations

import pytest

from compound.domain.clock import ManualClock
from tests.ui.fake_doors import door_api
from ui.gateway import LocalGateway
from ui.i18n import Strings
from ui.viewmodels.door import DoorPanelVM


@pytest.mark.parametrize(
    ("serves", "lang", "hint"),
    [
        (["3-2"], "zh", "请输入房号, 如 1501"),
        (["3-2"], "en", "Dial the room, e.g. 1501"),
        (["3"], "zh", "楼号-单元-房号, 如 3-2-1501"),
        (["3-1", "3-2"], "zh", "楼号-单元-房号, 如 3-2-1501"),
        (["*"], "en", "Building-entrance-room, e.g. 3-2-1501"),
        (["3-2-1501"], "zh", "楼号-单元-房号, 如 3-2-1501"),
    ],
)
def test_the_hint_follows_what_the_door_serves(
    clock: ManualClock, serves: list[str], lang: str, hint: str
) -> None:
    gw = LocalGateway(door_api([{"id": "d1", "name": "3号楼2单元", "serves": serves}]))
    vm = DoorPanelVM(gw, Strings(lang), clock, "d1")
    assert vm.hint == Strings(lang)("door.dial_hint"), "the whole number until the core says"
    vm.load()
    assert vm.hint == hint


def test_a_room_dialled_where_the_hint_asks_for_it_goes_to_the_core_as_a_room(
    clock: ManualClock,
) -> None:
    gw = LocalGateway(door_api([{"id": "d1", "name": "3号楼2单元", "serves": ["3-2"]}]))
    vm = DoorPanelVM(gw, Strings("zh"), clock, "d1")
    vm.load()
    for key in "1501":
        vm.key(key)
    vm.dial()
    dialled = [p for t, p in gw.published if t.endswith("/call")]
    assert dialled and dialled[-1]["room"] == "1501" and "unit" not in dialled[-1]
