import email
import json
import logging
import shlex
import sqlite3
from datetime import datetime, timedelta, timezone
from email import policy

from apscheduler.schedulers.background import BackgroundScheduler

from brandpulse.config import load_config
from brandpulse.pipeline import Pipeline
from brandpulse.scheduler import add_digest_job
from tests.alert_streams import CONFIG, stream
from tests.conftest import write_config

ROUTING = """
digest:
  cron: "30 7 * * 1-5"
  timezone: Europe/Paris
"""


def _setup(tmp_path, invoke, extra=ROUTING):
    config = write_config(tmp_path / "config.yaml", CONFIG.format(extra=extra))
    # Nine days (Mon 2 Mar .. Tue 10 Mar UTC); on Tue 10 Mar the hours 9-11 UTC are a complaint storm.
    storm = {8 * 24 + h: (1, 9) for h in (9, 10, 11)}
    (tmp_path / "m.jsonl").write_text(stream(9, storm=storm) + stream(9, per_hour=(1, 0), source="reddit"), encoding="utf-8")
    assert invoke("--config", config, "ingest", tmp_path / "m.jsonl", "--no-classify").exit_code == 0
    return config


def test_preview_writes_volume_categories_trend_themes_sources_and_charts(tmp_path, invoke):
    config = _setup(tmp_path, invoke)

    result = invoke("--config", config, "digest", "--date", "2026-03-10", "--preview", tmp_path / "out.html")

    assert result.exit_code == 0, result.output
    html = (tmp_path / "out.html").read_text()
    # Paris day 10 Mar = 9 Mar 23:00 .. 10 Mar 23:00 UTC. Twitter: 21 h x (3 promoters, 1 detractor) + 3 storm
    # hours x (1, 9) = 114; reddit: 24 promoters. NSS (90 - 48) / 138 = +30; the day before (96 - 24) / 120 = +60.
    assert 'Mentions</div><div style="font-size: 24px; font-weight: bold;">138</div>' in html
    assert ">90 promoters</span> &middot; " in html and ">48 detractors</span>" in html
    assert "-30 vs previous day<br>-30 vs 7-day average (+60)" in html
    # Every complaint is the same text as in the 8 days the store holds before: nothing stands out.
    assert "No term stands out against the previous 8 days." in html
    assert ('<td>twitter</td><td align="right">114</td><td align="right">66</td><td align="right">0</td>'
            '<td align="right">48</td><td align="right">+16</td>') in html
    assert '<td>reddit</td><td align="right">24</td>' in html
    assert html.count("data:image/png;base64,iVBOR") == 1  # one brand: its trend, no share-of-voice chart
    negative = html.split("Top negative")[1].split("By source")[0]
    assert "double charged" in negative and "+47 similar" in negative  # 48 copies listed once
    assert sqlite3.connect(tmp_path / "brandpulse.db").execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


def test_send_routes_the_digest_to_the_brands_marketing_recipients_with_an_inline_chart(tmp_path, invoke):
    config = _setup(tmp_path, invoke)
    text = config.read_text().replace("keywords: [acme]", "keywords: [acme]\n    recipients: {digest: [brand-marketing@acme.test]}")
    config.write_text(text)

    result = invoke("--config", config, "digest", "--date", "2026-03-10", "--send")

    assert result.exit_code == 0, result.output
    (eml,) = (tmp_path / "outbox").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"] == "brand-marketing@acme.test"
    assert message["Subject"] == "[brandpulse] Daily digest 2026-03-10 (Europe/Paris): Acme"
    (image,) = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert f'cid:{image["Content-ID"].strip("<>")}' in message.get_body(("html",)).get_content()
    plain = message.get_body(("plain",)).get_content()
    assert "Net sentiment: +30 (-30 vs previous day, -30 vs 7-day average +60)" in plain


