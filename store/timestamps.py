"""How the store writes and reads timestamps: ISO 8601 in UTC with a Z, which sorts as text."""

from __future__ import annotations

from datetime import datetime, timezone


def to_db(moment: datetime) -> str:
    """`2026-03-02T14:05:00Z` for an aware datetime."""
    # isoformat() is twice as fast as strftime() and zero-pads years; seconds end at index 19.
    return moment.astimezone(timezone.utc).isoformat()[:19] + "Z"


def from_db(value: str) -> datetime:
    """The aware UTC datetime of a stored timestamp."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
