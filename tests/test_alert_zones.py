import email
import json
import sqlite3
from datetime import timezone
from email import policy

import pytest

from brandpulse.alerts.base import Alert
from brandpulse.alerts.chat import alert_chat, digest_chat
from tests.alert_streams import HOUR, START
from tests.test_alerts_pipeline import STORM_HOUR, _pipeline
from tests.test_channels_delivery import CHANNELS, SUPPORT_ONLY
from tests.test_channels_delivery import _pipeline as _channel_pipeline

BERLIN = "digest: {timezone: Europe/Berlin}\n"
# The storm's hour, 14:00-15:00Z on Friday 6 March 2026, is 15:00-16:00 in Berlin (winter time, +01:00).
STORM = {STORM_HOUR: (4, 16)}
AFTER_STORM = START + (STORM_HOUR + 1) * HOUR


def _windows(result):
    assert result.exit_code == 0, result.output
    return [json.loads(line)["window_start"] for line in result.stdout.splitlines()]


def test_backtest_reads_a_bare_since_in_tz_and_keeps_utc_in_its_json_lines(tmp_path, invoke):
    _pipeline(tmp_path, invoke, STORM)
    config = tmp_path / "config.yaml"
    window = ("--since", "2026-03-06T15:00", "--until", "2026-03-07")

    berlin = invoke("--config", config, "alerts", "backtest", *window, "--tz", "Europe/Berlin")
    utc = invoke("--config", config, "alerts", "backtest", *window)
    offset = invoke("--config", config, "alerts", "backtest", "--since", "2026-03-06T15:00Z", "--until",
                    "2026-03-07", "--tz", "Europe/Berlin")

    # 15:00 in Berlin is the storm's start; 15:00 UTC is after it. An offset means what it says in any zone.
    assert _windows(berlin) == ["2026-03-06T14:00:00Z"]
    assert _windows(utc) == [] and _windows(offset) == []


def test_backtest_and_alerts_list_read_bare_dates_in_the_digest_time_zone_unless_tz_says_otherwise(tmp_path, invoke):
    pipeline = _pipeline(tmp_path, invoke, STORM, extra=BERLIN)
    pipeline.evaluate_alerts(AFTER_STORM)
    config = tmp_path / "config.yaml"

    backtested = invoke("--config", config, "alerts", "backtest", "--since", "2026-03-06T15:00",
                        "--until", "2026-03-07")
    listed = invoke("--config", config, "alerts", "list", "--since", "2026-03-06T15:00", "--format", "json")
    in_utc = invoke("--config", config, "alerts", "list", "--since", "2026-03-06T15:00", "--tz", "UTC",
                    "--format", "json")

    assert _windows(backtested) == ["2026-03-06T14:00:00Z"]
    assert [a["id"] for a in json.loads(listed.stdout)] == [1] and json.loads(in_utc.stdout) == []


def test_alerts_list_shows_its_times_on_the_wall_clock_of_tz_with_their_offset(tmp_path, invoke):
    pipeline = _pipeline(tmp_path, invoke, STORM)
    pipeline.evaluate_alerts(AFTER_STORM)
    config = tmp_path / "config.yaml"
    assert invoke("--config", config, "alerts", "ack", "1", "--by", "dana").exit_code == 0
    conn = sqlite3.connect(tmp_path / "brandpulse.db")
    with conn:  # acknowledged at a known moment
        conn.execute("UPDATE alerts SET acked_at = '2026-03-06T15:10:00Z'")
    conn.close()

    (berlin,) = json.loads(invoke("--config", config, "alerts", "list", "--tz", "Europe/Berlin", "--format",
                                  "json").stdout)
    (utc,) = json.loads(invoke("--config", config, "alerts", "list", "--format", "json").stdout)
    table = invoke("--config", config, "alerts", "list", "--tz", "Europe/Berlin").stdout

    assert (berlin["window_start"], berlin["window_end"], berlin["acked_at"]) == (
        "2026-03-06T15:00:00+01:00", "2026-03-06T16:00:00+01:00", "2026-03-06T16:10:00+01:00")
    assert berlin["created_at"].endswith("+01:00") and utc["created_at"].endswith("Z")
    assert (utc["window_start"], utc["acked_at"]) == ("2026-03-06T14:00:00Z", "2026-03-06T15:10:00Z")
    assert "2026-03-06T15:00:00+01:00" in table and "2026-03-06T16:10:00+01:00" in table