def test_send_without_a_date_sends_yesterdays_digest_in_the_configured_zone(tmp_path, invoke, monkeypatch):
    config = _setup(tmp_path, invoke)
    # 23:30 UTC on 10 Mar is 00:30 on 11 Mar in Paris: yesterday there is 10 Mar, in UTC 9 Mar.
    monkeypatch.setattr("brandpulse.commands.digest._now", lambda: datetime(2026, 3, 10, 23, 30, tzinfo=timezone.utc))

    result = invoke("--config", config, "digest", "--send")

    # Was: "Error: Missing option '--date'", exit code 2.
    assert result.exit_code == 0, result.output
    assert "note: no --date: the digest of 2026-03-10, yesterday in Europe/Paris" in result.output
    (eml,) = (tmp_path / "outbox").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["Subject"] == "[brandpulse] Daily digest 2026-03-10 (Europe/Paris): Acme"
    plain = message.get_body(("plain",)).get_content()
    assert "Net sentiment: +30 (-30 vs previous day, -30 vs 7-day average +60)" in plain


def test_send_while_the_service_runs_only_queues_so_that_one_process_delivers(tmp_path, invoke):
    from brandpulse.store.lock import ServiceLock

    config = _setup(tmp_path, invoke)

    with ServiceLock(tmp_path / "brandpulse.db"):  # what a running `brandpulse run` holds
        result = invoke("--config", config, "digest", "--date", "2026-03-10", "--send")

    assert result.exit_code == 0, result.output
    assert "the running service delivers it" in result.output
    assert not list((tmp_path / "outbox").glob("*.eml"))
    (status,) = sqlite3.connect(tmp_path / "brandpulse.db").execute("SELECT status FROM outbox").fetchone()
    assert status == "pending"


def test_scheduled_digest_covers_yesterday_in_the_time_zone_and_is_queued_once(tmp_path, invoke):
    config = _setup(tmp_path, invoke)
    pipeline = Pipeline(load_config(config), tmp_path / "brandpulse.db")
    now = datetime(2026, 3, 11, 6, 30, tzinfo=timezone.utc)  # 07:30 in Paris

    assert pipeline.send_digest(now) == ["Acme"]
    assert pipeline.send_digest(now) == []
    (subject,) = sqlite3.connect(tmp_path / "brandpulse.db").execute("SELECT subject FROM outbox").fetchone()
    assert "2026-03-10" in subject


def test_digest_job_fires_at_the_cron_time_in_the_configured_zone(tmp_path, invoke):
    config = _setup(tmp_path, invoke)
    scheduler = BackgroundScheduler(timezone=timezone.utc)
    add_digest_job(scheduler, Pipeline(load_config(config), tmp_path / "brandpulse.db"))

    trigger = scheduler.get_job("digest").trigger
    friday_evening = datetime(2026, 3, 13, 18, tzinfo=timezone.utc)
    fire = trigger.get_next_fire_time(None, friday_evening)

    # Weekdays only, 07:30 Paris: the next one is Monday 16 March, 06:30 UTC.
    assert fire.astimezone(timezone.utc) == datetime(2026, 3, 16, 6, 30, tzinfo=timezone.utc)


def test_invalid_cron_or_time_zone_fails_at_start_up(tmp_path, invoke):
    config = write_config(tmp_path / "config.yaml", CONFIG.format(extra="digest: {cron: '61 8 * * *', timezone: Mars/Olympus}"))

    result = invoke("--config", config, "digest", "--date", "2026-03-10", "--preview", tmp_path / "x.html")

    assert result.exit_code == 2
    assert "digest.cron" in result.output and "digest.timezone" in result.output


def test_crontab_weekday_numbers_mean_sunday_zero_as_in_cron():
    from brandpulse.crontab import weekday_names

    assert weekday_names("1-5") == "mon,tue,wed,thu,fri"
    assert weekday_names("0,6,7") == "sun,sat"
    assert weekday_names("*/2") == "sun,tue,thu,sat"
    assert weekday_names("5-7") == "sun,fri,sat"


def test_a_sunday_to_thursday_digest_skips_friday_and_saturday():
    from brandpulse.crontab import cron_trigger

    trigger = cron_trigger("0 8 * * 0-4", timezone.utc)
    thursday_noon = datetime(2026, 3, 12, 12, tzinfo=timezone.utc)

    assert trigger.get_next_fire_time(None, thursday_noon) == datetime(2026, 3, 15, 8, tzinfo=timezone.utc)


