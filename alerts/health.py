"""Collector-health alerts: a source that normally yields mentions has gone silent, or a collector keeps failing.

The composition root passes in what the store knows (per-source counts, collector state); these
rules only judge it, with `now` given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from brandpulse.alerts.base import Alert, from_iso, wall_bucket, wall_clock
from brandpulse.alerts.spike import describe_width

DAY = timedelta(days=1)


@dataclass(frozen=True)
class HealthRule:
    """When a silent source or a failing collector deserves an alert."""

    silence: timedelta = timedelta(hours=6)
    min_expected: float = 5.0
    max_p_value: float = 0.001
    min_history_days: int = 3
    failing_for: timedelta = timedelta(hours=1)
    cooldown: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class SourceActivity:
    """Mentions a source yielded in the window just ended, and in the same window on each earlier day."""

    source: str
    recent: int
    earlier: Sequence[int]


@dataclass(frozen=True)
class CollectorStatus:
    """What the store remembers of a collector's runs."""

    name: str
    brand: str | None
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None
    failing_since: datetime | None = None  # the first failure since the last success


def check_silence(activity: SourceActivity, window_end: datetime, rule: HealthRule) -> Alert | None:
    """An alert when a source that usually yields mentions in this window yielded none."""
    if activity.recent > 0 or len(activity.earlier) < rule.min_history_days:
        return None
    expected = sum(activity.earlier) / len(activity.earlier)
    # Poisson: the chance of seeing nothing at all when `expected` mentions are usual.
    p_value = math.exp(-expected)
    if expected < rule.min_expected or p_value > rule.max_p_value:
        return None
    window, since = describe_width(rule.silence), window_end - rule.silence
    return Alert(
        kind="health", brand=None, source=activity.source, window_start=since, window_end=window_end,
        observed=0.0, expected=round(expected, 2), threshold=rule.min_expected, score=p_value,
        reason=silence_reason(activity.source, since, window, expected, p_value),
        # What the reason is made of, so that messages show its start on their zone's wall clock (`shown_reason`).
        details={"check": "silence", "p_value": p_value, "history_days": len(activity.earlier),
                 "since": f"{since.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%SZ}", "silence": window,
                 "usually": expected,
                 "guards": {"min_expected": rule.min_expected, "max_p_value": rule.max_p_value}},
    )


def silence_reason(source: str | None, since: datetime, window: str, usually: float, p_value: float,
                   zone: str = "UTC") -> str:
    """Why a silence alert fired, where its silent window began on the wall clock of `zone` (as stored: UTC)."""
    return (f"source {source} yielded no mentions since {wall_clock(since, zone)} (the last {window}), against "
            f"{usually:.1f} usually in this window (p={p_value:.2g}); check its collector and credentials")


def check_failing(status: CollectorStatus, now: datetime, rule: HealthRule) -> Alert | None:
    """An alert when every run of a collector has failed for longer than `failing_for` (since its first failure)."""
    if status.last_error_at is None:
        return None
    if status.last_success_at is not None and status.last_success_at >= status.last_error_at:
        return None
    since = status.last_success_at
    # Failing for `failing_for` since the first failure; a collector that never worked gets the same grace.
    start = status.failing_since or since
    if start is not None and now - start < rule.failing_for:
        return None
    return Alert(
        kind="health", brand=status.brand, source=status.name, window_start=start or status.last_error_at,
        window_end=now, observed=0.0, expected=1.0, threshold=None, score=None,
        reason=failing_reason(status.name, since, status.last_error),
        # The last success kept as a moment too: messages show it on their zone's wall clock (`shown_reason`).
        details={"check": "failing", "last_error": status.last_error,
                 "last_success": f"{since.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%SZ}" if since else None,
                 "guards": {"failing_for": describe_width(rule.failing_for)}},
    )


def failing_reason(source: str | None, last_success: datetime | None, last_error: str | None,
                   zone: str = "UTC") -> str:
    """Why a failing collector's alert fired, its last success on the wall clock of `zone` (as stored: UTC)."""
    last_ok = f"last success {wall_clock(last_success, zone)}" if last_success else "no success yet"
    return f"collector {source} keeps failing ({last_ok}); last error: {last_error}"


