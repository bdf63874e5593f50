"""What the outbox holds for the city platform (``compound uplink status``): waiting, sent and
not yet confirmed, confirmed; and the same counts told to the platform for its district view
(``publish_status``, numbers only)."""

from __future__ import annotations

from typing import Any

from compound.adapters.mqtt import Bus
from compound.domain.uplink_link import status_message, status_topic
from compound.store.db import Store


def status(store: Store) -> dict[str, Any]:
    """What waits (never taken by the broker), what the broker took but the platform has not
    confirmed, and what is confirmed; the first keys are those of the PUBACK-only contract."""
    row = store.query(
        "SELECT COUNT(*) AS unsent, MIN(seq) AS oldest_seq, MIN(created_at) AS oldest_at,"
        " COALESCE(SUM(LENGTH(payload)), 0) AS bytes FROM outbox WHERE sent_at IS NULL"
    )[0]
    last = store.query("SELECT MAX(seq) AS seq, MAX(sent_at) AS at FROM outbox WHERE sent_at > 0")[
        0
    ]
    withheld = store.query("SELECT COUNT(*) AS n FROM outbox WHERE withheld IS NOT NULL")[0]
    open_ = store.query(
        "SELECT COUNT(*) AS n, MIN(seq) AS oldest_seq, MIN(created_at) AS oldest_at,"
        " COUNT(sent_at) AS sent FROM outbox WHERE confirmed_at IS NULL"
    )[0]
    total = store.query("SELECT COUNT(*) AS n FROM outbox")[0]
    confirmed = store.query(
        "SELECT MAX(seq) AS seq, MAX(confirmed_at) AS at FROM outbox WHERE confirmed_at > 0"
    )[0]
    now = store.clock.now()
    return {
        "unsent": row["unsent"],
        "unsent_bytes": row["bytes"],
        "oldest_unsent_seq": row["oldest_seq"],
        "oldest_unsent_age_s": (now - row["oldest_at"]) if row["oldest_at"] else 0.0,
        "last_sent_seq": last["seq"],
        "last_sent_at": last["at"],
        "withheld": withheld["n"],
        "waiting": row["unsent"],
        "unconfirmed": open_["sent"],
        "confirmed": total["n"] - open_["n"],
        "oldest_unconfirmed_seq": open_["oldest_seq"],
        "oldest_unconfirmed_age_s": (now - open_["oldest_at"]) if open_["oldest_at"] else 0.0,
        "last_confirmed_seq": confirmed["seq"],
        "last_confirmed_at": confirmed["at"],
    }


def publish_status(bus: Bus, store: Store, site: str, prefix: str = "city") -> bool:
    """Tell the platform what this box holds that it has not confirmed (retained, so the
    district view has it even while the box is away); False when not connected."""
    if not bus.connected:
        return False
    msg = status_message(site, status(store), store.clock.now())
    bus.publish(status_topic(prefix, site), msg, qos=1, retain=True)
    return True
