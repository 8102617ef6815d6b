import email
import json
import shlex
import sqlite3
from datetime import timedelta
from email import policy

from brandpulse.alerts.chat import alert_chat
from brandpulse.config import load_config
from brandpulse.pipeline import Pipeline
from tests.alert_streams import CONFIG, HOUR, START, stream
from tests.conftest import write_config
from tests.local_http import Reply


def _messages(tmp_path):
    rows = sqlite3.connect(tmp_path / "brandpulse.db").execute("SELECT message FROM outbox ORDER BY id").fetchall()
    return [email.message_from_bytes(raw, policy=policy.default) for (raw,) in rows]

STORM_HOUR = 4 * 24 + 14  # Friday 14:00


def _pipeline(tmp_path, invoke, storm, extra=""):
    config = write_config(tmp_path / "config.yaml", CONFIG.format(extra=extra))
    (tmp_path / "mentions.jsonl").write_text(stream(5, storm=storm), encoding="utf-8")
    result = invoke("--config", config, "ingest", tmp_path / "mentions.jsonl", "--no-classify")
    assert result.exit_code == 0, result.output
    return Pipeline(load_config(config), tmp_path / "brandpulse.db")


def test_storm_is_recorded_with_its_evidence_and_queued_as_one_email_with_a_chart(tmp_path, invoke):
    pipeline = _pipeline(tmp_path, invoke, {STORM_HOUR: (4, 16), STORM_HOUR + 1: (4, 18)})

    fired = pipeline.evaluate_alerts(START + 5 * 24 * HOUR)

    assert [a.window_start for a in fired] == [START + STORM_HOUR * HOUR]
    conn = sqlite3.connect(tmp_path / "brandpulse.db")
    row = conn.execute("SELECT kind, brand, observed, expected, threshold, score, details FROM alerts").fetchone()
    assert row[:3] == ("spike", "Acme", 16.0) and row[3] == 1.0 and row[4] == 6.0 and row[5] < 1e-9
    details = json.loads(row[6])
    # The 16 detractors are one complaint up to its tag number: one group, listed once.
    assert [m["similar"] for m in details["top_mentions"]] == [15]
    assert {"text", "author", "url", "similar"} <= set(details["top_mentions"][0])
    (raw,) = conn.execute("SELECT message FROM outbox WHERE kind = 'alert'").fetchone()
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["To"] == "support@acme.test"
    html = message.get_body(("html",))
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0].get_content().startswith(b"\x89PNG")
    assert f'cid:{images[0]["Content-ID"].strip("<>")}' in html.get_content()
    assert "double charged" in message.get_body(("plain",)).get_content()


def test_hourly_runs_through_a_long_storm_send_one_alert_and_no_duplicates_on_rerun(tmp_path, invoke):
    storm = {STORM_HOUR + h: (4, 14) for h in range(8)}
    pipeline = _pipeline(tmp_path, invoke, storm)
    now = START + (STORM_HOUR - 2) * HOUR
    pipeline.evaluate_alerts(now)

    fired = []
    for _ in range(12):
        now += HOUR
        fired += pipeline.evaluate_alerts(now)
        fired += pipeline.evaluate_alerts(now + timedelta(minutes=5))

    assert len(fired) == 1
    assert sqlite3.connect(tmp_path / "brandpulse.db").execute("SELECT count(*) FROM outbox").fetchone()[0] == 1


def _storm_email_body(tmp_path, invoke, storm_update: str, kind: str) -> str:
    """The `kind` (html, plain) body of the alert email of a storm whose mentions got `storm_update` (SQL SET)."""
    pipeline = _pipeline(tmp_path, invoke, {STORM_HOUR: (2, 16)})
    db = pipeline.open()
    db.execute(f"UPDATE mentions SET {storm_update} WHERE created_at >= '2026-03-06T14:00:00Z'")
    db.conn.commit()
    db.close()

    pipeline.evaluate_alerts(START + 5 * 24 * HOUR)

    raw = sqlite3.connect(tmp_path / "brandpulse.db").execute("SELECT message FROM outbox").fetchone()[0]
    return email.message_from_bytes(raw, policy=policy.default).get_body((kind,)).get_content()