@pytest.mark.parametrize("command", [("alerts", "backtest", "--since", "2026-03-06"), ("alerts", "list"),
                                     ("sentiment", "rescore", "--since", "2026-03-06")])
def test_an_unknown_zone_is_a_usage_error_naming_tz(tmp_path, invoke, command):
    _pipeline(tmp_path, invoke, {})

    result = invoke("--config", tmp_path / "config.yaml", *command, "--tz", "Europe/Berln")

    assert result.exit_code == 2 and "--tz" in result.output and "'Europe/Berln'" in result.output
    assert "Traceback" not in result.output


def test_rescore_reads_a_bare_since_in_tz(tmp_path, invoke):
    _pipeline(tmp_path, invoke, {})
    config = tmp_path / "config.yaml"
    # Two mentions read by an older model: 22:00Z and 23:00Z on 5 March, 23:00 on the 5th and 00:00 on the 6th in
    # Berlin.
    conn = sqlite3.connect(tmp_path / "brandpulse.db")
    with conn:
        conn.execute("DELETE FROM mentions WHERE created_at NOT IN ('2026-03-05T22:00:00Z', '2026-03-05T23:00:00Z')")
        conn.execute("UPDATE mentions SET model = 'old', provenance = 'model'")
    conn.close()

    result = invoke("--config", config, "sentiment", "rescore", "--since", "2026-03-06", "--tz", "Europe/Berlin")

    assert result.exit_code == 0, result.output
    assert "1 mention(s) re-classified" in result.output


def _queued(tmp_path):
    """The plain-text and HTML bodies of the queued alert email, and the queued chat message."""
    conn = sqlite3.connect(tmp_path / "brandpulse.db")
    rows = dict(conn.execute("SELECT channel, message FROM outbox").fetchall())
    conn.close()
    mail = email.message_from_bytes(rows["email"], policy=policy.default)
    return (mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content(),
            rows["support"].decode("utf-8"))


def test_alert_email_and_chat_show_the_window_on_the_digest_zones_wall_clock_and_name_it(tmp_path, invoke, monkeypatch):
    monkeypatch.setenv("BP_TEST_SUPPORT_URL", "json://127.0.0.1:1/support")
    pipeline = _channel_pipeline(tmp_path, invoke, STORM, extra=SUPPORT_ONLY + BERLIN)

    pipeline.evaluate_alerts(AFTER_STORM)
    text, html, chat = _queued(tmp_path)
    conn = sqlite3.connect(tmp_path / "brandpulse.db")
    stored, details = conn.execute("SELECT window_start, details FROM alerts").fetchone()
    conn.close()

    assert "Window: 2026-03-06 15:00 to 2026-03-06 16:00 Europe/Berlin" in text
    assert "<td>2026-03-06 15:00 to 2026-03-06 16:00 Europe/Berlin</td>" in html
    assert "since the storm began at 2026-03-06 15:00 Europe/Berlin," in text and "15:00 Europe/Berlin," in html
    assert "16 detractor mentions between 15:00 and 16:00 Europe/Berlin on 2026-03-06, usually 1.0." in chat
    assert "since the storm began (15:00 Europe/Berlin)" in chat
    assert "UTC" not in text + chat
    # Stored and listed for programs as before: in UTC; the command's --since reads as the time beside it, offset named.
    assert stored == "2026-03-06T14:00:00Z" and json.loads(details)["storm_start"] == "2026-03-06T14:00:00Z"
    assert "--since 2026-03-06T15:00:00+01:00" in chat and "--since 2026-03-06T15:00:00+01:00" in text