def shown_reason(source: str | None, reason: str, details: Mapping[str, Any], zone: str) -> str:
    """An alert's reason as a message in `zone` shows it: a failing collector's and a silent source's rebuilt from
    their details, their last success and the start of their silence on that zone's wall clock; any other reason (and
    one stored before details kept the moment) as stored."""
    if details.get("check") == "silence" and "since" in details:
        return silence_reason(source, from_iso(details["since"]), details["silence"], details["usually"],
                              details["p_value"], zone)
    if details.get("check") != "failing" or "last_success" not in details:
        return reason
    since = details["last_success"]
    return failing_reason(source, from_iso(since) if since else None, details.get("last_error"), zone)


def in_cooldown(alert: Alert, last_end: datetime | None, rule: HealthRule) -> bool:
    """Whether an alert for the same source fired within the cooldown."""
    return last_end is not None and alert.window_end < last_end + rule.cooldown


def check_health(
    activities: Sequence[SourceActivity | None], statuses: Sequence[CollectorStatus], now: datetime,
    rule: HealthRule, last_ends: dict[str, datetime],
) -> list[Alert]:
    """Every silence and failure alert due at `now`; `last_ends` maps a source to its last health alert's end."""
    found = [check_silence(a, now, rule) for a in activities if a is not None]
    found += [check_failing(s, now, rule) for s in statuses]
    return [a for a in found if a is not None and not in_cooldown(a, last_ends.get(a.source or ""), rule)]


def activity_at(
    source: str, counts: Sequence[int], index: int, width: timedelta, rule: HealthRule, days: int,
    origin: datetime | None = None, zone: tzinfo = timezone.utc, ends: Sequence[int | None] | None = None,
) -> SourceActivity | None:
    """The activity of `source` in the silence window ending before bucket `index` of its `counts`; None without one.

    The earlier windows end at the same wall-clock time of `zone` (bucket 0 of `counts` starts at `origin`): a source
    with Berlin's hours posts from 09:00 Berlin time, an hour earlier in UTC after the clocks go forward. `ends`: those
    windows' ends (`earlier_ends`) where the caller has them already."""
    span = max(1, int(rule.silence / width))
    if index < span:
        return None
    ends = earlier_ends(index, days, width, origin, zone) if ends is None else ends
    earlier = [sum(counts[end - span:end]) for end in ends if end is not None and span <= end <= len(counts)]
    return SourceActivity(source, sum(counts[index - span:index]), earlier)


def earlier_ends(index: int, days: int, width: timedelta, origin: datetime | None, zone: tzinfo,
                 walls: dict[datetime, datetime | None] | None = None) -> list[int | None]:
    """The bucket indexes 1 to `days` days before bucket `index` on the wall clock of `zone`; None where the clocks
    skipped that time. `walls` keeps each wall-clock time's bucket for the next call (a replay asks for each again)."""
    if origin is None or zone is timezone.utc:
        return [index - back * int(DAY / width) for back in range(1, days + 1)]
    wall = (origin + index * width).astimezone(zone).replace(tzinfo=None)
    walls = {} if walls is None else walls
    found: list[int | None] = []
    for back in range(1, days + 1):
        earlier = wall - back * DAY
        if earlier not in walls:
            walls[earlier] = wall_bucket(earlier, zone, width)
        end = walls[earlier]
        found.append(None if end is None else int((end - origin) / width))
    return found


def replay_silence(
    counts: dict[str, Sequence[int]], first_end: datetime, steps: int, offset: int, width: timedelta, rule: HealthRule,
    days: int, zone: tzinfo = timezone.utc,
) -> list[Alert]:
    """The silence alerts a live check at the end of each of `steps` buckets would have raised, cooldowns included.

    `counts` are per-source bucket counts whose bucket `offset` starts at `first_end` (the window before it ends
    there); earlier days on `zone`'s wall clock.
    """
    found: list[Alert] = []
    last_ends: dict[str, datetime] = {}
    origin = first_end - offset * width
    walls: dict[datetime, datetime | None] = {}
    for step in range(steps):
        end = first_end + step * width
        # The same earlier windows for every source, each wall-clock time converted once in the whole replay.
        ends = earlier_ends(offset + step, days, width, origin, zone, walls)
        activities = [activity_at(source, series, offset + step, width, rule, days, origin, zone, ends)
                      for source, series in counts.items()]
        for alert in check_health(activities, [], end, rule, last_ends):
            last_ends[alert.source or ""] = alert.window_end
            found.append(alert)
    return found
