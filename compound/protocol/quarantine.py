"""Quarantine on the broker: which users can write a door's access requests, and the ACL rules a
quarantined user keeps.

A device that floods its door's request topic costs the core's network thread a parse per message
even when the core sheds every one (``compound.services.intake``). The broker does not say who
published a message, but its ACL fixes who can: the users with a write rule matching the flooded
request topic (the door's bridge for its reader, its panel for the panel's topic, the face
service for faces: ``compound.protocol.access_channels``). Quarantining them at that door takes
exactly those rules out of their ACL blocks, so Mosquitto drops their requests for that door
before any subscriber sees them. A bridge keeps its other doors, and door states, events and
availability still flow (the door stays visible on the wall; exit buttons and fire release work
in the bridge anyway). The core is never quarantined: it is not a door's device, and without it
nothing opens at all.

A device that floods its own ``device/<name>/availability`` (a device reconnecting in a loop, or
one taken over: a real one says "online" and "offline" a handful of times a day) is quarantined
for that topic: the "door" of its quarantine is ``AVAILABILITY``, and it loses its write rule for
its availability only. Mosquitto (2.0.11, measured) takes the connection of a client whose
last will is on a topic it may not write, and drops the will when it falls due, as any refused
publish. So the device stays on the bus with its other rights (a bridge's readers at its doors,
a panel's PINs: the flood is stopped, the doors keep working), but until it is released no
"online" or "offline" of its own reaches the screens: they show what it last said before the
quarantine took, and the officer's alarm says it is quarantined. That is what a device flooding
its availability deserves: it is broken or not ours any more, so what it says about itself is
worth nothing, while cutting it off entirely would take a working door's reader down with it
(an operator who judges it taken over revokes it: ``compound devices revoke``).

A bridge that floods one of its doors' own topics (the door's events, its state, its answers to
commands: each of them parsed on the core's network thread, which every door's swipe shares) is
quarantined for that topic alone: it loses its write rule for ``door/<door>/event`` (say), and
keeps its readers, its other doors and that door's other topics. What a door's quarantined
events cost and why that is the lesser harm is said in ``compound.services.quarantine``.

Pure: devices and topics in, names and rules out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from compound.protocol.acl import Device, Rule, rules_for
from compound.protocol.topics import Topics

NEVER = ("core",)  # roles that are never quarantined
# The "door" of a quarantine for flooding one's own availability topic: not a valid door id
# (``protocol.topics.valid_segment``), so no door's quarantine is taken for it.
AVAILABILITY = "(availability)"


def matches(pattern: str, topic: str) -> bool:
    """MQTT topic matching: ``+`` is one level, a trailing ``#`` any number of them."""
    p, t = pattern.split("/"), topic.split("/")
    for i, level in enumerate(p):
        if level == "#":
            return True
        if i >= len(t) or (level != "+" and level != t[i]):
            return False
    return len(p) == len(t)


def _writes(rule: Rule) -> bool:
    return rule.access in ("write", "readwrite")


def writers(devices: Iterable[Device], topic: str, topics: Topics) -> list[str]:
    """The users whose ACL lets them write ``topic`` (a door's card/PIN requests, or its face
    requests), the core aside."""
    return sorted(
        d.name
        for d in devices
        if d.role not in NEVER
        and any(_writes(r) and matches(r.topic, topic) for r in rules_for(d, topics))
    )


def rules_with(quarantined: Iterable[tuple[str, str]]) -> Callable[[Device, Topics], list[Rule]]:
    """``rules_for``, except that a user quarantined at a door loses the write rules that let
    it send that door's requests, one quarantined at ``AVAILABILITY`` its availability rule,
    and one quarantined for a topic (``store.quarantine.quarantined``: it has a "/", which no
    door id has) its rule for that topic (for ``render_acl``). A rule with a wildcard (the
    face service's ``access/+/request/face``) covers every door, so it goes whole."""
    held_by: dict[str, set[str]] = {}
    for name, what in quarantined:
        held_by.setdefault(name, set()).add(what)

    def rules(device: Device, topics: Topics) -> list[Rule]:
        kept = rules_for(device, topics)
        held = held_by.get(device.name)
        if held and device.role not in NEVER:
            banned = [
                t
                for d in held - {AVAILABILITY}
                for t in (
                    (d,)
                    if "/" in d
                    else (
                        topics.access_request(d),
                        topics.panel_access_request(d),
                        topics.face_access_request(d),
                    )
                )
            ]
            if AVAILABILITY in held:
                banned.append(topics.availability(device.name))
            kept = [
                r for r in kept if not (_writes(r) and any(matches(r.topic, t) for t in banned))
            ]
        return kept

    return rules
