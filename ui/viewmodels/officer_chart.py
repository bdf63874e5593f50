"""The wall's 24-hour chart: entries per hour, the last bar the current hour."""

from __future__ import annotations

HOURS = 24


def hour_bins(times: list[float], now: float, hours: int = HOURS) -> list[int]:
    """Counts per hour for the last ``hours`` hours; the last bin is the current hour."""
    bins = [0] * hours
    top = int(now // 3600)
    for t in times:
        i = hours - 1 - (top - int(t // 3600))
        if 0 <= i < hours:
            bins[i] += 1
    return bins
