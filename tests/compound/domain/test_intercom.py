"""The intercom call state machine with plain values and a hand-moved clock: ringing, answers,
opening the door, refusals, busy units, the ring timeout, forwarding to the desk, emergencies."""

from __future__ import annotations

import pytest

from compound.domain.intercom import (
    LIVE,
    REFUSED_IDS_KEPT,
    STATES,
    Announce,
    Call,
    CallRules,
    OpenDoor,
    Outputs,
    Record,
    Ring,
    Switchboard,
    is_stale,
)

T0 = 1_790_000_000.0
RULES = CallRules(ring_timeout_s=45.0, desk="desk", officer="officer", forward_to_desk=True)
UNIT = "3-2-1501"


def states(out: Outputs) -> list[str]:
    return [e.body["state"] for e in out.effects if isinstance(e, Announce)]


def rings(out: Outputs) -> list[str]:
    return [e.group for e in out.effects if isinstance(e, Ring)]


def records(out: Outputs) -> list[tuple[str, str]]:
    return [(e.call.id, e.outcome) for e in out.effects if isinstance(e, Record)]


def opens(out: Outputs) -> list[OpenDoor]:
    return [e for e in out.effects if isinstance(e, OpenDoor)]


def ringing(rules: CallRules = RULES, call_id: str = "c1") -> tuple[Switchboard, Call]:
    sb = Switchboard(rules)
    call, _ = sb.dial(call_id, "d1", UNIT, emergency=False, now=T0)
    return sb, call


# -- dialling ------------------------------------------------------------------------------


def test_a_dial_rings_the_unit_and_says_so_on_the_call_state() -> None:
    sb = Switchboard(RULES)
    call, out = sb.dial("c1", "d1", UNIT, emergency=False, now=T0, snapshot=(b"\xff\xd8", T0 - 1))
    assert call.state == "ringing" and call.group == UNIT and call.deadline == T0 + 45.0
    assert call.snapshot == b"\xff\xd8" and call.snapshot_at == T0 - 1
    assert states(out) == ["ringing"] and rings(out) == [UNIT] and not records(out)
    announce = out.effects[0]
    assert isinstance(announce, Announce) and (announce.door, announce.call_id) == ("d1", "c1")
    assert announce.body == {
        "call_id": "c1",
        "state": "ringing",
        "door": "d1",
        "unit": UNIT,
        "at": T0,
    }
    ring = out.effects[1]
    assert ring == Ring("c1", "d1", UNIT, False, T0)
    assert sb.knows("c1") and sb.calls == {"c1": call}


def test_the_emergency_button_rings_the_officer_whatever_unit_is_named() -> None:
    sb = Switchboard(RULES)
    call, out = sb.dial("e1", "d2", UNIT, emergency=True, now=T0)
    assert call.group == "officer" and rings(out) == ["officer"]
    call, out = Switchboard(RULES).dial("e2", "d2", None, emergency=True, now=T0)
    assert call.group == "officer" and rings(out) == ["officer"]


def test_a_call_that_is_not_an_emergency_needs_a_unit() -> None:
    with pytest.raises(ValueError):
        Switchboard(RULES).dial("c1", "d1", None, emergency=False, now=T0)


@pytest.mark.parametrize(
    ("forward", "first", "expected_states", "expected_rings", "expected_records"),
    [
        # the unit is busy: the desk rings instead
        (True, UNIT, ["busy", "ringing"], ["desk"], []),
        # forwarding off: the call ends as busy
        (False, UNIT, ["busy", "ended"], [], [("c2", "busy")]),
        # the desk itself is busy: nowhere to forward
        (True, "desk", ["busy", "ended"], [], [("c2", "busy")]),
    ],
)
def test_a_second_call_to_a_group_with_a_live_call_is_busy(
    forward: bool,
    first: str,
    expected_states: list[str],
    expected_rings: list[str],
    expected_records: list[tuple[str, str]],
) -> None:
    sb = Switchboard(CallRules(forward_to_desk=forward))
    sb.dial("c1", "d1", first, emergency=False, now=T0)
    call, out = sb.dial("c2", "d2", first, emergency=False, now=T0 + 1)
    assert states(out) == expected_states and rings(out) == expected_rings
    assert records(out) == expected_records
    assert ("c2" in sb.calls) == bool(expected_rings)
    if expected_rings:
        assert call.forwarded_to == "desk" and call.group == "desk" and call.state == "ringing"
        assert call.deadline == T0 + 1 + 45.0
    else:
        assert call.state == "ended"


