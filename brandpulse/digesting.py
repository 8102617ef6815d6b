"""Wiring the daily digest: read a day's figures from the store, render them, queue the messages once per day."""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from brandpulse.alerts import digest as alerts_digest
from brandpulse.alerts import digest_render
from brandpulse.config import BrandConfig, Config
from brandpulse.sentiment.nps import COMPLAINT_THRESHOLD
from brandpulse.store import alerts as store_alerts
from brandpulse.store import digest as store_digest
from brandpulse.store import outbox as store_outbox
from brandpulse.store import state as store_state
from brandpulse.alerts.chat import ChatMessage, digest_chat
from brandpulse.alerts.emails import day_query, so_far
from brandpulse.alerting import keywords_of
from brandpulse.channels import Channel, queue_chat
from brandpulse.store import transaction

log = logging.getLogger(__name__)


def day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """The start and end of `day` in the digest's time zone, as aware datetimes."""
    tz = ZoneInfo(zone)
    return datetime.combine(day, time(), tz), datetime.combine(day + timedelta(days=1), time(), tz)


def day_hours(day: date, zone: str) -> float:
    """How many hours `day` has on `zone`'s wall clock: 23 or 25 where the clocks change (23.5 on Lord Howe
    Island's), else 24."""
    start, end = day_bounds(day, zone)
    hours = (end.astimezone(timezone.utc) - start.astimezone(timezone.utc)).total_seconds() / 3600
    return int(hours) if hours.is_integer() else hours


def today(now: datetime, zone: str) -> date:
    """The day `now` falls on in the digest's time zone: the latest a digest can cover, and not over yet."""
    return now.astimezone(ZoneInfo(zone)).date()


def previous_day(now: datetime, zone: str) -> date:
    """Yesterday in the digest's time zone: the day a digest sent at `now` covers."""
    return now.astimezone(ZoneInfo(zone)).date() - timedelta(days=1)


def _days_before(day: date, count: int) -> list[date]:
    return [day - timedelta(days=back) for back in range(count, 0, -1)]


def _brand_digest(config: Config, db: Any, brand: BrandConfig, day: date) -> alerts_digest.BrandDigest:
    zone, settings = config.digest.timezone, config.digest
    earlier = _days_before(day, alerts_digest.TREND_DAYS - 1)
    history = store_digest.daily_category_counts(db, brand.name, [day_bounds(d, zone) for d in earlier])
    start, end = day_bounds(day, zone)
    baseline_start = day_bounds(day - timedelta(days=alerts_digest.BASELINE_DAYS), zone)[0]
    return alerts_digest.brand_digest(
        brand.name, day, store_digest.classified_mentions(db, brand.name, start, end), list(zip(earlier, history)),
        store_alerts.detractor_texts(db, brand.name, baseline_start, start), keywords_of(config, brand.name),
        store_digest.alerts_between(db, brand.name, start, end), settings.top_mentions, settings.top_terms,
        complaint_threshold=COMPLAINT_THRESHOLD,
        unclassified=store_digest.unclassified_count(db, brand.name, start, end),
        tracked_days=len(_tracked_days(db, brand.name, day, zone)),
        baseline_days=_baseline_days(db, brand.name, day, zone),
    )


def _baseline_days(db: Any, brand: str, day: date, zone: str) -> int:
    """How many days before `day` the themes' baseline spans: 28, or those since the store began to follow `brand`
    (its first day counted, if only partly followed)."""
    start = store_digest.tracked_since(db, brand)
    first = start.astimezone(ZoneInfo(zone)).date() if start else day - timedelta(days=alerts_digest.BASELINE_DAYS)
    return min(max((day - first).days, 0), alerts_digest.BASELINE_DAYS)


def _tracked_days(db: Any, brand: str, day: date, zone: str) -> list[date]:
    """The days of the week before `day` the store followed `brand` all day (since it was configured or its first
    mention was posted, whichever is earlier)."""
    start = store_digest.tracked_since(db, brand)
    week = _days_before(day, alerts_digest.AVERAGE_DAYS)
    return [d for d in week if start is None or day_bounds(d, zone)[0] >= start]


def _compared_days(config: Config, db: Any, day: date) -> list[date]:
    """The days of the week before `day` the share of voice compares with: those every configured brand was tracked
    from their start on. A brand added yesterday had no share the days before, and its rivals a share inflated by
    its absence: its change read as a gain of many points it never made."""
    since = [found for b in config.brands if (found := store_digest.tracked_since(db, b.name)) is not None]
    start = max(since, default=None)
    zone = config.digest.timezone
    week = _days_before(day, alerts_digest.AVERAGE_DAYS)
    return [d for d in week if start is None or day_bounds(d, zone)[0] >= start]


