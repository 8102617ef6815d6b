import math
from datetime import datetime, timedelta, timezone

from brandpulse.alerts.base import Bucket
from brandpulse.alerts.spike import SpikeRule, Storm, detect_spikes, poisson_upper_tail

HOUR = timedelta(hours=1)
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
