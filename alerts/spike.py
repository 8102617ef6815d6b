"""Negative-spike detection over bucketed detractor counts.

The expected count of a bucket respects time of day and day of week: the trimmed mean of the same
time-of-day bucket on earlier days, scaled by how busy this weekday usually is compared with the
average day (shrunk towards 1 while few weeks of history exist). An alert needs every guard to
pass: a Poisson upper-tail p-value below `max_p_value`, a minimum count, a minimum ratio over the
expected count, a minimum detractor share, and enough history (warm-up). Alerting buckets that
follow one another within the cooldown form one storm: one alert, and an update when it grows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone, tzinfo

from brandpulse.alerts.base import Alert, Bucket, wall_bucket

DAY = timedelta(days=1)
# Never expect less than this: a quiet hour is not evidence that a single complaint is a storm.
MIN_EXPECTED = 0.5


@dataclass(frozen=True)
class SpikeRule:
    """Thresholds and guards of the spike rule."""

    min_count: int = 6
    min_ratio: float = 2.0
    min_share: float = 0.4
    warmup_days: int = 2
    cooldown: timedelta = timedelta(hours=6)
    max_p_value: float = 0.001
    history_days: int = 28
    growth: float = 2.0


@dataclass(frozen=True)
class Storm:
    """The storm in progress for one brand: where its last alerting bucket ended, the count and themes last reported,
    and where its first alert's bucket started (None for a storm recorded before it was kept)."""

    last_end: datetime
    reported: float
    alert_count: int = 1
    themes: tuple[str, ...] = ()
    start: datetime | None = None


def storm_start_text(start: datetime) -> str:
    """A storm's start as `details.storm_start` holds it: ISO 8601 UTC, as the store and the query command write it."""
    return f"{start.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%SZ}"


@dataclass(frozen=True)
class Baseline:
    """The expected count of a bucket and what it was computed from."""

    expected: float
    history_days: int
    weekday_factor: float