def test_mention_text_is_escaped_in_the_html_email(tmp_path, invoke):
    html = _storm_email_body(tmp_path, invoke, "text = '<script>alert(1)</script> acme', url = 'javascript:evil()'",
                             "html")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html


def test_backtest_prints_the_alerts_as_json_lines_and_records_nothing(tmp_path, invoke):
    _pipeline(tmp_path, invoke, {STORM_HOUR: (4, 16), 2 * 24 + 9: (3, 15)})

    result = invoke("--config", tmp_path / "config.yaml", "alerts", "backtest",
                    "--since", "2026-03-03T00:00:00Z", "--until", "2026-03-07", "--brand", "Acme")

    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(a["kind"], a["brand"], a["window_start"], a["window_end"]) for a in lines] == [
        ("spike", "Acme", "2026-03-04T09:00:00Z", "2026-03-04T10:00:00Z"),
        ("spike", "Acme", "2026-03-06T14:00:00Z", "2026-03-06T15:00:00Z"),
    ]
    assert lines[1]["observed"] == 16 and lines[1]["expected"] == 1 and "16 detractor" in lines[1]["reason"]
    conn = sqlite3.connect(tmp_path / "brandpulse.db")
    assert conn.execute("SELECT count(*) FROM alerts").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


def test_backtest_rejects_an_unknown_brand(tmp_path, invoke):
    _pipeline(tmp_path, invoke, {})

    result = invoke("--config", tmp_path / "config.yaml", "alerts", "backtest", "--since", "1d",
                    "--brand", "Nope")

    assert result.exit_code == 2 and "unknown brand 'Nope'" in result.output


def test_source_that_goes_silent_raises_a_health_alert_to_support(tmp_path, invoke):
    pipeline = _pipeline(tmp_path, invoke, {h: (0, 0) for h in range(4 * 24 + 12, 5 * 24)})

    fired = pipeline.evaluate_alerts(START + 5 * 24 * HOUR)

    assert [(a.kind, a.source) for a in fired] == [("health", "twitter")]
    assert pipeline.evaluate_alerts(START + 5 * 24 * HOUR + HOUR) == []


def test_per_source_detection_names_the_source_that_spiked(tmp_path, invoke):
    config = write_config(tmp_path / "config.yaml", CONFIG.format(extra="").replace(
        "    lookback: 48h", "    lookback: 48h\n    per_source: true"))
    storm = {STORM_HOUR: (1, 14)}
    (tmp_path / "m.jsonl").write_text(stream(5) + stream(5, per_hour=(4, 1), storm=storm, source="reddit"), encoding="utf-8")
    assert invoke("--config", config, "ingest", tmp_path / "m.jsonl", "--no-classify").exit_code == 0

    fired = Pipeline(load_config(config), tmp_path / "brandpulse.db").evaluate_alerts(START + 5 * 24 * HOUR)

    assert sorted((a.source or "", a.observed) for a in fired) == [("", 15.0), ("reddit", 14.0)]
    reddit = next(a for a in fired if a.source == "reddit")
    assert {m["source"] for m in reddit.details["top_mentions"]} == {"reddit"}
    # The source's own 14 detractors, one near-duplicate group: not the brand's 15.
    assert [m["similar"] for m in reddit.details["top_mentions"]] == [13]


def test_backtest_reports_what_hourly_live_runs_recorded(tmp_path, invoke):
    storm = {2 * 24 + 9: (3, 15), STORM_HOUR: (4, 16), STORM_HOUR + 1: (2, 40)}
    pipeline = _pipeline(tmp_path, invoke, storm)
    since = START + 2 * 24 * HOUR

    backtested = pipeline.backtest(since, START + 5 * 24 * HOUR)
    live = []
    for hour in range(1, 3 * 24 + 1):
        live += pipeline.evaluate_alerts(since + hour * HOUR + timedelta(minutes=7))

    def key(alert):
        return (alert.kind, alert.window_start, alert.observed, alert.expected, alert.reason)

    assert [key(a) for a in backtested] == [key(a) for a in live]
    assert len(live) == 3  # two storms, the second one grown into an update


