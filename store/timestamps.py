"""How the store writes and reads timestamps: ISO 8601 in UTC with a Z, which sorts as text."""

from __future__ import annotations

from datetime import datetime, timezone


def to_db(moment: datetime) -> str:
    """`2026-03-02T14:05:00Z` for an aware datetime."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_db(value: str) -> datetime:
    """The aware UTC datetime of a stored timestamp."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
