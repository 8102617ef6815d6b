import json
from datetime import datetime, timezone

import pytest

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


def test_a_havana_day_whose_midnight_comes_twice_holds_all_its_mentions_on_both_backends(invoke, store_target):
    # 2025-11-02: clocks go from 01:00 (-04:00) back to 00:00 (-05:00), so midnight comes at 04:00Z and at 05:00Z;
    # the day's mentions after the change were counted by PostgreSQL in a day starting at 05:00Z, and left out.
    path = _seed(store_target, "2025-11-02T03:30:00", "2025-11-02T04:30:00", "2025-11-02T05:30:00",
                 "2025-11-02T12:00:00")

    rows = _stats(invoke, "--db", path, "stats", "--tz", "America/Havana", "--by", "day",
                  "--since", "2025-11-01", "--until", "2025-11-03")

    assert [(r["bucket"], r["total"], r["promoters"], r["nss"]) for r in rows] == [
        ("2025-11-01", 1, 1, 100.0), ("2025-11-02", 3, 3, 100.0)]


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
    # The zone is no fault of its own: the mention's date is at the calendar's edge.
    assert "Invalid value for --tz" not in result.output and "calendar's edge" in result.output


@pytest.mark.parametrize(("args", "named", "why"), [
    (("--since", "0001-01-01T00:00Z", "--tz", "Pacific/Kiritimati"), "--since: 0001-01-01T00:00:00Z: its day on the "
     "wall clock of 'Pacific/Kiritimati' would begin before year 1", "give a later --since"),
    (("--since", "0001-01-01T00:00Z", "--tz", "America/New_York", "--by", "month"), "--since: 0001-01-01T00:00:00Z: "
     "its month on the wall clock of 'America/New_York' would begin before year 1", "give a later --since"),
    (("--since", "9999-12-30", "--until", "9999-12-31T23:00Z", "--tz", "Asia/Tokyo"), "--until: "
     "9999-12-31T23:00:00Z: its day on the wall clock of 'Asia/Tokyo' would end after year 9999",
     "give an earlier --until"),
])
def test_a_window_bound_whose_bucket_leaves_the_calendar_is_named_not_the_zone(invoke, store_target, args, named,
                                                                                why):
    path = _seed(store_target, "2026-03-02T16:00:00")

    result = invoke("--db", path, "stats", *args)

    # Was: 'Invalid value for --tz: stats cannot cut buckets in the time zone ...', blaming the zone.
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"Invalid value for {named}" in " ".join(result.output.split()) and why in result.output


def _rows(invoke, *args):
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()] if "jsonl" in args else json.loads(result.stdout)


def test_query_and_export_read_a_bare_dst_day_in_tz_as_stats_does_on_both_backends(invoke, store_target):
    # Berlin's 2026-03-29 (23 hours) runs from 23:00Z on the 28th to 22:00Z on the 29th; 22:59Z is the 28th there.
    path = _seed(store_target, "2026-03-28T22:59:00", "2026-03-28T23:30:00", "2026-03-29T21:59:00",
                 "2026-03-29T22:00:00")
    window = ("--tz", "Europe/Berlin", "--since", "2026-03-29", "--until", "2026-03-30")

    day = _stats(invoke, "--db", path, "stats", *window, "--by", "day")
    shown = _rows(invoke, "--db", path, "query", *window, "--order", "oldest", "--format", "json")
    exported = _rows(invoke, "--db", path, "export", *window, "--columns", "created_at", "--format", "jsonl")

    assert [(r["bucket"], r["total"]) for r in day] == [("2026-03-29", 2)]
    # Shown on Berlin's wall clock with the offset of each moment: winter time before 02:00, summer time after.
    assert [r["created_at"] for r in shown] == ["2026-03-29T00:30:00+01:00", "2026-03-29T23:59:00+02:00"]
    # An export is for machines: the same two mentions, their times in UTC as stored.
    assert sorted(r["created_at"] for r in exported) == ["2026-03-28T23:30:00Z", "2026-03-29T21:59:00Z"]


def test_query_reads_bare_dates_in_the_digest_time_zone_unless_tz_says_otherwise(invoke, tmp_path):
    config = write_config(tmp_path / "c.yaml", "brands:\n  - {name: Pinebrook Coffee, keywords: [pinebrook]}\n"
                                               "digest: {timezone: Asia/Tokyo}\n")
    path = _seed(tmp_path / "s.db", "2026-03-02T16:00:00")  # 01:00 on 3 March in Tokyo
    on_the_3rd = ("--since", "2026-03-03", "--until", "2026-03-04", "--format", "json")

    tokyo = _rows(invoke, "--config", config, "--db", path, "query", *on_the_3rd)
    utc = _rows(invoke, "--config", config, "--db", path, "query", *on_the_3rd, "--tz", "UTC")
    exported = _rows(invoke, "--config", config, "--db", path, "export", *on_the_3rd)

    assert [r["created_at"] for r in tokyo] == ["2026-03-03T01:00:00+09:00"]
    assert utc == []
    assert [r["created_at"] for r in exported] == ["2026-03-02T16:00:00Z"]


