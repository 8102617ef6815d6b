"""How the store writes and reads timestamps: ISO 8601 in UTC with a Z, which sorts as text."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo


def to_db(moment: datetime) -> str:
    """`2026-03-02T14:05:00Z` for an aware datetime."""
    # isoformat() is twice as fast as strftime() and zero-pads years; seconds end at index 19.
    return moment.astimezone(timezone.utc).isoformat()[:19] + "Z"


def from_db(value: str) -> datetime:
    """The aware UTC datetime of a stored timestamp."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def local_text(value: str, zone: str) -> str:
    """A stored timestamp on `zone`'s wall clock with its UTC offset (`2026-03-29T01:30:00+01:00`), as stored in UTC
    (`...Z`); a value that is no timestamp as it is."""
    if zone == "UTC":
        return value
    try:
        moment = from_db(value)
    except ValueError:
        return value
    # The offset tells the two 01:30 of an autumn night apart.
    return moment.astimezone(_zone(zone)).isoformat()


def bucket_start(moment: datetime, by: str, zone: tzinfo) -> datetime:
    """The start (in UTC) of the hour, day, week (from Monday) or month `moment` falls in, in `zone`'s wall-clock
    time: a day is 23 or 25 hours long when the clocks change."""
    # UTC out, because Python compares and subtracts two datetimes of one zone by their wall clock, fold ignored.
    local = moment.astimezone(zone)
    if by == "hour":
        # The fold is kept: the repeated 02:00 of an autumn night is an hour of its own.
        return local.replace(minute=0, second=0, microsecond=0).astimezone(timezone.utc)
    day = local.date()
    if by == "week":
        day -= timedelta(days=day.weekday())
    elif by == "month":
        day = day.replace(day=1)
    # A midnight the clocks skip (spring forward at 00:00) resolves to the moment the day begins.
    return datetime.combine(day, time(), zone).astimezone(timezone.utc)


def next_bucket(start: datetime, by: str, zone: tzinfo) -> datetime:
    """The start (in UTC) of the bucket after the one starting at `start`; OverflowError past the calendar's end."""
    if by == "hour":
        following = bucket_start(start + timedelta(hours=1), by, zone)
        # A 30-minute shift (Lord Howe) can floor back onto `start`; the next hour then starts an hour later.
        return following if following > start else start + timedelta(hours=1)
    day = start.astimezone(zone).date()
    if by == "month":
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    else:
        day += timedelta(days=7 if by == "week" else 1)
    return bucket_start(datetime.combine(day, time(12), zone), by, zone)


def local_bucket(value: str, by: str, zone: str) -> str:
    """The stored-form UTC start of the bucket in `zone` of the stored timestamp `value` (SQLite's bp_bucket)."""
    return to_db(bucket_start(from_db(value), by, _zone(zone)))


@lru_cache(maxsize=64)
def _zone(name: str) -> tzinfo:
    return ZoneInfo(name)