def describe_width(width: timedelta) -> str:
    """`1h`, `15m`, `1d`: a bucket width as people write it."""
    seconds = int(width.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def poisson_upper_tail(observed: int, expected: float) -> float:
    """P(X >= observed) for X ~ Poisson(expected)."""
    if observed <= 0:
        return 1.0
    log_term = -expected  # log P(X = 0)
    below = 0.0
    for k in range(observed):
        if k:
            log_term += math.log(expected) - math.log(k)
        below += math.exp(log_term)
    return max(0.0, 1.0 - below) if below < 0.999 else _tail_sum(observed, expected)


def _tail_sum(observed: int, expected: float) -> float:
    # 1 - CDF loses precision when the CDF is close to 1; sum the (fast-shrinking) upper terms instead.
    log_term = observed * math.log(expected) - expected - math.lgamma(observed + 1)
    total, k = 0.0, observed
    while True:
        term = math.exp(log_term)
        total += term
        if term < total * 1e-12 or k > observed + 10000:
            return total
        k += 1
        log_term += math.log(expected) - math.log(k)


class SeriesIndex:
    """Fast look-ups over one brand's buckets: by start time and by day, days and times of day on the wall clock of
    `zone` (where the brand's customers live: their daily and weekly rhythm follows it, not UTC)."""

    def __init__(self, buckets: Sequence[Bucket], zone: tzinfo = timezone.utc, width: timedelta = timedelta(hours=1)):
        self.zone, self.width = zone, width
        self.by_start = {b.start: b for b in buckets}
        self.days: dict[date, int] = {}
        for b in buckets:
            day = self.day_of(b.start)
            self.days[day] = self.days.get(day, 0) + b.detractors
        self.first = min(self.by_start) if buckets else None
        self._first_day = self.day_of(self.first) if buckets else None
        # Each bucket's slot is looked for on up to `history_days` earlier days, and the same wall-clock time is
        # asked for again by the next days' buckets: converted once, a long backtest in Berlin costs what UTC's does.
        self._walls: dict[datetime, datetime | None] = {}

    def day_of(self, moment: datetime) -> date:
        """The day `moment` falls on in the index's zone."""
        return moment.astimezone(self.zone).date()

    def same_slot(self, start: datetime, days: int) -> list[int]:
        """Detractor counts of the buckets starting at the same wall-clock time of day on up to `days` earlier days
        (after the clocks change, the same local hour: a UTC hour earlier or later)."""
        found = []
        for earlier in self._earlier_starts(start, days):
            bucket = self.by_start.get(earlier)
            if bucket is not None:
                found.append(bucket.detractors)
        return found

    def _earlier_starts(self, start: datetime, days: int) -> list[datetime | None]:
        """The starts of the buckets holding `start`'s wall-clock time 1 to `days` days earlier (`days_earlier`);
        None where the clocks skipped that time."""
        if self.zone is timezone.utc:
            return [start - back * DAY for back in range(1, days + 1)]
        wall, walls = start.astimezone(self.zone).replace(tzinfo=None), self._walls
        earlier = (wall - back * DAY for back in range(1, days + 1))
        return [walls[w] if w in walls else self._wall_start(w) for w in earlier]

    def _wall_start(self, wall: datetime) -> datetime | None:
        found = self._walls[wall] = wall_bucket(wall, self.zone, self.width)
        return found

    def weekday_factor(self, day: date, days: int) -> float:
        """How busy `day`'s weekday usually is against the average day, shrunk towards 1 by one pseudo-week."""
        if self._first_day is None:
            return 1.0
        full_days = [day - timedelta(days=back) for back in range(1, days + 1)]
        full_days = [d for d in full_days if d in self.days and d > self._first_day]
        if len(full_days) < 7:
            return 1.0
        mean_day = sum(self.days[d] for d in full_days) / len(full_days)
        same = [self.days[d] for d in full_days if d.weekday() == day.weekday()]
        if mean_day <= 0:
            return 1.0
        return (sum(same) + mean_day) / (mean_day * (len(same) + 1))


def trimmed_mean(values: Sequence[int]) -> float:
    """The mean without the highest tenth (at least one value from five on), so that a past storm does not raise it."""
    ordered = sorted(values)
    drop = len(ordered) // 10 if len(ordered) >= 10 else (1 if len(ordered) >= 5 else 0)
    kept = ordered[: len(ordered) - drop]
    return sum(kept) / len(kept)


def baseline(index: SeriesIndex, start: datetime, rule: SpikeRule) -> Baseline | None:
    """The expected detractor count of the bucket starting at `start`, or None during warm-up."""
    same_slot = index.same_slot(start, rule.history_days)
    if len(same_slot) < rule.warmup_days:
        return None
    factor = index.weekday_factor(index.day_of(start), rule.history_days)
    return Baseline(max(trimmed_mean(same_slot) * factor, MIN_EXPECTED), len(same_slot), factor)


def check_bucket(brand: str, index: SeriesIndex, bucket: Bucket, width: timedelta, rule: SpikeRule) -> Alert | None:
    """An alert when `bucket` is a negative spike against the history in `index`, else None."""
    base = baseline(index, bucket.start, rule)
    if base is None:
        return None
    expected = base.expected
    observed = bucket.detractors
    share = observed / bucket.total if bucket.total else 0.0
    p_value = poisson_upper_tail(observed, expected)
    threshold = max(float(rule.min_count), rule.min_ratio * expected)
    if observed < threshold or share < rule.min_share or p_value > rule.max_p_value:
        return None
    guards = {
        "min_count": {"required": rule.min_count, "observed": observed},
        "min_ratio": {"required": rule.min_ratio, "observed": round(observed / expected, 2)},
        "min_share": {"required": rule.min_share, "observed": round(share, 3)},
        "p_value": {"required": rule.max_p_value, "observed": p_value},
        "warmup_days": {"required": rule.warmup_days, "observed": base.history_days},
    }
    reason = (
        f"{observed} detractor mentions in {describe_width(width)} against {expected:.1f} expected at this hour and "
        f"weekday (threshold {threshold:.1f}, p={p_value:.2g}, {share:.0%} of its {bucket.total} scored mentions)"
    )
    return Alert(
        kind="spike", brand=brand, window_start=bucket.start, window_end=bucket.start + width,
        observed=float(observed), expected=round(expected, 3), threshold=round(threshold, 3),
        score=p_value, reason=reason,
        details={"p_value": p_value, "weekday_factor": round(base.weekday_factor, 3), "guards": guards,
                 "bucket_total": bucket.total, "bucket": describe_width(width)},
    )


def group_storm(alert: Alert, storm: Storm | None, rule: SpikeRule) -> tuple[Alert | None, Storm]:
    """Fold an alerting bucket into the storm in progress: a new alert, an update when it grew, or nothing; each alert
    names in `details.storm_start` where its storm began. A bucket read again with more mentions than before (they
    arrived or were classified late) updates the storm if it is its latest one and grew; one before it changes
    nothing."""
    if storm is not None and alert.window_end < storm.last_end:
        return None, storm
    if storm is None or alert.window_start >= storm.last_end + rule.cooldown:
        started = replace(alert, details={**alert.details, "storm_start": storm_start_text(alert.window_start)})
        return started, Storm(alert.window_end, alert.observed, start=alert.window_start)
    if alert.observed >= rule.growth * storm.reported:
        # Support lists the storm's posts from its start: the hours between its alerts are named by no other one.
        since = {"storm_start": storm_start_text(storm.start)} if storm.start else {}
        update = replace(
            alert, reason=f"storm growing (update {storm.alert_count}): {alert.reason}",
            details={**alert.details, "update": storm.alert_count, "previously_reported": storm.reported, **since},
        )
        return update, replace(storm, last_end=alert.window_end, reported=alert.observed,
                               alert_count=storm.alert_count + 1)
    return None, replace(storm, last_end=alert.window_end)


def detect_spikes(
    brand: str, buckets: Sequence[Bucket], evaluate_from: datetime, width: timedelta,
    rule: SpikeRule, storm: Storm | None, zone: tzinfo = timezone.utc,
) -> tuple[list[Alert], Storm | None]:
    """Alerts for the buckets starting at or after `evaluate_from`, and the storm state to carry to the next run; the
    baseline's hours of the day and weekdays on the wall clock of `zone`."""
    return detect_storms(buckets, evaluate_from, rule, storm, SeriesIndex(buckets, zone, width),
                         lambda index, bucket: check_bucket(brand, index, bucket, width, rule))


def detect_storms(
    buckets: Sequence[Bucket], evaluate_from: datetime, rule: SpikeRule, storm: Storm | None, index: SeriesIndex,
    check: Callable[[SeriesIndex, Bucket], Alert | None],
) -> tuple[list[Alert], Storm | None]:
    """The alerts `check` finds in the buckets from `evaluate_from` on, grouped into storms, and the storm state to
    carry on: one loop for every rule that groups its alerts as spikes are."""
    fired: list[Alert] = []
    for bucket in buckets:
        if bucket.start < evaluate_from:
            continue
        candidate = check(index, bucket)
        if candidate is None:
            continue
        alert, storm = group_storm(candidate, storm, rule)
        if alert is not None:
            fired.append(alert)
    return fired, storm