def test_collector_failing_for_hours_raises_one_health_alert_to_the_brands_support(tmp_path, invoke, monkeypatch):
    from brandpulse.store import state as store_state
    from brandpulse.store import transaction

    monkeypatch.setenv("TWITTER_BEARER_TOKEN", "a-token-the-api-refuses")
    pipeline = _pipeline(tmp_path, invoke, {}, extra="collectors: [{type: twitter}]\n")  # configured, not removed
    now = START + 5 * 24 * HOUR
    db = pipeline.open()
    with transaction(db):
        store_state.save_collector_success(db, "twitter:Acme", {"since_id": "9"}, 3, now - 5 * HOUR)
        store_state.save_collector_error(db, "twitter:Acme", "HTTP 401 from api.twitter.com; check the bearer token", now)
    db.close()

    fired = pipeline.evaluate_alerts(now) + pipeline.evaluate_alerts(now + HOUR)

    assert [(a.kind, a.brand, a.source) for a in fired] == [("health", "Acme", "twitter:Acme")]
    subject, to = sqlite3.connect(tmp_path / "brandpulse.db").execute("SELECT subject, recipients FROM outbox").fetchone()
    assert subject == "[brandpulse] Collector health: twitter:Acme" and json.loads(to) == ["support@acme.test"]


def test_a_storm_whose_mentions_arrive_after_its_hour_was_evaluated_still_alerts_and_grows(tmp_path, invoke):
    # The alerts job read the storm hour before its mentions were in (a lagging classifier or collector, an import):
    # the next run reads that hour again instead of losing the storm, and later arrivals that double it update it.
    pipeline = _pipeline(tmp_path, invoke, {})
    quiet = pipeline.evaluate_alerts(START + (STORM_HOUR + 2) * HOUR)
    late = tmp_path / "late.jsonl"

    def arrive(count, tag):
        lines = [json.dumps({"source": "twitter", "id": f"{tag}-{n}", "brand": "Acme", "label": "negative",
                             "text": f"acme double charged again, refund please #{tag}{n}",
                             "created_at": (START + STORM_HOUR * HOUR + timedelta(minutes=n)).strftime(
                                 "%Y-%m-%dT%H:%M:%SZ")}) for n in range(count)]
        late.write_text("\n".join(lines) + "\n", encoding="utf-8")
        assert invoke("--config", tmp_path / "config.yaml", "ingest", late).exit_code == 0

    arrive(16, "a")
    first = pipeline.evaluate_alerts(START + (STORM_HOUR + 2) * HOUR + timedelta(minutes=5))
    again = pipeline.evaluate_alerts(START + (STORM_HOUR + 2) * HOUR + timedelta(minutes=10))
    arrive(40, "b")
    grown = pipeline.evaluate_alerts(START + (STORM_HOUR + 2) * HOUR + timedelta(minutes=15))

    assert quiet == [] and again == []
    assert [(a.window_start, a.observed) for a in first] == [(START + STORM_HOUR * HOUR, 17.0)]
    assert [(a.window_start, a.observed, a.details.get("update")) for a in grown] == [
        (START + STORM_HOUR * HOUR, 57.0, 1)]


def test_a_mentions_link_is_one_line_without_anything_a_terminal_acts_on_in_the_text_email(tmp_path, invoke):
    text = _storm_email_body(tmp_path, invoke, "url = 'https://example.test/p' || char(10, 10) || "
                             "'ALL CLEAR, no action needed' || char(10, 27) || '[2J'", "plain")
    assert "\x1b" not in text and "ALL CLEAR, no action needed" in text
    assert not any(line.startswith("ALL CLEAR") for line in text.splitlines())