def test_a_day_of_the_month_and_a_weekday_fire_on_either_as_in_crontab_but_a_star_keeps_the_other_alone():
    from brandpulse.crontab import cron_trigger

    def fires(expression, start, count=3):
        trigger, found, at = cron_trigger(expression, timezone.utc), [], start
        for _ in range(count):
            at = trigger.get_next_fire_time(None, at)
            found.append(at.date().isoformat())
            at += timedelta(minutes=1)
        return found

    monday_the_23rd = datetime(2026, 2, 23, 12, tzinfo=timezone.utc)
    # The 1st of each month and every Monday: crontab(5) fires on either, not only on a 1st that is a Monday.
    assert fires("0 9 1 * 1", monday_the_23rd) == ["2026-03-01", "2026-03-02", "2026-03-09"]
    assert fires("0 9 * * 1", monday_the_23rd) == ["2026-03-02", "2026-03-09", "2026-03-16"]
    assert fires("0 9 */10 * *", monday_the_23rd) == ["2026-03-01", "2026-03-11", "2026-03-21"]


def test_the_days_top_lists_lead_with_the_largest_group_not_the_single_most_extreme_post():
    from brandpulse.alerts.digest import top_grouped

    def mention(text, category, score):
        return {"text": text, "category": category, "score": score, "source": "twitter"}

    angry = ["worst barista ever, never again", "cold coffee and a rude manager today", "charged twice and no reply",
             "my cup had a crack and leaked everywhere", "forty minutes for one latte", "the app ate my loyalty stars"]
    day = ([mention(t, "detractor", -0.95) for t in angry]
           + [mention(f"@acme the Leeds store is closed again #{n}", "detractor", -0.3) for n in range(12)]
           + [mention(f"lovely flat white at acme {n}", "promoter", 0.6) for n in range(5)]
           + [mention("best espresso in town", "promoter", 0.99), mention("new cups are gorgeous", "promoter", 0.9)])

    negative, positive = top_grouped(day, "detractor", 3), top_grouped(day, "promoter", 3)

    assert (negative[0]["text"], negative[0]["similar"]) == ("@acme the Leeds store is closed again #0", 11)
    assert [m["text"] for m in negative[1:]] == angry[:2]  # then the most negative, as before
    assert [m["text"] for m in positive] == ["lovely flat white at acme 0", "best espresso in town",
                                             "new cups are gorgeous"]


def test_a_digest_of_today_sent_by_hand_leaves_the_scheduled_digest_of_the_whole_day_to_go_out(tmp_path, invoke):
    from datetime import date

    from brandpulse import digesting

    config = _setup(tmp_path, invoke)
    pipeline = Pipeline(load_config(config), tmp_path / "brandpulse.db")
    evening = datetime(2026, 3, 10, 20, tzinfo=timezone.utc)  # 21:00 in Paris, the day not over
    with pipeline.session() as db:
        assert digesting.queue(pipeline.config, db, date(2026, 3, 10), ["Acme"], evening, again=True) == ["Acme"]

    assert pipeline.send_digest(datetime(2026, 3, 11, 6, 30, tzinfo=timezone.utc)) == ["Acme"]
    with pipeline.session() as db:  # a whole day sent by hand is marked: the schedule does not send it again
        assert digesting.queue(pipeline.config, db, date(2026, 3, 9), ["Acme"], evening, again=True) == ["Acme"]
    assert pipeline.send_digest(datetime(2026, 3, 10, 6, 30, tzinfo=timezone.utc)) == []


def test_a_future_day_or_preview_with_send_is_a_usage_error_and_today_says_it_is_not_over(tmp_path, invoke):
    config = _setup(tmp_path, invoke)
    today = datetime.now(timezone.utc).astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris")).date()

    future = invoke("--config", config, "digest", "--date", "2999-01-01")
    ancient = invoke("--config", config, "digest", "--date", "0001-01-01")
    both = invoke("--config", config, "digest", "--date", "2026-03-10", "--preview", tmp_path / "p.html", "--send")
    so_far = invoke("--config", config, "digest", "--date", today.isoformat())

    assert (future.exit_code, ancient.exit_code, both.exit_code) == (2, 2, 2)
    assert "2999-01-01 is in the future in Europe/Paris" in future.output and "before 1900" in ancient.output
    assert "give one of --preview, --send" in both.output and not (tmp_path / "p.html").exists()
    assert so_far.exit_code == 0 and f"{today.isoformat()} is not over in Europe/Paris" in so_far.stderr


