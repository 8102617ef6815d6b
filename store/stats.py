"""Sentiment over time: per-bucket counts of labels and NPS categories, and the net sentiment score."""

from __future__ import annotations

import json
from dataclasses import dataclass
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from brandpulse.sentiment.nps import COMPLAINT_THRESHOLD
from brandpulse.store.backend import Dialect, Store
from brandpulse.store.brands import brand_spellings
from brandpulse.store.errors import CalendarEdgeError, FutureWindowError, QueryError, StoreError, ZoneError
from brandpulse.store.queries import CATEGORY_CLAUSE, LANG_CLAUSE, lang_params, source_clause, source_spellings
from brandpulse.store.spellings import name_in
from brandpulse.store.timestamps import bucket_start, from_db, local_bucket, next_bucket, to_db

# A complaint to answer, as every count of them reads it: the head's threshold, and no promoter (a promoter's label or
# stars overruled the head; alerts.complaints_first.is_complaint is the same rule over records).
IS_COMPLAINT = f"complaint >= {COMPLAINT_THRESHOLD!r} AND category <> 'promoter'"
# The category counts of a group of mentions, for stats and the run summary alike.
CATEGORY_COUNTS = f"""count(*) FILTER (WHERE category = 'promoter') AS promoters,
                     count(*) FILTER (WHERE category = 'passive') AS passives,
                     count(*) FILTER (WHERE category = 'detractor') AS detractors,
                     count(*) FILTER (WHERE category = 'unscored') AS unscored,
                     count(*) FILTER (WHERE {IS_COMPLAINT}) AS complaints,
                     count(*) FILTER (WHERE category IS NULL) AS unclassified"""

# Buckets are cut by the wall clock of one IANA time zone (a day of 23 or 25 hours where the clocks change). An hour is
# labelled by its local start with its UTC offset (the two 02:00 of an autumn night differ), a day by its date, a week
# by its Monday's, a month as YYYY-MM; each row names its zone in `tz`.
BUCKETS = ("hour", "day", "week", "month")
STATS_COLUMNS = (
    "brand", "bucket", "tz", "total", "positive", "neutral", "negative", "promoters", "passives", "detractors",
    "unscored", "complaints", "nss", "unclassified", "partial",
)
_SQL_COLUMNS = tuple(column for column in STATS_COLUMNS if column not in ("tz", "partial"))
# The grouped counts; {bucket} is the dialect's bucket expression, {where} the window's clauses.
STATS_SQL = f"""
        SELECT brand, bucket, total, positive, neutral, negative, promoters, passives, detractors, unscored, complaints,
               round(100.0 * (promoters - detractors) / nullif(promoters + passives + detractors, 0), 1) AS nss,
               unclassified
        FROM (SELECT brand, {{bucket}} AS bucket, count(*) AS total,
                     count(*) FILTER (WHERE label = 'positive') AS positive,
                     count(*) FILTER (WHERE label = 'neutral') AS neutral,
                     count(*) FILTER (WHERE label = 'negative') AS negative,
                     {CATEGORY_COUNTS}
              FROM mentions m{{where}} GROUP BY brand, bucket) AS buckets
        ORDER BY brand, bucket"""


def check_zone(zone: str) -> ZoneInfo:
    """The IANA time zone named `zone`; ZoneError naming it when there is none of that name."""
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ZoneError(f"unknown time zone {zone!r}; use an IANA name such as Europe/Berlin, America/New_York "
                         "or UTC") from None


@dataclass(frozen=True)
class Only:
    """The mentions a stats series counts beyond brand and window: one source in its stored spellings
    (queries.source_spellings), one ISO 639-1 language, one NPS category; as `query --source/--lang/--category`
    reads them."""

    sources: tuple[str, ...] = ()
    lang: str | None = None
    category: str | None = None


def only_of(db: Store, source: str | None = None, lang: str | None = None, category: str | None = None) -> Only:
    """The Only of the stats filters `source` (read in its every stored spelling), `lang` and `category`."""
    return Only(source_spellings(db, source) if source is not None else (), lang, category)