def _listed(invoke, tmp_path, body: str, label: str) -> list[dict]:
    """The rows the command printed after `label` in an alert's text body lists."""
    command = shlex.split(body.split(label)[1].strip().splitlines()[0])
    assert command[:2] == ["brandpulse", "query"]
    result = invoke("--config", tmp_path / "config.yaml", *command[1:], "--format", "json",
                    "--columns", "external_id,category,complaint,text,created_at")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_complaint_in_a_four_star_review_is_counted_listed_and_named_by_the_alerts_command(tmp_path, invoke):
    # With rating_takes_precedence a 4-star review is passive whatever its text: the head's complaint in it is
    # counted by stats and digests, so the alert must list it and name it in its command too.
    pipeline = _pipeline(tmp_path, invoke, {STORM_HOUR: (4, 16)})
    conn = sqlite3.connect(tmp_path / "brandpulse.db")
    hour = (START + STORM_HOUR * HOUR).strftime("%Y-%m-%dT%H:%M:%SZ")
    others = [r[0] for r in conn.execute("SELECT external_id FROM mentions WHERE created_at >= ? AND "
                                         "category = 'promoter' ORDER BY id", [hour])]
    with conn:
        conn.executemany("UPDATE mentions SET category = 'passive', label = 'neutral', rating = 4, score = 0.1, "
                         "complaint = ?, text = ? WHERE external_id = ?",
                         [(0.9, "4 stars, but acme never sent my order, please answer", others[0]),
                          (0.2, "4 stars, acme is fine", others[1])])
        conn.execute("UPDATE mentions SET complaint = 0.7 WHERE external_id = ?", [others[2]])  # praise
    stats = invoke("--config", tmp_path / "config.yaml", "stats", "--by", "hour", "--since", hour, "--until",
                   (START + (STORM_HOUR + 1) * HOUR).strftime("%Y-%m-%dT%H:%M:%SZ"), "--format", "json")

    (alert,) = pipeline.evaluate_alerts(START + 5 * 24 * HOUR)

    assert json.loads(stats.stdout)[0]["complaints"] == 1
    assert alert.details["complaints"] == 1 and alert.details["passive_complaints"] == 1
    assert alert.details["detractors"] == alert.observed == 16
    assert alert.details["top_mentions"][0]["text"].startswith("4 stars, but acme never sent my order")
    assert alert.details["top_mentions"][0]["is_complaint"]
    body = _messages(tmp_path)[0].get_body(("plain",)).get_content()
    # The storm's detractors were stored without a complaint probability: not known, rather than none.
    said = ("Posts to answer: 17 = 16 detractor mentions (0 of them complaints, 16 not known: labels imported without "
            "a complaint probability, or read by a model without a complaint head) + 1 other complaint (passive "
            "mentions, a 4-star review say, that read as complaints)")
    assert said in body
    assert "(complaint): 4 stars, but acme never sent my order" in body
    rows = [r for r in _listed(invoke, tmp_path, body, "the likeliest complaints first:")
            if r["created_at"] < (START + (STORM_HOUR + 1) * HOUR).strftime("%Y-%m-%dT%H:%M:%SZ")]
    assert rows[0]["external_id"] == others[0] and len(rows) == 17
    assert {r["category"] for r in rows[1:]} == {"detractor"}
    chat = alert_chat(alert, 1).body
    assert f"{said}." in chat.splitlines() and "--to-answer" in chat.splitlines()[-2]


def _storm_rows(tmp_path, start, end) -> set[str]:
    return {r[0] for r in sqlite3.connect(tmp_path / "brandpulse.db").execute(
        "SELECT external_id FROM mentions WHERE category = 'detractor' AND created_at >= ? AND created_at < ?",
        [start.strftime("%Y-%m-%dT%H:%M:%SZ"), end.strftime("%Y-%m-%dT%H:%M:%SZ")])}