def test_posts_in_the_digest_are_one_bounded_line_without_anything_a_terminal_acts_on():
    from brandpulse.alerts.digest_render import digest_text
    from brandpulse.alerts.shown import POST_CHARS

    posts = ["acme \x1b[2J\x1b[31mcleared your screen", "acme \u202eesrever ni", "acme line one\nline two",
             "acme " + "very long " * 8000]
    doc = {"date": "2026-03-10", "timezone": "UTC", "share_of_voice": [], "brands": [{
        "brand": "Acme", "volume": 4, "categories": {"detractor": 4}, "net_score": -100.0,
        "net_score_change": {"previous_day": None}, "net_score_7d_average": None, "trend": [], "themes": [],
        "top_positive": [], "sources": [], "alerts": [],
        "top_negative": [{"source": "x", "author": "eve\x1b]0;owned\x07", "text": t, "url": None, "similar": 0}
                         for t in posts]}]}

    text = digest_text(doc)

    assert not any(c in text for c in "\x1b\x07\u202e") and "acme line one line two" in text
    long_line = next(line for line in text.splitlines() if "very long" in line)
    assert "\ufffd[2J" in text and len(long_line) < POST_CHARS + 60 and long_line.rstrip().endswith("…")


def test_a_posts_link_in_the_text_digest_is_one_line_without_anything_a_terminal_acts_on():
    from brandpulse.alerts.digest_render import digest_text

    link = "https://example.test/p\n\nALL CLEAR, nothing to see\n\x1b[2J"
    doc = {"date": "2026-03-10", "timezone": "UTC", "share_of_voice": [], "brands": [{
        "brand": "Acme", "volume": 1, "categories": {"detractor": 1}, "net_score": -100.0,
        "net_score_change": {"previous_day": None}, "net_score_7d_average": None, "trend": [], "themes": [],
        "top_positive": [], "sources": [], "alerts": [],
        "top_negative": [{"source": "x", "author": "eve", "text": "acme broke", "url": link, "similar": 0}]}]}

    text = digest_text(doc)

    assert "\x1b" not in text and not any(line.startswith("ALL CLEAR") for line in text.splitlines())


def test_a_digests_alerts_show_their_window_in_the_digests_time_zone_with_its_date():
    from brandpulse.alerts.emails import window_in

    alert = {"window_start": "2026-12-04T20:00:00Z", "window_end": "2026-12-04T21:00:00Z"}

    assert window_in(alert, "Asia/Kolkata") == "2026-12-05 01:30-02:30 Asia/Kolkata"
    assert window_in(alert, "UTC") == "2026-12-04 20:00-21:00 UTC"
    failing = {"window_start": "2026-12-01T10:00:00Z", "window_end": "2026-12-03T09:00:00Z"}  # a health alert
    assert window_in(failing, "UTC") == "2026-12-01 10:00-2026-12-03 09:00 UTC"


def test_the_trend_line_breaks_over_a_day_without_a_score():
    from datetime import date, timedelta
    from unittest import mock

    from matplotlib.axes import Axes

    from brandpulse.alerts.charts import trend_chart

    days = [date(2026, 3, 1) + timedelta(days=n) for n in range(3)]
    with mock.patch.object(Axes, "plot", autospec=True, side_effect=Axes.plot) as plot:
        trend_chart(days, [3, 0, 4], [20.0, None, -10.0], "Acme")
    scores = plot.call_args.args[2]
    assert len(scores) == 3 and scores[1] != scores[1]  # NaN: matplotlib leaves a gap


