import email
import itertools
import json
import shlex
import sqlite3
from email import policy

from brandpulse.alerts.neardup import near_duplicates
from brandpulse.config import load_config
from brandpulse.pipeline import Pipeline
from tests.alert_streams import CONFIG, HOUR, START
from tests.conftest import write_config
from tests.insight_streams import OTHER_TOPIC, TOPIC, planted_stream

STORM_HOUR = 4 * 24 + 14  # Friday 14:00


def _pipeline(tmp_path, invoke, storms):
    config = write_config(tmp_path / "config.yaml", CONFIG.format(extra=""))
    (tmp_path / "m.jsonl").write_text(planted_stream(storms=storms, days=6), encoding="utf-8")
    result = invoke("--config", config, "ingest", tmp_path / "m.jsonl", "--no-classify")
    assert result.exit_code == 0, result.output
    return Pipeline(load_config(config), tmp_path / "brandpulse.db")


def _messages(tmp_path):
    rows = sqlite3.connect(tmp_path / "brandpulse.db").execute("SELECT message FROM outbox ORDER BY id").fetchall()
    return [email.message_from_bytes(raw, policy=policy.default) for (raw,) in rows]


def test_a_spike_alert_names_its_planted_topic_and_lists_a_flood_once(tmp_path, invoke):
    pipeline = _pipeline(tmp_path, invoke, {STORM_HOUR: (30, 25, TOPIC)})
    conn = sqlite3.connect(tmp_path / "brandpulse.db")
    with conn:  # the flood is the most negative: it leads the list
        conn.execute("UPDATE mentions SET score = iif(text LIKE '%burned my desk%', -1.0, -0.5) WHERE score < 0")

    (alert,) = pipeline.evaluate_alerts(START + 5 * 24 * HOUR)

    themes = alert.details["themes"]
    assert all(set(t) == {"term", "count", "baseline_count", "score"} for t in themes) and len(themes) <= 5
    assert any(t["term"] in TOPIC for t in themes[:3]), themes
    top = alert.details["top_mentions"]
    assert len(top) == 20  # TOP_GROUPS; the email lists them all, the chat message its first 3
    for a, b in itertools.combinations(top, 2):
        assert not near_duplicates(a["text"], b["text"])
    assert "burned my desk" in top[0]["text"] and top[0]["similar"] == 24  # the other 24 retweets counted
    assert [m["similar"] for m in top[1:]] == [0] * 19
    (message,) = _messages(tmp_path)
    assert message["Subject"].endswith(f'"{themes[0]["term"]}"')
    body = message.get_body(("plain",)).get_content()
    assert all(t["term"] in body for t in themes)
    stored = json.loads(sqlite3.connect(tmp_path / "brandpulse.db").execute("SELECT details FROM alerts").fetchone()[0])
    assert stored["themes"] == themes and stored["top_mentions"] == top


