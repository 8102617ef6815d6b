"""Recording alerts and reading the evidence alert rules need: bucketed counts and top mentions."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from brandpulse.alerts.base import Alert, Bucket
from brandpulse.sentiment.nps import COMPLAINT_THRESHOLD
from brandpulse.store.backend import Store
from brandpulse.store.timestamps import from_db, to_db


def record_alert(
    db: Store, alert: Alert, now: datetime, storm_id: int | None = None, suppressed: str | None = None,
) -> int:
    """Insert an alert (the first of a storm is its own `storm_id`); call inside the transaction that queues it."""
    cursor = db.execute(
        """INSERT INTO alerts (kind, brand, source, window_start, window_end, observed, expected, threshold,
                               score, reason, details, created_at, storm_id, suppressed)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
        [alert.kind, alert.brand, alert.source, to_db(alert.window_start), to_db(alert.window_end),
         alert.observed, alert.expected, alert.threshold, alert.score, alert.reason,
         json.dumps(alert.details, ensure_ascii=False, default=str), to_db(now), storm_id, suppressed],
    )
    alert_id = cursor.fetchone()[0]
    if alert.kind == "spike" and storm_id is None:
        db.execute("UPDATE alerts SET storm_id = id WHERE id = ?", [alert_id])
    return alert_id


def bucket_counts(
    db: Store, brand: str, since: datetime, until: datetime, width: timedelta, source: str | None = None,
) -> list[Bucket]:
    """Scored-mention and detractor counts per bucket of `width` in [since, until), empty buckets included (mentions
    left `unscored` for their language are no evidence either way, so they must not dilute the detractor share).
    A mention its source gave no date, found more than `width` after the source's previous read (`dated_after`),
    is left out: it may belong to any bucket of that gap, and an outage's backlog, found at once, is no storm."""
    seconds = int(width.total_seconds())
    epoch = db.dialect.epoch
    rows = db.execute(
        f"""SELECT ({epoch('created_at')} - :origin) / :width AS slot,
                  count(*), count(*) FILTER (WHERE category = 'detractor')
           FROM mentions
           WHERE brand = :brand AND created_at >= :since AND created_at < :until
                 AND category IN ('promoter', 'passive', 'detractor') AND (:source IS NULL OR source = :source)
                 AND (dated_after IS NULL OR {epoch('created_at')} - {epoch('dated_after')} <= :width)
           GROUP BY slot""",
        {"origin": int(since.timestamp()), "width": seconds, "brand": brand, "since": to_db(since),
         "until": to_db(until), "source": source},
    ).fetchall()
    counts = {slot: (total, detractors) for slot, total, detractors in rows}
    slots = int((until - since).total_seconds()) // seconds
    return [Bucket(since + i * width, *counts.get(i, (0, 0))) for i in range(slots)]


def unscored_bucket_counts(
    db: Store, brand: str, since: datetime, until: datetime, width: timedelta,
) -> dict[str, list[Bucket]]:
    """Per language (`und` for none), the mentions of `brand` left `unscored` (no model reads their language) per
    bucket of `width` in [since, until), empty buckets included, as `Bucket`s whose `total` and `detractors` are both
    that count: the series the unscored-volume rule tests. Undated mentions found late are left out, as in
    `bucket_counts`. Languages without any such mention in the span are absent."""
    seconds = int(width.total_seconds())
    epoch = db.dialect.epoch
    rows = db.execute(
        f"""SELECT coalesce(lang, 'und') AS language, ({epoch('created_at')} - :origin) / :width AS slot, count(*)
           FROM mentions
           WHERE brand = :brand AND created_at >= :since AND created_at < :until AND category = 'unscored'
                 AND (dated_after IS NULL OR {epoch('created_at')} - {epoch('dated_after')} <= :width)
           GROUP BY language, slot""",
        {"origin": int(since.timestamp()), "width": seconds, "brand": brand, "since": to_db(since),
         "until": to_db(until)},
    ).fetchall()
    counts: dict[str, dict[int, int]] = {}
    for language, slot, count in rows:
        counts.setdefault(language, {})[slot] = count
    slots = int((until - since).total_seconds()) // seconds
    return {language: [Bucket(since + i * width, found.get(i, 0), found.get(i, 0)) for i in range(slots)]
            for language, found in sorted(counts.items())}


UNSCORED_IN = """SELECT id, source, author, text, url, created_at, lang, answered_by FROM mentions
    WHERE brand = ? AND created_at >= ? AND created_at < ? AND category = 'unscored' AND coalesce(lang, 'und') = ?
    ORDER BY created_at LIMIT ?"""


def unscored_mentions(db: Store, brand: str, lang: str, start: datetime, end: datetime,
                      limit: int = 20_000) -> list[dict[str, Any]]:
    """The unscored mentions of `brand` in `lang` (`und`: stored without one) in [start, end), oldest first."""
    return [dict(row) for row in db.query(UNSCORED_IN, [brand, to_db(start), to_db(end), lang, limit])]


# The posts support has to answer: every detractor, and every complaint but a promoter's (a 4-star review that
# rating_takes_precedence made passive): the complaints `stats` and digests count, and query --to-answer lists.
_TO_ANSWER_WHERE = f"""WHERE brand = ? AND created_at >= ? AND created_at < ?
          AND (category = 'detractor' OR (complaint >= {COMPLAINT_THRESHOLD!r} AND category <> 'promoter'))
          AND (? IS NULL OR source = ?)"""
