"""Wiring the daily digest: read a day's figures from the store, render them, queue the messages once per day."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from brandpulse.alerts import digest as alerts_digest
from brandpulse.store import digest as store_digest
from brandpulse.store import outbox as store_outbox
from brandpulse.store import state as store_state
from brandpulse.alerts.chat import ChatMessage, digest_chat
from brandpulse.channels import Channel, queue_chat
from brandpulse.config import Config
from brandpulse.store import transaction

log = logging.getLogger(__name__)


def day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """The start and end of `day` in the digest's time zone, as aware datetimes."""
    tz = ZoneInfo(zone)
    return datetime.combine(day, time(), tz), datetime.combine(day + timedelta(days=1), time(), tz)


def previous_day(now: datetime, zone: str) -> date:
    """Yesterday in the digest's time zone: the day a digest sent at `now` covers."""
    return now.astimezone(ZoneInfo(zone)).date() - timedelta(days=1)


def build(config: Config, db: Any, day: date, brands: list[str]) -> list[alerts_digest.BrandDigest]:
    """One digest per brand for `day` (in the configured time zone)."""
    settings = config.digest
    found = []
    for brand in config.brands:
        if brand.name not in brands:
            continue
        start, end = day_bounds(day, settings.timezone)
        history = []
        for back in range(7, 0, -1):
            earlier = day - timedelta(days=back)
            history.append((earlier, store_digest.category_counts(db, brand.name, *day_bounds(earlier, settings.timezone))))
        mentions = store_digest.classified_mentions(db, brand.name, start, end)
        found.append(alerts_digest.brand_digest(
            brand.name, day, mentions, history, brand.keywords, settings.top_mentions, settings.top_terms,
        ))
    return found


def preview(config: Config, db: Any, day: date, brands: list[str]) -> str:
    """The digest of `day` as a standalone HTML page."""
    return alerts_digest.digest_preview(build(config, db, day, brands), day)


def _chat(digest: alerts_digest.BrandDigest, day: date) -> ChatMessage:
    return digest_chat(digest.brand, day.isoformat(), digest.volume, digest.counts, digest.nss, digest.change,
                       digest.negative_terms)


def queue(
    config: Config, db: Any, day: date, brands: list[str], now: datetime, again: bool = False,
    channels: list[Channel] = (),
) -> list[str]:
    """Queue the digest of `day` for each brand's marketing recipients and digest channels, once per brand and day;
    returns the brands queued."""
    queued = []
    for digest in build(config, db, day, brands):
        key = f"digest.queued:{digest.brand}:{day.isoformat()}"
        recipients = config.recipients(digest.brand, "digest")
        if not recipients and not any(c.url and c.wants("digest", digest.brand) for c in channels):
            log.warning("no digest recipients or channels configured for %s", digest.brand)
            continue
        with transaction(db):
            if store_state.get_value(db, key) and not again:
                continue
            if recipients:
                message = alerts_digest.digest_email([digest], day, config.email.sender, recipients)
                store_outbox.enqueue(db, "digest", digest.brand, message["Subject"], recipients, message.as_bytes(), now)
            queue_chat(db, channels, "digest", digest.brand, _chat(digest, day), now)
            store_state.set_value(db, key, now.isoformat())
        queued.append(digest.brand)
    return queued
