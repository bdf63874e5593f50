"""Visitor passes from the indoor station (a core extension): a resident invites a visitor.

The station calls ``pass.station_issue`` ``{"visitor": NAME, "hours": H, "uses": N}`` over the
bus, as its own broker user: the ACL lets a station write ``api/<its name>/`` for the station
methods only, and read its own replies. Which unit the pass is for is never taken from the
request: it is the unit the station's broker user was registered for (``compound devices add
st-1501 --role station --unit 3-2-1501``), so a station can issue passes for its own flat and no
other. On a broker without users (the demo), the station's entry in the intercom registry
(``compound station add``) stands in. The answer carries the token once, for the station to show
as a QR code; the log records the station as the actor (``pass.station_issued``).

``pass.station_list`` lists the unit's passes, ``pass.station_revoke`` ``{"id"}`` revokes one of
them (only one of its own unit), and the manager's console revokes any with ``pass.revoke``
``{"id", "by"}``. The uses are counted after each granted passage (an access hook); the last
use revokes the pass. Limits per unit: ``[station_passes]`` in the config file
(``compound.config.StationPassesConfig``), enforced in ``compound/store/station_passes.py``.

The visitor a pass registered is moved out (marked gone, the passage history kept) once the pass
has ended, so the register does not fill with past visitors: at once when its last use is spent
or it is revoked (the sweeper thread is woken; nothing of this runs on the door's decision
path), and within ``SWEEP_S`` of its expiry.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from compound.adapters.mqtt import actor_of
from compound.domain.access import Decision
from compound.domain.model import Event, InvalidInput, UnitAddress
from compound.protocol.messages import AccessRequest
from compound.services.askers import consoles_only
from compound.services.extension import Offers
from compound.store import station_passes

if TYPE_CHECKING:
    from compound.services.core import Core

NOT_A_STATION = "only an indoor station issues passes this way (the property office: pass.issue)"
SWEEP_S = 300.0  # expired passes' visitors are moved out within this
GONE_BY = "visitor pass ended"

log = logging.getLogger(__name__)


class StationPasses:
    def __init__(self, core: Core) -> None:
        self.core = core
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._since = 0.0  # passes issued before this have no visitor left on the register

    def offers(self) -> Offers:
        return Offers(
            api={
                "pass.station_issue": self.api_issue,
                "pass.station_list": self.api_list,
                "pass.station_revoke": self.api_revoke,
                "pass.revoke": self.api_manager_revoke,
            },
            access_hooks=(self.on_access,),
        )

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="pass-sweeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sweep()
            except Exception:
                log.exception("moving out the visitors of ended passes failed")
            self._wake.wait(SWEEP_S)
            self._wake.clear()

    def sweep(self) -> int:
        """Move out every visitor whose station pass has ended; how many were."""
        store = self.core.store
        ended, since = station_passes.ended_visitors(store, self.core.clock.now(), self._since)
        gone = 0
        for pid in ended:
            try:
                store.move_out(pid, by=GONE_BY)
                gone += 1
            except InvalidInput:
                pass  # moved out meanwhile (by the office)
        # A day's margin: a pass issued after the clock was set back is still looked at.
        self._since = since - 86_400
        return gone

    def station_unit(self, params: dict[str, Any]) -> tuple[str, str]:
        """(station, unit) of the broker user that asked; ``InvalidInput`` for anyone else."""
        station = actor_of(params)
        store = self.core.store
        device = store.one("SELECT role, unit FROM devices WHERE name = ?", (station,))
        if device is not None:
            if device["role"] != "station" or not device["unit"]:
                raise InvalidInput(NOT_A_STATION)
            return station, str(device["unit"])
        row = store.one("SELECT ring_group FROM intercom_stations WHERE station = ?", (station,))
        if row is not None:
            try:  # the desk's and the officer's stations ring for a group, not a unit
                return station, str(UnitAddress.parse(str(row["ring_group"])))
            except InvalidInput:
                pass
        raise InvalidInput(NOT_A_STATION)

    def api_issue(self, p: dict[str, Any]) -> dict[str, Any]:
        station, unit = self.station_unit(p)
        if p.get("unit") not in (None, unit):
            # Said plainly: the unit comes from the station's registration, not the request.
            raise InvalidInput(f"station {station} issues passes for unit {unit} only")
        try:
            hours, uses = float(p.get("hours", 4)), int(p.get("uses", 1))
        except (TypeError, ValueError):
            raise InvalidInput("hours and uses must be numbers") from None
        visitor, limits = str(p.get("visitor", "")), self.core.config.station_passes
        return station_passes.issue(self.core.store, station, unit, visitor, hours, uses, limits)

    def api_list(self, p: dict[str, Any]) -> dict[str, Any]:
        _, unit = self.station_unit(p)
        return {"unit": unit, "passes": station_passes.listed(self.core.store, unit)}

    def api_revoke(self, p: dict[str, Any]) -> dict[str, Any]:
        station, unit = self.station_unit(p)
        cid = _id(p)
        if station_passes.unit_of(self.core.store, cid) != unit:
            raise InvalidInput(f"no pass {cid} of unit {unit}")
        self.core.store.revoke_credential(cid, f"station {station}")
        self._wake.set()
        return {"id": cid, "revoked": True}

    def api_manager_revoke(self, p: dict[str, Any]) -> dict[str, Any]:
        actor = consoles_only(self.core.store, p, "passes are revoked from the manager's console")
        cid = _id(p)
        cred = self.core.store.one("SELECT kind FROM credentials WHERE id = ?", (cid,))
        if cred is None or cred["kind"] != "pass":
            raise InvalidInput(f"no visitor pass {cid}")
        by = str(p.get("by") or "manager")
        self.core.store.revoke_credential(cid, f"{by} ({actor})" if actor else by)
        self._wake.set()
        return {"id": cid, "revoked": True}

    def on_access(self, req: AccessRequest, decision: Decision, event: Event) -> None:
        if req.kind == "pass" and decision.granted and decision.credential_id is not None:
            if station_passes.count_use(self.core.store, decision.credential_id):
                self.core.counters["station_pass.used_up"] += 1
                self._wake.set()  # its visitor is moved out by the sweeper, off this path


def _id(p: dict[str, Any]) -> int:
    try:
        return int(p["id"])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput("say which pass: id") from None
