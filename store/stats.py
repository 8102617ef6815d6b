"""Sentiment over time: per-bucket counts of labels and NPS categories, and the net sentiment score."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlite_utils

from store.errors import StoreError
from store.timestamps import to_db

# Timestamps are stored as 'YYYY-MM-DDTHH:MM:SSZ' text, so buckets are cheap string operations.
BUCKETS = {
    "hour": "substr(created_at, 1, 13) || ':00:00Z'",
    "day": "substr(created_at, 1, 10)",
    # The Monday on or before the day: step back six days, then forward to the next Monday.
    "week": "date(substr(created_at, 1, 10), '-6 days', 'weekday 1')",
}
STATS_COLUMNS = (
    "brand", "bucket", "total", "positive", "neutral", "negative", "promoters", "passives", "detractors", "nss",
)


def stats_sql(
    by: str, brand: str | None = None, since: datetime | None = None, until: datetime | None = None
) -> tuple[str, dict[str, Any]]:
    """The aggregate query behind `sentiment_stats`, and its parameters."""
    if by not in BUCKETS:
        raise StoreError(f"unknown bucket {by!r}; choose from {', '.join(BUCKETS)}")
    filters = {"brand": brand, "since": since and to_db(since), "until": until and to_db(until)}
    params = {name: value for name, value in filters.items() if value is not None}
    clauses = {"brand": "brand = :brand", "since": "created_at >= :since", "until": "created_at < :until"}
    where = " WHERE " + " AND ".join(clauses[name] for name in params) if params else ""
    sql = f"""
        SELECT brand, bucket, total, positive, neutral, negative, promoters, passives, detractors,
               round(100.0 * (promoters - detractors) / nullif(promoters + passives + detractors, 0), 1) AS nss
        FROM (SELECT brand, {BUCKETS[by]} AS bucket, count(*) AS total,
                     sum(label = 'positive') AS positive, sum(label = 'neutral') AS neutral,
                     sum(label = 'negative') AS negative, sum(category = 'promoter') AS promoters,
                     sum(category = 'passive') AS passives, sum(category = 'detractor') AS detractors
              FROM mentions{where} GROUP BY brand, bucket)
        ORDER BY brand, bucket"""
    return sql, params


def sentiment_stats(
    db: sqlite_utils.Database,
    by: str,
    brand: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    """One row per brand and bucket that has mentions; `nss` is %promoters - %detractors of the classified ones."""
    sql, params = stats_sql(by, brand, since, until)
    return [dict(zip(STATS_COLUMNS, row)) for row in db.execute(sql, params).fetchall()]
