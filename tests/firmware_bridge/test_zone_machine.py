"""One alarm zone's input as values: normally closed and open, debounce, trips, the board
going away, and the wiring check of ``[[bridge.zones]]``."""

from __future__ import annotations

import pytest

from compound.config import BoardWiring, DoorWiring, ZoneWiring
from firmware_bridge import mcu_protocol as mp
from firmware_bridge.zones import ZoneMachine, check_zones

NC = ZoneWiring("north", "North fence", board="b1", input=5, debounce_s=0.3)
NO = ZoneWiring("hall", "Hall PIR", board="b1", input=6, kind="intrusion", normally="open")


def test_a_normally_closed_loop_that_opens_for_the_debounce_time_trips_once() -> None:
    z = ZoneMachine(NC)
    assert z.reading(True, 0.0, 100.0) and z.state == "normal" and z.trip is None
    assert not z.reading(False, 1.0, 101.0)  # the loop opened: not yet
    assert not z.reading(False, 1.29, 101.29)
    assert z.reading(False, 1.3, 101.3) and z.state == "alarm"
    assert z.trip is not None and z.trip["at"] == 101.3
    first = z.trip["id"]
    assert not z.reading(False, 5.0, 105.0)  # still in alarm: no second trip
    assert not z.reading(True, 6.0, 106.0)
    assert z.reading(True, 6.5, 106.5) and z.state == "normal"
    assert z.trip["id"] == first  # the last trip is kept after the zone is normal again
    assert not z.reading(False, 7.0, 107.0) and z.reading(False, 7.4, 107.4)
    assert z.trip["id"] != first


def test_a_glitch_shorter_than_the_debounce_is_no_trip() -> None:
    z = ZoneMachine(NC)
    z.reading(True, 0.0, 100.0)
    assert not z.reading(False, 1.0, 101.0)
    assert not z.reading(True, 1.2, 101.2)  # back before 0.3 s: the count starts again
    assert not z.reading(False, 1.4, 101.4)
    assert not z.reading(False, 1.6, 101.6)
    assert z.state == "normal" and z.trip is None


def test_normally_open_trips_when_the_contact_closes() -> None:
    z = ZoneMachine(NO)
    assert z.reading(False, 0.0, 100.0) and z.state == "normal"
    assert not z.reading(True, 0.1, 100.1)
    assert z.reading(True, 0.4, 100.4) and z.state == "alarm"
    report = z.report(100.5)
    assert report["kind"] == "intrusion" and report["name"] == "Hall PIR"


def test_the_first_reading_is_taken_as_it_is_and_offline_resets() -> None:
    """A zone found in alarm when the board answers is in alarm (a cut wire at boot too)."""
    z = ZoneMachine(NC)
    assert z.reading(False, 0.0, 100.0) and z.state == "alarm" and z.trip is not None
    assert z.offline() and z.state == "offline" and not z.offline()
    assert z.reading(True, 1.0, 101.0) and z.state == "normal"


BOARDS = [BoardWiring("b1", "loop://", 9600, 1, 8, 7)]
DOORS = [DoorWiring("d1", "b1", 0, 0, 1, 2)]


@pytest.mark.parametrize(
    ("zone", "message"),
    [
        (ZoneWiring("a/b", board="b1"), "zone id"),
        (ZoneWiring("z", board="b9"), "unknown board or MCU"),
        (ZoneWiring("z", board="b1", input=9), "reads only 8"),
        (ZoneWiring("z", board="b1", input=1), "wired twice"),  # the door's exit button
        (ZoneWiring("z", board="b1", input=7), "wired twice"),  # the fire input
    ],
)
def test_the_wiring_check_names_the_mistake(zone: ZoneWiring, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_zones([zone], BOARDS, DOORS)


def test_two_zones_with_one_name_are_refused() -> None:
    with pytest.raises(ValueError, match="two zones"):
        check_zones([NC, ZoneWiring("north", board="b1", input=4)], BOARDS, DOORS)
    check_zones([NC, NO], BOARDS, DOORS)  # a good wiring passes


def test_the_fault_bit_makes_the_zone_tamper_and_its_end_normal_again() -> None:
    """End-of-line supervision: the board's own bit for a cut or shorted loop, debounced."""
    w = ZoneWiring("north", board="b1", input=5, fault_input=6, debounce_s=0.3)
    z = ZoneMachine(w)
    assert z.reading(True, 0.0, 100.0, fault=False) and z.state == "normal"
    assert not z.reading(True, 1.0, 101.0, fault=True)
    assert z.reading(True, 1.5, 101.5, fault=True) and z.state == "tamper"
    assert z.tamper is not None and z.tamper["at"] == 101.5 and z.trip is None
    assert z.report(102.0)["tamper"] == z.tamper
    assert not z.reading(True, 2.0, 102.0, fault=False)
    assert z.reading(True, 2.5, 102.5, fault=False) and z.state == "normal"


def test_a_fault_input_is_checked_like_the_zones_input() -> None:
    with pytest.raises(ValueError, match="input 2 of b1 is wired twice"):
        check_zones([ZoneWiring("z", board="b1", input=5, fault_input=2)], BOARDS, DOORS)
    with pytest.raises(ValueError, match="on input 8"):
        check_zones([ZoneWiring("z", board="b1", input=5, fault_input=8)], BOARDS, DOORS)


def test_a_zone_frame_is_read_within_bounds() -> None:
    assert mp.parse_zone(bytes([3, 1])) == (3, "alarm")
    assert mp.parse_zone(bytes([15, 2])) == (15, "fault")
    for bad in (b"", b"\x03", bytes([16, 0]), bytes([0, 3]), bytes([1, 1, 1])):
        with pytest.raises(ValueError, match="zone needs 2 bytes"):
            mp.parse_zone(bad)
    frame = mp.Frame(mp.ZONE, bytes([2, 0]))
    (back,) = mp.FrameReader().feed(mp.encode(frame))
    assert back == frame and back.name == "zone"


def test_an_mcus_zone_frame_counts_at_once_and_only_on_a_change() -> None:
    """The MCU debounced it; a repeated frame (after its power-up) is no second trip."""
    w = ZoneWiring("hall", board="m1", input=2, kind="intrusion")
    z = ZoneMachine(w)
    assert z.reading(True, 0.0, 100.0, settled=True) and z.state == "normal"  # closed loop
    assert z.reading(False, 0.01, 100.01, settled=True) and z.state == "alarm"
    first = z.trip
    assert not z.reading(False, 0.02, 100.02, settled=True) and z.trip == first


def test_an_mcu_zone_takes_no_fault_input_and_its_inputs_are_0_to_15() -> None:
    check_zones([ZoneWiring("hall", board="m1", input=15)], BOARDS, DOORS, ["m1"])
    with pytest.raises(ValueError, match="on input 16"):
        check_zones([ZoneWiring("hall", board="m1", input=16)], BOARDS, DOORS, ["m1"])
    with pytest.raises(ValueError, match="fault_input = -1"):
        check_zones([ZoneWiring("hall", board="m1", fault_input=3)], BOARDS, DOORS, ["m1"])