def stats_sql(
    dialect: Dialect, by: str, brand: str | Sequence[str] | None = None, since: datetime | None = None,
    until: datetime | None = None, no_brand: bool = False, zone: str = "UTC", only: Only = Only(),
) -> tuple[str, dict[str, Any]]:
    """The aggregate query behind `sentiment_stats`, and its parameters, in `dialect`; `brand` may be the several
    stored spellings of one (brands.brand_spellings); `no_brand`: only the mentions stored without a brand; `only`:
    a source and a language; buckets are cut in the time zone `zone` and come back as the stored-form UTC text of
    their start."""
    if by not in BUCKETS:
        raise StoreError(f"unknown bucket {by!r}; choose from {', '.join(BUCKETS)}")
    check_zone(zone)
    clauses, params = _window(brand, since, until, no_brand, only)
    return _stats_query(dialect.bucket(by, "created_at", zone), clauses), {**params, "zone": zone}


def _window(brand: str | Sequence[str] | None, since: datetime | None, until: datetime | None,
            no_brand: bool, only: Only = Only()) -> tuple[list[str], dict[str, Any]]:
    """The WHERE clauses (constants and name_in's bound names) selecting the mentions of a stats window, and their
    parameters."""
    names = [brand] if isinstance(brand, str) else list(brand or ())
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if names:
        clause, names_params = name_in("brand", names)
        clauses.append(clause)
        params.update(names_params)
    params.update({name: to_db(value) for name, value in (("since", since), ("until", until)) if value is not None})
    clauses += ["brand IS NULL"] if no_brand else []
    clauses += [f"created_at {op} :{name}" for name, op in (("since", ">="), ("until", "<")) if name in params]
    if only.sources:
        clause, source_params = source_clause(only.sources[0], only.sources)
        clauses.append(clause)
        params.update(source_params)
    if only.lang is not None:
        clauses.append(LANG_CLAUSE)
        params.update(lang_params(only.lang))
    if only.category is not None:
        clauses.append(CATEGORY_CLAUSE)
        params["category"] = only.category
    return clauses, params


# The mentions per brand a stats window leaves out as no configured brand's; {where}: the window's clauses.
_UNCONFIGURED_SQL = """SELECT brand, count(*) FROM mentions m WHERE {where}
    GROUP BY brand ORDER BY count(*) DESC, brand"""


def unconfigured_brands(
    db: Store, configured: Sequence[str], since: datetime | None = None, until: datetime | None = None,
    only: Only = Only(),
) -> dict[str | None, int]:
    """Mentions (published in [since, until), of `only`'s source, language and category, as a stats window counts
    them) per brand outside `configured`, most first; None: matched no brand."""
    clauses, params = _window(None, since, until, False, only)
    if configured:
        outside, names = name_in("brand", list(configured), "configured")
        clauses.insert(0, f"(brand IS NULL OR NOT {outside})")
        params.update(names)
    sql = _UNCONFIGURED_SQL.format(where=" AND ".join(clauses) if clauses else "TRUE")
    return dict(db.execute(sql, params).fetchall())


def _stats_query(bucket: str, clauses: Sequence[str]) -> str:
    """STATS_SQL grouping by the expression `bucket` (a dialect's constant, or _UTC_HOUR) over the mentions that
    `clauses` (constants with bound parameters) all select."""
    return STATS_SQL.format(bucket=bucket, where=" WHERE " + " AND ".join(clauses) if clauses else "")


# SQLite's zone buckets call Python once per row (bp_bucket, about 2.5 us); counts by UTC hour are string operations,
# and an hour that lies in one bucket of the zone (every hour of a zone of whole-hour offsets) is folded into it.
_UTC_HOUR = "substr(created_at, 1, 13)"
_IN_HOURS = f"{_UTC_HOUR} IN (SELECT value FROM json_each(:straddling))"
# The net sentiment score of the folded counts, rounded by SQLite as STATS_SQL rounds it.
_NSS_SQL = """SELECT round(100.0 * (json_extract(value, '$[0]') - json_extract(value, '$[1]'))
                      / nullif(json_extract(value, '$[0]') + json_extract(value, '$[1]') + json_extract(value, '$[2]'),
                               0), 1)
              FROM json_each(:counts) ORDER BY CAST(key AS INTEGER)"""
