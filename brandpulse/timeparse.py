"""Durations such as `15m` or `7d`, and points in time given as ISO 8601 or relative to now."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

# Units in either case (7D as 7d), spelled out rather than by re.IGNORECASE, which would take the long s (ſ) and the
# Kelvin sign for s and k. M alone is refused: there is no month unit, and 3M reads as three months as often as three
# minutes.
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdwSMHDW])\s*$")
_SIGNED = re.compile(r"^\s*-\s*(\d+(?:\.\d+)?)\s*([smhdwSMHDW])\s*$")
_EXAMPLES = "such as 30s, 15m, 1h, 7d or 2w"
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_LONGEST = timedelta(days=36525)


def parse_duration(value: str) -> timedelta:
    """`30s`, `15m`, `1h`, `7d`, `2w` (or `7D`: the unit's case does not count, but for `M`) as a timedelta;
    ValueError naming the value otherwise."""
    match = _DURATION.match(str(value))
    # A negative or zero duration is written as the help says: it is its sign that is wrong, not its form.
    signed = _SIGNED.match(str(value))
    if signed or (match and float(match.group(1)) == 0):
        sign = "negative" if signed and float(signed.group(1)) else "zero"
        raise ValueError(f"{value!r} is {sign}: give how long, longer than zero, {_EXAMPLES}")
    if not match:
        raise ValueError(f"{value!r} is not a duration {_EXAMPLES}")
    amount, unit = match.groups()
    if unit == "M":
        raise ValueError(f"{value!r} is ambiguous: m is minutes and there is no month unit; write {amount}m for "
                         f"minutes, or days or weeks for months (90d, 13w)")
    try:
        duration = timedelta(**{_UNITS[unit.lower()]: float(amount)})
    except OverflowError:
        duration = _LONGEST + _LONGEST
    if duration > _LONGEST:  # dates end at year 9999: "now + 999999w" cannot be computed
        raise ValueError(f"{value!r} is longer than 100 years")
    return duration


def parse_moment(value: str, now: datetime) -> datetime:
    """An ISO 8601 date or timestamp (UTC when no zone is given), or a duration meaning that long before `now`."""
    if _DURATION.match(str(value)):
        return now - parse_duration(value)
    if _SIGNED.match(str(value)):  # '-3d' for three days ago: a duration here is always back from now
        raise ValueError(f"{value!r}: a duration counts back from now without a sign; write "
                         f"{value.strip().lstrip('-').strip()}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is neither an ISO 8601 date/time nor a duration such as 24h or 7d") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def parse_local_moment(value: str, now: datetime) -> datetime:
    """As `parse_moment`, but an ISO 8601 value naming no zone comes back naive, for the caller's time zone."""
    moment = parse_moment(value, now)
    if _DURATION.match(str(value)) or datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo:
        return moment
    return moment.replace(tzinfo=None)
