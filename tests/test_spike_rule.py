import math
import random
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest

from brandpulse.alerts.base import Bucket, days_earlier
from brandpulse.alerts.spike import SeriesIndex, SpikeRule, Storm, detect_spikes, poisson_upper_tail

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
START = datetime(2026, 3, 2, tzinfo=timezone.utc)  # a Monday


def _series(days, detractors=1, total=5, storm=None):
    """Hourly buckets over `days` days; `storm` maps bucket index -> (total, detractors)."""
    storm = storm or {}
    return [Bucket(START + i * HOUR, *storm.get(i, (total, detractors))) for i in range(days * 24)]


def _detect(buckets, since=START, rule=SpikeRule(), storm=None):
    return detect_spikes("B", buckets, since, HOUR, rule, storm)[0]


def test_storm_after_warm_up_fires_one_alert_for_consecutive_storm_hours():
    last_day = 4 * 24
    buckets = _series(5, storm={last_day + 14: (20, 15), last_day + 15: (25, 18), last_day + 16: (25, 17)})

    alerts = _detect(buckets, START + timedelta(days=4))

    assert len(alerts) == 1
    assert alerts[0].window_start == START + timedelta(days=4, hours=14)
    assert (alerts[0].observed, alerts[0].expected) == (15, 1)


def test_storm_that_doubles_sends_one_update():
    last_day = 4 * 24
    buckets = _series(5, storm={last_day + 14: (12, 10), last_day + 15: (30, 22), last_day + 16: (30, 25)})

    alerts = _detect(buckets, START + timedelta(days=4))

    assert [a.observed for a in alerts] == [10, 22]
    assert alerts[1].details["update"] == 1 and alerts[1].details["previously_reported"] == 10
    assert "growing" in alerts[1].reason


def test_alert_records_window_counts_p_value_and_every_guard_it_passed():
    buckets = _series(5, storm={4 * 24 + 14: (20, 15)})

    alert = _detect(buckets, START + timedelta(days=4))[0]

    assert alert.window_end - alert.window_start == HOUR
    assert alert.score == alert.details["p_value"] == poisson_upper_tail(15, 1.0)
    assert set(alert.details["guards"]) == {"min_count", "min_ratio", "min_share", "p_value", "warmup_days"}
    assert alert.details["guards"]["min_share"]["observed"] == 0.75
    assert alert.threshold == 6


def test_small_absolute_rise_is_not_a_storm():
    buckets = _series(5, detractors=0, storm={4 * 24 + 10: (6, 5)})

    assert _detect(buckets) == []


def test_no_alert_during_warm_up():
    buckets = _series(1, storm={20: (30, 25)})

    assert _detect(buckets, rule=SpikeRule(warmup_days=2)) == []


def test_low_detractor_share_does_not_fire():
    buckets = _series(5, storm={4 * 24 + 10: (100, 12)})

    assert _detect(buckets) == []


def test_storm_carried_from_the_previous_run_suppresses_a_new_alert_within_cooldown():
    buckets = _series(5, storm={4 * 24 + 10: (30, 25)})
    previous = Storm(last_end=START + timedelta(days=4, hours=8), reported=20)

    assert _detect(buckets, storm=previous) == []


def test_a_bucket_read_again_before_the_storms_latest_changes_nothing():
    # A run reading older buckets again (late mentions): one that spiked before the storm's latest bucket neither
    # starts a storm nor sends an update, however large, and the storm keeps its end.
    buckets = _series(5, storm={4 * 24 + 10: (80, 70)})
    latest = Storm(last_end=START + timedelta(days=4, hours=14), reported=20)

    alerts, storm = detect_spikes("B", buckets, START + timedelta(days=4), HOUR, SpikeRule(), latest)

    assert alerts == [] and storm == latest


def test_alert_after_the_cooldown_starts_a_new_storm():
    buckets = _series(5, storm={4 * 24 + 10: (30, 25)})
    previous = Storm(last_end=START + timedelta(days=4, hours=2), reported=20)

    assert len(_detect(buckets, storm=previous)) == 1


def test_busy_weekday_raises_the_expected_count_for_that_weekday_only():
    # Three weeks where Mondays carry 3 detractors an hour and other days 1.
    days = 22
    storm = {i: (12, 3) for i in range(days * 24) if (START + i * HOUR).weekday() == 0}
    monday_hour, tuesday_hour = 21 * 24 + 12, 15 * 24 + 12  # day 21 is a Monday, day 15 a Tuesday
    storm[monday_hour] = (14, 8)
    storm[tuesday_hour] = (14, 8)
    buckets = _series(days, storm=storm)

    alerts = _detect(buckets, START + timedelta(days=15))

    assert [a.window_start for a in alerts] == [START + tuesday_hour * HOUR]
    monday_alerts = [a for a in _detect(buckets, START + timedelta(days=21), SpikeRule(min_ratio=1.5, max_p_value=0.5))]
    assert monday_alerts and all(a.expected > 2 for a in monday_alerts)