def test_the_chat_digest_names_its_zone_and_lists_the_days_alerts_on_its_wall_clock(tmp_path, invoke, monkeypatch):
    from brandpulse import digesting

    for name in ("SUPPORT", "OTHER", "MARKETING"):
        monkeypatch.setenv(f"BP_TEST_{name}_URL", f"json://127.0.0.1:1/{name.lower()}")
    pipeline = _channel_pipeline(tmp_path, invoke, STORM, extra=CHANNELS + BERLIN)
    pipeline.evaluate_alerts(AFTER_STORM)
    db = pipeline.open()
    digesting.queue(pipeline.config, db, AFTER_STORM.date(), ["Acme"], AFTER_STORM + 24 * HOUR,
                    channels=pipeline.channels)
    subject, body = db.execute("SELECT subject, message FROM outbox WHERE channel = 'marketing'").fetchone()
    mail = db.execute("SELECT message FROM outbox WHERE kind = 'digest' AND channel = 'email'").fetchone()[0]
    db.close()

    assert subject == "Daily digest 2026-03-06 (Europe/Berlin): Acme"
    # As the digest email lists it: the storm's hour in Berlin, 15:00-16:00.
    assert body.decode().splitlines()[-1] == "Alerts (1): spike 15:00-16:00, 16 detractor mentions, usually 1.0."
    assert b"2026-03-06 15:00-16:00 Europe/Berlin spike" in mail


def test_a_chat_digest_lists_five_alerts_counts_the_others_and_dates_a_window_off_its_day():
    def spike(start, end):
        return {"kind": "spike", "source": None, "window_start": start, "window_end": end, "observed": 9,
                "expected": 1.04}
    alerts = [spike("2026-03-28T22:00:00Z", "2026-03-28T23:00:00Z"),  # 23:00-00:00 in Berlin: still the 28th
              spike("2026-03-27T22:30:00Z", "2026-03-27T23:30:00Z"),  # from the 27th into the 28th there
              *[spike(f"2026-03-28T0{h}:00:00Z", f"2026-03-28T0{h + 1}:00:00Z") for h in range(5)],
              {"kind": "health", "source": "twitter", "window_start": "2026-03-28T10:00:00Z",
               "window_end": "2026-03-28T16:00:00Z"}]

    line = digest_chat("Acme", "2026-03-28", 9, {"detractor": 9}, None, None, [], zone="Europe/Berlin",
                       alerts=alerts).body.splitlines()[-1]
    utc = digest_chat("Acme", "2026-03-28", 9, {"detractor": 9}, None, None, [], alerts=alerts[:1])

    assert line == ("Alerts (8): spike 23:00-00:00, 9 detractor mentions, usually 1.0; spike 2026-03-27 23:30-"
                    "2026-03-28 00:30, 9 detractor mentions, usually 1.0; spike 01:00-02:00, 9 detractor mentions, "
                    "usually 1.0; spike 02:00-03:00, 9 detractor mentions, usually 1.0; spike 03:00-04:00, 9 detractor "
                    "mentions, usually 1.0; and 3 more.")
    assert utc.title == "Daily digest 2026-03-28 (UTC): Acme"
    assert utc.body.splitlines()[-1] == "Alerts (1): spike 22:00-23:00, 9 detractor mentions, usually 1.0."


def test_silence_ack_and_answered_say_their_times_on_the_digest_zones_wall_clock(tmp_path, invoke, monkeypatch):
    monkeypatch.setattr("brandpulse.commands.triage._now", lambda: AFTER_STORM)  # 15:00Z, 16:00 in Berlin
    pipeline = _pipeline(tmp_path, invoke, STORM, extra=BERLIN)
    pipeline.evaluate_alerts(AFTER_STORM)
    config = tmp_path / "config.yaml"

    def run(*args):
        result = invoke("--config", config, "alerts", *args)
        assert result.exit_code == 0, result.output
        return result.stdout

    muted = run("silence", "--brand", "Acme", "--for", "2h", "--by", "dana")
    listed = json.loads(run("silences", "--format", "json"))
    in_utc = json.loads(run("silences", "--tz", "UTC", "--format", "json"))
    table = run("silences")
    run("ack", "1", "--by", "dana")
    acked = run("ack", "1", "--by", "sam")
    run("answered", "1", "--by", "dana")
    answered = run("answered", "1", "--by", "sam")
    undone = run("answered", "1", "--by", "lee", "--undo")

    assert muted == "silence 1: spike alerts of Acme muted until 2026-03-06T18:00:00+01:00 by dana\n"
    assert (listed[0]["created_at"], listed[0]["until"]) == ("2026-03-06T16:00:00+01:00", "2026-03-06T18:00:00+01:00")
    assert (in_utc[0]["created_at"], in_utc[0]["until"]) == ("2026-03-06T15:00:00Z", "2026-03-06T17:00:00Z")
    assert "2026-03-06T18:00:00+01:00" in table
    assert acked == "alert 1 was already acknowledged by dana at 2026-03-06T16:00:00+01:00\n"
    assert answered == "mention 1 was already answered by dana at 2026-03-06T16:00:00+01:00\n"
    assert undone == "mention 1: answered by dana at 2026-03-06T16:00:00+01:00, undone by lee\n"
    # Stored in UTC, as the rest of the store.
    conn = sqlite3.connect(tmp_path / "brandpulse.db")
    assert conn.execute("SELECT until FROM silences").fetchone() == ("2026-03-06T17:00:00Z",)
    conn.close()