def _summed(days: list[tuple[date, dict[str, int]]], compared: list[date]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for each, counts in days:
        if each in compared:
            total.update(counts)
    return dict(total)


def build(config: Config, db: Any, day: date, brands: list[str], now: datetime | None = None) -> dict[str, Any]:
    """The digest of `day` (in the configured time zone) as its JSON object: the selected brands in full, the share
    of voice across every configured brand; built at `now` before the day is over, it says so (`as_of`)."""
    zone = config.digest.timezone
    as_of = f"{now.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%SZ}" if now and day >= today(now, zone) else None
    compared = _compared_days(config, db, day)
    digests, on_day, before = [], {}, {}
    for brand in config.brands:
        if brand.name in brands:
            digest = _brand_digest(config, db, brand, day)
            digests.append(digest)
            on_day[brand.name], before[brand.name] = digest.counts, _summed(list(digest.trend[:-1]), compared)
        else:
            days = [*_days_before(day, alerts_digest.AVERAGE_DAYS), day]
            bounds = [day_bounds(d, zone) for d in days]
            *week, on_day[brand.name] = store_digest.daily_category_counts(db, brand.name, bounds)
            before[brand.name] = _summed(list(zip(days, week)), compared)
    sov = alerts_digest.share_of_voice(on_day, before, _untracked(config, db, day))
    return alerts_digest.digest_json(digests, sov, day, zone, len(compared), as_of, day_hours(day, zone))


def _untracked(config: Config, db: Any, day: date) -> set[str]:
    """The configured brands the store began to follow after `day` (configured, or first mentioned, later)."""
    end = day_bounds(day, config.digest.timezone)[1]
    return {b.name for b in config.brands if (since := store_digest.tracked_since(db, b.name)) and since >= end}


def render(doc: dict[str, Any], fmt: str) -> str:
    """The digest in `fmt`: json (the documented shape), html (a standalone page) or text."""
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    shown = digest_render.digest_preview(doc) if fmt == "html" else digest_render.digest_text(doc)
    # Its last line ended without one (jinja drops a template's last newline): the shell's prompt came after it.
    return shown if shown.endswith("\n") else shown + "\n"


def _queued_key(brand: str, day: date) -> str:
    return f"digest.queued:{brand}:{day.isoformat()}"


def _chat(brand: dict[str, Any], doc: dict[str, Any]) -> ChatMessage:
    return digest_chat(brand["brand"], doc["date"], brand["volume"], brand["categories"], brand["net_score"],
                       brand["net_score_previous_day"], [(t["term"], t["count"]) for t in brand["themes"]],
                       brand["complaints"], brand.get("unclassified", 0), brand.get("complaint_unknown", 0),
                       so_far=so_far(doc), unscored_query=day_query(brand, doc, "unscored"),
                       to_answer=brand["to_answer"], to_answer_query=day_query(brand, doc), zone=doc["timezone"],
                       alerts=brand["alerts"], week=brand["net_score_7d_average"],
                       volume_change=digest_render.volume_compared(brand), hours=doc.get("hours", 24),
                       week_days=brand["volume_7d_days"], tracked=brand.get("tracked", True))


def queue(
    config: Config, db: Any, day: date, brands: list[str], now: datetime, again: bool = False,
    channels: list[Channel] = (),
) -> list[str]:
    """Queue the digest of `day` for each brand's marketing recipients and digest channels, once per brand and day;
    returns the brands queued. A day not over at `now` (a digest of today so far, sent by hand) is not marked as
    sent, so the scheduled digest of the whole day still goes out."""
    queued = []
    over = day < today(now, config.digest.timezone)
    pending = [b for b in brands if again or not store_state.get_value(db, _queued_key(b, day))]
    doc = build(config, db, day, pending, now) if pending else {"brands": []}
    for brand in doc["brands"]:
        name = brand["brand"]
        key = _queued_key(name, day)
        recipients = config.recipients(name, "digest")
        if not recipients and not any(c.url and c.wants("digest", name) for c in channels):
            log.warning("no digest recipients or channels configured for %s", name)
            continue
        with transaction(db):
            if store_state.get_value(db, key) and not again:
                continue
            if recipients:
                message = digest_render.digest_email({**doc, "brands": [brand]}, config.email.sender, recipients)
                store_outbox.enqueue(db, "digest", name, message["Subject"], recipients, message.as_bytes(), now)
            queue_chat(db, channels, "digest", name, _chat(brand, doc), now)
            if over:
                store_state.set_value(db, key, now.isoformat())
        queued.append(name)
    return queued