def test_poisson_upper_tail_matches_the_series_and_stays_accurate_far_out():
    exact = 1 - sum(math.exp(-4) * 4 ** k / math.factorial(k) for k in range(12))
    assert math.isclose(poisson_upper_tail(12, 4.0), exact, rel_tol=1e-9)
    assert poisson_upper_tail(0, 3.0) == 1.0
    assert 0 < poisson_upper_tail(60, 2.0) < 1e-40


class _CountingZone(tzinfo):
    """A zone that counts how often the rule converts a moment with it (what made a zone's baseline slow)."""

    def __init__(self, name):
        self.zone, self.calls = ZoneInfo(name), 0

    def utcoffset(self, moment):
        self.calls += 1
        return self.zone.utcoffset(moment)

    def dst(self, moment):
        return self.zone.dst(moment)

    def tzname(self, moment):
        return self.zone.tzname(moment)

    def fromutc(self, moment):
        self.calls += 1
        return self.zone.fromutc(moment.replace(tzinfo=self.zone)).replace(tzinfo=self)


def _seasonal(first, days, width, zone, seed):
    """Buckets of `width` over `days` days with a wall-clock daily rhythm in `zone`, noise and a few storms."""
    rng, buckets = random.Random(seed), []
    for i in range(int(days * DAY / width)):
        start = first + i * width
        hour = start.astimezone(zone).hour
        base = (1 + 3 * (8 <= hour < 20)) * width / HOUR
        detractors = sum(rng.random() < base / 4 for _ in range(4)) + (15 if rng.random() < 0.01 else 0)
        buckets.append(Bucket(start, detractors + rng.randrange(0, 4), detractors))
    return buckets


def _slow_same_slot(index, start, days):
    """The baseline's earlier buckets as the rule looked them up before: one zone conversion per earlier day."""
    starts = (days_earlier(start, back, index.zone, index.width) for back in range(1, days + 1))
    return [index.by_start[s].detractors for s in starts if s in index.by_start]


@pytest.mark.parametrize("zone, first, width", [
    ("Europe/Berlin", datetime(2026, 3, 9, tzinfo=timezone.utc), HOUR),  # into summer time on 29 March
    ("Europe/Berlin", datetime(2026, 10, 5, tzinfo=timezone.utc), HOUR),  # back to winter time on 25 October
    ("Europe/Berlin", datetime(2026, 10, 12, tzinfo=timezone.utc), timedelta(minutes=15)),
    ("Europe/Berlin", datetime(2026, 3, 16, tzinfo=timezone.utc), 2 * HOUR),
    ("Australia/Lord_Howe", datetime(2026, 3, 23, tzinfo=timezone.utc), HOUR),  # the clocks move half an hour
    ("America/St_Johns", datetime(2026, 10, 19, tzinfo=timezone.utc), HOUR),  # a half-hour offset, back in November
])
def test_a_zones_baseline_raises_the_same_alerts_as_converting_each_earlier_day(monkeypatch, zone, first, width):
    buckets = _seasonal(first, 35, width, ZoneInfo(zone), seed=len(zone) + first.month)
    evaluate_from = first + timedelta(days=14)

    fast = detect_spikes("B", buckets, evaluate_from, width, SpikeRule(), None, ZoneInfo(zone))
    index = SeriesIndex(buckets, ZoneInfo(zone), width)
    fast_slots = [index.same_slot(b.start, 28) for b in buckets]
    monkeypatch.setattr(SeriesIndex, "same_slot", _slow_same_slot)
    slow = detect_spikes("B", buckets, evaluate_from, width, SpikeRule(), None, ZoneInfo(zone))

    assert fast == slow and len(fast[0]) >= 2
    assert [a.reason for a in fast[0]] == [a.reason for a in slow[0]]
    assert fast_slots == [_slow_same_slot(index, b.start, 28) for b in buckets]


def test_a_zones_baseline_converts_each_wall_clock_time_once_not_once_per_earlier_day():
    # 28 earlier days per bucket, each converted to UTC and back, made a Berlin backtest 3-4x as slow as UTC's.
    zone = _CountingZone("Europe/Berlin")
    buckets = _seasonal(datetime(2026, 3, 9, tzinfo=timezone.utc), 42, HOUR, zone.zone, seed=1)

    detect_spikes("B", buckets, buckets[0].start + timedelta(days=14), HOUR, SpikeRule(), None, zone)

    assert zone.calls / len(buckets) < 8, zone.calls / len(buckets)
