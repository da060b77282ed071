"""Pauses of a running clock (e.g. waiting for the customer): merged so no paused instant
counts twice, and summed over an interval."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

__all__ = ["Pause", "aware", "merge_pauses", "paused_seconds"]

Pause = tuple[datetime, datetime]


def aware(dt: datetime, name: str) -> datetime:
    if not isinstance(dt, datetime):
        raise TypeError(f"{name} must be a datetime")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime for {name}: give a timezone-aware datetime")
    return dt


def merge_pauses(pauses: Iterable[Pause], not_before: datetime) -> list[tuple[datetime, datetime]]:
    """Return the pauses as sorted, disjoint, non-empty UTC intervals from ``not_before`` on.

    Overlapping or touching pauses are merged so no paused instant is counted twice.
    """
    intervals: list[tuple[datetime, datetime]] = []
    for index, pause in enumerate(pauses):
        try:
            paused_at, resumed_at = pause
        except (TypeError, ValueError):
            raise ValueError(f"pause {index} must be a (paused_at, resumed_at) pair") from None
        if resumed_at is None:
            raise ValueError(f"pause {index} is still open: close it at the current time")
        start = aware(paused_at, f"pause {index} paused_at").astimezone(UTC)
        end = aware(resumed_at, f"pause {index} resumed_at").astimezone(UTC)
        if end < start:
            raise ValueError(f"pause {index} resumes before it starts")
        start = max(start, not_before)
        if end > start:
            intervals.append((start, end))
    intervals.sort()
    merged: list[tuple[datetime, datetime]] = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def paused_seconds(pauses: Iterable[Pause], start: datetime, end: datetime) -> float:
    """Seconds of (merged) pause inside ``start..end``."""
    total = 0.0
    stop = aware(end, "end").astimezone(UTC)
    for begin, finish in merge_pauses(pauses, aware(start, "start").astimezone(UTC)):
        if begin >= stop:
            break
        total += (min(finish, stop) - begin).total_seconds()
    return total
