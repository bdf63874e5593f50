"""Who may speak on the bus: roles, the Mosquitto ACL they produce, and password hashes.

Pure: plain values in, file text out. ``compound.app.devices`` keeps the devices in the database and
writes the files; Mosquitto enforces them. Every client has its own user name; the ACL is written
per user with literal topics (no ``pattern`` lines), because a client chooses its own client id
and a rule keyed on ``%c`` would let it pick someone else's.

The broker does not tell a subscriber who published a message, so API requests say it in the
topic, ``api/<user>/<method>``, and each user may write requests under its own name only: the
core takes the asker from the topic and logs that, not the name typed in the request. The user
name is what ``pattern write .../api/%u/...`` would substitute, but Mosquitto applies pattern
lines to every user (mosquitto.conf(5)), which would give a door panel every console method;
so each user's block names it literally, with its role's methods. Replies come under the user
name too (``reply/<user>/<client id>/<method>``, see ``compound.adapters.mqtt``), each user
reads ``reply/<its name>/#`` and no other's, and the server answers a request only there.

The site is part of every topic (``compound/<site>/...``), so the file is written for one site.
A role names what a device is; its options (doors, unit, camera) name what it is about.

| role    | publishes                                         | subscribes                       |
|---------|---------------------------------------------------|----------------------------------|
| core    | everything under compound/<site>/, HA discovery   | everything under compound/<site>/|
|         |                                                   | and HA discovery                 |
| console | api/<name>/#                                      | events/#, own replies, door      |
|         |                                                   | states and acks, call states,    |
|         |                                                   | face/+/frame                     |
| panel   | api/<name>/door.list|notice.list,                 | own replies, access/<door>/result|
|         | intercom/<door>/call (dial, hang up, emergency),  | face/<camera>/frame|result,      |
|         | access/<door>/request/panel                       | notice, own door's call states,  |
|         |                                                   | availability                     |
| bridge  | door/<door>/state|event|ack, access/<door>/request | door/<door>/cmd                  |
|         | intercom/<door>/call, zone/<name>/+/state,        |                                  |
|         | device/<name>/doors (the doors it is wired for),  |                                  |
|         | its doors' HA discovery: homeassistant/lock/      |                                  |
|         | <site>_<door>/config, homeassistant/binary_sensor/|                                  |
|         | <site>_<door>_<sensor>/config (no wildcard)       |                                  |
| relay   | door/<door>/state|event|ack                       | door/<door>/cmd                  |
| face    | access/+/request/face, face/+/result|frame|state, | api/+/<face methods>             |
|         | replies                                           |                                  |
| station | intercom/station/<name>/reply,                    | intercom/unit/<unit>/ring, own   |
|         | api/<name>/pass.station_issue|list|revoke         | replies                          |
| ha      | ha/<name>/door/+/set (its lock's UNLOCK, which    | door states, availability,       |
|         | the core carries out as a remote open by <name>)  | homeassistant/# (discovery)      |
| wall    | api/<name>/<the wall's methods> (lockdown and     | own replies, events/#, door      |
|         | remote opens by card or PIN: the core decides),   | states, availability, its ring   |
|         | intercom/station/<name>/reply (its answers)       | group's rings, call states,      |
|         |                                                   | face/+/frame (the caller),       |
|         |                                                   | site/lockdown, door acks, zone   |
|         |                                                   | states                           |

Every role except the station may also publish its own ``device/<name>/availability`` (the
last will of our bus clients); the station is a third-party device that needs nothing but its
reply topic and, to issue visitor passes, the station methods.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from compound.domain.model import InvalidInput, UnitAddress
from compound.protocol.topics import Topics, ha_door_discovery_topics, valid_segment

ROLES = ("core", "console", "panel", "bridge", "relay", "face", "station", "ha", "wall")

# API methods a door panel calls (ui/viewmodels/door.py): its own door and active notices (the
# core answers a panel's door.show, door.list and notice.list for the door it was registered at
# only: services/panel_asker.py). The core and its extensions serve many more (people, alarms,
# door.unlock); a panel stands in a public hallway and gets only these. Its calls (dial, hang
# up, emergency) go on its own door's intercom/<door>/call, not through
# call.start/call.hangup/emergency.call: the broker cannot look inside API parameters, but it
# can hold a panel to one door's topic, and the core takes the calling door from that topic.
PANEL_METHODS = ("door.list", "door.show", "notice.list")
# API methods the officer wall calls (ui/viewmodels/officer*.py): what it shows, the
# acknowledgement of alarms by an identified duty officer (``alarm.ack_officer``: card or PIN,
# never ``alarm.ack`` with a typed name), and the officer's lockdown and remote opens, by card or
# PIN too (``lockdown.set_officer``, ``door.unlock_officer``, never the typed-name
# ``lockdown.set`` and ``door.unlock``; the core decides and logs them; a remote open in lockdown
# is an override the wall may make: docs/security.md), and arming and disarming alarm zones the
# same way (``zone.arm_officer``, ``zone.disarm_officer``, never ``zone.arm``/``zone.disarm``).
# It answers calls as a station of its ring group (``unit``) on its own reply topic, so it needs
# none of the call methods, and it never writes a door command itself.
WALL_METHODS = (
    "status",
    "door.list",
    "alarm.page",
    "alarm.ack_officer",
    "alarm.snapshot",
    "events.page",
    "stats.hourly",
    "elderly.unseen",
    "visit.due",
    "strangers.repeat",
    "passages.search",
    "person.names",
    "person.list",
    "siteplan.get",
    "lockdown.set_officer",
    "door.unlock_officer",
    # the alarm zones' panel: their states, and arming by card or PIN (never zone.arm/disarm)
    "zone.list",
    "zone.arm_officer",
    "zone.disarm_officer",
)
# Call methods that name the door in their parameters: for the consoles only, never a panel.
CONSOLE_CALL_METHODS = ("call.start", "call.hangup", "emergency.call")
# API methods an indoor station calls: visitor passes for its own unit (services/station_passes.py).
STATION_METHODS = ("pass.station_issue", "pass.station_list", "pass.station_revoke")
# API methods the face service serves (compound/face/service.py); the manager console calls
# them for enrolment. The face service itself calls no API method.
FACE_METHODS = ("face.enroll", "face.quality", "face.delete")

PBKDF2_ITERATIONS = 1000  # the password is 32 random characters; iterations add little to it


@dataclass(frozen=True)
class Device:
    name: str
    role: str
    doors: tuple[str, ...] = ()
    unit: str | None = None
    cameras: tuple[str, ...] = ()
    methods: tuple[str, ...] = field(default=())  # extra API methods beyond the role's own

    def __post_init__(self) -> None:
        check_device(self)


def check_device(d: Device) -> None:
    """Refuse a device whose role lacks what it needs, with a message the installer can act on."""
    if not valid_segment(d.name):
        raise InvalidInput(f"device name {d.name!r}: use 1-64 letters, digits, '_', '.', '-'")
    if d.role not in ROLES:
        raise InvalidInput(f"unknown role {d.role!r}; roles: {', '.join(ROLES)}")
    for door in d.doors:
        if not valid_segment(door):
            raise InvalidInput(f"door id {door!r} is not a valid id")
    for cam in d.cameras:
        if not valid_segment(cam):
            raise InvalidInput(f"camera id {cam!r} is not a valid id")
    for m in d.methods:
        if not valid_segment(m):
            raise InvalidInput(f"API method {m!r} is not a valid name")
    if d.role in ("panel", "bridge", "relay") and not d.doors:
        raise InvalidInput(f"a {d.role} needs the doors it serves (--door ID, repeatable)")
    if d.role == "panel" and len(d.doors) != 1:
        raise InvalidInput("a door panel stands at exactly one door (--door ID)")
    if d.role == "panel" and set(d.methods) & set(CONSOLE_CALL_METHODS):
        raise InvalidInput(
            "a door panel places calls on its own door's call topic; "
            f"{', '.join(CONSOLE_CALL_METHODS)} are for consoles"
        )
    if d.role == "station":
        if d.unit is None:
            raise InvalidInput("an indoor station needs its unit (--unit 3-2-1501)")
        UnitAddress.parse(d.unit)
    elif d.role == "wall":
        # The station group the wall answers for: the officer's (or the property desk's).
        if d.unit is None or not valid_segment(d.unit):
            raise InvalidInput("an officer wall needs the station group it answers: --unit officer")
    elif d.unit is not None:
        raise InvalidInput("--unit is only for indoor stations")
    if d.cameras and d.role != "panel":
        raise InvalidInput("--camera is only for door panels")


@dataclass(frozen=True)
class Rule:
    access: str  # "read", "write" or "readwrite"
    topic: str


def rules_for(d: Device, topics: Topics) -> list[Rule]:
    t = topics
    own = [Rule("write", t.availability(d.name))]
    if d.role == "core":
        # It reads the doors' discovery configs to clear those no bridge serves any more
        # (``compound.services.ha_discovery_cleanup``).
        return [Rule("readwrite", t.all("#")), Rule("readwrite", "homeassistant/#")]
    if d.role == "console":
        return own + [
            # Every API method, asked under its own name only.
            Rule("write", t.api(d.name, "#")),
            # Its own replies only: the bus puts the user name before the client id.
            Rule("read", t.reply(d.name, "#")),
            Rule("read", t.all("events/#")),
            Rule("read", t.door_state("+")),
            # The bridge's answer to a remote open: `door unlock` prints it, not "sent".
            Rule("read", t.door_ack("+")),
            Rule("read", t.access_result("+")),
            Rule("read", t.intercom_call_state("+", "+")),
            Rule("read", t.availability("+")),
            Rule("read", t.notice),
            Rule("read", t.zone_state("+", "+")),
            # the enrolment screen previews the camera it enrols from
            Rule("read", t.face_frame("+")),
        ]
    if d.role == "panel":
        door = d.doors[0]
        rules = own + [Rule("write", t.api(d.name, m)) for m in (*PANEL_METHODS, *d.methods)]
        rules += [
            Rule("write", t.intercom_call(door)),
            # PINs typed and passes shown at the panel go to the core on its own door's panel
            # topic: not the reader's, so a panel cannot assert a card.
            Rule("write", t.panel_access_request(door)),
            Rule("read", t.reply(d.name, "#")),
            Rule("read", t.access_result(door)),
            Rule("read", t.notice),
            # Its own door's calls only: which flats are called from other doors is not its
            # business, and the call id it listens on is its own choice.
            Rule("read", t.intercom_call_state(door, "+")),
            Rule("read", t.availability("+")),
        ]
        # The panel shows its camera's preview and the face service's verdict; without
        # --camera it watches the camera named after its door, as the panel itself does.
        for c in d.cameras or (door,):
            rules += [Rule("read", t.face_frame(c)), Rule("read", t.face_result(c))]
        return rules
    if d.role in ("bridge", "relay"):
        rules = [*own, Rule("read", t.site_lockdown)]
        if d.role == "bridge":
            rules.append(Rule("write", t.zone_state(d.name, "+")))  # its own alarm zones
            # The doors it is wired for now, under its own name only: the core reads it no
            # further than this registration (compound.protocol.door_list), so a bridge may
            # hide its own doors from Home Assistant with it, never another bridge's.
            rules.append(Rule("write", t.bridge_doors(d.name)))
        for door in d.doors:
            rules += [
                Rule("read", t.door_cmd(door)),
                Rule("write", t.door_state(door)),
                Rule("write", t.door_event(door)),
                Rule("write", t.door_ack(door)),
            ]
            if d.role == "bridge":
                rules += [
                    Rule("write", t.access_request(door)),
                    Rule("write", t.intercom_call(door)),
                    # The core's word that it logged a door event: the bridge forgets an event
                    # only then, so no one but the core may write it.
                    Rule("read", t.door_event(door) + "/ack"),
                ]
                # Its doors' Home Assistant discovery configs, each by name: HA takes a lock's
                # command topic from its retained config, so a bridge that could write another
                # door's config could point that lock anywhere.
                rules += [
                    Rule("write", topic)
                    for topic in ha_door_discovery_topics(t.site, door).values()
                ]
        return rules
    if d.role == "face":
        return own + [
            Rule("write", t.face_access_request("+")),
            Rule("write", t.face_result("+")),
            Rule("write", t.face_frame("+")),
            Rule("write", t.face_state("+")),
            # It answers its own API methods; the reply topic is the asker's.
            Rule("write", t.reply("+", "#")),
            Rule("read", t.reply(d.name, "#")),
            # Any user may ask for them (the ACL decides whose requests reach the topic).
            *(Rule("read", t.api("+", m)) for m in (*FACE_METHODS, *d.methods)),
        ]
    if d.role == "ha":
        # Home Assistant: reads what it shows and commands the locks under its own name only,
        # so the core logs that name as the actor; it calls no API method and opens no door
        # itself (the core decides, as for a console's remote open, lockdown included).
        return own + [
            Rule("write", t.ha_lock_command(d.name, "+")),
            Rule("read", t.door_state("+")),
            Rule("read", t.availability("+")),
            Rule("read", "homeassistant/#"),
        ]
    if d.role == "wall":
        assert d.unit is not None  # checked in check_device  # noqa: S101
        return own + [
            *(Rule("write", t.api(d.name, m)) for m in (*WALL_METHODS, *d.methods)),
            Rule("read", t.reply(d.name, "#")),
            Rule("write", t.intercom_reply(d.name)),
            Rule("read", t.intercom_ring(d.unit)),
            # A call's state under its door: the wall follows the calls that rang it.
            Rule("read", t.intercom_call_state("+", "+")),
            Rule("read", t.all("events/#")),
            Rule("read", t.door_state("+")),
            Rule("read", t.availability("+")),
            Rule("read", t.site_lockdown),  # the lockdown switch shows the core's state
            Rule("read", t.door_ack("+")),  # whether the door it opened did open
            Rule("read", t.zone_state("+", "+")),  # the zones' panel follows their states
            # the caller's picture from the door camera
            Rule("read", t.face_frame("+")),
        ]
    # station
    assert d.unit is not None  # checked in check_device  # noqa: S101
    return [
        Rule("write", t.intercom_reply(d.name)),
        Rule("read", t.intercom_ring(d.unit)),
        # Visitor passes for its own unit, which the core takes from this user's registration.
        *(Rule("write", t.api(d.name, m)) for m in STATION_METHODS),
        Rule("read", t.reply(d.name, "#")),
    ]


def render_acl(
    devices: list[Device],
    topics: Topics,
    rules: Callable[[Device, Topics], list[Rule]] = rules_for,
) -> str:
    """The whole ACL file. Users not listed (and anonymous clients) get nothing at all.
    ``rules``: each user's rules (``compound.protocol.quarantine.rules_with`` for quarantines)."""
    lines = [
        "# Written by `compound devices`; edits here are overwritten.",
        f"# Site {topics.site}: {len(devices)} device(s). A user not listed may do nothing.",
        "",
    ]
    for d in sorted(devices, key=lambda d: d.name):
        lines.append(f"# role {d.role}" + (f", doors {','.join(d.doors)}" if d.doors else ""))
        lines.append(f"user {d.name}")
        lines += [f"topic {r.access} {r.topic}" for r in rules(d, topics)]
        lines.append("")
    return "\n".join(lines)


def new_password() -> str:
    return secrets.token_urlsafe(24)  # 32 characters, 192 bits


def mosquitto_hash(
    password: str, salt: bytes | None = None, iterations: int = PBKDF2_ITERATIONS
) -> str:
    """The ``$7$`` PBKDF2-SHA512 form that Mosquitto 2 reads from its password file."""
    salt = salt if salt is not None else secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, 64)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def render_passwords(hashes: dict[str, str]) -> str:
    return "".join(f"{name}:{h}\n" for name, h in sorted(hashes.items()))