def test_silences_refuse_an_unknown_zone_naming_tz(tmp_path, invoke):
    _pipeline(tmp_path, invoke, {})

    result = invoke("--config", tmp_path / "config.yaml", "alerts", "silences", "--tz", "Europe/Berln")

    assert result.exit_code == 2 and "--tz" in result.output and "'Europe/Berln'" in result.output


def test_the_alert_emails_chart_reads_its_hours_on_the_digest_zones_wall_clock_and_names_it(
        tmp_path, invoke, monkeypatch):
    from matplotlib.dates import num2date

    from brandpulse.alerts import charts

    figures = []
    monkeypatch.setattr(charts, "_png", lambda figure, margins=None: figures.append(figure) or b"")
    pipeline = _pipeline(tmp_path, invoke, STORM, extra=BERLIN)

    pipeline.evaluate_alerts(AFTER_STORM)
    (figure,) = figures
    figure.canvas.draw()
    axes = figure.axes[0]
    ticks = {label.get_text(): num2date(x) for label, x in zip(axes.xaxis.get_ticklabels(), axes.get_xticks())}

    assert axes.get_title() == "Acme: mentions per 1h, last 48 h (Europe/Berlin)"
    # Midnight of 6 March in Berlin is 23:00Z on the 5th; it was labelled at 00:00Z, an hour after it.
    assert ticks["03-06 00"].isoformat() == "2026-03-05T23:00:00+00:00"


def test_a_window_in_the_hour_the_clocks_go_back_gives_each_end_its_offset():
    from datetime import datetime, timezone

    from brandpulse.alerts.emails import alert_email, window_in

    # 00:00-01:00Z on 25 October 2026 is 02:00 summer time to 02:00 winter time in Berlin.
    start, end = datetime(2026, 10, 25, 0, tzinfo=timezone.utc), datetime(2026, 10, 25, 1, tzinfo=timezone.utc)
    alert = Alert("spike", "Acme", start, end, 16, 1.0, 6.0, 1e-9, "16 detractors")

    chat = alert_chat(alert, 1, "Europe/Berlin").body.splitlines()[0]
    mail = alert_email(alert, "bp@example.com", ["s@example.com"], [], zone="Europe/Berlin")
    listed = window_in({"window_start": "2026-10-25T00:00:00Z", "window_end": "2026-10-25T01:00:00Z"},
                       "Europe/Berlin")
    digest = digest_chat("Acme", "2026-10-25", 9, {"detractor": 9}, None, None, [], zone="Europe/Berlin",
                         alerts=[{"kind": "spike", "source": None, "window_start": "2026-10-25T00:00:00Z",
                                  "window_end": "2026-10-25T01:00:00Z", "observed": 16, "expected": 1.0}])

    # Was: "between 02:00 and 02:00", a window of no length.
    assert chat.startswith(
        "16 detractor mentions between 02:00 (+02:00) and 02:00 (+01:00) Europe/Berlin on 2026-10-25")
    assert ("Window: 2026-10-25 02:00 (+02:00) to 2026-10-25 02:00 (+01:00) Europe/Berlin"
            in mail.get_body(("plain",)).get_content())
    assert listed == "2026-10-25 02:00 (+02:00)-02:00 (+01:00) Europe/Berlin"
    assert "spike 02:00 (+02:00)-02:00 (+01:00), 16 detractor" in digest.body
    # An ordinary hour of that night keeps its short form.
    after = Alert("spike", "Acme", end + HOUR, end + 2 * HOUR, 16, 1.0, 6.0, 1e-9, "x")
    assert alert_chat(after, 1, "Europe/Berlin").body.startswith(
        "16 detractor mentions between 03:00 and 04:00 Europe/Berlin on 2026-10-25")


FEED = "collectors: [{type: replay, name: feed, path: demo}]\n"