def test_the_first_email_of_a_storm_its_owner_acknowledged_names_every_post_of_its_later_hours(tmp_path, invoke):
    # Nine hours of storm; it doubles at hour 4. Its owner acknowledged the first alert, so the update is not sent:
    # the first email's command is all support has, and must list the posts of every hour since the storm began.
    storm = {STORM_HOUR + h: (4, 40 if h == 4 else 16) for h in range(9)}
    pipeline = _pipeline(tmp_path, invoke, storm)
    fired = pipeline.evaluate_alerts(START + (STORM_HOUR + 1) * HOUR)
    assert invoke("--config", tmp_path / "config.yaml", "alerts", "ack", "1", "--by", "dana").exit_code == 0
    for hour in range(2, 10):
        fired += pipeline.evaluate_alerts(START + (STORM_HOUR + hour) * HOUR)

    assert [a.details.get("update") for a in fired] == [None, 1]
    (message,) = _messages(tmp_path)
    rows = _listed(invoke, tmp_path, message.get_body(("plain",)).get_content(), "the likeliest complaints first:")
    storm_start = START + STORM_HOUR * HOUR
    assert {r["external_id"] for r in rows} >= _storm_rows(tmp_path, storm_start, storm_start + 9 * HOUR)
    assert fired[1].details["storm_start"] == fired[0].details["storm_start"] == "2026-03-06T14:00:00Z"


def test_a_storm_updates_command_lists_the_hours_since_the_storm_began_not_its_own_hour_alone(tmp_path, invoke):
    storm = {STORM_HOUR + h: (4, 40 if h == 3 else 16) for h in range(4)}
    pipeline = _pipeline(tmp_path, invoke, storm)
    for hour in range(1, 5):
        pipeline.evaluate_alerts(START + (STORM_HOUR + hour) * HOUR)

    first, update = _messages(tmp_path)
    assert "(update: growing)" in update["Subject"]
    rows = _listed(invoke, tmp_path, update.get_body(("plain",)).get_content(), "the likeliest complaints first:")
    storm_start = START + STORM_HOUR * HOUR
    # Every post to answer from the storm's start on: its four hours, and the hours since (open-ended).
    assert {r["external_id"] for r in rows} == _storm_rows(tmp_path, storm_start, START + 5 * 24 * HOUR)
    assert _storm_rows(tmp_path, storm_start, storm_start + 4 * HOUR) < {r["external_id"] for r in rows}


def test_a_storm_recorded_before_its_start_was_kept_starts_its_updates_command_at_its_first_alert(tmp_path, invoke):
    storm = {STORM_HOUR + h: (4, 40 if h == 3 else 16) for h in range(4)}
    pipeline = _pipeline(tmp_path, invoke, storm)
    pipeline.evaluate_alerts(START + (STORM_HOUR + 2) * HOUR)
    conn = sqlite3.connect(tmp_path / "brandpulse.db")
    with conn:  # as an older brandpulse stored it
        (key, value), = conn.execute("SELECT key, value FROM state WHERE key LIKE 'alerts.storm:%'").fetchall()
        conn.execute("UPDATE state SET value = ? WHERE key = ?",
                     [json.dumps({k: v for k, v in json.loads(value).items() if k != "start"}), key])

    (update,) = pipeline.evaluate_alerts(START + (STORM_HOUR + 4) * HOUR)

    assert update.details["update"] == 1 and update.details["storm_start"] == "2026-03-06T14:00:00Z"


def test_an_alert_email_names_its_alert_id_and_how_to_acknowledge_it_as_its_chat_message_does(tmp_path, invoke):
    storm = {STORM_HOUR + h: (4, 40 if h == 1 else 16) for h in range(2)}
    pipeline = _pipeline(tmp_path, invoke, storm)
    for hour in range(1, 3):
        pipeline.evaluate_alerts(START + (STORM_HOUR + hour) * HOUR)

    ids = [r[0] for r in sqlite3.connect(tmp_path / "brandpulse.db").execute("SELECT id FROM alerts ORDER BY id")]
    for alert_id, message in zip(ids, _messages(tmp_path), strict=True):
        for kind in ("plain", "html"):
            assert (f"Alert #{alert_id}; acknowledge with: brandpulse alerts ack {alert_id} --by NAME"
                    in message.get_body((kind,)).get_content())


