import email
import itertools
import json
import sqlite3
from datetime import date, timedelta
from email import policy

from brandpulse.alerts.emails import complaint_note
from brandpulse.alerts.neardup import near_duplicates
from brandpulse.config import load_config
from brandpulse.pipeline import Pipeline
from tests.alert_streams import CONFIG, START
from tests.conftest import write_config
from tests.insight_streams import TOPIC, planted_stream

DAY = "2026-03-10"
STORM_HOUR = 8 * 24 + 10  # 10 Mar, 10:00 UTC
BRANDS = """brands:
  - name: Acme
    keywords: [acme]
  - name: Bolt
    keywords: [bolt]
"""


def _setup(tmp_path, invoke):
    config = write_config(tmp_path / "config.yaml", CONFIG.format(extra="").replace(
        "brands:\n  - name: Acme\n    keywords: [acme]\n", BRANDS))
    # Acme: 9 days of (3 promoters, 2 detractors) an hour, a storm about the planted topic plus a retweet flood on
    # 10 Mar; Bolt: (1, 1) an hour, then (1, 3) on 10 Mar.
    acme = planted_stream(days=9, storms={STORM_HOUR: (40, 30, TOPIC)})
    bolt = planted_stream(seed=2, days=8, per_hour=(1, 1), brand="Bolt")
    bolt += planted_stream(seed=3, days=1, per_hour=(1, 3), brand="Bolt", start=START + timedelta(days=8))
    (tmp_path / "m.jsonl").write_text(acme + _unique_ids(bolt), encoding="utf-8")
    assert invoke("--config", config, "ingest", tmp_path / "m.jsonl", "--no-classify").exit_code == 0
    return config


def _unique_ids(lines):
    return "".join(line.replace('"id": "twitter-Bolt-', f'"id": "b{i}-') + "\n"
                   for i, line in enumerate(lines.splitlines()))