def test_a_service_started_after_the_digest_time_sends_that_digest_once_at_start(tmp_path, invoke):
    from brandpulse.scheduler import catch_up_digest

    config = _setup(tmp_path, invoke)
    pipeline = Pipeline(load_config(config), tmp_path / "brandpulse.db")
    started = datetime(2026, 3, 10, 9, tzinfo=timezone.utc)  # down over 07:30 Paris (06:30 UTC) on Tuesday

    catch_up_digest(pipeline, now=started)  # a first start: no service ran here, nothing to catch up
    first_start = _subjects(tmp_path)
    pipeline.record_job_run("digest", started - timedelta(days=1), started - timedelta(days=1))  # Monday's, sent
    catch_up_digest(pipeline, pipeline.record_job_run, now=started)
    catch_up_digest(pipeline, now=started)  # a restart the same morning: nothing goes out twice
    catch_up_digest(pipeline, now=datetime(2026, 3, 8, 9, tzinfo=timezone.utc))  # weekdays only: none was due

    assert first_start == [] and _subjects(tmp_path) == ["[brandpulse] Daily digest 2026-03-09 (Europe/Paris): Acme"]
    (queued_at,) = sqlite3.connect(tmp_path / "brandpulse.db").execute("SELECT created_at FROM outbox").fetchone()
    assert queued_at > "2026-03-10T09"  # queued when it ran, not backdated to the missed time


def _subjects(tmp_path):
    return [row[0] for row in sqlite3.connect(tmp_path / "brandpulse.db").execute("SELECT subject FROM outbox")]


def test_the_digest_says_how_many_of_the_days_mentions_are_not_classified_yet(tmp_path, invoke):
    config = _setup(tmp_path, invoke)
    with sqlite3.connect(tmp_path / "brandpulse.db") as conn:  # the classifier is behind on 10 Mar
        conn.execute("UPDATE mentions SET category = NULL, label = NULL WHERE id IN "
                     "(SELECT id FROM mentions WHERE created_at LIKE '2026-03-10%' LIMIT 5)")

    text = invoke("--config", config, "digest", "--date", "2026-03-10").output
    as_json = invoke("--config", config, "digest", "--date", "2026-03-10", "--format", "json").output
    doc = __import__("json").loads(as_json)

    assert doc["brands"][0]["unclassified"] == 5
    assert "; 5 more not classified yet, in no figure below" in text


def test_net_scores_round_half_away_from_zero_as_stats_does():
    from brandpulse.alerts.digest import _round

    from brandpulse.alerts.emails import signed

    assert (_round(12.25), _round(-12.25), _round(0.05), _round(None)) == (12.3, -12.3, 0.1, None)
    # The text, HTML and chat digests print whole points the same way, and never "-0".
    assert (signed(12.5), signed(-12.5), signed(-0.4), signed(12.25, 1)) == ("+13", "-13", "+0", "+12.3")


def test_the_latest_digest_time_is_found_across_the_night_the_clocks_go_back():
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from brandpulse.crontab import cron_trigger, last_fire

    def latest(cron, zone, now):
        fire = last_fire(cron_trigger(cron, ZoneInfo(zone)), now, timedelta(days=1))
        return fire.astimezone(timezone.utc)

    noon = datetime(2026, 10, 25, 12, tzinfo=timezone.utc)  # 02:00-03:00 happens twice in Berlin that night
    assert latest("30 2 * * *", "Europe/Berlin", noon) == datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc)
    new_york = datetime(2026, 11, 1, 12, tzinfo=timezone.utc)  # and 01:00-02:00 in New York a week later
    assert latest("30 * * * *", "America/New_York", new_york) == datetime(2026, 11, 1, 11, 30, tzinfo=timezone.utc)
    assert latest("30 1 * * *", "America/New_York", new_york) == datetime(2026, 11, 1, 6, 30, tzinfo=timezone.utc)


def test_a_brand_name_with_dollar_signs_draws_its_charts(tmp_path, invoke):
    config = _setup(tmp_path, invoke)
    config.write_text(config.read_text().replace("name: Acme", "name: Buy$$Now"))
    with sqlite3.connect(tmp_path / "brandpulse.db") as conn:
        conn.execute("UPDATE mentions SET brand = 'Buy$$Now'")

    result = invoke("--config", config, "digest", "--date", "2026-03-10", "--preview", tmp_path / "d.html")

    assert result.exit_code == 0, result.output
    assert "Buy$$Now" in (tmp_path / "d.html").read_text()


def test_a_preview_in_a_folder_that_does_not_exist_is_a_usage_error_naming_it(tmp_path, invoke):
    config = _setup(tmp_path, invoke)
    target = tmp_path / "no-such-folder" / "d.html"

    result = invoke("--config", config, "digest", "--date", "2026-03-10", "--preview", target)

    assert result.exit_code == 2
    assert f"cannot write {target}: No such file or directory" in result.output and "'--preview'" in result.output