_SUMMED = tuple(column for column in _SQL_COLUMNS[2:] if column != "nss")


def _folded_rows(db: Store, by: str, spellings: list[str], since: datetime | None, until: datetime | None,
                 no_brand: bool, zone: str, only: Only = Only()) -> list[dict[str, Any]]:
    """STATS_SQL's rows on SQLite in `zone`, from counts by UTC hour; an hour a bucket boundary cuts (a zone of
    half-hour offsets) is read row by row with bp_bucket."""
    clauses, params = _window(spellings, since, until, no_brand, only)
    hourly = db.execute(_stats_query(_UTC_HOUR, clauses), params).fetchall()
    folded: dict[tuple[str | None, str], list[int]] = {}
    straddling = sorted({hour for _, hour, *_ in hourly if _hour_bucket(hour, by, zone) is None})
    for row in hourly:
        bucket = _hour_bucket(row[1], by, zone)
        if bucket is not None:
            _add(folded, row[0], bucket, row)
    if straddling:
        sql = _stats_query(db.dialect.bucket(by, "created_at", zone), [*clauses, _IN_HOURS])
        cut = {**params, "zone": zone, "straddling": json.dumps(straddling)}
        for row in db.execute(sql, cut).fetchall():
            _add(folded, row[0], row[1], row)
    keys = list(folded)
    scores = db.execute(_NSS_SQL, {"counts": json.dumps(
        [[folded[key][_SUMMED.index(name)] for name in ("promoters", "detractors", "passives")] for key in keys])})
    rows = []
    for (brand, bucket), (nss,) in zip(keys, scores.fetchall()):
        row = dict(zip(_SUMMED, folded[(brand, bucket)]))
        rows.append({"brand": brand, "bucket": bucket, **row, "nss": nss})
    return rows