def test_a_failing_collectors_last_success_reads_on_the_digest_zones_wall_clock_and_is_stored_in_utc(
        tmp_path, invoke, monkeypatch):
    from brandpulse import digesting
    from brandpulse.store import transaction
    from brandpulse.store.state import save_collector_error, save_collector_success

    monkeypatch.setenv("BP_TEST_SUPPORT_URL", "json://127.0.0.1:1/support")
    pipeline = _channel_pipeline(tmp_path, invoke, {}, extra=SUPPORT_ONLY + BERLIN + FEED)
    db = pipeline.open()
    with transaction(db):  # last worked at 09:00Z, 10:00 in Berlin; failing since 10:00Z
        save_collector_success(db, "feed:Acme", None, 3, START + (STORM_HOUR - 5) * HOUR)
        save_collector_error(db, "feed:Acme", "HTTP 503", START + (STORM_HOUR - 4) * HOUR)
    db.close()

    pipeline.evaluate_alerts(AFTER_STORM)
    text, html, chat = _queued(tmp_path)
    db = pipeline.open()
    digesting.queue(pipeline.config, db, AFTER_STORM.date(), ["Acme"], AFTER_STORM + 24 * HOUR)
    (digest,) = db.execute("SELECT message FROM outbox WHERE kind = 'digest'").fetchone()
    (stored,) = db.execute("SELECT reason FROM alerts").fetchone()
    db.close()
    digest = email.message_from_bytes(digest, policy=policy.default).get_body(("plain",)).get_content()

    shown = "collector feed:Acme keeps failing (last success 2026-03-06 10:00 Europe/Berlin); last error: HTTP 503"
    assert shown in text and shown in html and shown in chat and shown in digest
    assert "Z)" not in text + chat + digest
    assert stored == "collector feed:Acme keeps failing (last success 2026-03-06 09:00Z); last error: HTTP 503"


def test_alerts_list_shows_until_when_a_silence_muted_an_alert_on_the_wall_clock_of_tz(tmp_path, invoke):
    from brandpulse.store import open_db, transaction
    from brandpulse.store import triage as store_triage

    pipeline = _pipeline(tmp_path, invoke, STORM, extra=BERLIN)
    db = open_db(pipeline.db_path)
    with transaction(db):  # muted until 17:00Z, 18:00 in Berlin
        store_triage.add_silence(db, "Acme", "dana", AFTER_STORM + 2 * HOUR, None, AFTER_STORM - 2 * HOUR)
    db.close()
    pipeline.evaluate_alerts(AFTER_STORM)
    config = tmp_path / "config.yaml"

    (berlin,) = json.loads(invoke("--config", config, "alerts", "list", "--format", "json").stdout)
    (utc,) = json.loads(invoke("--config", config, "alerts", "list", "--tz", "UTC", "--format", "json").stdout)
    table = invoke("--config", config, "alerts", "list").stdout
    conn = sqlite3.connect(tmp_path / "brandpulse.db")
    (stored,) = conn.execute("SELECT suppressed FROM alerts").fetchone()
    conn.close()

    assert berlin["suppressed"] == "silenced by dana until 2026-03-06T18:00:00+01:00 (silence 1)"
    assert "silenced by dana until 2026-03-06T18:00:00+01:00 (silence 1)" in table
    assert utc["suppressed"] == stored == "silenced by dana until 2026-03-06T17:00:00Z (silence 1)"


def test_the_command_of_a_berlin_alert_lists_exactly_the_storms_posts_in_any_zone(tmp_path, invoke, monkeypatch):
    from tests.test_alerts_pipeline import _listed

    monkeypatch.setenv("BP_TEST_SUPPORT_URL", "json://127.0.0.1:1/support")
    pipeline = _channel_pipeline(tmp_path, invoke, STORM, extra=SUPPORT_ONLY + BERLIN)
    pipeline.evaluate_alerts(AFTER_STORM)
    text, _, chat = _queued(tmp_path)
    conn = sqlite3.connect(tmp_path / "brandpulse.db")
    expected = [row[0] for row in conn.execute(
        "SELECT external_id FROM mentions WHERE category = 'detractor' AND created_at >= '2026-03-06T14:00:00Z'")]
    conn.close()
    label = "the likeliest complaints first:"
    command = chat.split(label)[1].splitlines()[0].strip()

    from_mail = _listed(invoke, tmp_path, text, label)
    from_chat = _listed(invoke, tmp_path, chat, label)
    in_utc = _listed(invoke, tmp_path, f"{label} {command} --tz UTC", label)

    assert "--since 2026-03-06T15:00:00+01:00 " in command
    assert len(expected) == 16 + 9  # the storm's hour, and the later hours of the day (the command has no end)
    for listed in (from_mail, from_chat, in_utc):
        assert sorted(m["external_id"] for m in listed) == sorted(expected)