def test_mentions_an_older_release_stored_under_another_capitalisation_count_in_the_digest(tmp_path, invoke):
    config = _setup(tmp_path, invoke)
    conn = sqlite3.connect(tmp_path / "brandpulse.db")
    with conn:  # as an older release stored an imported line's 'brand': "acme" as written
        conn.execute("UPDATE mentions SET brand = 'acme' WHERE source = 'twitter'")
    conn.close()
    (tmp_path / "none.jsonl").write_text("", encoding="utf-8")

    started = invoke("--config", config, "-v", "ingest", tmp_path / "none.jsonl")  # the next start folds them
    result = invoke("--config", config, "digest", "--date", "2026-03-10", "--preview", tmp_path / "out.html")

    assert result.exit_code == 0, result.output
    html = (tmp_path / "out.html").read_text()
    assert 'Mentions</div><div style="font-size: 24px; font-weight: bold;">138</div>' in html
    assert "882 mention(s) stored under another capitalisation of a configured brand now count" in started.output


def test_a_command_other_than_run_folds_older_spellings_without_a_warning_on_stderr(tmp_path, invoke):
    config = _setup(tmp_path, invoke)
    with sqlite3.connect(tmp_path / "brandpulse.db") as conn:  # as an older release stored them
        conn.execute("UPDATE mentions SET brand = 'acme', source = 'Twitter' WHERE source = 'twitter'")
    (tmp_path / "none.jsonl").write_text("", encoding="utf-8")

    started = invoke("--config", config, "ingest", tmp_path / "none.jsonl")

    # Was: 'WARNING 882 mention(s) stored under another capitalisation ...' and the source's, printed by ingest,
    # status or digest in a script, where `run` says it; both folds are still done.
    assert started.exit_code == 0 and "stored under another" not in started.output
    with sqlite3.connect(tmp_path / "brandpulse.db") as conn:
        stored = conn.execute("SELECT DISTINCT brand, source FROM mentions ORDER BY source").fetchall()
    assert stored == [("Acme", "reddit"), ("Acme", "twitter")]


def test_store_folds_are_warnings_for_the_service_and_info_for_other_commands(tmp_path, invoke, caplog):
    config = _setup(tmp_path, invoke)
    with sqlite3.connect(tmp_path / "brandpulse.db") as conn:
        conn.execute("UPDATE mentions SET brand = 'acme', source = 'Twitter' WHERE source = 'twitter'")
    caplog.set_level(logging.INFO)
    logging.getLogger().addHandler(caplog.handler)  # the CLI's logging set-up (in _setup) replaced the root's handlers
    levels = {}
    for quiet in (True, False):
        caplog.clear()
        Pipeline(load_config(config), tmp_path / "brandpulse.db", quiet=quiet).open().close()
        levels[quiet] = {r.levelname for r in caplog.records if "stored under another" in r.getMessage()}
        with sqlite3.connect(tmp_path / "brandpulse.db") as conn:  # stored so again for the next start
            conn.execute("UPDATE mentions SET brand = 'acme', source = 'Twitter' WHERE source = 'twitter'")

    assert levels == {True: {"INFO"}, False: {"WARNING"}}


def test_a_day_of_imported_labels_says_its_complaints_are_not_known_and_counts_what_query_to_answer_lists(
        tmp_path, invoke):
    config = _setup(tmp_path, invoke)  # labels imported without a complaint probability

    doc = json.loads(invoke("--config", config, "digest", "--date", "2026-03-10", "--format", "json").output)
    text = invoke("--config", config, "digest", "--date", "2026-03-10").output
    html = invoke("--config", config, "digest", "--date", "2026-03-10", "--format", "html").output
    command = shlex.split(text.split("; listed by: ")[1].splitlines()[0])
    listed = json.loads(invoke("--config", config, *command[1:], "--format", "json").output)

    acme = doc["brands"][0]
    assert (acme["complaints"], acme["complaint_unknown"], acme["to_answer"]) == (0, 48, 48)
    # Was: 'Complaints (posts that need an answer): 0' beside 48 detractors, each one a post to answer.
    expected = ("Posts to answer: 48 = 48 detractor mentions (0 of them complaints, 48 not known: labels "
                "imported without a complaint probability")
    assert expected in text and expected.split(": ", 1)[1] in html
    assert command == ["brandpulse", "query", "--brand", "Acme", "--tz", "Europe/Paris", "--since", "2026-03-10",
                       "--until", "2026-03-11", "--to-answer", "--all"]
    assert len(listed) == 48


