from datetime import datetime, timedelta, timezone

import pytest

from brandpulse.alerts.health import CollectorStatus, HealthRule, SourceActivity, activity_at, check_health

NOW = datetime(2026, 3, 9, 12, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)


def test_usually_busy_source_that_goes_silent_raises_one_health_alert():
    activity = SourceActivity("reddit", recent=0, earlier=[20, 25, 18, 22])

    alerts = check_health([activity], [], NOW, HealthRule(), {})

    assert len(alerts) == 1
    assert alerts[0].kind == "health" and alerts[0].source == "reddit"
    assert alerts[0].expected == 21.25 and alerts[0].observed == 0
    assert "reddit" in alerts[0].reason and "no mentions" in alerts[0].reason


def test_quiet_source_or_short_history_is_not_called_silent():
    rule = HealthRule()
    quiet = SourceActivity("appstore", recent=0, earlier=[1, 0, 2, 1])
    new = SourceActivity("twitter", recent=0, earlier=[30, 30])

    assert check_health([quiet, new], [], NOW, rule, {}) == []


def test_silence_alert_within_cooldown_is_not_repeated():
    activity = SourceActivity("reddit", recent=0, earlier=[20, 25, 18, 22])

    assert check_health([activity], [], NOW, HealthRule(), {"reddit": NOW - 2 * HOUR}) == []


def test_collector_failing_since_its_last_success_for_over_an_hour_raises_an_alert():
    failing = CollectorStatus("twitter:Acme", "Acme", NOW - 3 * HOUR, NOW - 5 * 60 * timedelta(seconds=1), "HTTP 401")
    recovered = CollectorStatus("reddit:Acme", "Acme", NOW - 60 * timedelta(seconds=1), NOW - HOUR, "timeout")
    brief = CollectorStatus("feeds:Acme", "Acme", NOW - 10 * 60 * timedelta(seconds=1), NOW, "timeout")

    alerts = check_health([], [failing, recovered, brief], NOW, HealthRule(), {})

    assert [a.source for a in alerts] == ["twitter:Acme"]
    assert "HTTP 401" in alerts[0].reason and alerts[0].brand == "Acme"


def test_failing_is_timed_from_the_first_failure_even_without_any_success():
    minutes = timedelta(minutes=1)
    new_and_broken = CollectorStatus("twitter:Acme", "Acme", None, NOW, "HTTP 401", failing_since=NOW - 10 * minutes)
    broken_for_hours = CollectorStatus("reddit:Acme", "Acme", None, NOW, "HTTP 401", failing_since=NOW - 2 * HOUR)
    # A collector that runs every 6 hours failed once, just now: its old success does not make it "failing for long".
    one_slow_failure = CollectorStatus("feed:Acme", "Acme", NOW - 6 * HOUR, NOW, "timeout", failing_since=NOW - minutes)

    alerts = check_health([], [new_and_broken, broken_for_hours, one_slow_failure], NOW, HealthRule(), {})

    assert [(a.source, a.window_start) for a in alerts] == [("reddit:Acme", NOW - 2 * HOUR)]
    assert "no success yet" in alerts[0].reason


def test_failing_since_starts_at_the_first_error_and_ends_with_a_success(tmp_path):
    from brandpulse.store import open_db, transaction
    from brandpulse.store.state import collector_states, save_collector_error, save_collector_success

    db = open_db(tmp_path / "s.db")
    with transaction(db):
        save_collector_error(db, "twitter:Acme", "HTTP 503", NOW - HOUR)
        save_collector_error(db, "twitter:Acme", "HTTP 503", NOW)
    assert collector_states(db)[0]["failing_since"] == "2026-03-09T11:00:00Z"
    with transaction(db):
        save_collector_success(db, "twitter:Acme", None, 3, NOW)
    assert collector_states(db)[0]["failing_since"] is None


def test_activity_at_sums_the_window_and_the_same_window_on_earlier_days():
    counts = [1] * 24 * 3 + [0] * 6  # three busy days, then six empty hours
    activity = activity_at("x", counts, len(counts), HOUR, HealthRule(silence=6 * HOUR), days=3)

    assert activity.recent == 0
    assert activity.earlier == [6, 6, 6]