def test_the_digest_subject_names_its_zone_and_a_window_in_the_repeated_hour_its_offset_though_its_ends_share_it():
    from brandpulse.alerts.digest_render import digest_subject
    from brandpulse.alerts.emails import window_in

    doc = {"date": "2026-10-25", "timezone": "Europe/Berlin", "as_of": None, "brands": [{"brand": "Acme"}]}
    # 01:00-02:00Z on 25 October 2026 is the second 02:00-03:00 in Berlin, both ends in winter time (+01:00).
    winter = window_in({"window_start": "2026-10-25T01:00:00Z", "window_end": "2026-10-25T02:00:00Z"}, "Europe/Berlin")
    summer = window_in({"window_start": "2026-10-24T23:30:00Z", "window_end": "2026-10-25T00:00:00Z"}, "Europe/Berlin")
    ordinary = window_in({"window_start": "2026-10-25T02:00:00Z", "window_end": "2026-10-25T03:00:00Z"},
                         "Europe/Berlin")
    second = START.replace(month=10, day=25, hour=1)
    chat = alert_chat(Alert("spike", "Acme", second, second + HOUR, 16, 1.0, 6.0, 1e-9, "x"), 1, "Europe/Berlin").body

    assert digest_subject(doc) == "[brandpulse] Daily digest 2026-10-25 (Europe/Berlin): Acme"
    # Was "02:00-03:00": the summer-time hour an hour earlier reads the same.
    assert winter == "2026-10-25 02:00 (+01:00)-03:00 (+01:00) Europe/Berlin"
    assert summer == "2026-10-25 01:30 (+02:00)-02:00 (+02:00) Europe/Berlin"
    assert ordinary == "2026-10-25 03:00-04:00 Europe/Berlin"
    assert chat.startswith("16 detractor mentions between 02:00 (+01:00) and 03:00 (+01:00) Europe/Berlin")


