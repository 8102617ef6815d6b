"""Sentiment over time: per-bucket counts of labels and NPS categories, and the net sentiment score."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from brandpulse.sentiment.nps import COMPLAINT_THRESHOLD
from brandpulse.store.backend import Dialect, Store
from brandpulse.store.brands import brand_in, brand_spellings
from brandpulse.store.errors import QueryError, StoreError
from brandpulse.store.timestamps import from_db, to_db

# A complaint to answer, as every count of them reads it: the head's threshold, and no promoter (a promoter's label or
# stars overruled the head; alerts.complaints_first.is_complaint is the same rule over records).
IS_COMPLAINT = f"complaint >= {COMPLAINT_THRESHOLD!r} AND category <> 'promoter'"

# Hour and day labels are prefixes of the stored ISO 8601 text; a week is labelled by its Monday (the dialect's).
BUCKETS = ("hour", "day", "week")
STATS_COLUMNS = (
    "brand", "bucket", "total", "positive", "neutral", "negative", "promoters", "passives", "detractors", "unscored",
    "complaints", "nss", "unclassified", "partial",
)


def stats_sql(
    dialect: Dialect, by: str, brand: str | Sequence[str] | None = None, since: datetime | None = None,
    until: datetime | None = None, no_brand: bool = False,
) -> tuple[str, dict[str, Any]]:
    """The aggregate query behind `sentiment_stats`, and its parameters, in `dialect`; `brand` may be the several
    stored spellings of one (brands.brand_spellings); `no_brand`: only the mentions stored without a brand."""
    if by not in BUCKETS:
        raise StoreError(f"unknown bucket {by!r}; choose from {', '.join(BUCKETS)}")
    names = [brand] if isinstance(brand, str) else list(brand or ())
    clauses, params = [], {}
    if names:
        clause, params = brand_in("brand", names)
        clauses.append(clause)
    params.update({name: to_db(value) for name, value in (("since", since), ("until", until)) if value is not None})
    clauses += ["brand IS NULL"] if no_brand else []
    clauses += [f"created_at {op} :{name}" for name, op in (("since", ">="), ("until", "<")) if name in params]
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    sql = f"""
        SELECT brand, bucket, total, positive, neutral, negative, promoters, passives, detractors, unscored, complaints,
               round(100.0 * (promoters - detractors) / nullif(promoters + passives + detractors, 0), 1) AS nss,
               unclassified
        FROM (SELECT brand, {dialect.bucket(by, 'created_at')} AS bucket, count(*) AS total,
                     count(*) FILTER (WHERE label = 'positive') AS positive,
                     count(*) FILTER (WHERE label = 'neutral') AS neutral,
                     count(*) FILTER (WHERE label = 'negative') AS negative,
                     count(*) FILTER (WHERE category = 'promoter') AS promoters,
                     count(*) FILTER (WHERE category = 'passive') AS passives,
                     count(*) FILTER (WHERE category = 'detractor') AS detractors,
                     count(*) FILTER (WHERE category = 'unscored') AS unscored,
                     count(*) FILTER (WHERE {IS_COMPLAINT}) AS complaints,
                     count(*) FILTER (WHERE category IS NULL) AS unclassified
              FROM mentions{where} GROUP BY brand, bucket) AS buckets
        ORDER BY brand, bucket"""
    return sql, params


def sentiment_stats(
    db: Store,
    by: str,
    brand: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    brands: Sequence[str] = (),
    no_brand: bool = False,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """One row per brand and bucket, empty buckets included (zero counts, `nss` None), from `since` (or the brand's
    first bucket) to `until` (or its last); `nss` is %promoters - %detractors of the classified mentions. Without
    `brand`, the `brands` given (the configured ones) have their rows over a window even when they have no mention;
    `no_brand` reads only the mentions stored without a brand, as one series of brand None; `partial` is true for a
    bucket the window (`since`, `until`, or `now` for one still in progress) covers only in part;
    `unclassified` counts the mentions in `total` the classifier has not read yet."""
    spellings = list(brand_spellings(db, brand)) if brand is not None else []
    sql, params = stats_sql(db.dialect, by, spellings, since, until, no_brand)
    rows = [dict(zip(STATS_COLUMNS, row)) for row in db.execute(sql, params).fetchall()]
    # Sorted here, not by the database: PostgreSQL puts NULL last and follows its locale's collation, SQLite neither.
    rows.sort(key=lambda row: (row["brand"] is not None, row["brand"] or "", row["bucket"]))
    series = [None] if no_brand else spellings or sorted(brands)
    return mark_partial(fill_empty_buckets(rows, by, series, since, until), by, since, until, now)


_STEP = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}
# Rows a series may have: 11 years by hour, any span by day. A typo (--since 1900-01-01 --by hour) would otherwise
# print a million rows of zeros.
MAX_BUCKETS = 100_000


def _bucket_of(moment: datetime, by: str) -> datetime:
    moment = moment.astimezone(timezone.utc)
    if by == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday()) if by == "week" else day


def _label(bucket: datetime, by: str) -> str:
    return to_db(bucket)[:13] + ":00:00Z" if by == "hour" else bucket.date().isoformat()


def _parse_label(label: str) -> datetime:
    return from_db(label) if "T" in label else datetime.fromisoformat(label).replace(tzinfo=timezone.utc)


def mark_partial(
    rows: list[dict[str, Any]], by: str, since: datetime | None, until: datetime | None, now: datetime | None,
) -> list[dict[str, Any]]:
    """`rows`, each with `partial`: whether [since, min(until, now)) leaves out part of its bucket. A chart of a
    window starting at 14:00 otherwise shows its first day as a drop, and today's unfinished day as one too."""
    for row in rows:
        start = _parse_label(row["bucket"])
        end = _after(start, by)  # None for the calendar's last bucket, whose end no window reaches
        covered_to = min((moment for moment in (end, until, now) if moment is not None), default=None)
        row["partial"] = (since is not None and since > start) or (covered_to is not None and covered_to != end)
    return rows


