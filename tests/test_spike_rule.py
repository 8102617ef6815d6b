from datetime import datetime, timedelta, timezone

from alerts.base import Bucket
from alerts.spike import SpikeRule, detect_spikes

HOUR = timedelta(hours=1)
START = datetime(2026, 3, 2, tzinfo=timezone.utc)


def _series(days, detractors=1, total=5, storm=None):
    """Hourly buckets over `days` days; `storm` maps bucket index -> (total, detractors)."""
    storm = storm or {}
    return [Bucket(START + i * HOUR, *storm.get(i, (total, detractors))) for i in range(days * 24)]


def test_storm_after_warm_up_fires_one_alert_per_cooldown():
    last_day = 4 * 24
    buckets = _series(5, storm={last_day + 14: (20, 15), last_day + 15: (25, 18)})

    alerts = detect_spikes("B", buckets, START + timedelta(days=4), HOUR, SpikeRule(), None)

    assert len(alerts) == 1
    assert alerts[0].window_start == START + timedelta(days=4, hours=14)
    assert (alerts[0].observed, alerts[0].expected) == (15, 1)


def test_small_absolute_rise_is_not_a_storm():
    buckets = _series(5, detractors=0, storm={4 * 24 + 10: (6, 5)})

    assert detect_spikes("B", buckets, START, HOUR, SpikeRule(), None) == []


def test_no_alert_during_warm_up():
    buckets = _series(1, storm={20: (30, 25)})

    assert detect_spikes("B", buckets, START, HOUR, SpikeRule(warmup_days=2), None) == []


def test_low_detractor_share_does_not_fire():
    buckets = _series(5, storm={4 * 24 + 10: (100, 12)})

    assert detect_spikes("B", buckets, START, HOUR, SpikeRule(), None) == []


def test_recent_alert_within_cooldown_suppresses_a_new_one():
    buckets = _series(5, storm={4 * 24 + 10: (30, 25)})
    previous_end = START + timedelta(days=4, hours=8)

    assert detect_spikes("B", buckets, START, HOUR, SpikeRule(), previous_end) == []