def _berlin_days(path, first, days):
    """JSON lines of a Berlin brand: 8 detractors and 4 others each hour from 09:00 to 18:00 on Berlin's wall clock,
    2 others each hour of the night, nothing in the evening."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    lines, n = [], 0
    for day in range(days):
        for hour in range(24):
            local = datetime.combine(first + timedelta(days=day), time(hour), ZoneInfo("Europe/Berlin"))
            detractors, others = (8, 4) if 9 <= hour < 18 else (0, 2) if hour < 9 else (0, 0)
            for k in range(detractors + others):
                n += 1
                text = "acme double charged again" if k < detractors else "acme coffee is nice"
                lines.append(json.dumps({"source": "twitter", "id": f"t{n}", "brand": "Acme", "text": f"{text} #{n}",
                                         "created_at": f"{local.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%SZ}",
                                         "label": "negative" if k < detractors else "positive"}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("zone, fired", [("Europe/Berlin", []), ("UTC", ["2026-03-29T07:00:00Z",
                                                                        "2026-03-30T07:00:00Z"])])
def test_the_spike_rule_compares_an_hour_with_the_same_hour_on_the_digest_zones_wall_clock_across_a_clock_change(
        tmp_path, invoke, zone, fired):
    from datetime import date, datetime

    from brandpulse.config import load_config
    from brandpulse.pipeline import Pipeline
    from tests.alert_streams import CONFIG
    from tests.conftest import write_config

    config = write_config(tmp_path / "config.yaml", CONFIG.format(extra=f"digest: {{timezone: {zone}}}\n"))
    _berlin_days(tmp_path / "mentions.jsonl", date(2026, 3, 1), 30)
    assert invoke("--config", config, "ingest", tmp_path / "mentions.jsonl", "--no-classify").exit_code == 0
    pipeline = Pipeline(load_config(config), tmp_path / "brandpulse.db")

    alerts = pipeline.evaluate_alerts(datetime(2026, 3, 30, 12, tzinfo=timezone.utc))

    # Summer time began on 29 March: the 09:00 rush starts at 07:00Z. Counted in UTC, that hour was compared with
    # the quiet 08:00 of the weeks before, and alerted twice, with nothing unusual on Berlin's clock.
    assert [f"{a.window_start:%Y-%m-%dT%H:%M:%SZ}" for a in alerts if a.kind == "spike"] == fired


def _berlin_office_hours(path, first, days):
    """JSON lines of one source posting 10 mentions each hour from 09:00 to 18:00 on Berlin's wall clock for `days`
    days, then none (its collector broke)."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    lines = []
    for day in range(days):
        for hour in range(9, 18):
            local = datetime.combine(first + timedelta(days=day), time(hour), ZoneInfo("Europe/Berlin"))
            for k in range(10):
                lines.append(json.dumps({"source": "forum", "id": f"f{day}-{hour}-{k}", "brand": "Acme",
                                         "text": f"acme coffee is nice #{day}-{hour}-{k}", "label": "positive",
                                         "created_at": f"{local.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%SZ}"}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("zone, fired", [
    ("Europe/Berlin", ["2026-03-31T08:00:00Z"]),
    ("UTC", ["2026-03-29T22:00:00Z", "2026-03-30T22:00:00Z", "2026-03-31T22:00:00Z"]),
])
def test_the_silence_check_compares_a_window_with_the_same_hours_on_the_digest_zones_clock_across_a_clock_change(
        tmp_path, invoke, zone, fired):
    from datetime import date

    from tests.alert_streams import CONFIG
    from tests.conftest import write_config

    config = write_config(tmp_path / "config.yaml", CONFIG.format(extra=f"digest: {{timezone: {zone}}}\n"))
    _berlin_office_hours(tmp_path / "mentions.jsonl", date(2026, 3, 15), 16)  # until 30 March
    assert invoke("--config", config, "ingest", tmp_path / "mentions.jsonl", "--no-classify").exit_code == 0

    result = invoke("--config", config, "alerts", "backtest", "--since", "2026-03-29T00:00:00Z",
                    "--until", "2026-04-01T00:00:00Z")

    # Summer time began on 29 March: the forum posts from 07:00Z, no longer 08:00Z, and stops at 16:00Z, not 17:00Z.
    # Compared in UTC, 16:00-22:00Z of the days before held Berlin's busy 17:00, so every evening was 'silent' (and
    # the false alert's cooldown hid the real outage of 31 March); on Berlin's clock that evening is always quiet,
    # and the outage alerts at 10:00 once the forum's usual 09:00 hour passed without a post.
    alerts = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["window_end"] for a in alerts if a["kind"] == "health"] == fired


def test_a_silent_sources_reason_says_since_when_on_the_digest_zones_wall_clock_and_is_stored_in_utc(
        tmp_path, invoke, monkeypatch):
    from datetime import date, datetime

    from brandpulse.config import load_config
    from brandpulse.pipeline import Pipeline
    from tests.alert_streams import CONFIG
    from tests.conftest import write_config

    monkeypatch.setenv("BP_TEST_SUPPORT_URL", "json://127.0.0.1:1/support")
    config = write_config(tmp_path / "config.yaml", CONFIG.format(extra=BERLIN + SUPPORT_ONLY))
    _berlin_office_hours(tmp_path / "mentions.jsonl", date(2026, 3, 15), 16)  # until 30 March
    assert invoke("--config", config, "ingest", tmp_path / "mentions.jsonl", "--no-classify").exit_code == 0
    pipeline = Pipeline(load_config(config), tmp_path / "brandpulse.db")

    (alert,) = pipeline.evaluate_alerts(datetime(2026, 3, 31, 8, tzinfo=timezone.utc))  # 10:00 in Berlin
    text, html, chat = _queued(tmp_path)
    (stored,) = sqlite3.connect(tmp_path / "brandpulse.db").execute("SELECT reason FROM alerts").fetchone()

    # Was: 'yielded no mentions in the last 6h', naming no time: since when, in which zone, the reader had to work out.
    shown = "source forum yielded no mentions since 2026-03-31 04:00 Europe/Berlin (the last 6h), against 10.0 usually"
    assert shown in text and shown in html and shown in chat
    assert stored.startswith("source forum yielded no mentions since 2026-03-31 02:00Z (the last 6h), against 10.0")
    assert stored == alert.reason and "Z)" not in text + chat
