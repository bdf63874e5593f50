"""The city link down for a stretch of a busy compound's traffic, then drained (scaled down for
CI: 2 h of the 4,200-passages-an-hour model, about 8,400 records; bench/bench_uplink.py and the
soak run the full 120 h, about 507,000)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import bench_uplink

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_outage_of_two_hours_drains_in_order_with_nothing_lost_or_leaked(tmp_path: Path) -> None:
    """Records written through the store while the upstream broker does not exist yet reach the
    platform once started: every outbox row, in sequence order, none twice after de-duplication,
    the face-template probes replaced by tombstones and no biometric data on the wire."""
    f = bench_uplink.outage(tmp_path, hours=2, per_hour=4200, baseline_records=2000)
    t, d = f["traffic"], f["drain"]
    assert t["outbox_rows"] >= 2 * 4200, t
    assert d["records"] == t["outbox_rows"], f
    assert d["delivered_in_order"] and d["lost"] == 0 and d["gaps"] == 0, d
    assert d["duplicates_after_dedup"] == 0 and d["left_unsent"] == 0, d
    assert d["withheld_tombstones"] == 2, d  # one face probe an hour
    assert d["biometric_messages_on_wire"] == 0, d
    assert f["fill"]["db_bytes_per_hour"] > 0 and f["baseline"]["records_per_s"] > 0, f