MARKETING_CHAT = ROUTING + """
channels:
  - {name: marketing, url_env: BP_TEST_MARKETING_URL, kinds: [digest]}
"""


def _two_brands(tmp_path, invoke):
    config = _setup(tmp_path, invoke, extra=MARKETING_CHAT)
    config.write_text(config.read_text().replace("brands:\n", "brands:\n  - {name: Globex, keywords: [globex]}\n", 1))
    return config


def _outbox_statuses(tmp_path):
    conn = sqlite3.connect(tmp_path / "brandpulse.db")
    return conn.execute("SELECT channel, status FROM outbox ORDER BY id").fetchall()


def test_send_counts_every_message_waiting_when_the_chat_endpoint_is_down(tmp_path, invoke, monkeypatch):
    from tests.test_hardening_outages import _free_port

    config = _two_brands(tmp_path, invoke)
    monkeypatch.setenv("BP_TEST_MARKETING_URL", f"json://127.0.0.1:{_free_port()}/hook")  # nobody listens

    result = invoke("--config", config, "digest", "--date", "2026-03-10", "--send")

    # Globex's chat message was not tried once Acme's failed: it waits too. Was: '1 waiting for retry'.
    assert "2 message(s) delivered (email and chat), 2 waiting for retry" in result.output
    # Was: exit code 0, as if the digest had reached everyone.
    assert result.exit_code == 1 and "Error: 2 message(s) not delivered (" in result.output
    assert sorted(_outbox_statuses(tmp_path)) == [("email", "sent")] * 2 + [("marketing", "pending")] * 2


def test_send_tells_a_chat_message_given_up_from_those_waiting_for_a_retry(tmp_path, invoke, monkeypatch, server):
    config = _two_brands(tmp_path, invoke)
    monkeypatch.setenv("BP_TEST_MARKETING_URL", f"json://{server.url.split('://')[1]}/deleted-hook")  # answers 404

    result = invoke("--config", config, "digest", "--date", "2026-03-10", "--send")

    # Was: '2 message(s) delivered (email and chat), 1 waiting for retry', of a message refused for good.
    assert ("2 message(s) delivered (email and chat), 1 waiting for retry, 1 given up (`brandpulse outbox list` "
            "shows them, `brandpulse outbox retry` queues them again)") in result.output
    assert result.exit_code == 1 and "1 wait in the outbox for a retry, 1 given up, not retried" in result.output
    assert sorted(_outbox_statuses(tmp_path)) == [("email", "sent")] * 2 + [("marketing", "failed"),
                                                                            ("marketing", "pending")]


def test_send_exits_1_when_the_smtp_server_is_down_as_run_once_does(tmp_path, invoke):
    from tests.test_hardening_outages import _free_port

    config = _setup(tmp_path, invoke)
    smtp = f"  smtp: {{host: 127.0.0.1, port: {_free_port()}, security: none}}\n"
    text = config.read_text().replace("  digest: [marketing@acme.test]\n", "  digest: [marketing@acme.test]\n" + smtp)
    config.write_text(text)

    result = invoke("--config", config, "digest", "--date", "2026-03-10", "--send")

    # Was: exit code 0 after '0 message(s) delivered (email and chat), 1 waiting for retry': cron saw a success.
    assert "0 message(s) delivered (email and chat), 1 waiting for retry" in result.output
    last = result.output.rstrip().splitlines()[-1]
    assert result.exit_code == 1 and last.startswith("Error: 1 message(s) not delivered (SMTP 127.0.0.1:")
    assert last.endswith("; they wait in the outbox for a retry")
    assert _outbox_statuses(tmp_path) == [("email", "pending")]


