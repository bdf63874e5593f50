"""Why the city platform refuses a record, and the alarm that refusal raises on the district
view: plain values, no I/O.

The ingest counts every refusal per site and reason (``uplink_refused``); each (site, reason)
with refusals counted since an operator last acknowledged it is an open **refusal alarm**.
The reason is the sentence the operator reads; the kind is its short, stable name, the one an
operator (or the police platform's systems) filters on and acknowledges by.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

UNREGISTERED = "site not registered"
BACKWARDS = "sequence went backwards (another record already holds that number)"
SENSITIVE = "biometric data, an unmasked ID number or phone"
WRONG_SITE = "site does not match its topic"
MALFORMED = "malformed"

# reason -> kind. A site's credential may publish only on its own topic, so a record naming
# another site came with a credential that is not its own: another box using it, or a forgery.
KINDS: dict[str, str] = {
    UNREGISTERED: "unregistered_site",
    BACKWARDS: "sequence_backwards",
    SENSITIVE: "sensitive_data",
    WRONG_SITE: "credential_of_another_site",
    MALFORMED: "malformed",
}
OTHER = "other"


def kind_of(reason: str) -> str:
    return KINDS.get(reason, OTHER)


def known_kinds() -> tuple[str, ...]:
    return (*KINDS.values(), OTHER)


@dataclass(frozen=True)
class RefusalAlarm:
    """One open alarm: ``count`` records of this kind refused from ``site`` since the last
    acknowledgement (``total`` ever), the first of them ``since_s`` ago, the last ``last_s``
    ago."""

    site: str
    kind: str
    reason: str
    count: int
    total: int
    since_s: float | None
    last_s: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "kind": self.kind,
            "reason": self.reason,
            "count": self.count,
            "total": self.total,
            "since_s": self.since_s,
            "last_s": self.last_s,
        }


def open_alarms(refused: list[dict[str, Any]]) -> list[RefusalAlarm]:
    """The refusal rows (``site, reason, count, acknowledged, age_s, since_s``) that have
    refusals counted after their last acknowledgement, the most recent first."""
    out = [
        RefusalAlarm(
            site=r["site"],
            kind=kind_of(r["reason"]),
            reason=r["reason"],
            count=int(r["count"]) - int(r.get("acknowledged", 0)),
            total=int(r["count"]),
            since_s=r.get("since_s"),
            last_s=float(r["age_s"]),
        )
        for r in refused
        if int(r["count"]) > int(r.get("acknowledged", 0))
    ]
    return sorted(out, key=lambda a: (a.last_s, a.site, a.kind))