def test_a_call_to_another_unit_is_not_busy() -> None:
    sb, _ = ringing()
    call, out = sb.dial("c2", "d1", "3-2-1502", emergency=False, now=T0)
    assert states(out) == ["ringing"] and call.group == "3-2-1502"


def test_a_busy_emergency_is_never_forwarded() -> None:
    sb = Switchboard(RULES)
    sb.dial("e1", "d1", None, emergency=True, now=T0)
    _, out = sb.dial("e2", "d2", None, emergency=True, now=T0)
    assert states(out) == ["busy", "ended"] and records(out) == [("e2", "busy")]


# -- the ring timeout ------------------------------------------------------------------------


def test_an_unanswered_call_goes_to_the_desk_once_and_then_ends() -> None:
    sb, call = ringing()
    assert sb.tick(T0 + 44.9).effects == []
    out = sb.tick(T0 + 45.0)
    assert states(out) == ["no_answer", "ringing"] and rings(out) == ["desk"]
    assert call.forwarded_to == "desk" and call.deadline == T0 + 90.0
    assert out.effects[-2] == Announce(
        "d1",
        "c1",
        {"call_id": "c1", "state": "ringing", "door": "d1", "unit": "desk", "at": T0 + 45.0}
        | {"forwarded_to": "desk"},
    )
    assert sb.tick(T0 + 89.0).effects == []
    out = sb.tick(T0 + 90.0)
    assert states(out) == ["no_answer", "ended"] and records(out) == [("c1", "no_answer")]
    assert not sb.calls and sb.tick(T0 + 500).effects == []


@pytest.mark.parametrize(
    ("emergency", "forward"), [(True, True), (False, False)], ids=["emergency", "forward-off"]
)
def test_an_unanswered_call_that_cannot_be_forwarded_ends(emergency: bool, forward: bool) -> None:
    sb = Switchboard(CallRules(forward_to_desk=forward))
    sb.dial("c1", "d1", UNIT, emergency=emergency, now=T0)
    out = sb.tick(T0 + 45.0)
    assert states(out) == ["no_answer", "ended"] and records(out) == [("c1", "no_answer")]


def test_an_answered_call_is_not_unanswered_past_the_ring_timeout() -> None:
    """The ring timeout stops counting once a station answers (the talk time takes over)."""
    sb, call = ringing()
    sb.reply("st-1501", UNIT, "c1", "answer", T0 + 5)
    assert sb.tick(T0 + 60).effects == [] and call.state == "answered"


# -- station replies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "expected_states", "outcome", "opened"),
    [
        ("answer", ["answered"], None, False),
        ("unlock", ["door_opened", "ended"], "door_opened", True),
        ("reject", ["rejected", "ended"], "rejected", False),
        ("hangup", ["ended"], "ended", False),
        ("dance", [], None, False),  # not an action: nothing happens (the service filters it)
    ],
)
def test_what_each_reply_of_the_units_station_does(
    action: str, expected_states: list[str], outcome: str | None, opened: bool
) -> None:
    sb, call = ringing()
    out = sb.reply("st-1501", UNIT, "c1", action, T0 + 3)
    assert out.refused is None
    assert states(out) == expected_states
    assert records(out) == ([("c1", outcome)] if outcome else [])
    want = [OpenDoor("d1", f"intercom: {UNIT} station st-1501", station="st-1501")]
    assert opens(out) == (want if opened else [])
    assert call.door_opened is opened
    assert ("c1" in sb.calls) == (outcome is None)
    if opened:
        # the door opens before the call says so, and the record comes last
        assert isinstance(out.effects[0], OpenDoor) and isinstance(out.effects[-1], Record)
        assert call.answered_by == "st-1501" and call.answered_at == T0 + 3