def test_a_new_feeds_undated_history_raises_no_storm_where_storing_it_at_first_sight_would(tmp_path, invoke, server):
    # A forum feed gives its last 30 posts without dates, complaints all; the brand has 5 days of history from
    # another source. Dated at first sight they would be 30 detractors in one hour: a storm that never happened.
    posts = [(f"t/{n}", f"acme double charged me, refund please #{n}") for n in range(30)]
    items = "".join(f"<item><guid>{guid}</guid><title>{text}</title></item>" for guid, text in posts)
    server.route("/forum.rss", Reply(200, f'<?xml version="1.0"?><rss version="2.0"><channel><title>forum</title>'
                                          f"{items}</channel></rss>".encode(), {"Content-Type": "application/rss+xml"}))
    first_sight = START + 5 * 24 * HOUR + timedelta(minutes=10)
    pipeline = _pipeline(tmp_path, invoke, {}, extra=f'collectors: [{{type: feed, name: forum, url: "{server.url}'
                                                       '/forum.rss", source: forum}]\n')
    storing = tmp_path / "storing"
    storing.mkdir()
    stored_at_first_sight = _pipeline(storing, invoke, {})
    (storing / "forum.jsonl").write_text("".join(json.dumps({
        "source": "forum", "id": guid, "brand": "Acme", "text": text, "label": "negative",
        "created_at": first_sight.strftime("%Y-%m-%dT%H:%M:%SZ")}) + "\n" for guid, text in posts), encoding="utf-8")
    assert invoke("--config", storing / "config.yaml", "ingest", storing / "forum.jsonl").exit_code == 0

    collected = pipeline.collect(first_sight)
    pipeline.classify(first_sight)
    fired = pipeline.evaluate_alerts(first_sight + HOUR)
    counterfactual = stored_at_first_sight.evaluate_alerts(first_sight + HOUR)

    assert [(a.kind, a.reason) for a in fired if a.kind == "spike"] == []
    assert collected.new == 0 and not collected.failures  # remembered as the feed's history
    assert [(a.kind, a.observed) for a in counterfactual if a.kind == "spike"] == [("spike", 30.0)]


def test_a_feeds_undated_posts_found_at_once_after_an_outage_raise_no_storm_and_are_stored_as_estimates(
        tmp_path, invoke, server):
    # The forum was read once (two old posts remembered), then the service was down 8 hours: 30 undated complaints
    # posted over that time are all found by the next run, dated then. They are no storm of that hour.
    def forum(*guids: str) -> Reply:
        items = "".join(f"<item><guid>{g}</guid><title>acme double charged me, refund please #{g}</title></item>"
                        for g in guids)
        return Reply(200, f'<?xml version="1.0"?><rss version="2.0"><channel><title>forum</title>{items}'
                          "</channel></rss>".encode(), {"Content-Type": "application/rss+xml"})

    last_read = START + 5 * 24 * HOUR - 8 * HOUR
    back = START + 5 * 24 * HOUR + timedelta(minutes=10)
    server.route("/forum.rss", forum("old1", "old2"))
    pipeline = _pipeline(tmp_path, invoke, {}, extra=f'collectors: [{{type: feed, name: forum, url: "{server.url}'
                                                       '/forum.rss", source: forum}]\n')
    assert pipeline.collect(last_read).new == 0
    server.route("/forum.rss", forum(*[f"n{n}" for n in range(30)], "old1", "old2"))

    collected = pipeline.collect(back)
    pipeline.classify(back)
    fired = pipeline.evaluate_alerts(back + HOUR)

    assert collected.new == 30 and not collected.failures
    rows = sqlite3.connect(tmp_path / "brandpulse.db").execute(
        "SELECT DISTINCT created_at, dated_after, category FROM mentions WHERE source = 'forum'").fetchall()
    assert rows == [("2026-03-07T00:10:00Z", "2026-03-06T16:00:00Z", "detractor")]
    assert [(a.kind, a.reason) for a in fired if a.kind == "spike"] == []