def _json(invoke, config, *extra):
    result = invoke("--config", config, "digest", "--date", DAY, "--format", "json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_digest_json_has_the_documented_shape(tmp_path, invoke):
    doc = _json(invoke, _setup(tmp_path, invoke))

    assert set(doc) == {"date", "timezone", "hours", "complete", "as_of", "brands", "share_of_voice",
                        "share_of_voice_days"} and doc["date"] == DAY and doc["hours"] == 24
    assert [b["brand"] for b in doc["brands"]] == ["Acme", "Bolt"]
    acme = doc["brands"][0]
    assert set(acme) == {"brand", "tracked", "volume", "categories", "net_score", "net_score_previous_day",
                         "net_score_7d_average", "net_score_change", "trend", "themes", "themes_baseline_days",
                         "top_positive", "top_negative", "sources", "alerts",
                         "complaints", "passive_complaints", "complaint_unknown", "to_answer",
                         "unclassified", "volume_previous_day", "volume_7d_average", "volume_7d_days",
                         "volume_change"}
    assert (acme["volume_previous_day"], acme["volume_7d_average"], acme["volume_7d_days"]) == (120, 120.0, 7)
    assert acme["volume_change"] == {"previous_day": 58.3, "7d_average": 58.3}
    # 24 h x (3, 2) + the storm's 40 + 30 detractors.
    assert acme["volume"] == 24 * 5 + 70 and acme["categories"] == {"promoter": 72, "passive": 0, "detractor": 118}
    assert acme["net_score"] == round(100 * (72 - 118) / 190, 1) and acme["net_score_previous_day"] == 20.0
    assert acme["net_score_change"] == {"previous_day": round(acme["net_score"] - 20, 1),
                                        "7d_average": round(acme["net_score"] - 20, 1)}
    assert len(acme["trend"]) == 30 and acme["trend"][-1]["date"] == DAY and acme["trend"][-1]["volume"] == 190
    assert acme["trend"][0] == {"date": "2026-02-09", "volume": 0, "promoter": 0, "passive": 0, "detractor": 0,
                                "unscored": 0, "net_score": None}
    assert acme["unclassified"] == 0
    assert acme["sources"] == [{"source": "twitter", "volume": 190, "promoter": 72, "passive": 0, "detractor": 118,
                                "net_score": acme["net_score"]}]
    fields = {"id", "source", "author", "text", "url", "created_at", "score", "complaint", "similar", "answered_by",
              "answered", "complaints"}
    assert all(set(m) == fields for m in acme["top_positive"])
    assert all(set(m) == fields | {"is_complaint"} for m in acme["top_negative"])


def test_the_days_negative_themes_name_the_planted_topic_and_top_lists_hold_no_near_duplicates(tmp_path, invoke):
    config = _setup(tmp_path, invoke)
    conn = sqlite3.connect(tmp_path / "brandpulse.db")
    with conn:  # the flood is the most negative of the day
        conn.execute("UPDATE mentions SET score = iif(text LIKE '%burned my desk%', -1.0, -0.5) WHERE score < 0")

    acme = _json(invoke, config)["brands"][0]

    assert any(t["term"] in TOPIC for t in acme["themes"][:3]), acme["themes"]
    assert not any(t["term"] in ("customer service", "refund") for t in acme["themes"][:3])
    assert "burned my desk" in acme["top_negative"][0]["text"] and acme["top_negative"][0]["similar"] == 29
    for listed in (acme["top_positive"], acme["top_negative"]):
        assert len(listed) == 3
        for a, b in itertools.combinations(listed, 2):
            assert not near_duplicates(a["text"], b["text"])


def test_the_day_counts_its_complaints_and_marks_those_among_the_top_negative_mentions(tmp_path, invoke):
    config = _setup(tmp_path, invoke)
    conn = sqlite3.connect(tmp_path / "brandpulse.db")
    day = "created_at >= '2026-03-10T00:00:00Z' AND created_at < '2026-03-11T00:00:00Z' AND brand = 'Acme'"
    with conn:  # the flood is the most negative and a complaint; the day's other complaints are milder
        conn.execute("UPDATE mentions SET score = iif(text LIKE '%burned my desk%', -1.0, -0.5), "
                     "complaint = iif(text LIKE '%burned my desk%', 0.8, 0.1) WHERE score < 0")
        conn.execute(f"UPDATE mentions SET complaint = 0.6 WHERE {day} AND score < 0 AND id % 10 = 0 "
                     "AND text NOT LIKE '%burned my desk%'")
        conn.execute("UPDATE mentions SET complaint = 0.9 WHERE score > 0 AND id % 7 = 0")  # praise the head misreads:
        # its category (promoter) overrules the head, so it is no post to answer
        (expected,) = conn.execute(f"SELECT count(*) FROM mentions WHERE {day} AND category <> 'promoter' "
                                   "AND complaint >= 0.5").fetchone()
    assert expected > 30

    acme = _json(invoke, config)["brands"][0]

    misread = conn.execute(f"SELECT count(*) FROM mentions WHERE {day} AND category = 'promoter' AND complaint >= 0.5")
    assert misread.fetchone()[0] > 0 and acme["complaints"] == expected
    flags = [(m["complaint"] >= 0.5, m["is_complaint"]) for m in acme["top_negative"]]
    assert flags[0] == (True, True) and all(a == b for a, b in flags) and not all(b for _, b in flags)
    text = invoke("--config", config, "digest", "--date", DAY).output
    html = invoke("--config", config, "digest", "--date", DAY, "--format", "html").output
    # Was: 'Complaints (posts that need an answer): 46 of the 118 detractor mentions' above '118 posts to answer'.
    detractors = acme["categories"]["detractor"]
    said = f"Posts to answer: {acme['to_answer']} = {detractors} detractor mentions ({acme['complaints']} of them "
    assert said in text and "posts that need an answer" not in text
    # A group says how many of it are complaints: the flood's 30 are all.
    notes = [complaint_note(m) for m in acme["top_negative"]]
    assert notes[0] == f"all {acme['top_negative'][0]['similar'] + 1} complaints", notes
    assert all(f"({note}):" in text for note in notes if note)
    assert f"<b>Posts to answer</b>: {said.split(': ', 1)[1]}" in html


def test_the_top_negative_mentions_say_who_marked_them_answered(tmp_path, invoke):
    config = _setup(tmp_path, invoke)
    conn = sqlite3.connect(tmp_path / "brandpulse.db")
    with conn:  # the flood is the most negative, and dana answered it
        conn.execute("UPDATE mentions SET score = iif(text LIKE '%burned my desk%', -1.0, -0.5) WHERE score < 0")
        conn.execute("UPDATE mentions SET answered_by = 'dana', answered_at = '2026-03-10T12:00:00Z' "
                     "WHERE text LIKE '%burned my desk%'")

    acme = _json(invoke, config)["brands"][0]
    text = invoke("--config", config, "digest", "--date", DAY).output
    html = invoke("--config", config, "digest", "--date", DAY, "--format", "html").output

    assert [m["answered_by"] for m in acme["top_negative"]] == ["dana", None, None]
    assert [m["answered"] for m in acme["top_negative"]] == [30, 0, 0]
    assert text.count("(all 30 answered, this one by dana): ") == 1
    assert html.count("all 30 answered, this one by dana") == 1


def test_the_top_negative_mentions_carry_their_id_and_say_how_much_of_their_group_was_answered(tmp_path, invoke):
    config = _setup(tmp_path, invoke)
    conn = sqlite3.connect(tmp_path / "brandpulse.db")
    with conn:  # the flood (30 copies) is the most negative; dana answered its first post only, sam two others
        conn.execute("UPDATE mentions SET score = iif(text LIKE '%burned my desk%', -1.0, -0.5) WHERE score < 0")
        flood = [row[0] for row in conn.execute("SELECT id FROM mentions WHERE text LIKE '%burned my desk%' "
                                                "AND created_at >= '2026-03-10' ORDER BY created_at, id")]
        conn.execute("UPDATE mentions SET answered_by = 'dana' WHERE id = ?", [flood[0]])
        conn.execute(f"UPDATE mentions SET answered_by = 'sam' WHERE id IN ({flood[5]}, {flood[9]})")

    acme = _json(invoke, config)["brands"][0]
    text = invoke("--config", config, "digest", "--date", DAY).output
    html = invoke("--config", config, "digest", "--date", DAY, "--format", "html").output

    first = acme["top_negative"][0]
    assert first["id"] == flood[0] and first["similar"] == 29 and first["answered"] == 3
    # Was: '[twitter] user... (answered by dana): ... (+29 similar)', no id: the group read as answered, and support
    # had no id to mark the others with.
    assert f"- #{flood[0]} [twitter] " in text and "(3 of the 30 answered, this one by dana): " in text
    assert all(f"- #{m['id']} [" in text for m in acme["top_negative"])
    assert f"<code>#{flood[0]}</code>" in html and "3 of the 30 answered, this one by dana" in html
    assert "Mark the posts you answered by their #id" in text and "brandpulse alerts answered ID... --by NAME" in text


def test_share_of_voice_compares_every_configured_brand_with_the_previous_seven_days(tmp_path, invoke):
    doc = _json(invoke, _setup(tmp_path, invoke), "--brand", "Bolt")

    assert [b["brand"] for b in doc["brands"]] == ["Bolt"]
    sov = {row["brand"]: row for row in doc["share_of_voice"]}
    # Day: Acme 190 (72 promoters, 118 detractors), Bolt 96 (24, 72). Week before: Acme 120/day, Bolt 48/day.
    assert sov["Bolt"]["all"] == {"share": round(100 * 96 / 286, 1),
                                  "change": round(100 * 96 / 286 - 100 * 48 / 168, 1)}
    assert sov["Acme"]["positive"] == {"share": 75.0, "change": round(75 - 100 * 72 / 96, 1)}
    assert sov["Bolt"]["negative"]["share"] == round(100 * 72 / 190, 1)
    assert sum(round(10 * row["all"]["share"]) for row in doc["share_of_voice"]) == 1000  # exactly 100.0 %


def test_the_days_alerts_are_listed_with_their_themes(tmp_path, invoke):
    config = _setup(tmp_path, invoke)
    pipeline = Pipeline(load_config(config), tmp_path / "brandpulse.db")
    pipeline.evaluate_alerts(START + (STORM_HOUR + 1) * timedelta(hours=1))

    (alert,) = _json(invoke, config)["brands"][0]["alerts"]

    assert alert["kind"] == "spike" and alert["window_start"] == "2026-03-10T10:00:00Z"
    assert any(t["term"] in TOPIC for t in alert["themes"][:3])


def test_text_and_html_formats_print_the_same_figures(tmp_path, invoke):
    config = _setup(tmp_path, invoke)

    text = invoke("--config", config, "digest", "--date", DAY).output
    html = invoke("--config", config, "digest", "--date", DAY, "--format", "html").output

    assert "== Acme ==" in text and "Mentions: 190 (72 promoters, 0 passives, 118 detractors)" in text
    assert "Share of voice" in text and "- Bolt: all 33.6 %" in text
    assert html.startswith("<!doctype html>") and html.count("data:image/png;base64,iVBOR") == 3  # 2 trends + share
    assert "Share of voice" in html and ">190</div>" in html
    written = invoke("--config", config, "digest", "--date", DAY, "--format", "json", "--preview", tmp_path / "d.json")
    assert written.exit_code == 0 and json.loads((tmp_path / "d.json").read_text())["date"] == DAY


def test_an_unknown_format_is_refused(tmp_path, invoke):
    config = _setup(tmp_path, invoke)

    result = invoke("--config", config, "digest", "--date", DAY, "--format", "pdf")

    assert result.exit_code == 2 and "'pdf' is not one of" in result.output


def test_unscored_mentions_count_in_the_volume_but_not_in_the_net_score():
    # The store's schema admits `unscored` once the sentiment stage adds it; the figures already tolerate it.
    from brandpulse.alerts.digest import brand_digest, brand_json

    mentions = [{"source": "appstore", "category": c, "score": None, "text": f"text {i} {c}", "author": None,
                 "url": None, "created_at": "2026-03-10T10:00:00Z"}
                for i, c in enumerate(["promoter"] * 3 + ["detractor"] + ["unscored"] * 4)]

    found = brand_json(brand_digest("Acme", date(2026, 3, 10), mentions, [], [], [], complaint_threshold=0.5))

    assert found["volume"] == 8 and found["categories"] == {"promoter": 3, "passive": 0, "detractor": 1, "unscored": 4}
    assert found["net_score"] == 50.0
    assert found["sources"][0]["unscored"] == 4 and found["trend"][-1]["volume"] == 8


def test_the_emailed_digest_has_its_charts_inline(tmp_path, invoke):
    config = _setup(tmp_path, invoke)

    assert invoke("--config", config, "digest", "--date", DAY, "--send").exit_code == 0

    messages = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
                for p in (tmp_path / "outbox").glob("*.eml")]
    assert sorted(m["Subject"] for m in messages) == [f"[brandpulse] Daily digest {DAY} (UTC): {b}"
                                                      for b in ("Acme", "Bolt")]
    for message in messages:
        html = message.get_body(("html",)).get_content()
        images = [p for p in message.walk() if p.get_content_type() == "image/png"]
        assert len(images) == 2 and all(f'cid:{i["Content-ID"].strip("<>")}' in html for i in images)
        assert "data:image" not in html