def test_a_collector_removed_raises_no_failing_alert_and_one_without_credentials_here_still_does(tmp_path,
                                                                                                  monkeypatch):
    import json

    from click.testing import CliRunner

    from brandpulse.alerting import health_alerts
    from brandpulse.cli import cli
    from brandpulse.config import load_config
    from brandpulse.store import open_db, transaction
    from brandpulse.store.state import save_collector_error
    from tests.conftest import write_config

    monkeypatch.delenv("TWITTER_BEARER_TOKEN", raising=False)
    config = write_config(tmp_path / "c.yaml", "brands: [{name: Acme, keywords: [acme]}]\n"
                          "collectors: [{type: twitter, name: tw}, {type: replay, name: feed, path: demo}]\n")
    db = open_db(tmp_path / "brandpulse.db")
    with transaction(db):
        # md was removed from the config; tw runs on another host, with the token this process lacks
        for name in ("md:Acme", "tw:Acme", "feed:Acme"):
            save_collector_error(db, name, "HTTP 503", NOW - 3 * HOUR)

    alerts = health_alerts(load_config(config), db, NOW, NOW)
    status = CliRunner().invoke(cli, ["--config", str(config), "status", "--format", "json"])

    assert sorted(a.source for a in alerts) == ["feed:Acme", "tw:Acme"]
    outcomes = {c["name"]: c["last_outcome"] for c in json.loads(status.stdout)["collectors"]}
    assert outcomes == {"md:Acme": "removed", "tw:Acme": "error", "feed:Acme": "error"}


def _office_hours(first, days, zone, outages):
    """Hourly counts of sources posting 10 an hour from 09:00 to 18:00 on `zone`'s wall clock, each silent in its
    `outages` (days from `first`, as (start, end) in hours)."""
    from zoneinfo import ZoneInfo

    series = {}
    for name, (start, end) in outages.items():
        hours = [(first + i * HOUR).astimezone(ZoneInfo(zone)).hour for i in range(days * 24)]
        series[name] = [0 if start <= i < end else 10 * (9 <= hour < 18) for i, hour in enumerate(hours)]
    return series


def _slow_ends(index, days, width, origin, zone, walls=None):
    """The earlier windows' ends as the replay found them before: one zone conversion per source, step and day."""
    from brandpulse.alerts.base import days_earlier

    ends = [days_earlier(origin + index * width, back, zone, width) for back in range(1, days + 1)]
    return [None if end is None else int((end - origin) / width) for end in ends]


@pytest.mark.parametrize("zone, first", [("Europe/Berlin", datetime(2026, 3, 16, tzinfo=timezone.utc)),
                                         ("Europe/Berlin", datetime(2026, 10, 12, tzinfo=timezone.utc)),
                                         ("America/St_Johns", datetime(2026, 10, 19, tzinfo=timezone.utc))])
def test_a_zones_silence_replay_raises_the_same_alerts_as_converting_each_earlier_day(monkeypatch, zone, first):
    from zoneinfo import ZoneInfo

    from brandpulse.alerts import health

    # Outages across the change of the clocks (day 13 for Berlin) and a week later.
    counts = _office_hours(first, 28, zone, {"forum": (13 * 24, 14 * 24), "shop": (20 * 24 + 6, 21 * 24)})
    replay = (counts, first + 8 * 24 * HOUR, 19 * 24, 8 * 24, HOUR, HealthRule(), 7, ZoneInfo(zone))

    fast = health.replay_silence(*replay)
    monkeypatch.setattr(health, "earlier_ends", _slow_ends)
    slow = health.replay_silence(*replay)

    assert fast == slow and {a.source for a in fast} == {"forum", "shop"}


def test_a_zones_silence_replay_converts_each_wall_clock_time_once_not_once_per_source_and_earlier_day():
    from brandpulse.alerts.health import replay_silence
    from tests.test_spike_rule import _CountingZone

    # 7 earlier days per source and step, each converted to UTC and back, made a Berlin backtest ~5x UTC's time.
    zone, first = _CountingZone("Europe/Berlin"), datetime(2026, 3, 16, tzinfo=timezone.utc)
    counts = _office_hours(first, 28, "Europe/Berlin", {f"source{i}": (0, 0) for i in range(5)})

    replay_silence(counts, first + 8 * 24 * HOUR, 19 * 24, 8 * 24, HOUR, HealthRule(), 7, zone)

    assert zone.calls / (19 * 24) < 6, zone.calls / (19 * 24)
