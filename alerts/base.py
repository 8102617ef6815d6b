"""The records alert rules work on and produce, and the alerts errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any


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
