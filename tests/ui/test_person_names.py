"""The names in the wall's passage lines: a passage of someone not named yet is drawn once, with
the name, when the core has answered (or with the person's number when it could not)."""

from __future__ import annotations

from typing import Any

from compound.domain.clock import ManualClock
from compound.ports import BusError
from ui.gateway import LocalGateway
from ui.i18n import Strings
from ui.viewmodels.officer import OfficerVM


def passage(seq: int, who: int | None, clock: ManualClock) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": clock.now(),
        "type": "access.granted",
        "person_id": who,
        "door_id": "g",
    }


def names_held() -> tuple[ManualClock, LocalGateway]:
    """A clock, and a gateway answering names ("名7" for 7) only when released."""
    gw = LocalGateway({"person.names": lambda p: {str(i): f"名{i}" for i in p["ids"]}})
    gw.hold_replies = True
    return ManualClock(1_700_000_000), gw


def wall(gw: LocalGateway, clock: ManualClock) -> tuple[OfficerVM, list[str]]:
    """The wall, and the last passage's line each time it asked to be drawn again."""
    vm = OfficerVM(gw, Strings("en"), clock)
    drawn: list[str] = []
    vm.listeners.append(lambda: drawn.append(vm.passage_line(vm.passages[-1])))
    return vm, drawn


def test_a_passage_is_drawn_once_with_the_name_once_the_core_answered() -> None:
    clock, gw = names_held()
    vm, drawn = wall(gw, clock)
    gw.deliver("events/access.granted", passage(1, 7, clock))
    assert drawn == [], "not drawn with '#7' while the name is on its way"
    gw.release()
    assert len(drawn) == 1 and "名7" in drawn[0]
    gw.deliver("events/access.granted", passage(2, 7, clock))
    assert len(drawn) == 2 and "名7" in drawn[1], "a known name: drawn at once"
    gw.deliver("events/access.granted", passage(3, None, clock))
    assert len(drawn) == 3, "a passage without a person is drawn at once"
    assert [m for m, _ in gw.requests] == ["person.names"]


def test_a_second_passage_while_the_name_is_asked_waits_for_the_same_answer() -> None:
    clock, gw = names_held()
    vm, drawn = wall(gw, clock)
    gw.deliver("events/access.granted", passage(1, 7, clock))
    gw.deliver("events/access.granted", passage(2, 7, clock))
    assert drawn == [] and len(gw.requests) == 1
    gw.release()
    assert drawn == [vm.passage_line(vm.passages[-1])] and "名7" in drawn[0]


def test_a_lost_answer_still_draws_the_passage_with_the_persons_number() -> None:
    clock = ManualClock(1_700_000_000)

    def lost(_p: dict[str, Any]) -> dict[str, str]:
        raise BusError("no answer")

    gw = LocalGateway({"person.names": lost})
    vm, drawn = wall(gw, clock)
    gw.deliver("events/access.granted", passage(1, 7, clock))
    assert len(drawn) == 1 and "#7" in drawn[0]
