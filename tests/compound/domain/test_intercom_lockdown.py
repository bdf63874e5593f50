"""A station's unlock during a lockdown, with plain values: a resident's station opens nothing
and is told why, the call goes on; the officer's station opens an emergency's door as an
override; nothing changes outside a lockdown."""

from __future__ import annotations

from compound.domain.intercom import OpenDoor, Outputs, Switchboard, TellStations
from tests.compound.domain.test_intercom import RULES, T0, UNIT, opens, records, ringing, states


def told(out: Outputs) -> list[TellStations]:
    return [e for e in out.effects if isinstance(e, TellStations)]


def test_a_residents_unlock_in_lockdown_opens_nothing_and_the_call_goes_on() -> None:
    sb, call = ringing()
    sb.reply("st-1501", UNIT, "c1", "answer", T0 + 1)
    out = sb.reply("st-1501", UNIT, "c1", "unlock", T0 + 2, lockdown=True)
    assert opens(out) == [] and records(out) == []
    assert states(out) == ["unlock_refused"] and call.state == "answered"
    (tell,) = told(out)
    assert tell.group == UNIT and tell.body["reason"] == "lockdown"
    assert tell.body["call_id"] == "c1" and "lockdown" in tell.body["message"]
    # The call is still the station's: after the lockdown its unlock opens the door.
    out = sb.reply("st-1501", UNIT, "c1", "unlock", T0 + 3, lockdown=False)
    assert [(o.door, o.override) for o in opens(out)] == [("d1", False)]


def test_unlock_while_ringing_in_lockdown_answers_the_call_and_only_that() -> None:
    sb, call = ringing()
    out = sb.reply("st-1501", UNIT, "c1", "unlock", T0 + 1, lockdown=True)
    assert states(out) == ["answered", "unlock_refused"] and opens(out) == []
    assert call.answered_by == "st-1501" and call.deadline == T0 + 1 + RULES.talk_timeout_s
    # Another station of the unit cannot take the call over now.
    assert sb.reply("st-other", UNIT, "c1", "unlock", T0 + 2).refused == "reply_other_station"


def test_the_officer_opens_an_emergencys_door_in_lockdown_as_an_override() -> None:
    sb = Switchboard(RULES)
    sb.dial("e1", "d1", None, emergency=True, now=T0)
    sb.reply("officer-wall", "officer", "e1", "answer", T0 + 1)
    out = sb.reply("officer-wall", "officer", "e1", "unlock", T0 + 2, lockdown=True)
    reason = "intercom: officer station officer-wall"
    assert opens(out) == [OpenDoor("d1", reason, override=True, station="officer-wall")]
    assert told(out) == [] and records(out) == [("e1", "door_opened")]


def test_a_desk_call_in_lockdown_is_refused_like_a_residents() -> None:
    """Only the officer's emergency is an override: the property desk answering a forwarded
    call is told the door stays shut."""
    sb, _ = ringing()
    sb.tick(T0 + RULES.ring_timeout_s)  # forwarded to the desk
    out = sb.reply("desk-1", "desk", "c1", "unlock", T0 + 50, lockdown=True)
    assert opens(out) == [] and [t.group for t in told(out)] == ["desk"]


def test_outside_a_lockdown_the_officer_unlock_is_no_override() -> None:
    sb = Switchboard(RULES)
    sb.dial("e1", "d1", None, emergency=True, now=T0)
    out = sb.reply("officer-wall", "officer", "e1", "unlock", T0 + 1)
    assert [o.override for o in opens(out)] == [False]
    assert told(out) == [] and states(out) == ["door_opened", "ended"]