def test_answer_then_open_keeps_the_time_of_the_answer() -> None:
    sb, call = ringing()
    out = sb.reply("st-1501", UNIT, "c1", "answer", T0 + 2)
    assert out.effects[0] == Announce(
        "d1",
        "c1",
        {"call_id": "c1", "state": "answered", "door": "d1", "unit": UNIT, "at": T0 + 2}
        | {"station": "st-1501"},
    )
    again = sb.reply("st-1501", UNIT, "c1", "answer", T0 + 3)
    assert again.refused is None and again.effects == []  # answering twice changes nothing
    out = sb.reply("st-1501", UNIT, "c1", "unlock", T0 + 9)
    assert states(out) == ["door_opened", "ended"] and len(opens(out)) == 1
    rec = out.effects[-1]
    assert isinstance(rec, Record) and rec.ended_at == T0 + 9
    assert rec.call.answered_at == T0 + 2 and rec.call.answered_by == "st-1501"


@pytest.mark.parametrize(
    ("station", "group", "call_id", "refused"),
    [
        ("st-1502", "3-2-1502", "c1", "reply_wrong_station"),  # a neighbour's station
        ("stranger", None, "c1", "reply_wrong_station"),  # a station nobody registered
        ("desk-1", "desk", "c1", "reply_wrong_station"),  # the desk, before it is called
        ("st-1501", UNIT, "nope", "reply_not_live"),  # no such call
    ],
)
def test_a_station_that_may_not_act_on_the_call_changes_nothing(
    station: str, group: str | None, call_id: str, refused: str
) -> None:
    sb, call = ringing()
    out = sb.reply(station, group, call_id, "unlock", T0 + 1)
    assert out.refused == refused and out.effects == []
    assert call.state == "ringing" and not call.door_opened and "c1" in sb.calls


def test_once_one_station_answered_another_of_the_unit_cannot_act() -> None:
    sb, call = ringing()
    sb.reply("st-1501", UNIT, "c1", "answer", T0 + 1)
    out = sb.reply("st-1501-kitchen", UNIT, "c1", "unlock", T0 + 2)
    assert out.refused == "reply_other_station" and out.effects == []
    assert call.state == "answered" and call.answered_by == "st-1501"


def test_a_reply_to_an_ended_call_is_refused() -> None:
    sb, _ = ringing()
    sb.reply("st-1501", UNIT, "c1", "reject", T0 + 1)
    out = sb.reply("st-1501", UNIT, "c1", "unlock", T0 + 2)
    assert out.refused == "reply_not_live" and out.effects == []


def test_the_desk_answers_a_forwarded_call_and_the_unit_no_longer_can() -> None:
    sb, call = ringing()
    sb.tick(T0 + 45)
    assert sb.reply("st-1501", UNIT, "c1", "unlock", T0 + 46).refused == "reply_wrong_station"
    out = sb.reply("desk-1", "desk", "c1", "unlock", T0 + 47)
    assert opens(out) == [OpenDoor("d1", "intercom: desk station desk-1", station="desk-1")]
    rec = out.effects[-1]
    assert isinstance(rec, Record) and rec.outcome == "door_opened"
    assert rec.call.forwarded_to == "desk" and rec.call.group == "desk"


# -- hanging up ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call_id", "door", "refused"),
    [
        ("c1", "d1", None),  # the calling door
        ("c1", None, None),  # a console (the ACL trusts it)
        ("c1", "d2", "hangup_wrong_door"),  # another door's panel
        ("gone", "d1", "hangup_not_live"),
    ],
)
def test_who_may_hang_up_a_call(call_id: str, door: str | None, refused: str | None) -> None:
    sb, call = ringing()
    out = sb.hang_up(call_id, T0 + 4, door=door)
    assert out.refused == refused
    if refused is None:
        assert states(out) == ["ended"] and records(out) == [("c1", "ended")]
        assert not sb.calls and call.state == "ended"
    else:
        assert out.effects == [] and call.state == "ringing" and "c1" in sb.calls


# -- refused dials ---------------------------------------------------------------------------


def test_a_refused_dial_fails_on_its_state_and_its_id_stays_used() -> None:
    sb = Switchboard(RULES)
    out = sb.refuse("f1", "d1", "unknown door 'd9'", T0)
    assert out.effects == [
        Announce(
            "d1",
            "f1",
            {"call_id": "f1", "state": "failed", "door": "d1", "reason": "unknown door 'd9'"}
            | {"at": T0},
        )
    ]
    assert sb.knows("f1") and not sb.calls


