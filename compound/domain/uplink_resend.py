"""The platform's "resend from N" request (pure): the platform saw a gap in a site's records
and asks the box to send again from sequence number N, on ``<prefix>/<site>/resend`` as
``{"site": ..., "from": N}``. Everything below N the platform holds, so the request also says
what an acknowledgement ``upto = N - 1`` says."""

from __future__ import annotations

from typing import Any

from compound.domain.uplink_records import site_number


def resend_topic(prefix: str, site: str) -> str:
    return f"{prefix}/{site}/resend"


def resend_message(site: str, from_seq: int) -> dict[str, Any]:
    return {"site": site, "from": from_seq}


def parse_resend(payload: bytes, site: str) -> int | None:
    """The ``from`` of a resend request for ``site``, or None for anything else."""
    return site_number(payload, site, "from", least=1)