TO_ANSWER = f"""SELECT id, source, author, text, url, created_at, score, complaint, category, lang, answered_by
    FROM mentions {_TO_ANSWER_WHERE}
    ORDER BY coalesce(score, 0), created_at LIMIT ?"""
ANSWERED_COUNT = f"SELECT count(*) FROM mentions {_TO_ANSWER_WHERE} AND answered_at IS NOT NULL"


def mentions_to_answer(
    db: Store, brand: str, start: datetime, end: datetime, source: str | None = None,
    limit: int = 20_000,
) -> list[dict[str, Any]]:
    """The detractor mentions and the other complaints (no promoter's) of `brand` (from `source` if given) in
    [start, end), most negative first, with their id, category, complaint probability, language tag and who marked
    them answered (None: nobody yet)."""
    return [dict(row) for row in db.query(TO_ANSWER, [brand, to_db(start), to_db(end), source, source, limit])]


def answered_count(db: Store, brand: str, start: datetime, end: datetime, source: str | None = None) -> int:
    """How many of the posts to answer of `brand` (from `source` if given) in [start, end) were marked answered: all
    of them, where `mentions_to_answer` lists at most its `limit`."""
    return db.execute(ANSWERED_COUNT, [brand, to_db(start), to_db(end), source, source]).fetchone()[0]


UNSCORED_COUNT = """SELECT count(*) FROM mentions
    WHERE brand = ? AND created_at >= ? AND created_at < ? AND category = 'unscored' AND (? IS NULL OR source = ?)"""


def unscored_count(db: Store, brand: str, start: datetime, end: datetime, source: str | None = None) -> int:
    """How many mentions of `brand` (from `source` if given) in [start, end) are in a language no model reads: no
    detractor count sees them, yet one may be a complaint to answer."""
    return db.execute(UNSCORED_COUNT, [brand, to_db(start), to_db(end), source, source]).fetchone()[0]


def detractor_texts(
    db: Store, brand: str, start: datetime, end: datetime, source: str | None = None,
    limit: int = 200_000,
) -> list[str]:
    """The texts of the detractor mentions of `brand` (from `source` if given) in [start, end), newest first and at
    most `limit` of them: a themes baseline (a busy brand's 28 days are plenty with the last 200,000)."""
    rows = db.execute(
        """SELECT text FROM mentions
           WHERE brand = ? AND created_at >= ? AND created_at < ? AND category = 'detractor'
                 AND (? IS NULL OR source = ?)
           ORDER BY created_at DESC LIMIT ?""",
        [brand, to_db(start), to_db(end), source, source, limit],
    ).fetchall()
    return [row[0] or "" for row in rows]


def brand_sources(db: Store, brand: str, since: datetime) -> list[str]:
    """The sources that yielded mentions of `brand` since `since`."""
    rows = db.execute(
        "SELECT DISTINCT source FROM mentions WHERE brand = ? AND created_at >= ? ORDER BY source", [brand, to_db(since)]
    ).fetchall()
    return [row[0] for row in rows]


def source_bucket_counts(db: Store, since: datetime, until: datetime, width: timedelta) -> dict[str, list[int]]:
    """Per source: mentions (classified or not) per bucket of `width` in [since, until), empty buckets included."""
    seconds = int(width.total_seconds())
    rows = db.execute(
        f"""SELECT source, ({db.dialect.epoch('created_at')} - :origin) / :width AS slot, count(*)
           FROM mentions WHERE created_at >= :since AND created_at < :until GROUP BY source, slot""",
        {"origin": int(since.timestamp()), "width": seconds, "since": to_db(since), "until": to_db(until)},
    ).fetchall()
    slots = int((until - since).total_seconds()) // seconds
    counts: dict[str, list[int]] = {}
    for source, slot, count in rows:
        counts.setdefault(source, [0] * slots)[slot] = count
    return counts


def first_unseen_at(db: Store, seen_at: datetime | None, since: datetime, until: datetime) -> datetime | None:
    """When the oldest mention posted in [since, until) was posted among those an alert run at `seen_at` did not
    count: still unclassified (a lagging or failed model), or classified, imported or collected since then."""
    row = db.execute(
        "SELECT min(created_at) FROM mentions WHERE created_at >= ? AND created_at < ? AND brand IS NOT NULL "
        "AND (classified_at IS NULL OR ? IS NULL OR classified_at > ?)",
        [to_db(since), to_db(until), *[to_db(seen_at) if seen_at else None] * 2]).fetchone()
    return from_db(row[0]) if row and row[0] else None


def window_start_of(db: Store, alert_id: int) -> str | None:
    """Where the window of alert `alert_id` starts, as stored; None for an unknown id."""
    row = db.execute("SELECT window_start FROM alerts WHERE id = ?", [alert_id]).fetchone()
    return row[0] if row else None


def first_mention_at(db: Store, brand: str, source: str | None = None) -> datetime | None:
    """When the oldest stored mention of `brand` (from `source` if given) was posted."""
    row = db.execute("SELECT min(created_at) FROM mentions WHERE brand = ? AND (? IS NULL OR source = ?)",
                     [brand, source, source]).fetchone()
    return from_db(row[0]) if row and row[0] else None


def last_health_ends(db: Store) -> dict[str, datetime]:
    """Per source (or collector): the end of its latest health alert, for cooldowns."""
    rows = db.execute("SELECT source, max(window_end) FROM alerts WHERE kind = 'health' GROUP BY source").fetchall()
    return {source: from_db(end) for source, end in rows if source}