def test_a_spike_alert_counts_its_complaints_and_lists_them_before_the_most_negative_flood(tmp_path, invoke):
    pipeline = _pipeline(tmp_path, invoke, {STORM_HOUR: (30, 25, TOPIC)})
    conn = sqlite3.connect(tmp_path / "brandpulse.db")
    with conn:  # the flood is the most negative; two mildly negative posts are complaints, the others are not
        conn.execute("UPDATE mentions SET score = iif(text LIKE '%burned my desk%', -1.0, -0.5), complaint = 0.1 "
                     "WHERE score < 0")
        polite = [r[0] for r in conn.execute(
            "SELECT id FROM mentions WHERE score < 0 AND text NOT LIKE '%burned my desk%' AND created_at >= ? "
            "ORDER BY id LIMIT 2", [(START + STORM_HOUR * HOUR).strftime("%Y-%m-%dT%H:%M:%SZ")])]
        conn.executemany("UPDATE mentions SET score = -0.2, complaint = 0.9 WHERE id = ?", [(i,) for i in polite])

    (alert,) = pipeline.evaluate_alerts(START + 5 * 24 * HOUR)

    start, end = (t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in (alert.window_start, alert.window_end))
    detractors, complaints = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE complaint >= 0.5) FROM mentions "
        "WHERE category = 'detractor' AND created_at >= ? AND created_at < ?", [start, end]).fetchone()
    assert complaints == 2 and detractors > 55
    assert alert.details["complaints"] == 2 and alert.details["detractors"] == detractors
    top = alert.details["top_mentions"]
    texts = dict(conn.execute("SELECT id, text FROM mentions WHERE id IN (?, ?)", polite).fetchall())
    assert {m["text"] for m in top[:2]} == set(texts.values()) and [m["is_complaint"] for m in top] == [True, True,
                                                                                                       *[False] * 18]
    assert "burned my desk" in top[2]["text"] and top[2]["similar"] == 24  # the flood leads what is not a complaint
    body = _messages(tmp_path)[0].get_body(("plain",)).get_content()
    assert f"Posts to answer: {detractors} = {detractors} detractor mentions (2 of them complaints) + 0 other" in body
    assert body.count("(complaint):") == 2
    # The email's command lists every detractor mention from the window on, the two complaints first.
    command = shlex.split(body.split("the likeliest complaints first:")[1].strip().splitlines()[0])
    assert command[:2] == ["brandpulse", "query"] and command[command.index("--brand") + 1] == "Acme"
    listed = invoke("--config", tmp_path / "config.yaml", *command[1:], "--format", "json", "--columns", "text")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    (since_start,) = conn.execute("SELECT count(*) FROM mentions WHERE category = 'detractor' AND created_at >= ?",
                                  [start]).fetchone()
    assert len(rows) == since_start > detractors and {r["text"] for r in rows[:2]} == set(texts.values())


def test_a_storm_update_says_that_its_themes_changed(tmp_path, invoke):
    storms = {STORM_HOUR: (16, 0, TOPIC), STORM_HOUR + 1: (60, 0, OTHER_TOPIC)}
    pipeline = _pipeline(tmp_path, invoke, storms)

    first = pipeline.evaluate_alerts(START + (STORM_HOUR + 1) * HOUR)
    update = pipeline.evaluate_alerts(START + (STORM_HOUR + 2) * HOUR)

    assert len(first) == 1 and len(update) == 1 and update[0].details["update"] == 1
    change = update[0].details["themes_change"]
    assert change["changed"] and change["previous"] == [t["term"] for t in first[0].details["themes"]]
    assert any(t in OTHER_TOPIC for t in change["new"])
    texts = [m.get_body(("plain",)).get_content() for m in _messages(tmp_path)]
    assert "themes changed since the last email" in texts[1] and "themes changed" not in texts[0]


def test_backtest_prints_the_themes_and_grouped_mentions_of_each_alert(tmp_path, invoke):
    _pipeline(tmp_path, invoke, {STORM_HOUR: (30, 25, TOPIC)})

    result = invoke("--config", tmp_path / "config.yaml", "alerts", "backtest",
                    "--since", "2026-03-06T00:00:00Z", "--until", "2026-03-07")

    assert result.exit_code == 0, result.output
    (line,) = [json.loads(x) for x in result.output.splitlines()]
    assert any(t["term"] in TOPIC for t in line["details"]["themes"][:3])
    assert all("similar" in m for m in line["details"]["top_mentions"])


def test_the_storms_largest_complaint_group_leads_the_top_mentions_over_single_angrier_ones():
    from brandpulse.alerts.evidence import spike_evidence

    outage = [{"text": f"@nimbus no signal in Leeds since 9am, any update? ({n})", "score": -0.3, "complaint": 0.8,
               "category": "detractor"} for n in range(12)]
    rants = [{"text": f"worst {word} ever, never again", "score": -0.9, "complaint": 0.9, "category": "detractor"}
             for word in ("bill", "app", "shop", "router", "contract", "advert")]

    top = spike_evidence(rants + outage, [], ["Nimbus"], 0.5)["top_mentions"]

    assert "no signal in Leeds" in top[0]["text"] and top[0]["similar"] == 11
    assert len(top) == 7 and all(m["is_complaint"] for m in top)  # every group: fewer than TOP_GROUPS


