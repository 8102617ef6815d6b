import json
from datetime import datetime, timezone

from tests.conftest import write_config
from tests.store_seed import mention, seed


def _utc(text):
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def _stats(invoke, *args):
    result = invoke(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _seed(target, *moments):
    return seed(target, [mention(i, "x", _utc(moment), "positive") for i, moment in enumerate(moments)])


def test_a_berlin_day_of_23_hours_holds_its_own_mentions_on_both_backends(invoke, store_target):
    # Clocks go from 02:00 to 03:00 on 2026-03-29: that day runs from 23:00Z on the 28th to 22:00Z on the 29th.
    path = _seed(store_target, "2026-03-28T22:59:00", "2026-03-28T23:30:00", "2026-03-29T21:59:00",
                 "2026-03-29T22:00:00")

    rows = _stats(invoke, "--db", path, "stats", "--tz", "Europe/Berlin", "--by", "day",
                  "--since", "2026-03-28", "--until", "2026-03-31")

    assert [(r["bucket"], r["tz"], r["total"], r["partial"]) for r in rows] == [
        ("2026-03-28", "Europe/Berlin", 1, False), ("2026-03-29", "Europe/Berlin", 2, False),
        ("2026-03-30", "Europe/Berlin", 1, False)]


def test_the_repeated_hour_of_a_new_york_autumn_night_is_two_buckets_labelled_by_offset(invoke, store_target):
    # 2026-11-01: 01:00-02:00 happens twice in New York, first at -04:00 (05:00Z), then at -05:00 (06:00Z).
    path = _seed(store_target, "2026-11-01T05:30:00", "2026-11-01T06:10:00", "2026-11-01T06:20:00")

    rows = _stats(invoke, "--db", path, "stats", "--tz", "America/New_York", "--by", "hour",
                  "--since", "2026-11-01T00:00", "--until", "2026-11-01T02:00")

    assert [(r["bucket"], r["total"]) for r in rows] == [
        ("2026-11-01T00:00:00-04:00", 0), ("2026-11-01T01:00:00-04:00", 1), ("2026-11-01T01:00:00-05:00", 2)]
    assert not any(r["partial"] for r in rows)


def test_a_week_and_a_month_follow_the_zone_across_a_month_end_on_both_backends(invoke, store_target):
    # 22:30Z on Tuesday 31 March is 00:30 on Wednesday 1 April in Berlin (summer time, +02:00).
    path = _seed(store_target, "2026-03-31T21:30:00", "2026-03-31T22:30:00", "2026-03-29T22:30:00")

    months = _stats(invoke, "--db", path, "stats", "--tz", "Europe/Berlin", "--by", "month")
    weeks = _stats(invoke, "--db", path, "stats", "--tz", "Europe/Berlin", "--by", "week")
    utc_months = _stats(invoke, "--db", path, "stats", "--tz", "UTC", "--by", "month")

    assert [(r["bucket"], r["total"]) for r in months] == [("2026-03", 2), ("2026-04", 1)]
    # Monday 30 March starts at 22:00Z on Sunday the 29th in Berlin: all three are in that week.
    assert [(r["bucket"], r["total"]) for r in weeks] == [("2026-03-30", 3)]
    assert [(r["bucket"], r["total"]) for r in utc_months] == [("2026-03", 3)]


def test_stats_cuts_days_in_the_digest_time_zone_unless_tz_says_otherwise(invoke, tmp_path):
    config = write_config(tmp_path / "c.yaml", "brands:\n  - {name: Pinebrook Coffee, keywords: [pinebrook]}\n"
                                               "digest: {timezone: Asia/Tokyo}\n")
    path = _seed(tmp_path / "s.db", "2026-03-02T16:00:00")

    tokyo = _stats(invoke, "--config", config, "--db", path, "stats")
    utc = _stats(invoke, "--config", config, "--db", path, "stats", "--tz", "UTC")

    assert [(r["bucket"], r["tz"], r["total"]) for r in tokyo] == [("2026-03-03", "Asia/Tokyo", 1)]
    assert [(r["bucket"], r["tz"], r["total"]) for r in utc] == [("2026-03-02", "UTC", 1)]


def test_an_unknown_zone_is_a_usage_error_naming_it(invoke, tmp_path):
    path = _seed(tmp_path / "s.db", "2026-03-02T16:00:00")

    result = invoke("--db", path, "stats", "--tz", "Europe/Berln")

    assert result.exit_code == 2
    assert "--tz" in result.output and "'Europe/Berln'" in result.output and "IANA" in result.output


def test_a_zone_the_postgresql_server_does_not_know_is_a_usage_error_naming_it(invoke, pg_url):
    # Python's zoneinfo reads the system's /usr/share/zoneinfo/localtime; PostgreSQL knows no zone of that name.
    path = _seed(pg_url, "2026-03-02T16:00:00")

    result = invoke("--db", path, "stats", "--tz", "localtime")

    assert result.exit_code == 2
    assert "--tz" in result.output and "'localtime'" in result.output and "Traceback" not in result.output


def test_a_bucket_past_year_9999_in_a_zone_east_of_utc_is_a_usage_error(invoke, store_target):
    path = _seed(store_target, "9999-12-31T20:00:00")

    result = invoke("--db", path, "stats", "--tz", "Asia/Tokyo")

    assert result.exit_code == 2 and "'Asia/Tokyo'" in result.output
