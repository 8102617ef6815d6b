"""Negative-spike detection over bucketed detractor counts.

The baseline for a bucket is the median detractor count of the same hour of day on earlier days,
so that a busy breakfast hour is not mistaken for a storm. An alert needs every guard to pass: a
minimum count, a minimum ratio over the baseline, a minimum detractor share, and enough history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from alerts.base import Alert, Bucket


@dataclass(frozen=True)
class SpikeRule:
    """Thresholds and guards of the spike rule."""

    min_count: int = 6
    min_ratio: float = 3.0
    min_share: float = 0.4
    warmup_days: int = 2
    cooldown: timedelta = timedelta(hours=6)


def describe_width(width: timedelta) -> str:
    """`1h`, `15m`, `1d`: a bucket width as people write it."""
    seconds = int(width.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _baseline(history: Sequence[Bucket], bucket: Bucket) -> list[int]:
    return [b.detractors for b in history if b.start.hour == bucket.start.hour and b.start < bucket.start]


def check_bucket(brand: str, history: Sequence[Bucket], bucket: Bucket, width: timedelta, rule: SpikeRule) -> Alert | None:
    """An alert when `bucket` is a negative spike against `history`, else None."""
    same_hour = _baseline(history, bucket)
    if len(same_hour) < rule.warmup_days:
        return None
    expected = float(median(same_hour))
    threshold = max(float(rule.min_count), rule.min_ratio * max(expected, 1.0))
    share = bucket.detractors / bucket.total if bucket.total else 0.0
    if bucket.detractors < threshold or share < rule.min_share:
        return None
    guards = {
        "min_count": rule.min_count, "min_ratio": rule.min_ratio, "min_share": rule.min_share,
        "detractor_share": round(share, 3), "history_days": len(same_hour),
    }
    reason = (
        f"{bucket.detractors} detractor mentions in {describe_width(width)} against a usual {expected:g} at this hour "
        f"(threshold {threshold:g}, {share:.0%} of all mentions)"
    )
    return Alert(
        kind="spike", brand=brand, window_start=bucket.start, window_end=bucket.start + width,
        observed=float(bucket.detractors), expected=expected, threshold=threshold,
        score=bucket.detractors / max(expected, 1.0), reason=reason, details={"guards": guards},
    )


def detect_spikes(
    brand: str, buckets: Sequence[Bucket], evaluate_from: datetime, width: timedelta,
    rule: SpikeRule, last_alert_end: datetime | None,
) -> list[Alert]:
    """Alerts for the buckets starting at or after `evaluate_from`; one storm within a cooldown gives one alert."""
    alerts: list[Alert] = []
    for index, bucket in enumerate(buckets):
        if bucket.start < evaluate_from:
            continue
        alert = check_bucket(brand, buckets[:index], bucket, width, rule)
        if alert is None:
            continue
        if last_alert_end is not None and alert.window_start < last_alert_end + rule.cooldown:
            last_alert_end = alert.window_end  # same storm: extend the group, send nothing new
            continue
        alerts.append(alert)
        last_alert_end = alert.window_end
    return alerts