def test_a_storm_that_built_up_over_hours_still_names_its_topic(tmp_path, invoke):
    from brandpulse import alerting
    from brandpulse.alerts.base import Alert

    # Six hours of a slowly growing topic, each below the alert rule, then the hour that alerts.
    rise = {STORM_HOUR - h: (4, 0, OTHER_TOPIC) for h in range(1, 7)}
    pipeline = _pipeline(tmp_path, invoke, {**rise, STORM_HOUR: (14, 0, OTHER_TOPIC)})
    window = START + STORM_HOUR * HOUR
    alert = Alert("spike", "Acme", window, window + HOUR, 16, 2, 6, 1e-6, "spike")

    with pipeline.session() as db:
        themes = alerting.with_evidence(pipeline.config, db, alert).details["themes"]

    assert any(t["term"] in OTHER_TOPIC for t in themes[:3]), themes


def test_the_alerts_query_still_lists_every_detractor_of_its_storm_after_late_posts_arrive(tmp_path, invoke):
    pipeline = _pipeline(tmp_path, invoke, {STORM_HOUR: (30, 0, TOPIC)})
    (alert,) = pipeline.evaluate_alerts(START + 5 * 24 * HOUR)
    late = "".join(json.dumps({
        "source": "reddit", "id": f"late-{n}", "brand": "Acme", "label": "negative",
        "text": f"acme still no answer about the battery, day {n}",
        "created_at": (alert.window_start + n * (HOUR / 40)).strftime("%Y-%m-%dT%H:%M:%SZ")}) + "\n"
        for n in range(20))
    (tmp_path / "late.jsonl").write_text(late, encoding="utf-8")
    assert invoke("--config", tmp_path / "config.yaml", "ingest", tmp_path / "late.jsonl").exit_code == 0

    body = _messages(tmp_path)[0].get_body(("plain",)).get_content()
    command = shlex.split(body.split("the likeliest complaints first:")[1].strip().splitlines()[0])
    listed = invoke("--config", tmp_path / "config.yaml", *command[1:], "--format", "json", "--columns", "external_id")

    start, end = (t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in (alert.window_start, alert.window_end))
    conn = sqlite3.connect(tmp_path / "brandpulse.db")
    window = {r[0] for r in conn.execute("SELECT external_id FROM mentions WHERE category = 'detractor' "
                                         "AND created_at >= ? AND created_at < ?", [start, end])}
    since_start = {r[0] for r in conn.execute("SELECT external_id FROM mentions WHERE category = 'detractor' "
                                              "AND created_at >= ?", [start])}
    assert len(window) == alert.observed + 20
    assert sorted(r["external_id"] for r in json.loads(listed.stdout)) == sorted(since_start)


def test_an_alert_points_support_to_the_windows_posts_in_languages_no_model_reads(tmp_path, invoke):
    pipeline = _pipeline(tmp_path, invoke, {STORM_HOUR: (30, 0, TOPIC)})
    window = START + STORM_HOUR * HOUR
    foreign = "".join(json.dumps({
        "source": "twitter", "id": f"es-{n}", "brand": "Acme", "created_at": (window + n * HOUR / 4).strftime(
            "%Y-%m-%dT%H:%M:%SZ"), "text": f"@acme la batería se calienta mientras carga, ¿qué hago? ({n})"}) + "\n"
        for n in range(3))
    (tmp_path / "es.jsonl").write_text(foreign, encoding="utf-8")
    assert invoke("--config", tmp_path / "config.yaml", "ingest", tmp_path / "es.jsonl").exit_code == 0

    (alert,) = pipeline.evaluate_alerts(START + 5 * 24 * HOUR)

    body = _messages(tmp_path)[0].get_body(("plain",)).get_content()
    command = shlex.split(body.split("in no count above:")[1].strip().splitlines()[0])
    listed = invoke("--config", tmp_path / "config.yaml", *command[1:], "--format", "json", "--columns", "external_id")
    assert alert.details["unscored"] == 3
    assert sorted(r["external_id"] for r in json.loads(listed.stdout)) == ["es-0", "es-1", "es-2"]