def fill_empty_buckets(
    rows: list[dict[str, Any]], by: str, brands: list[str | None], since: datetime | None, until: datetime | None,
) -> list[dict[str, Any]]:
    """`rows` (sorted by brand and bucket) with a zero row for every empty bucket of each brand in the window."""
    by_brand: dict[str | None, list[dict[str, Any]]] = {name: [] for name in brands}
    for row in rows:
        by_brand.setdefault(row["brand"], []).append(row)
    filled = []
    for brand, found in by_brand.items():
        if not found and (since is None or until is None):
            continue  # no data and no window: nothing to lay out
        first = _bucket_of(since, by) if since else _parse_label(found[0]["bucket"])
        last = _bucket_of(until - timedelta(microseconds=1), by) if until else _parse_label(found[-1]["bucket"])
        count = (last - first) // _STEP[by] + 1
        if count > MAX_BUCKETS:
            raise QueryError(f"{brand or 'the mentions of no brand'} would have {count:,} {by} buckets from "
                             f"{_label(first, by)} to {_label(last, by)}, more than {MAX_BUCKETS:,}; narrow --since "
                             "and --until, or take wider buckets with --by")
        known = {row["bucket"]: row for row in found}
        bucket: datetime | None = first
        while bucket is not None and bucket <= last:
            label = _label(bucket, by)
            filled.append(known.get(label) or {"brand": brand, "bucket": label, "total": 0, "positive": 0,
                                               "neutral": 0, "negative": 0, "promoters": 0, "passives": 0,
                                               "detractors": 0, "unscored": 0, "complaints": 0, "nss": None,
                                               "unclassified": 0})
            bucket = _after(bucket, by)
    return filled


def _after(bucket: datetime, by: str) -> datetime | None:
    """The start of the bucket after `bucket`; None past the calendar's end (year 9999)."""
    try:
        return bucket + _STEP[by]
    except OverflowError:
        return None
