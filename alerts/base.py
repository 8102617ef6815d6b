"""The records alert rules work on and produce, and the alerts errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo


class AlertsError(Exception):
    """Base of every error raised by the alerts stage."""


class DeliveryError(AlertsError):
    """An email could not be delivered now; it stays in the outbox and is retried."""


class RefusedForGood(DeliveryError):
    """The server refused the message with a permanent reply (SMTP 5xx): retrying would be refused again."""


class RecipientsDeferred(AlertsError):
    """The server took the message for some recipients and refused `deferred` for now (SMTP 4xx: a full mailbox,
    too many recipients): sent to the others (`delivered_to`), to be sent again to those alone. No DeliveryError,
    which would send it again to everyone."""

    def __init__(self, delivered_to: str, deferred: list[str], reason: str):
        super().__init__(reason)
        self.delivered_to, self.deferred = delivered_to, deferred


@dataclass(frozen=True)
class Bucket:
    """Counts of one brand's scored mentions (promoters, passives, detractors) in one time bucket [start, start + width)."""

    start: datetime
    total: int
    detractors: int


@dataclass(frozen=True)
class Alert:
    """An alert and why it fired: the window, observed versus expected counts, and the evidence."""

    kind: str  # "spike" or "health"
    brand: str | None
    window_start: datetime
    window_end: datetime
    observed: float
    expected: float
    threshold: float
    score: float | None
    reason: str
    source: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def floor_to(moment: datetime, width: timedelta) -> datetime:
    """The start of the bucket of `width` holding `moment` (buckets aligned on the Unix epoch)."""
    seconds = width.total_seconds()
    return datetime.fromtimestamp(moment.timestamp() // seconds * seconds, moment.tzinfo)


def days_earlier(moment: datetime, back: int, zone: tzinfo, width: timedelta) -> datetime | None:
    """The start of the bucket of `width` holding `moment`'s wall-clock time in `zone` `back` days earlier (after
    the clocks change, a UTC hour earlier or later); None where the clocks skipped that time."""
    if zone is timezone.utc:
        return moment - back * timedelta(days=1)
    return wall_bucket(moment.astimezone(zone).replace(tzinfo=None) - back * timedelta(days=1), zone, width)


def wall_bucket(wall: datetime, zone: tzinfo, width: timedelta) -> datetime | None:
    """The start of the bucket of `width` holding the naive wall-clock time `wall` of `zone` (its first occurrence
    in the hour the clocks go back); None where the clocks skipped that time."""
    shifted = wall.replace(tzinfo=zone).astimezone(timezone.utc)
    if shifted.astimezone(zone).replace(tzinfo=None) != wall:
        return None
    # A 2h bucket, shifted by the hour the clocks moved, lies inside one of the buckets of that day.
    return floor_to(shifted, width)


def ambiguous(local: datetime) -> bool:
    """Whether the wall-clock time of the aware `local` happens twice in its zone (the hour the clocks go back)."""
    return local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset()


def wall_clock(moment: datetime, zone: str) -> str:
    """`moment` as a message shows it: `2026-03-06 10:00Z` in UTC, `2026-03-06 11:00 Europe/Berlin` on another zone's
    wall clock, its offset added when that hour happens twice (`02:30 (+01:00)` on an autumn night)."""
    if zone == "UTC":
        return f"{moment.astimezone(timezone.utc):%Y-%m-%d %H:%M}Z"
    local = moment.astimezone(ZoneInfo(zone))
    offset = f" ({local.isoformat()[-6:]})" if ambiguous(local) else ""
    return f"{local:%Y-%m-%d %H:%M}{offset} {zone}"


def from_iso(value: str) -> datetime:
    """The aware datetime of an ISO 8601 text as the store and alert details write it (`...Z` for UTC)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
