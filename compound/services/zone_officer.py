"""Arming and disarming alarm zones from the officer wall by an identified duty officer
(``zone.arm_officer`` ``{"zone", "bridge"?, "kind", "value"}``, ``zone.disarm_officer``
``{"zone", "bridge"?, "kind", "value", "reason"?}``).

As for the wall's lockdown and remote opens (``services/officer_control.py``), the officer
identifies at the wall by card or PIN; the core looks the credential up among the duty officers
with the one lookup and limit on wrong tries (``OfficerAck.identify``: guessing PINs through the
zones gains nothing over guessing them through the lockdown switch) and logs ``zone.armed`` or
``zone.disarmed`` in that officer's name (``by``: "李伟 (0412)") with their id, badge, how they
identified and the wall's broker user (``actor``). A zone is armed here at all hours (a schedule
is the console's and the CLI's business, ``zone.arm --schedule``); a 24-hour zone (panic, smoke,
gas, water) cannot be disarmed, whoever asks (``store/zone_arming.py``).

A credential that names no duty officer changes nothing and is answered ``{"refused":
"unknown", "tries_left": n}`` or ``{"refused": "locked", "retry_in": s}``, codes the wall
translates. The wall's broker user has neither ``zone.arm`` nor ``zone.disarm``
(``compound.protocol.acl.WALL_METHODS``): those take a typed name, which proves nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from compound.adapters.mqtt import actor_of
from compound.services.extension import Offers
from compound.services.officer_ack import OfficerAck, credential_params
from compound.store import zone_arming

if TYPE_CHECKING:
    from compound.services.core import Core
    from compound.services.zones import ZoneAlarms

REASON_MAX = 200


class ZoneOfficer:
    def __init__(self, core: Core, ack: OfficerAck, zones: ZoneAlarms) -> None:
        self.core = core
        self.ack = ack  # its ``identify``: the one lookup and limit for officers at the wall
        self.zones = zones  # the zones heard of, by (bridge, zone)

    def offers(self) -> Offers:
        return Offers(
            api={
                "zone.arm_officer": lambda p: self.set_armed(p, True),
                "zone.disarm_officer": lambda p: self.set_armed(p, False),
            }
        )

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def set_armed(self, p: dict[str, Any], armed: bool) -> dict[str, Any]:
        # A zone not named as text is no zone heard of: refused as an unknown one.
        key = self.zones.find(str(p.get("zone", "")), p.get("bridge"))
        reason = str(p.get("reason") or "")
        kind, value = credential_params(p)
        # Who it is first: an unknown card learns nothing about the zone's arming.
        officer = self.ack.identify(p, kind, value, "zone_officer")
        if isinstance(officer, dict):
            return officer
        report = self.zones.states[key]
        extra = {"officer_id": officer.id, "badge": officer.badge, "credential": kind}
        done = zone_arming.set_armed(
            self.core.store,
            *key,
            report["kind"],
            armed,
            officer.label,
            actor_of(p),
            reason.strip()[:REASON_MAX],
            extra=extra,
        )
        self.core.counters[f"zone_officer.{'armed' if armed else 'disarmed'}"] += 1
        return {**done, "name": report["name"]}
