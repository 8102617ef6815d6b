"""Reads for the daily digest: a day's classified mentions of a brand, per-day category counts, the day's alerts."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from brandpulse.store.backend import Store
from brandpulse.store.timestamps import from_db, to_db

# Since when a brand is tracked: configured here (its row in `brands`), or earlier if mentions of it were imported.
TRACKED_SINCE = """
    SELECT min(since) FROM (SELECT first_seen_at AS since FROM brands WHERE name = ?
                            UNION ALL SELECT min(created_at) FROM mentions WHERE brand = ?) AS found"""


def classified_mentions(db: Store, brand: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Every classified mention of `brand` posted in [start, end): its id (what `alerts answered` takes), source,
    author, url, text, category, score, complaint, lang, and who marked it answered (None: nobody)."""
    return [
        dict(row)
        for row in db.query(
            """SELECT id, source, author, url, text, category, score, complaint, created_at, lang, answered_by
               FROM mentions
               WHERE brand = ? AND created_at >= ? AND created_at < ? AND category IS NOT NULL
               ORDER BY created_at, id""",
            [brand, to_db(start), to_db(end)],
        )
    ]


def unclassified_count(db: Store, brand: str, start: datetime, end: datetime) -> int:
    """How many mentions of `brand` posted in [start, end) the classifier has not read yet."""
    return db.execute("SELECT count(*) FROM mentions WHERE brand = ? AND created_at >= ? AND created_at < ? "
                      "AND category IS NULL", [brand, to_db(start), to_db(end)]).fetchone()[0]


def category_counts(db: Store, brand: str, start: datetime, end: datetime) -> dict[str, int]:
    """Promoters, passives, detractors and unscored mentions of `brand` posted in [start, end)."""
    rows = db.execute(
        """SELECT category, count(*) FROM mentions
           WHERE brand = ? AND created_at >= ? AND created_at < ? AND category IS NOT NULL GROUP BY category""",
        [brand, to_db(start), to_db(end)],
    ).fetchall()
    return {"promoter": 0, "passive": 0, "detractor": 0, "unscored": 0, **dict(rows)}


def daily_category_counts(
    db: Store, brand: str, bounds: list[tuple[datetime, datetime]],
) -> list[dict[str, int]]:
    """`category_counts` for each [start, end) of `bounds` (one range scan of the covering index per day)."""
    return [category_counts(db, brand, start, end) for start, end in bounds]


def alerts_between(db: Store, brand: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The alerts about `brand` whose window started in [start, end), oldest first, `details` parsed."""
    rows = db.query(
        """SELECT kind, source, window_start, window_end, observed, expected, reason, details FROM alerts
           WHERE brand = ? AND window_start >= ? AND window_start < ? ORDER BY window_start, id""",
        [brand, to_db(start), to_db(end)],
    )
    return [{**row, "details": json.loads(row["details"] or "{}")} for row in rows]


def tracked_since(db: Store, brand: str) -> datetime | None:
    """When the store began to follow `brand`: when it was first configured or its first mention was posted,
    whichever is earlier; None when neither is known."""
    found = db.execute(TRACKED_SINCE, [brand, brand]).fetchone()[0]
    return from_db(found) if found else None