def test_query_and_export_refuse_an_unknown_zone_and_an_empty_window_naming_it(invoke, tmp_path):
    path = _seed(tmp_path / "s.db", "2026-03-02T16:00:00")

    unknown = [invoke("--db", path, command, "--tz", "Europe/Berln") for command in ("query", "export")]
    empty = invoke("--db", path, "query", "--tz", "America/New_York", "--since", "2026-03-02T10:00",
                   "--until", "2026-03-02T15:00Z")

    assert all(r.exit_code == 2 and "--tz" in r.output and "'Europe/Berln'" in r.output for r in unknown)
    # 10:00 in New York is 15:00Z: the window is empty, and the message shows each end with its offset.
    assert empty.exit_code == 2 and "2026-03-02T10:00:00-05:00 is not before" in empty.output


def test_zone_buckets_on_sqlite_read_each_utc_hour_once_not_each_mention_and_cut_half_hours_exactly(
        tmp_path, monkeypatch):
    from brandpulse.store import sqlite_backend, timestamps
    from brandpulse.store.db import open_db
    from brandpulse.store.stats import sentiment_stats

    calls = []
    monkeypatch.setattr(sqlite_backend, "local_bucket",
                        lambda *args: calls.append(args) or timestamps.local_bucket(*args))
    # 600 mentions in one Berlin hour, and two on either side of Kolkata's midnight (18:30Z), which cuts a UTC hour.
    moments = [f"2026-03-10T10:{m:02d}:{s:02d}" for m in range(60) for s in range(0, 60, 6)]
    path = _seed(str(tmp_path / "zones.db"), *moments, "2026-03-10T18:29:59", "2026-03-10T18:30:00")
    db = open_db(path, read_only=True)

    berlin = sentiment_stats(db, "day", zone="Europe/Berlin")
    kolkata = sentiment_stats(db, "day", zone="Asia/Kolkata")

    assert [(r["bucket"], r["total"]) for r in berlin] == [("2026-03-10", 602)]
    assert [(r["bucket"], r["total"]) for r in kolkata] == [("2026-03-10", 601), ("2026-03-11", 1)]
    assert len(calls) < 10, len(calls)


def test_sqlite_zone_buckets_from_utc_hours_equal_the_row_by_row_query_for_every_filter(tmp_path):
    from datetime import timedelta

    from brandpulse.store.db import open_db
    from brandpulse.store.stats import _SQL_COLUMNS, sentiment_stats, stats_sql

    labels, brands = ("positive", "neutral", "negative", None), ("Acme", "Bolt", None)
    start = _utc("2026-03-27T17:07:00")
    # Every 37 minutes over 3 days: hours that Kolkata's and Kathmandu's midnights cut, Berlin's short day.
    seeded = [mention(i, "x", start + timedelta(minutes=37 * i), labels[i % 4], brand=brands[i % 3],
                      rating=(i % 5) + 1 if i % 7 == 0 else None) for i in range(120)]
    db = open_db(seed(str(tmp_path / "fold.db"), seeded), read_only=True)
    since, until = _utc("2026-03-28T01:00:00"), _utc("2026-03-29T20:00:00")
    cases = [{}, {"brand": "Acme"}, {"no_brand": True}, {"since": since}, {"until": until},
             {"brand": "Bolt", "since": since, "until": until}]

    for zone in ("Asia/Kolkata", "Asia/Kathmandu", "Europe/Berlin", "America/New_York"):
        for by in ("hour", "day", "week"):
            for case in cases:
                names = [case["brand"]] if "brand" in case else []
                sql, params = stats_sql(db.dialect, by, names, case.get("since"), case.get("until"),
                                        case.get("no_brand", False), zone)
                expected = [dict(zip(_SQL_COLUMNS, row)) for row in db.execute(sql, params).fetchall()]
                got = sentiment_stats(db, by, zone=zone, **case)
                counted = [r for r in got if r["total"]]
                assert [(r["brand"], r["total"], r["promoters"], r["detractors"], r["nss"], r["complaints"],
                         r["unclassified"]) for r in counted] == [
                    (r["brand"], r["total"], r["promoters"], r["detractors"], r["nss"], r["complaints"],
                     r["unclassified"]) for r in sorted(expected, key=lambda r: (r["brand"] is not None,
                                                                                r["brand"] or "", r["bucket"]))
                ], (zone, by, case)