def _mixed_group():
    """One near-duplicate group of 14: its 5 complaints first (the most negative), then 9 posts that are none."""
    said = "@nimbus no signal in Leeds since 9am, any update at all please"
    return ([{"text": f"{said} ({n})", "score": -0.6, "complaint": 0.8, "category": "detractor", "source": "x",
              "author": "a", "url": None} for n in range(5)]
            + [{"text": f"{said} ({n})", "score": -0.4, "complaint": 0.1, "category": "detractor", "source": "x",
                "author": "a", "url": None} for n in range(9)])


def test_a_listed_group_says_how_many_of_it_are_complaints_not_that_all_are():
    from brandpulse.alerts.chat import alert_chat
    from brandpulse.alerts.emails import alert_email, complaint_note
    from brandpulse.alerts.evidence import spike_evidence
    from brandpulse.alerts.base import Alert

    (top,) = spike_evidence(_mixed_group(), [], ["Nimbus"], 0.5)["top_mentions"]

    assert (top["similar"], top["complaints"]) == (13, 5)
    # Was: '(complaint)' beside '(+13 similar)': read as 14 complaints, where 9 are none.
    assert complaint_note(top) == "5 of the 14 complaints"
    alert = Alert("spike", "Nimbus", START, START + HOUR, 14, 2, 6, 0.001, "r",
                  details={"top_mentions": [top], "complaints": 5, "detractors": 14})
    text = alert_email(alert, "a@x", ["b@x"], [top]).get_body(("plain",)).get_content()
    assert "(5 of the 14 complaints):" in text and "(complaint)" not in text
    assert "(5 of the 14 complaints):" in alert_chat(alert, 1).body
    assert complaint_note({**top, "complaints": 14}) == "all 14 complaints"
    assert complaint_note({**top, "similar": 0, "complaints": 1}) == "complaint"
    assert complaint_note({"is_complaint": True, "similar": 3}) == "this one a complaint"  # stored before the count


def test_a_digests_listed_group_counts_its_complaints_whichever_post_leads_it():
    from brandpulse.alerts.digest import top_grouped
    from brandpulse.alerts.emails import complaint_note

    # The digest lists the most negative first: a post that is no complaint leads a group holding 5 that are.
    day = [{**m, "score": -0.9 if m["complaint"] < 0.5 else m["score"], "created_at": None, "id": k,
            "answered_by": None} for k, m in enumerate(_mixed_group())]
    (group,) = top_grouped(day, "detractor", 3, 0.5)

    assert group["complaint"] < 0.5 and group["complaints"] == 5
    # Was: no flag at all, its leader being no complaint.
    assert complaint_note({**group, "is_complaint": False}) == "5 of the 14 complaints"


HINDI = "मेरा ऑर्डर अभी तक नहीं आया, बहुत खराब सेवा है"


