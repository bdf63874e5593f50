"""The district view: what the city platform holds per compound, read from its PostgreSQL.

One set of queries serves both ``compound platform status`` and the read-only HTTP API
(``compound platform serve``), so the two can never disagree. Every value comes from
``uplink_sites``, ``uplink_records`` and ``uplink_refused``: records the ingest took, which
passed the biometric guard (no template, no unmasked ID number, no phone), and counts of the
ones it refused, never their content. Refusals not yet acknowledged by an operator are open
alarms (``compound.domain.refusals``): listed under ``alarms``, counted per site
(``refused_unacknowledged``) and in the totals, until ``compound platform acknowledge``.
"""

from __future__ import annotations

import re
import time
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from compound.domain.refusals import RefusalAlarm, kind_of, known_kinds, open_alarms

SITE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class DistrictSource(Protocol):
    def district(self, hour_s: float = 3600.0, site: str | None = None) -> list[dict[str, Any]]: ...

    def refused(self, site: str | None = None) -> list[dict[str, Any]]: ...


class NotFound(LookupError):
    """The site is not on the platform (never registered, never sent a record)."""


class BadRequest(ValueError):
    """What was asked for is not a valid question (a site id that cannot exist)."""


def _with_alarms(sites: list[dict[str, Any]], refused: list[dict[str, Any]]) -> dict[str, Any]:
    alarms = open_alarms(refused)
    waiting: dict[str, int] = {}
    for a in alarms:
        waiting[a.site] = waiting.get(a.site, 0) + a.count
    for s in sites:
        s["refused_unacknowledged"] = waiting.get(s["site"], 0)
    for r in refused:
        r["kind"] = kind_of(r["reason"])
    return {"sites": sites, "refused": refused, "alarms": [a.as_dict() for a in alarms]}


def district(db: DistrictSource) -> dict[str, Any]:
    """Every site, every refusal counted, and the refusals not acknowledged as alarms."""
    return {"at": round(time.time(), 3), **_with_alarms(db.district(), db.refused())}


def site(db: DistrictSource, site_id: str) -> dict[str, Any]:
    """One site's row and its refusals; NotFound for a site the platform does not know."""
    if not SITE_ID.fullmatch(site_id):
        raise BadRequest(f"{site_id[:80]!r} is not a site id")
    rows = db.district(site=site_id)
    refused = db.refused(site=site_id)
    if not rows and not refused:
        raise NotFound(f"no site {site_id!r} on this platform")
    view = _with_alarms(rows, refused)
    return {
        "at": round(time.time(), 3),
        "site": rows[0] if rows else None,
        "refused": view["refused"],
        "alarms": view["alarms"],
    }


def to_acknowledge(
    db: DistrictSource, site_id: str | None, kinds: list[str] | None
) -> list[RefusalAlarm]:
    """The open refusal alarms an acknowledgement covers: one site's or every site's, of the
    given kinds or all. BadRequest for a site id or kind that cannot be."""
    if site_id is not None and not SITE_ID.fullmatch(site_id):
        raise BadRequest(f"{site_id[:80]!r} is not a site id")
    unknown = sorted(set(kinds or ()) - set(known_kinds()))
    if unknown:
        raise BadRequest(f"no refusal kind {unknown[0]!r}; kinds: {', '.join(known_kinds())}")
    return [a for a in open_alarms(db.refused(site=site_id)) if kinds is None or a.kind in kinds]


def totals(view: dict[str, Any]) -> dict[str, int]:
    """The district in one line: sites, records, last hour, open alarms, refused."""
    sites = view["sites"]
    return {
        "sites": len(sites),
        "records": sum(s["records"] for s in sites),
        "records_last_hour": sum(s["records_last_hour"] for s in sites),
        "passages_last_hour": sum(s["passages_last_hour"] for s in sites),
        "open_alarms": sum(s["open_alarms"] for s in sites),
        "open_110": sum(s["open_110"] for s in sites),
        "refused": sum(r["count"] for r in view["refused"]),
        "refusal_alarms": len(view["alarms"]),
        "refused_unacknowledged": sum(a["count"] for a in view["alarms"]),
    }


PATHS = ("/district", "/sites", "/sites/<site>", "/alarms", "/health")


def answer(db: DistrictSource, path: str) -> tuple[int, dict[str, Any]]:
    """The HTTP API (``compound platform serve``): a path to (status, JSON object).

    ``/district``: every site, the refusals and the totals (``compound platform status
    --json`` plus ``totals``); ``/sites``: the sites only; ``/sites/<site>``: one site and its
    refusals (404 for a site the platform does not know, 400 for an id that cannot be one);
    ``/alarms``: the open refusal alarms (refusals no operator acknowledged yet);
    ``/health``: the database answered."""
    parts = [unquote(p) for p in urlsplit(path).path.split("/") if p]
    try:
        if parts in ([], ["district"]):
            view = district(db)
            return 200, {**view, "totals": totals(view)}
        if parts == ["sites"]:
            return 200, {"at": round(time.time(), 3), "sites": db.district()}
        if len(parts) == 2 and parts[0] == "sites":
            return 200, site(db, parts[1])
        if parts == ["alarms"]:
            alarms = [a.as_dict() for a in open_alarms(db.refused())]
            return 200, {"at": round(time.time(), 3), "alarms": alarms}
        if parts == ["health"]:
            db.district(site="")  # one round trip to the database
            return 200, {"ok": True}
    except NotFound as e:
        return 404, {"error": str(e)}
    except BadRequest as e:
        return 400, {"error": str(e)}
    return 404, {"error": f"no such path {path[:200]!r}", "paths": list(PATHS)}