def _deliver_job(invoke, config):
    jobs = json.loads(invoke("--config", config, "status", "--format", "json").stdout)["jobs"]
    return next(job for job in jobs if job["job"] == "deliver")


def test_send_is_recorded_as_a_deliver_run_that_status_shows(tmp_path, invoke):
    config = _setup(tmp_path, invoke)

    assert invoke("--config", config, "digest", "--date", "2026-03-10", "--send").exit_code == 0

    # Was: no run on record ('-', 0 runs), as if nothing had been sent since the service last ran.
    job = _deliver_job(invoke, config)
    assert (job["last_outcome"], job["runs"], job["failures"]) == ("ok", 1, 0)
    assert job["last_success_at"] and job["last_duration_s"] is not None


def test_a_send_the_smtp_server_refused_is_a_failed_deliver_run_naming_why(tmp_path, invoke):
    from tests.test_hardening_outages import _free_port

    config = _setup(tmp_path, invoke)
    smtp = f"  smtp: {{host: 127.0.0.1, port: {_free_port()}, security: none}}\n"
    text = config.read_text().replace("  digest: [marketing@acme.test]\n", "  digest: [marketing@acme.test]\n" + smtp)
    config.write_text(text)

    assert invoke("--config", config, "digest", "--date", "2026-03-10", "--send").exit_code == 1

    job = _deliver_job(invoke, config)
    assert (job["last_outcome"], job["runs"], job["failures"]) == ("error", 1, 1)
    assert "SMTP 127.0.0.1:" in job["last_error"]


def test_send_exits_1_when_no_brand_has_anyone_to_send_the_digest_to(tmp_path, invoke):
    config = _setup(tmp_path, invoke)
    config.write_text(config.read_text().replace("    digest: [marketing@acme.test]\n", ""))

    result = invoke("--config", config, "digest", "--date", "2026-03-10", "--send")

    # Was: 'digest queued for no brand; 0 message(s) delivered (email and chat), 0 waiting for retry', exit code 0.
    assert result.exit_code == 1 and "Error: no digest queued: Acme has no digest recipients" in result.output


def test_the_printed_digest_ends_with_a_newline_in_every_format(tmp_path, invoke):
    config = _setup(tmp_path, invoke)

    for fmt in ("text", "html", "json"):
        result = invoke("--config", config, "digest", "--date", "2026-03-10", "--format", fmt)

        # Was: text ended '-- \nbrandpulse' and html '</html>', the shell's prompt on the same line.
        assert result.exit_code == 0 and result.stdout.endswith("\n") and not result.stdout.endswith("\n\n"), fmt


def test_send_exits_1_while_an_earlier_message_waits_out_its_backoff_as_run_once_does(tmp_path, invoke, monkeypatch):
    from tests.test_hardening_outages import _free_port

    config = _two_brands(tmp_path, invoke)
    config.write_text(config.read_text().replace("kinds: [digest]", "kinds: [digest], brands: [Globex]"))
    monkeypatch.setenv("BP_TEST_MARKETING_URL", f"json://127.0.0.1:{_free_port()}/hook")  # nobody listens
    sent_at = datetime(2026, 3, 11, 8, 0, tzinfo=timezone.utc)
    monkeypatch.setattr("brandpulse.commands.digest._now", lambda: sent_at)
    failed = invoke("--config", config, "digest", "--date", "2026-03-10", "--send")
    monkeypatch.setattr("brandpulse.commands.digest._now", lambda: sent_at + timedelta(seconds=30))  # inside backoff

    acme = invoke("--config", config, "digest", "--date", "2026-03-10", "--brand", "Acme", "--send")

    # Was: exit code 0 after '1 message(s) delivered (email and chat), 0 waiting for retry' while Globex's chat
    # message waited out its backoff; `run --once` fails then.
    assert failed.exit_code == 1 and "1 message(s) delivered (email and chat), 0 waiting for retry" in acme.output
    last = acme.output.rstrip().splitlines()[-1]
    assert acme.exit_code == 1 and last.startswith("Error: 1 message(s) wait for a retry after a failed attempt, "
                                                   "delivery not yet recovered (marketing: 1, the next at ")
    assert sorted(_outbox_statuses(tmp_path)) == [("email", "sent")] * 3 + [("marketing", "pending")]
