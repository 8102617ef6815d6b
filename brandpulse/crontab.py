"""Crontab expressions with crontab's day-of-week numbering (0 or 7 = Sunday), as APScheduler triggers.

APScheduler 3's `CronTrigger.from_crontab` reads day-of-week numbers as 0 = Monday, so `1-5` would mean
Tuesday to Saturday; numbers are translated to day names first.
"""

from __future__ import annotations

import re
from typing import Any

_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_NUMBER = re.compile(r"(?<![/\d])([0-7])(?!\d)")


def weekday_names(field: str) -> str:
    """`1-5` -> `mon-fri`, `0,6` -> `sun,sat`; step values (`*/2`) are left alone."""
    return _NUMBER.sub(lambda m: _DAYS[int(m.group(1))], field)


def cron_trigger(expression: str, timezone: Any = None):
    """The APScheduler trigger of a 5-field crontab expression; ValueError naming the problem otherwise."""
    from apscheduler.triggers.cron import CronTrigger

    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"wrong number of fields; got {len(fields)}, expected 5")
    minute, hour, day, month, day_of_week = fields
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=weekday_names(day_of_week),
                       timezone=timezone)
