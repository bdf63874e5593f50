"""Which doors ask a named face for the challenge, for whom and when: the pure policy, its
checks of the config's words, and the service's check of ``[[face.doors]]`` against the
cameras and the doors it knows. Unit tests: plain values, times in the site's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from compound.camera_config import CameraWiring, FaceDoorWiring
from compound.config import ConfigError, FaceConfig, load
from compound.domain.clock import ManualClock
from compound.domain.face.challenge_policy import (
    ChallengePolicy,
    DoorChallenge,
    Span,
    Who,
    camera_policy,
    door_challenge,
)
from compound.domain.model import InvalidInput, Role
from compound.services.face_cameras import door_rules
from compound.store.db import Store

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hh: int, mm: int = 0, tz: ZoneInfo = SHANGHAI) -> float:
    """A moment on 2026-11-30 at hh:mm in ``tz``."""
    return datetime(2026, 11, 30, hh, mm, tzinfo=tz).timestamp()


@pytest.mark.parametrize(
    ("span", "inside", "outside"),
    [
        ("22:00-06:00", ["22:00", "23:59", "00:00", "03:15", "05:59"], ["06:00", "12:00", "21:59"]),
        ("07:30-09:00", ["07:30", "08:59"], ["07:29", "09:00", "00:00", "23:59"]),
        ("00:00-24:00", ["00:00", "12:00", "23:59"], []),
        ("18:00-24:00", ["18:00", "23:59"], ["00:00", "17:59"]),
        ("23:00-00:00", ["23:00", "23:59"], ["00:00", "22:59"]),
        (" 9:00 - 17:00 ", ["09:00", "16:59"], ["08:59", "17:00"]),
    ],
)
def test_spans_including_those_across_midnight(
    span: str, inside: list[str], outside: list[str]
) -> None:
    s = Span.parse(span)

    def minute(t: str) -> int:
        h, m = t.split(":")
        return int(h) * 60 + int(m)

    assert [t for t in inside if not s.covers(minute(t))] == []
    assert [t for t in outside if s.covers(minute(t))] == []


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("22-06", "write from-to"),
        ("22:00", "write from-to"),
        ("25:00-06:00", "HH:MM from 00:00 to 24:00"),
        ("22:61-06:00", "HH:MM from 00:00 to 24:00"),
        ("24:00-06:00", "write 00:00 instead"),
        ("08:00-08:00", "empty"),
        ("", "write from-to"),
    ],
)
def test_a_bad_span_says_how_to_write_it(text: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        Span.parse(text)


def test_always_and_never_ignore_who_and_when() -> None:
    always = door_challenge("gate", "always")
    never = door_challenge("b3", "never")
    for person, role in ((7, Role.OWNER), (8, Role.VISITOR), (9, None)):
        for minute in (0, 600, 1439):
            assert always.required(person, role, minute)
            assert not never.required(person, role, minute)


def test_people_by_role_or_id() -> None:
    rule = door_challenge("gate", "people", roles=["Tenant", "visitor"], people=[42])
    assert rule.required(1, Role.TENANT, 600)
    assert rule.required(2, Role.VISITOR, 600)
    assert rule.required(42, Role.OWNER, 600)  # listed by id whatever the role
    assert not rule.required(3, Role.OWNER, 600)
    assert not rule.required(4, Role.FAMILY, 0)
    # Doubt asks: a face not named, a person whose role is not known.
    assert rule.required(None, None, 600)
    assert rule.required(5, None, 600)


def test_people_by_tenant_layer() -> None:
    """Only the tenants the rental register puts in the focus layer (重点层); a tenant not yet
    layered is asked (doubt); the layer of someone who is not a tenant does not count."""
    rule = door_challenge("gate", "people", layers=["重点层", "watch"])
    assert rule.layers == frozenset({"focus", "watch"})
    assert rule.required(1, Role.TENANT, 600, "focus")
    assert rule.required(1, Role.TENANT, 600, "watch")
    assert not rule.required(1, Role.TENANT, 600, "stable")
    assert rule.required(1, Role.TENANT, 600, None)
    assert not rule.required(2, Role.OWNER, 600, None)
    assert not rule.required(2, Role.OWNER, 600, "focus")
    policy = ChallengePolicy((rule,))
    assert policy.required(["gate"], 1, Who(Role.TENANT, "focus"), at(12), SHANGHAI)
    assert not policy.required(["gate"], 1, Who(Role.TENANT, "stable"), at(12), SHANGHAI)
    assert policy.required(["gate"], 1, None, at(12), SHANGHAI)  # nothing known: asked


def test_hours_for_everyone_at_night_only() -> None:
    rule = door_challenge("gate", "hours", hours=["22:00-06:00"])
    assert rule.required(1, Role.OWNER, 23 * 60)
    assert rule.required(1, Role.OWNER, 2 * 60)
    assert not rule.required(1, Role.OWNER, 6 * 60)
    assert not rule.required(1, Role.OWNER, 12 * 60)
    assert rule.required(None, None, 12 * 60)  # not named: asked


def test_people_or_hours_and_people_at_hours() -> None:
    either = door_challenge("gate", "people or hours", roles=["tenant"], hours=["22:00-06:00"])
    both = door_challenge("gate", "people at hours", roles=["tenant"], hours=["22:00-06:00"])
    noon, night = 12 * 60, 23 * 60
    assert either.required(1, Role.TENANT, noon) and either.required(1, Role.TENANT, night)
    assert either.required(2, Role.OWNER, night) and not either.required(2, Role.OWNER, noon)
    assert both.required(1, Role.TENANT, night) and not both.required(1, Role.TENANT, noon)
    assert not both.required(2, Role.OWNER, night) and not both.required(2, Role.OWNER, noon)


def test_several_spans() -> None:
    rule = door_challenge("gate", "hours", hours=["07:00-09:00", "17:30-19:00", "23:00-01:00"])
    asked = [h for h in range(24) if rule.required(1, Role.OWNER, h * 60)]
    assert asked == [0, 7, 8, 18, 23]


@pytest.mark.parametrize(
    ("kw", "says"),
    [
        ({"mode": "sometimes"}, "challenge 'sometimes' is not known; write one of"),
        ({"mode": "people"}, "needs roles"),
        ({"mode": "hours"}, "needs hours"),
        ({"mode": "people at hours", "roles": ["tenant"]}, "needs hours"),
        ({"mode": "people", "roles": ["landlord"]}, "unknown role 'landlord'; roles are owner"),
        ({"mode": "people", "people": ["Wang"]}, "person ids"),
        ({"mode": "people", "people": [0]}, "person ids"),
        ({"mode": "people", "people": [True]}, "person ids"),
        ({"mode": "always", "hours": ["22:00-06:00"]}, 'hours count only with challenge = "hours"'),
        ({"mode": "never", "roles": ["tenant"]}, "roles, layers and people count only"),
        ({"mode": "hours", "hours": ["22:00-06:00"], "people": [4]}, "roles, layers and people"),
        ({"mode": "always", "layers": ["focus"]}, "roles, layers and people count only"),
        ({"mode": "people", "layers": ["high"]}, "unknown tenant layer 'high'; layers are focus"),
        ({"mode": "hours", "hours": ["late"]}, "malformed hours 'late'"),
    ],
)
def test_a_bad_rule_says_what_to_write(kw: dict[str, object], says: str) -> None:
    mode = str(kw.pop("mode"))
    with pytest.raises(InvalidInput, match=says) as e:
        door_challenge("gate", mode, **kw)  # type: ignore[arg-type]
    assert "face door 'gate'" in str(e.value) or "hours" in str(e.value)


def test_the_policy_asks_by_the_site_local_time() -> None:
    """22:00-06:00 is the night in Shanghai: 23:00 there is 15:00 UTC."""
    policy = ChallengePolicy((door_challenge("gate", "hours", hours=["22:00-06:00"]),))
    assert policy.required(["gate"], 7, Who(Role.OWNER), at(23), SHANGHAI)
    assert policy.required(["gate"], 7, Who(Role.OWNER), at(5, 59), SHANGHAI)
    assert not policy.required(["gate"], 7, Who(Role.OWNER), at(6), SHANGHAI)
    assert not policy.required(["gate"], 7, Who(Role.OWNER), at(15, tz=UTC), UTC)
    assert policy.required(["gate"], 7, Who(Role.OWNER), at(15, tz=UTC), SHANGHAI)


def test_one_asking_door_asks_a_door_without_a_rule_asks() -> None:
    """One request opens every door of the camera that serves the person: if one of them
    asks, the face is asked. No door, or a door the policy does not know: asked."""
    policy = ChallengePolicy(
        (door_challenge("gate", "never"), door_challenge("b3", "people", roles=["tenant"]))
    )
    noon = at(12)
    assert not policy.required(["gate"], 7, Who(Role.TENANT), noon, SHANGHAI)
    assert policy.required(["gate", "b3"], 7, Who(Role.TENANT), noon, SHANGHAI)
    assert not policy.required(["gate", "b3"], 7, Who(Role.OWNER), noon, SHANGHAI)
    assert policy.required(["gate", "b9"], 7, Who(Role.OWNER), noon, SHANGHAI)
    assert policy.required([], 7, Who(Role.OWNER), noon, SHANGHAI)
    assert policy.required(["gate"], None, None, noon, SHANGHAI)
    assert policy.required(["gate"], 7, Who(Role.OWNER), float("inf"), SHANGHAI)  # no local time


def test_a_camera_s_doors_take_its_challenge_unless_they_have_their_own() -> None:
    rules = [door_challenge("gate", "never")]
    p = camera_policy(["gate", "b3"], "always", rules)
    assert p.rule("gate") == DoorChallenge("gate", "never")
    assert p.rule("b3") == DoorChallenge("b3", "always")
    assert p.asks_anyone()
    quiet = camera_policy(["gate", "b3"], "never", [])
    assert not quiet.asks_anyone()
    assert not quiet.required(["gate", "b3"], 7, Who(Role.OWNER), at(12), SHANGHAI)
    # A camera that never asks at a door that asks by the hour: the door's rule wins.
    night = camera_policy(
        ["gate"], "never", [door_challenge("gate", "hours", hours=["22:00-06:00"])]
    )
    assert night.asks_anyone()
    assert night.required(["gate"], 7, Who(Role.OWNER), at(23), SHANGHAI)


def test_the_service_checks_face_doors_against_its_cameras_and_doors() -> None:
    cams = [CameraWiring("gate-cam", "replay:x", ["gate"]), CameraWiring("b3-cam", "x", ["b3"])]
    known = {"gate", "b3", "b7"}.__contains__
    ok = FaceConfig(
        cameras=cams,
        doors=[
            FaceDoorWiring("gate", "hours", hours=["22:00-06:00"]),
            FaceDoorWiring("b3", "people", roles=["tenant"], people=[12]),
        ],
    )
    rules = door_rules(ok, known)
    assert [(r.door, r.mode) for r in rules] == [("gate", "hours"), ("b3", "people")]
    assert rules[1].roles == frozenset({Role.TENANT}) and rules[1].people == frozenset({12})

    def bad(*doors: FaceDoorWiring) -> str:
        with pytest.raises(InvalidInput) as e:
            door_rules(FaceConfig(cameras=cams, doors=list(doors)), known)
        return str(e.value)

    assert "unknown door" in bad(FaceDoorWiring("b9", "never"))
    assert "no camera watches it" in bad(FaceDoorWiring("b7", "never"))
    assert "two [[face.doors]] entries" in bad(
        FaceDoorWiring("gate", "never"), FaceDoorWiring("gate", "always")
    )
    assert "needs the door's id" in bad(FaceDoorWiring("", "never"))
    assert "needs hours" in bad(FaceDoorWiring("gate", "hours"))


def test_face_doors_in_the_config_file(tmp_path: Path) -> None:
    """The config file's words, as a site writes them; a mode that does not exist stops the
    load with the file, the key and what is allowed."""
    path = tmp_path / "compound.toml"
    path.write_text(
        '[[face.cameras]]\nid = "gate-cam"\nsource = "rtsp://10.0.0.21/s"\ndoors = ["gate"]\n'
        '[[face.doors]]\nid = "gate"\nchallenge = "people or hours"\n'
        'roles = ["tenant", "visitor"]\npeople = [17]\nhours = ["22:00-06:00"]\n'
        'layers = ["重点层"]\n',
        encoding="utf-8",
    )
    (door,) = load(path).face.doors
    assert door == FaceDoorWiring(
        "gate", "people or hours", ["tenant", "visitor"], [17], ["22:00-06:00"], ["重点层"]
    )
    path.write_text('[[face.doors]]\nid = "gate"\nchallenge = "sometimes"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"face.doors\[0\].challenge is 'sometimes'; allowed"):
        load(path)
    path.write_text('[[face.doors]]\nid = "gate"\nhours = "22:00-06:00"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="must be a list"):
        load(path)


def test_the_service_knows_each_person_s_role_and_tenant_layer(store: Store) -> None:
    """What a door rule may ask about a named face comes from the register: the role, and the
    layer the property office gave a tenant (read again with the gallery)."""
    from compound.services import rental
    from compound.services.face_cameras import FaceCameras

    store.add_unit("3-2-1501")
    owner = store.add_person("Owner", "3-2-1501", "owner")
    tenant = store.add_person("Tenant", "3-2-1501", "tenant")
    rental.set_tenant_layer(store, tenant, "focus", "manager Li")
    bus = SimpleNamespace(topics=None)
    svc = FaceCameras(store, bus, ManualClock(), FaceConfig(), [], None)  # type: ignore[arg-type]
    _gallery, _people, who = svc._galleries([])
    assert who[owner] == Who(Role.OWNER) and who[tenant] == Who(Role.TENANT, "focus")