def _rekeyed(rows: list[dict[str, Any]], by: str, zone: str) -> list[dict[str, Any]]:
    """`rows` with each bucket the start the empty buckets are laid out by (its first instant, bucket_start), rows
    of one bucket merged: where midnight comes twice (Havana's autumn night, 01:00 back to 00:00), PostgreSQL's
    date_trunc starts the day at the first midnight for the mentions before the change and at the second for those
    after it, and a bucket of neither start would be left out."""
    merged: dict[tuple[str | None, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["brand"], local_bucket(row["bucket"], by, zone))
        if key not in merged:
            merged[key] = {**row, "bucket": key[1]}
            continue
        into = merged[key]
        for name in _SUMMED:
            into[name] += row[name]
        into["nss"] = _nss(into["promoters"], into["passives"], into["detractors"])
    return list(merged.values())


def _nss(promoters: int, passives: int, detractors: int) -> float | None:
    """The net sentiment score as STATS_SQL gives it: rounded to a tenth, halves away from zero."""
    scored = promoters + passives + detractors
    if not scored:
        return None
    exact = Decimal(100 * (promoters - detractors)) / Decimal(scored)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _add(folded: dict[tuple[str | None, str], list[int]], brand: str | None, bucket: str, row: Sequence[Any]) -> None:
    counts = dict(zip(_SQL_COLUMNS, row))
    into = folded.setdefault((brand, bucket), [0] * len(_SUMMED))
    for k, name in enumerate(_SUMMED):
        into[k] += counts[name]


@lru_cache(maxsize=200_000)
def _hour_bucket(hour: str, by: str, zone: str) -> str | None:
    """The bucket in `zone` of the UTC hour `hour` ('YYYY-MM-DDTHH'), or None when a bucket boundary cuts it."""
    first, last = (local_bucket(f"{hour}:{at}Z", by, zone) for at in ("00:00", "59:59"))
    return first if first == last else None


def sentiment_stats(
    db: Store,
    by: str,
    brand: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    brands: Sequence[str] = (),
    no_brand: bool = False,
    now: datetime | None = None,
    zone: str = "UTC",
    source: str | None = None,
    lang: str | None = None,
    category: str | None = None,
) -> list[dict[str, Any]]:
    """One row per brand and bucket, empty buckets included (zero counts, `nss` None), from `since` (or the brand's
    first bucket) to `until` (or its last); `nss` is %promoters - %detractors of the classified mentions. Without
    `brand`, the `brands` given (the configured ones) have their rows over a window even when they have no mention;
    `no_brand` reads only the mentions stored without a brand, as one series of brand None; `partial` is true for a
    bucket the window (`since`, `until`, or `now` for one still in progress or to come) covers only in part;
    FutureWindowError for a `since` after `now`, CalendarEdgeError for a bound past the calendar's ends;
    `unclassified` counts the mentions in `total` the classifier has not read yet. Buckets follow the wall clock of
    the IANA time zone `zone` (ZoneError for one it cannot use). `source` (ignoring case, every stored spelling)
    `lang` (ISO 639-1, regional tags included) and `category` (an NPS category) count only those mentions, as
    `query --source/--lang/--category` lists them."""
    tz = check_zone(zone)
    # In UTC: Python compares two datetimes of one zone by their wall clock, and 01:30 comes twice in an autumn night.
    since, until, now = (moment and moment.astimezone(timezone.utc) for moment in (since, until, now))
    check_calendar(since, until, by, zone)
    if since is not None and now is not None and since > now:
        # Every bucket would be zeros marked partial, read as a drop to nothing: refused, saying when now is.
        raise FutureWindowError(f"{to_db(since)} is after now ({to_db(now.replace(microsecond=0))}): no bucket of "
                                "the window has begun, so none holds a mention yet; give a --since before now", "since")
    spellings = list(brand_spellings(db, brand)) if brand is not None else []
    only = only_of(db, source, lang, category)
    try:
        if db.dialect.name == "sqlite" and zone != "UTC":
            rows = _folded_rows(db, by, spellings, since, until, no_brand, zone, only)
        else:
            sql, params = stats_sql(db.dialect, by, spellings, since, until, no_brand, zone, only)
            rows = [dict(zip(_SQL_COLUMNS, row)) for row in db.execute(sql, params).fetchall()]
            rows = _rekeyed(rows, by, zone) if zone != "UTC" else rows
        # Sorted here, not by the database: PostgreSQL puts NULL last and follows its locale's collation, SQLite
        # neither.
        rows.sort(key=lambda row: (row["brand"] is not None, row["brand"] or "", row["bucket"]))
        series = [None] if no_brand else spellings or sorted(brands)
        filled = fill_empty_buckets(rows, by, series, since, until, tz)
        return [_labelled(row, start, by, zone) for row, start in mark_partial(filled, by, since, until, now, tz)]
    except OverflowError as exc:  # a mention's bucket: the window's bounds were checked above
        raise CalendarEdgeError(f"stats cannot cut {by} buckets in {zone!r} around a mention dated at the calendar's "
                                f"edge ({exc}: year 1 or 9999 on that wall clock); give --since and --until to leave "
                                "it out, or take --tz UTC") from None
    except db.errors as exc:
        if zone == "UTC":
            raise
        # A name Python's zoneinfo reads but the server does not know ('localtime', a zone newer than its tzdata).
        raise ZoneError(f"stats cannot cut buckets in the time zone {zone!r} here ({str(exc).splitlines()[0]}); "
                         "use another IANA name, such as UTC") from None


def check_calendar(since: datetime | None, until: datetime | None, by: str, zone: str) -> None:
    """CalendarEdgeError naming `since` or `until` where the bucket it falls in, cut in `zone`, would begin before
    year 1 or end after year 9999: Python's dates end there, and so does every wall clock's (0001-01-01T00:00Z is
    still year 0 in New York; its day in Kiritimati, UTC+14, began 14 hours before it)."""
    for bound, moment in (("since", since), ("until", until and until - timedelta(microseconds=1))):
        if moment is None:
            continue
        try:
            bucket_start(moment, by, ZoneInfo(zone))
        except OverflowError:
            edge, direction = ("begin before year 1", "a later") if bound == "since" else ("end after year 9999",
                                                                                     "an earlier")
            shown = to_db(since if bound == "since" else until)
            raise CalendarEdgeError(f"{shown}: its {by} on the wall clock of {zone!r} would {edge}, "
                                    f"where the calendar ends, so no bucket can be cut there; give {direction} "
                                    f"--{bound}", bound) from None


# Rows a series may have: 11 years by hour, any span by day. A typo (--since 1900-01-01 --by hour) would otherwise
# print a million rows of zeros.
MAX_BUCKETS = 100_000
_EMPTY = {"total": 0, "positive": 0, "neutral": 0, "negative": 0, "promoters": 0, "passives": 0, "detractors": 0,
          "unscored": 0, "complaints": 0, "nss": None, "unclassified": 0}


def _label(start: datetime, by: str, zone: str) -> str:
    if by == "hour":
        return to_db(start)[:13] + ":00:00Z" if zone == "UTC" else start.astimezone(ZoneInfo(zone)).isoformat()
    return start.astimezone(ZoneInfo(zone)).date().isoformat()[:7 if by == "month" else 10]


def _labelled(row: dict[str, Any], start: datetime, by: str, zone: str) -> dict[str, Any]:
    labelled = {"brand": row["brand"], "bucket": _label(start, by, zone), "tz": zone}
    labelled.update((column, row[column]) for column in STATS_COLUMNS[3:])
    return labelled


def mark_partial(
    rows: list[dict[str, Any]], by: str, since: datetime | None, until: datetime | None, now: datetime | None,
    zone: tzinfo = timezone.utc,
) -> list[tuple[dict[str, Any], datetime]]:
    """Each of `rows` with its bucket's start (UTC), the row given `partial`: whether [since, min(until, now))
    leaves out part of its bucket. A chart of a window starting at 14:00 otherwise shows its first day as a drop,
    and today's unfinished day as one too."""
    marked = []
    for row in rows:
        start = from_db(row["bucket"])
        end = _after(start, by, zone)  # None for the calendar's last bucket, whose end no window reaches
        covered_to = min((moment for moment in (end, until, now) if moment is not None), default=None)
        row["partial"] = (since is not None and since > start) or (covered_to is not None and covered_to != end)
        marked.append((row, start))
    return marked


def fill_empty_buckets(
    rows: list[dict[str, Any]], by: str, brands: list[str | None], since: datetime | None, until: datetime | None,
    zone: tzinfo = timezone.utc,
) -> list[dict[str, Any]]:
    """`rows` (sorted by brand and bucket, each bucket the stored form of its start) with a zero row for every empty
    bucket of each brand in the window, buckets cut in `zone`."""
    by_brand: dict[str | None, list[dict[str, Any]]] = {name: [] for name in brands}
    for row in rows:
        by_brand.setdefault(row["brand"], []).append(row)
    filled = []
    for brand, found in by_brand.items():
        if not found and (since is None or until is None):
            continue  # no data and no window: nothing to lay out
        first = bucket_start(since, by, zone) if since else from_db(found[0]["bucket"])
        last = bucket_start(until - timedelta(microseconds=1), by, zone) if until else from_db(found[-1]["bucket"])
        _check_count(brand, first, last, by, zone)
        known = {row["bucket"]: row for row in found}
        bucket: datetime | None = first
        while bucket is not None and bucket <= last:
            key = to_db(bucket)
            filled.append(known.get(key) or {"brand": brand, "bucket": key, **_EMPTY})
            bucket = _after(bucket, by, zone)
    return filled


def _check_count(brand: str | None, first: datetime, last: datetime, by: str, zone: tzinfo) -> None:
    if by == "month":
        count = (last.year - first.year) * 12 + last.month - first.month + 1
    else:
        count = (last - first) // (timedelta(hours=1) if by == "hour" else timedelta(days=1)) + 1
        count = count // 7 if by == "week" else count
    if count > MAX_BUCKETS:
        name = zone.key if isinstance(zone, ZoneInfo) else "UTC"
        raise QueryError(f"{brand or 'the mentions of no brand'} would have {count:,} {by} buckets from "
                         f"{_label(first, by, name)} to {_label(last, by, name)}, more than {MAX_BUCKETS:,}; narrow "
                         "--since and --until, or take wider buckets with --by")


def _after(bucket: datetime, by: str, zone: tzinfo) -> datetime | None:
    """The start of the bucket after `bucket`; None past the calendar's end (year 9999)."""
    try:
        return next_bucket(bucket, by, zone)
    except OverflowError:
        return None
