"""Crontab expressions with crontab's day-of-week numbering (0 or 7 = Sunday), as APScheduler triggers.

APScheduler 3's `CronTrigger.from_crontab` reads day-of-week numbers as 0 = Monday, so `1-5` would mean
Tuesday to Saturday; numbers are translated to day names first. With both the day of the month and the day of the
week restricted, crontab fires on either (`0 9 1 * 1`: the 1st and every Monday) where one CronTrigger needs both.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def _day(token: str) -> int:
    token = token.strip().lower()
    if token.isdigit() and int(token) <= 7:
        return int(token) % 7
    if token[:3] in _DAYS:
        return _DAYS.index(token[:3])
    raise ValueError(f"day of week {token!r} is not 0-7 or a day name")


def weekday_names(field: str) -> str:
    """A crontab day-of-week field as APScheduler day names: `1-5` -> `mon,tue,wed,thu,fri`, `*/2` -> `sun,tue,thu,sat`.

    Days are listed one by one because APScheduler's own ranges and steps count from Monday.
    """
    if field == "*":
        return field
    days: set[int] = set()
    for part in field.split(","):
        span, _, step = part.partition("/")
        if step and not step.isdigit() or step == "0":
            raise ValueError(f"day of week step {step!r} is not a positive number")
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            first, last = (_day(t) for t in span.split("-", 1))
            last = 7 if last == 0 else last  # `5-7` and `5-0` run to Sunday
        else:
            first = _day(span)
            last = 6 if step else first  # `1/2` is every other day from Monday
        if first > last:
            raise ValueError(f"day of week range {span!r} runs backwards")
        days.update(d % 7 for d in range(first, last + 1, int(step or 1)))
    return ",".join(_DAYS[d] for d in sorted(days))


def cron_trigger(expression: str, timezone: Any = None):
    """The APScheduler trigger of a 5-field crontab expression; ValueError naming the problem otherwise."""
    from apscheduler.triggers.cron import CronTrigger

    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"wrong number of fields; got {len(fields)}, expected 5")
    minute, hour, day, month, day_of_week = fields
    weekdays = weekday_names(day_of_week)
    if day.startswith("*") or day_of_week.startswith("*"):  # crontab(5): then a day must match both fields
        return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=weekdays, timezone=timezone)
    from apscheduler.triggers.combining import OrTrigger

    return OrTrigger([CronTrigger(minute=minute, hour=hour, day=day, month=month, timezone=timezone),
                      CronTrigger(minute=minute, hour=hour, month=month, day_of_week=weekdays, timezone=timezone)])


# The Gregorian calendar repeats every 400 years, weekdays included (146,097 days, a whole number of weeks).
_CYCLE_START = datetime(2000, 1, 1, tzinfo=timezone.utc)


def ever_fires(trigger: Any) -> bool:
    """Whether the trigger has a fire time at all ('0 9 31 2 *', 31 February, has none): one within a 400-year
    calendar cycle, then, as APScheduler searches until the year 9999."""
    return trigger.get_next_fire_time(None, _CYCLE_START) is not None


def last_fire(trigger: Any, now: datetime, within: timedelta) -> datetime | None:
    """The trigger's latest fire time in the `within` before `now`, or None."""
    fire, last = trigger.get_next_fire_time(None, now - within), None
    while fire is not None and fire <= now:
        last = fire
        # A second later in UTC: added to the zone's wall clock, 01:30 of an hour repeated when the clocks go back
        # plus a second is that same 01:30 again, and the loop would never end.
        fire = trigger.get_next_fire_time(None, fire.astimezone(timezone.utc) + timedelta(seconds=1))
        # Never stand still, whatever a trigger answers; compared in UTC, as Python compares two times of one zone
        # by their wall clocks, blind to which of the repeated 01:30s each is.
        if fire is not None and fire.astimezone(timezone.utc) <= last.astimezone(timezone.utc):
            break
    return last
