"""Usage periods: a UTC calendar day or month, named by its start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def current_period(period: str, now: datetime | None = None) -> tuple[str, datetime]:
    """``(key, resets_at)`` of the period containing ``now`` (aware UTC)."""
    now = now or datetime.now(UTC)
    if period == "day":
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return start.strftime("%Y-%m-%d"), start + timedelta(days=1)
    if period == "month":
        start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        nxt = (start + timedelta(days=32)).replace(day=1)
        return start.strftime("%Y-%m"), nxt
    raise ValueError(f"period {period!r} has no counter (only day and month)")