def _hindi_lines(hours, per_hour=1, prefix="hi"):
    return "".join(json.dumps({
        "source": "twitter", "id": f"{prefix}-{hour}-{k}", "brand": "Acme", "author": f"u{k}",
        "created_at": (START + hour * HOUR + k * HOUR / (per_hour + 1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "text": f"@acme {HINDI} ({hour} {k})"}) + "\n" for hour in hours for k in range(per_hour))


def _hindi_pipeline(tmp_path, invoke, storm=20):
    """A brand's usual English mentions, a Hindi post every 6 hours (no model reads Hindi), and `storm` Hindi posts
    in the storm hour."""
    pipeline = _pipeline(tmp_path, invoke, {})
    lines = _hindi_lines(range(0, STORM_HOUR, 6)) + (_hindi_lines([STORM_HOUR], storm, "storm") if storm else "")
    (tmp_path / "hi.jsonl").write_text(lines, encoding="utf-8")
    assert invoke("--config", tmp_path / "config.yaml", "ingest", tmp_path / "hi.jsonl").exit_code == 0
    return pipeline


def test_a_storm_in_a_language_no_model_reads_raises_a_volume_alert_saying_so(tmp_path, invoke):
    pipeline = _hindi_pipeline(tmp_path, invoke)

    # Was: no alert at all; the storm's 20 posts are in no detractor count.
    (alert,) = pipeline.evaluate_alerts(START + 5 * 24 * HOUR)

    assert alert.kind == "spike" and alert.details["unscored_lang"] == "hi" and alert.observed == 20
    assert alert.window_start == START + STORM_HOUR * HOUR
    assert alert.reason.startswith("20 mentions in Hindi that are not scored in 1h against 0.5 expected")
    (message,) = _messages(tmp_path)
    assert message["Subject"] == ("[brandpulse] Mentions no model scores: Acme, 20 mentions in Hindi that are not "
                                  "scored (usually 0.5)")
    body = message.get_body(("plain",)).get_content()
    top = alert.details["top_mentions"]
    assert len(top) == 1 and top[0]["similar"] == 19 and HINDI in body
    # Its near-duplicates by id, as a spike's email names them, so that each can be answered and marked.
    ids = ", #".join(str(i) for i in top[0]["similar_ids"])
    assert len(top[0]["similar_ids"]) == 10 and f"(+19 similar: #{ids}, ...)" in body
    command = shlex.split(body.split("that nobody marked answered:")[1].strip().splitlines()[0])
    assert command[command.index("--lang") + 1] == "hi"
    listed = invoke("--config", tmp_path / "config.yaml", *command[1:], "--format", "json", "--columns", "external_id")
    assert sorted(r["external_id"] for r in json.loads(listed.stdout)) == sorted(
        f"storm-{STORM_HOUR}-{k}" for k in range(20))
    # The next run raises no second alert for the same storm; the backtest finds the one alert.
    assert pipeline.evaluate_alerts(START + 5 * 24 * HOUR + HOUR) == []
    (found,) = [a for a in pipeline.backtest(START + 4 * 24 * HOUR, START + 5 * 24 * HOUR)
                if a.details.get("unscored_lang")]
    assert found.window_start == alert.window_start and found.reason == alert.reason


def test_the_usual_trickle_of_a_language_no_model_reads_raises_no_alert(tmp_path, invoke):
    pipeline = _hindi_pipeline(tmp_path, invoke, storm=0)

    assert pipeline.evaluate_alerts(START + 5 * 24 * HOUR) == []


def test_an_unscored_alerts_chat_message_says_how_many_in_which_language_are_not_scored(tmp_path, invoke):
    from brandpulse.alerts.chat import alert_chat

    (alert,) = _hindi_pipeline(tmp_path, invoke).evaluate_alerts(START + 5 * 24 * HOUR)

    body = alert_chat(alert, 1).body
    assert body.startswith("20 mentions in Hindi that are not scored between 14:00 and 15:00 UTC on 2026-")
    assert "--category unscored --lang hi --unanswered" in body and "detractor mentions" not in body


def test_an_unscored_alerts_email_has_a_chart_of_its_languages_unscored_mentions_per_bucket(
        tmp_path, invoke, monkeypatch):
    from brandpulse.alerts import charts

    figures = []
    drawn = charts._png
    monkeypatch.setattr(charts, "_png", lambda figure, margins=None: figures.append(figure) or drawn(figure, margins))
    pipeline = _hindi_pipeline(tmp_path, invoke)

    (alert,) = pipeline.evaluate_alerts(START + 5 * 24 * HOUR)

    # Was: no chart at all, where a spike's email has one of the last 48 hours.
    (message,) = _messages(tmp_path)
    (image,) = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert image.get_content().startswith(b"\x89PNG")
    assert f'cid:{image["Content-ID"].strip("<>")}' in message.get_body(("html",)).get_content()
    (figure,) = figures
    axes = figure.axes[0]
    assert axes.get_title() == "Acme: unscored mentions in Hindi per 1h, last 48 h (UTC)"
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["unscored mentions"]
    bars = [patch for patch in axes.patches if patch.get_fill()]
    # 48 hourly buckets up to the alert's, a Hindi post every 6 hours before the storm's 20.
    assert len(bars) == 48 and bars[-1].get_height() == 20
    assert sorted(bar.get_height() for bar in bars[:-1]) == [0] * 39 + [1] * 8
