"""Recording alerts and reading the evidence alert rules need: bucketed counts and top mentions."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from alerts.base import Alert, Bucket
from store.timestamps import from_db, to_db


def record_alert(db: sqlite_utils.Database, alert: Alert, now: datetime) -> int:
    """Insert an alert; call inside the transaction that queues its email."""
    cursor = db.execute(
        """INSERT INTO alerts (kind, brand, source, window_start, window_end, observed, expected, threshold,
                               score, reason, details, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [alert.kind, alert.brand, alert.source, to_db(alert.window_start), to_db(alert.window_end),
         alert.observed, alert.expected, alert.threshold, alert.score, alert.reason,
         json.dumps(alert.details, ensure_ascii=False, default=str), to_db(now)],
    )
    return cursor.lastrowid


def last_alert_end(db: sqlite_utils.Database, brand: str, kind: str) -> datetime | None:
    """The end of the latest alert window of this kind for `brand`, for cooldowns."""
    row = db.execute("SELECT max(window_end) FROM alerts WHERE brand = ? AND kind = ?", [brand, kind]).fetchone()
    return from_db(row[0]) if row and row[0] else None


def bucket_counts(db: sqlite_utils.Database, brand: str, since: datetime, until: datetime, width: timedelta) -> list[Bucket]:
    """Classified-mention and detractor counts per bucket of `width` in [since, until), empty buckets included."""
    seconds = int(width.total_seconds())
    rows = db.execute(
        """SELECT (CAST(strftime('%s', created_at) AS INTEGER) - :origin) / :width AS slot,
                  count(*), sum(category = 'detractor')
           FROM mentions
           WHERE brand = :brand AND created_at >= :since AND created_at < :until AND category IS NOT NULL
           GROUP BY slot""",
        {"origin": int(since.timestamp()), "width": seconds, "brand": brand, "since": to_db(since), "until": to_db(until)},
    ).fetchall()
    counts = {slot: (total, detractors) for slot, total, detractors in rows}
    slots = int((until - since).total_seconds()) // seconds
    return [Bucket(since + i * width, *counts.get(i, (0, 0))) for i in range(slots)]


def top_detractors(db: sqlite_utils.Database, brand: str, start: datetime, end: datetime, limit: int = 5) -> list[dict[str, Any]]:
    """The most negative detractor mentions of `brand` in [start, end)."""
    return [
        dict(row)
        for row in db.query(
            """SELECT source, author, text, url, created_at, score FROM mentions
               WHERE brand = ? AND created_at >= ? AND created_at < ? AND category = 'detractor'
               ORDER BY coalesce(score, 0), created_at LIMIT ?""",
            [brand, to_db(start), to_db(end), limit],
        )
    ]