def test_a_refused_dial_carries_a_code_for_the_screen_to_translate() -> None:
    sb = Switchboard(RULES)
    out = sb.refuse("f2", "d1", "no unit 3-2-1601 is registered", T0, "no_such_unit")
    announce = out.effects[0]
    assert isinstance(announce, Announce)
    assert announce.body["state"] == "failed" and announce.body["code"] == "no_such_unit"


def test_the_memory_of_refused_ids_is_bounded_oldest_first() -> None:
    sb = Switchboard(RULES)
    for i in range(REFUSED_IDS_KEPT + 1):
        sb.refuse(f"f{i}", "d1", "no", T0)
    assert len(sb.refused_ids) == REFUSED_IDS_KEPT
    assert not sb.knows("f0") and sb.knows("f1") and sb.knows(f"f{REFUSED_IDS_KEPT}")


@pytest.mark.parametrize(
    ("at", "stale"),
    [(T0, False), (T0 - 30, False), (T0 + 30, False), (T0 - 30.1, True), (T0 + 31, True)],
)
def test_a_dial_signal_too_far_from_now_is_stale(at: float, stale: bool) -> None:
    assert is_stale(at, T0, 30.0) is stale


# -- the states ------------------------------------------------------------------------------


def test_every_state_said_is_a_known_state() -> None:
    said: set[str] = set()

    def note(out: Outputs) -> None:
        said.update(states(out))

    sb = Switchboard(RULES)
    note(sb.refuse("f1", "d1", "no", T0))
    for i, action in enumerate(("answer", "unlock", "reject", "hangup")):
        _, out = sb.dial(f"c{i}", "d1", f"1-1-{i}", emergency=False, now=T0)
        note(out)
        note(sb.reply("st", f"1-1-{i}", f"c{i}", action, T0))
    sb.dial("l1", "d1", "1-1-9", emergency=False, now=T0)
    note(sb.reply("st", "1-1-9", "l1", "unlock", T0, lockdown=True))
    sb.dial("b1", "d1", UNIT, emergency=False, now=T0)
    _, out = sb.dial("b2", "d1", UNIT, emergency=False, now=T0)
    note(out)
    note(sb.tick(T0 + 45))
    note(sb.tick(T0 + 90))
    assert said <= set(STATES) and set(LIVE) <= said
    assert set(STATES) - said == {"dialing"}  # a call is dialing only inside ``dial``


def body_keys(out: Outputs) -> list[set[str]]:
    return [set(e.body) for e in out.effects if isinstance(e, Announce)]


def test_a_state_message_names_the_station_and_forwarding_only_once_they_exist() -> None:
    sb, _ = ringing()
    base = {"call_id", "state", "door", "unit", "at"}
    out = sb.tick(T0 + 45)
    assert body_keys(out) == [base, base | {"forwarded_to"}]
    out = sb.reply("desk-1", "desk", "c1", "answer", T0 + 46)
    assert body_keys(out) == [base | {"forwarded_to", "station"}]


# -- talk time -----------------------------------------------------------------------------


def test_an_answered_call_ends_after_the_talk_time_and_its_station_cannot_open_later() -> None:
    """A station that answered and walked away must not be able to open the door minutes
    later, for whoever stands there then."""
    rules = CallRules(ring_timeout_s=45.0, talk_timeout_s=90.0)
    sb, call = ringing(rules)
    sb.reply("st-1501", UNIT, "c1", "answer", T0 + 5)
    assert not sb.tick(T0 + 94.9).effects  # still within the talk time (answered at T0 + 5)
    out = sb.tick(T0 + 95)
    assert states(out) == ["ended"] and records(out) == [("c1", "talk_timeout")]
    late = sb.reply("st-1501", UNIT, "c1", "unlock", T0 + 120)
    assert late.refused == "reply_not_live" and not opens(late)


def test_within_the_talk_time_the_answering_station_opens_the_door() -> None:
    sb, call = ringing(CallRules(talk_timeout_s=90.0))
    sb.reply("st-1501", UNIT, "c1", "answer", T0 + 5)
    sb.tick(T0 + 60)
    out = sb.reply("st-1501", UNIT, "c1", "unlock", T0 + 60)
    assert [o.door for o in opens(out)] == ["d1"]
