"""The deliver job: send what is due in the outbox, emails by their transport and chat messages by their channel."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from brandpulse.alerts.base import DeliveryError, RecipientsDeferred, RefusedForGood
from brandpulse.alerts.transports import retry_at
from brandpulse.channels import Channel, send as send_chat
from brandpulse.logging_setup import mask, secret_values
from brandpulse.store import outbox as store_outbox

log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    """Messages delivered (with where they went), and those not: failed (given up included), given up, and held:
    not tried, their chat channel having failed earlier in the run (they wait for the next one)."""

    sent: list[str] = field(default_factory=list)
    failed: int = 0
    given_up: int = 0
    held: int = 0
    last_error: str | None = None

    def failure_of(self, job: str) -> str | None:
        """What the deliver job's status records when a message was not delivered."""
        return f"{self.failed} message(s) not delivered: {self.last_error}" if self.failed else None


def _send(item: store_outbox.OutboxItem, transport: Any, sender: str, channels: dict[str, Channel], now: datetime) -> str:
    if item.channel == store_outbox.EMAIL:
        name = f"{now.strftime('%Y%m%dT%H%M%S')}-{item.kind}-{item.id}"
        return transport.send(item.message, sender, item.recipients, name)
    return send_chat(channels, item.channel, item.subject, item.message.decode("utf-8", "replace"))


def deliver(db: Any, transport: Any, sender: str, channels: list[Channel], now: datetime) -> DeliveryReport:
    """Send every due message once; a failure keeps it queued with a backoff (first retry 60 s later), and the
    other messages for a chat channel that just failed wait for its retry instead of hammering it, then follow it
    in order (a new message for the channel tries the oldest one again first)."""
    report = DeliveryReport()
    by_name = {channel.name: channel for channel in channels}
    failing: dict[str, datetime | None] = {}  # a chat channel that failed in this run: when its message is retried
    after = 0
    while True:
        # Claimed a few at a time: another deliver worker (PostgreSQL) sends the others; a crash re-sends at most these.
        with store_outbox.claim_due(db, now, after) as items:
            if not items:
                return report
            for item in items:
                if item.channel in failing:
                    _hold(db, item, failing[item.channel], report)
                else:
                    _deliver_one(db, item, transport, sender, by_name, now, failing, report)
            after = items[-1].id


def _hold(db: Any, item: store_outbox.OutboxItem, retry: datetime | None, report: DeliveryReport) -> None:
    # Behind the channel's failed message, retried with it (in order), not before it; due again at once when that one
    # was given up, as the channel's next message.
    if retry is not None:
        store_outbox.postpone(db, item.id, retry)
    report.held += 1


def _deliver_one(db: Any, item: store_outbox.OutboxItem, transport: Any, sender: str, by_name: dict[str, Channel],
                 now: datetime, failing: dict[str, datetime | None], report: DeliveryReport) -> None:
    try:
        where = _send(item, transport, sender, by_name, now)
    except RecipientsDeferred as exc:
        _deliver_partly(db, item, exc, now, report)
        return
    except DeliveryError as exc:
        # The error may quote an endpoint; stored and logged masked, like every credential.
        error = mask(str(exc), secret_values())
        retry = None if isinstance(exc, RefusedForGood) else retry_at(item.attempts + 1, now)
        log.error("message %d (%s) to %s not delivered%s: %s", item.id, item.subject, item.channel,
                  "" if retry else ", given up", error)
        store_outbox.mark_failed(db, item.id, error, retry)
        if item.channel != store_outbox.EMAIL:  # an email may fail for its own recipients alone
            failing[item.channel] = retry
        report.failed += 1
        report.given_up += int(retry is None)
        report.last_error = error
        return
    store_outbox.mark_sent(db, item.id, where, now)
    report.sent.append(where)


def _deliver_partly(db: Any, item: store_outbox.OutboxItem, deferred: RecipientsDeferred, now: datetime,
                    report: DeliveryReport) -> None:
    """Mark the message sent to the recipients that took it, and queue it for the others alone with the backoff:
    sent again to everyone, the first would get it twice; left sent, the others would never get it."""
    error = mask(str(deferred), secret_values())
    retry = retry_at(item.attempts + 1, now)
    store_outbox.mark_sent(db, item.id, deferred.delivered_to, now)
    copy = store_outbox.defer_recipients(db, item.id, deferred.deferred, error, retry, now)
    log.error("message %d (%s) to email not delivered to %s%s, queued again as message %d: %s", item.id, item.subject,
              ", ".join(deferred.deferred), "" if retry else " (given up)", copy, error)
    report.sent.append(deferred.delivered_to)
    report.failed += 1
    report.given_up += int(retry is None)
    report.last_error = error
