import email
import json
import socket
import sqlite3
from datetime import datetime, timedelta, timezone
from email import policy

from aiosmtpd.controller import Controller

from brandpulse.alerts.chat import digest_chat
from brandpulse.config import load_config
from brandpulse.pipeline import Pipeline
from tests.conftest import write_config

DAY = "2026-03-10"
NOW = datetime(2026, 3, 11, 8, tzinfo=timezone.utc)


class Inbox:
    """An aiosmtpd handler that keeps what it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _config(tmp_path, brands="[{name: Acme, keywords: [acme]}]", smtp_port=None):
    smtp = f"\n  smtp: {{host: 127.0.0.1, port: {smtp_port}, security: none, timeout: 5}}" if smtp_port else ""
    return write_config(tmp_path / "config.yaml", f"""
brands: {brands}
email:
  sender: digest@acme.test
  recipients: {{digest: [marketing@acme.test]}}{smtp}
digest: {{timezone: UTC}}
""")


def _line(n, brand, day, label, text="acme coffee"):
    return json.dumps({"source": "twitter", "id": f"t{n}", "brand": brand, "text": f"{text} #{n}",
                       "created_at": f"{day}T10:{n:02d}:00Z", "label": label})


def _ingest(tmp_path, invoke, config, lines, *db):
    (tmp_path / "m.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = invoke("--config", config, *db, "ingest", tmp_path / "m.jsonl", "--no-classify")
    assert result.exit_code == 0, result.output


def _thirds(tmp_path, invoke, config):
    # 9 Mar: 2 promoters, 1 passive (net score 66.67, shown 66.7 and +67); 10 Mar: 1 promoter, 2 passives (33.33).
    labels = {"2026-03-09": ("positive", "positive", "neutral"), "2026-03-10": ("positive", "neutral", "neutral")}
    lines = [_line(n, "Acme", day, label) for n, (day, label) in
             enumerate((day, label) for day, each in labels.items() for label in each)]
    _ingest(tmp_path, invoke, config, lines)
    _followed_since_january(tmp_path)  # 9 Mar is a whole day followed, not the brand's first partial one


def _followed_since_january(tmp_path):
    conn = sqlite3.connect(tmp_path / "brandpulse.db")
    with conn:
        conn.execute("UPDATE brands SET first_seen_at = '2026-01-01T00:00:00Z'")
    conn.close()


def test_the_json_change_is_the_difference_of_the_two_net_scores_it_shows(tmp_path, invoke):
    config = _config(tmp_path)
    _thirds(tmp_path, invoke, config)

    result = invoke("--config", config, "digest", "--date", DAY, "--format", "json")

    (acme,) = json.loads(result.stdout)["brands"]
    assert (acme["net_score"], acme["net_score_previous_day"], acme["net_score_7d_average"]) == (33.3, 66.7, 66.7)
    # Unrounded, 33.33 - 66.67 = -33.3: a reader subtracting the two scores shown finds -33.4.
    assert acme["net_score_change"] == {"previous_day": -33.4, "7d_average": -33.4}


def test_the_emailed_digest_shows_a_change_that_agrees_with_the_two_scores_it_shows(tmp_path, invoke):
    inbox, port = Inbox(), _free_port()
    config = _config(tmp_path, smtp_port=port)
    _thirds(tmp_path, invoke, config)
    _send_digest(tmp_path, config, inbox, port)

    (message,) = inbox.messages
    # +33 against +67 is -34, not the -33 of the unrounded difference.
    plain = message.get_body(("plain",)).get_content()
    assert "Net sentiment: +33 (-34 vs previous day, -34 vs 7-day average +67)" in plain
    assert "-34 vs previous day<br>-34 vs 7-day average (+67)" in message.get_body(("html",)).get_content()


def test_the_chat_digest_shows_a_change_that_agrees_with_the_two_scores_it_shows():
    chat = digest_chat("Acme", DAY, 3, {"promoter": 1, "passive": 2, "detractor": 0}, 33.3, 66.7, [])

    assert "Net sentiment: +33 (-34 vs previous day)." in chat.body.splitlines()


def test_a_brand_name_no_font_has_is_charted_with_question_marks_not_boxes_and_warnings(recwarn):
    from datetime import date

    from brandpulse.alerts import charts

    unknown = "\ue000\ue001"  # private-use characters: in no font
    charts.trend_chart([date(2026, 3, 10)], [3], [33.3], f"{unknown} Acme: mentions and net score")
    charts.share_chart([unknown, "\ue002\ue003", "Acme"], {"all": [50.0, 30.0, 20.0]}, "Share of voice")

    assert not [w for w in recwarn if "missing from font" in str(w.message)]
    assert charts._literal(f"{unknown} Acme $5") == r"?? Acme \$5"
    # Two brands that both read "??" are told apart by their row in the table beside the chart.
    assert charts._labels([unknown, "\ue002\ue003", "Acme"]) == ["?? (1)", "?? (2)", "Acme"]


def test_a_digest_of_brands_named_in_chinese_draws_its_charts_without_missing_glyphs(tmp_path, invoke, recwarn):
    config = _config(tmp_path, brands="[{name: 咖啡, keywords: [kafei]}, {name: 茶叶, keywords: [chaye]}]")
    _ingest(tmp_path, invoke, config, [_line(1, "咖啡", DAY, "positive"), _line(2, "茶叶", DAY, "negative")])

    result = invoke("--config", config, "digest", "--date", DAY, "--preview", tmp_path / "digest.html")

    assert result.exit_code == 0, result.output
    assert not [w for w in recwarn if "missing from font" in str(w.message)]


def _two_brands(tmp_path, invoke, bolt_from, *db):
    # Acme: 1 mention a day from 1 Mar; Bolt, added later: 1 a day from `bolt_from`; on 10 Mar 2 of each.
    config = _config(tmp_path, brands="[{name: Acme, keywords: [acme]}, {name: Bolt, keywords: [bolt]}]")
    lines = [_line(day, "Acme", f"2026-03-{day:02d}", "positive") for day in range(1, 10)]
    lines += [_line(20 + day, "Bolt", f"2026-03-{day:02d}", "positive") for day in range(bolt_from, 10)]
    lines += [_line(40 + n, brand, DAY, "positive") for n, brand in enumerate(("Acme", "Acme", "Bolt", "Bolt"))]
    _ingest(tmp_path, invoke, config, lines, *db)
    return config


def _share_of_voice(invoke, config, *db):
    doc = json.loads(invoke("--config", config, *db, "digest", "--date", DAY, "--format", "json").stdout)
    return doc.get("share_of_voice_days"), {row["brand"]: row["all"] for row in doc["share_of_voice"]}


def test_the_share_of_voice_of_a_brand_added_yesterday_is_compared_with_yesterday_only(tmp_path, invoke, store_target):
    db = ("--db", store_target)
    config = _two_brands(tmp_path, invoke, 8, *db)  # first mention 8 Mar 10:28: tracked the whole of 9 Mar

    days, shares = _share_of_voice(invoke, config, *db)

    # Yesterday 1 of 2 mentions was Bolt's, as today: no change. Over the week before, 2 of 9 were (+27.8 points).
    assert shares == {"Acme": {"share": 50.0, "change": 0.0}, "Bolt": {"share": 50.0, "change": 0.0}}
    assert days == 1
    text = invoke("--config", config, *db, "digest", "--date", DAY).stdout
    assert "== Share of voice (change in points against the previous 1 day, since every brand is tracked) ==" in text


def test_the_share_of_voice_of_a_brand_added_yesterday_morning_has_no_change(tmp_path, invoke):
    config = _two_brands(tmp_path, invoke, bolt_from=9)  # yesterday from 10:29 on: today's share has no match

    days, shares = _share_of_voice(invoke, config)

    assert shares["Bolt"] == {"share": 50.0, "change": None} and days == 0
    assert "Bolt: all 50.0 % (n/a)" in invoke("--config", config, "digest", "--date", DAY).stdout


def test_a_brand_configured_long_ago_that_was_quiet_is_compared_over_the_whole_week(tmp_path, invoke):
    config = _two_brands(tmp_path, invoke, bolt_from=9)
    _followed_since_january(tmp_path)

    days, shares = _share_of_voice(invoke, config)

    # Bolt was followed and had no mention before 9 Mar: 1 of the week's 8 mentions, 12.5 %.
    assert shares["Bolt"] == {"share": 50.0, "change": 37.5} and days == 7


def test_the_7_day_average_weighs_a_quiet_day_by_its_mentions(tmp_path, invoke):
    # 3-8 Mar: 6 promoters and 4 passives a day (+60); Monday 9 Mar: one detractor (-100); 10 Mar as 3-8 Mar.
    config = _config(tmp_path)
    busy = ("positive",) * 6 + ("neutral",) * 4
    days = {f"2026-03-{d:02d}": busy for d in range(3, 9)} | {"2026-03-09": ("negative",), DAY: busy}
    _ingest(tmp_path, invoke, config, [_line(n, "Acme", day, label).replace('"id": "t', f'"id": "{day}-')
                                       for day, labels in days.items() for n, label in enumerate(labels)])
    _followed_since_january(tmp_path)  # 3 Mar is a whole day of the week, not the brand's first partial one

    (acme,) = json.loads(invoke("--config", config, "digest", "--date", DAY, "--format", "json").stdout)["brands"]

    # (36 - 1) / 61 mentions; the mean of the daily scores, (6 x 60 - 100) / 7, said +37.1.
    assert acme["net_score_7d_average"] == 57.4 and acme["net_score_change"]["7d_average"] == 2.6
    text = invoke("--config", config, "digest", "--date", DAY).stdout
    assert "Net sentiment: +60 (+160 vs previous day, +3 vs 7-day average +57)" in text


def _drawn(monkeypatch, draw):
    from brandpulse.alerts import charts

    figures = []
    monkeypatch.setattr(charts, "_png", lambda figure, margins=None: figures.append(figure) or b"")
    draw(charts)
    figures[0].canvas.draw()
    axis = figures[0].axes[0].yaxis
    return [label.get_text() for label in axis.get_ticklabels()], axis.get_offset_text().get_text()


def test_the_mentions_axis_reads_whole_and_large_counts_as_counts(monkeypatch):
    from datetime import date, timedelta

    from brandpulse.alerts.base import Bucket

    days = [date(2026, 3, 1) + timedelta(days=n) for n in range(30)]
    huge = _drawn(monkeypatch, lambda c: c.trend_chart(days, [1_400_000] * 30, [12.0] * 30, "Acme"))
    tiny = _drawn(monkeypatch, lambda c: c.trend_chart(days, [0] * 29 + [1], [None] * 29 + [100.0], "Acme"))
    start = datetime(2026, 3, 10, tzinfo=timezone.utc)
    hours = [Bucket(start.replace(hour=h), 1, 1) for h in range(3)]
    alert = _drawn(monkeypatch, lambda c: c.buckets_chart(hours, "Acme"))

    # Before: '1.4' under a '1e6' by the title; ticks at 0.2, 0.4, ... mentions.
    assert huge[1] == "" and "1.5M" in huge[0] and "750k" in huge[0]
    assert all(label.isdigit() for label in tiny[0] + alert[0]) and "1" in tiny[0] and "1" in alert[0]


def test_a_line_imported_for_a_configured_brand_in_other_case_counts_in_its_digest_and_stats(tmp_path, invoke):
    config = _config(tmp_path)
    lines = [_line(1, "Acme", DAY, "positive"), _line(2, "acme", DAY, "negative"), _line(3, "ACME", DAY, "positive")]
    _ingest(tmp_path, invoke, config, lines)
    _ingest(tmp_path, invoke, config, [_line(2, "Acme", DAY, "negative")])  # the same post again: a duplicate

    (acme,) = json.loads(invoke("--config", config, "digest", "--date", DAY, "--format", "json").stdout)["brands"]
    stats = json.loads(invoke("--config", config, "stats", "--since", DAY, "--until", "2026-03-11", "--format",
                              "json").stdout)
    listed = json.loads(invoke("--config", config, "query", "--brand", "Acme", "--all", "--format", "json").stdout)

    # Before: 'acme' and 'ACME' were stored apart, and the post imported again as 'Acme' was a new row: the digest
    # and stats counted 2, query 4.
    assert acme["volume"] == 3 and acme["categories"]["detractor"] == 1
    assert [(row["brand"], row["total"]) for row in stats] == [("Acme", 3)] and len(listed) == 3


def test_a_net_score_of_100_is_drawn_inside_the_trend_chart_not_on_its_frame(monkeypatch):
    from datetime import date, timedelta

    from brandpulse.alerts import charts

    figures = []
    monkeypatch.setattr(charts, "_png", lambda figure, margins=None: figures.append(figure) or b"")
    days = [date(2026, 3, 1) + timedelta(days=n) for n in range(3)]
    charts.trend_chart(days, [1, 2, 1], [100.0, -100.0, 100.0], "Acme")

    low, high = figures[0].axes[1].get_ylim()
    assert low < -100 and high > 100  # before: exactly -100..100, the markers cut in half by the frame


def test_the_text_digest_gives_the_net_scores_change_against_the_7_day_average_as_the_html_does(tmp_path, invoke):
    # 4-8 Mar: 2 promoters a day (+100); 9 Mar: nothing; 10 Mar: 1 promoter, 1 detractor (+0).
    config = _config(tmp_path)
    days = {f"2026-03-{d:02d}": ("positive", "positive") for d in range(4, 9)} | {DAY: ("positive", "negative")}
    _ingest(tmp_path, invoke, config, [_line(n, "Acme", day, label).replace('"id": "t', f'"id": "{day}-')
                                       for day, labels in days.items() for n, label in enumerate(labels)])
    _followed_since_january(tmp_path)  # a whole week followed: its average is the 7 days'

    text = invoke("--config", config, "digest", "--date", DAY).stdout
    html = invoke("--config", config, "digest", "--date", DAY, "--format", "html").stdout

    # Before: 'Net sentiment: +0; 7-day average +100', the -100 left to the reader (the HTML gave it).
    assert "Net sentiment: +0 (-100 vs 7-day average +100)" in text
    assert "n/a vs previous day<br>-100 vs 7-day average (+100)" in html
    # The day before has no score: the text says nothing of it, the 7-day average stays.
    before = invoke("--config", config, "digest", "--date", "2026-03-09").stdout
    assert "Net sentiment: n/a (no mention on the day; 7-day average +100)" in before


def test_the_digest_compares_each_brands_mentions_with_the_day_before_and_the_days_it_was_followed(tmp_path, invoke):
    # Acme: 2 mentions a day 2-9 Mar, 3 on 10 Mar. Bolt: first posted on 8 Mar at 10:00, 4 on 9 Mar, 2 on 10 Mar.
    config = _config(tmp_path, brands="[{name: Acme, keywords: [acme]}, {name: Bolt, keywords: [bolt]}]")
    days = [("Acme", f"2026-03-{d:02d}", 2) for d in range(2, 10)] + [("Acme", DAY, 3)]
    days += [("Bolt", "2026-03-08", 1), ("Bolt", "2026-03-09", 4), ("Bolt", DAY, 2)]
    _ingest(tmp_path, invoke, config, [_line(n, brand, day, "positive").replace('"id": "t', f'"id": "{brand}{day}-')
                                       for brand, day, count in days for n in range(count)])

    acme, bolt = json.loads(invoke("--config", config, "digest", "--date", DAY, "--format", "json").stdout)["brands"]
    text = invoke("--config", config, "digest", "--date", DAY).stdout
    html = invoke("--config", config, "digest", "--date", DAY, "--format", "html").stdout

    # Before: 'Mentions: 3 (...)' and nothing to say whether that is more or less than usual.
    assert (acme["volume_previous_day"], acme["volume_7d_average"], acme["volume_7d_days"]) == (2, 2.0, 7)
    assert acme["volume_change"] == {"previous_day": 50.0, "7d_average": 50.0}
    assert "Change in mentions: +50 % vs previous day (2), +50 % vs 7-day average (2 a day)" in text
    # Bolt was followed all day on 9 Mar only: its 5 mentions over 7 days (0.7 a day) would read as a +186 % rise.
    assert (bolt["volume_previous_day"], bolt["volume_7d_average"], bolt["volume_7d_days"]) == (4, 4.0, 1)
    assert "Change in mentions: -50 % vs previous day (4), -50 % vs 1-day average (4 a day)" in text
    assert "-50 % vs previous day (4)<br>-50 % vs 1-day average (4 a day)" in html
    # On 9 Mar Bolt had no whole day before it: no change to give.
    early = json.loads(invoke("--config", config, "digest", "--date", "2026-03-09", "--format", "json").stdout)
    assert early["brands"][1]["volume_previous_day"] is None and early["brands"][1]["volume_change"] == {
        "previous_day": None, "7d_average": None}


def test_a_day_the_clocks_change_on_says_how_many_hours_its_counts_cover(tmp_path, invoke):
    config = _config(tmp_path)
    config.write_text(config.read_text().replace("timezone: UTC", "timezone: Europe/Berlin"))
    # One mention an hour, 24 Oct 20:30 UTC to 26 Oct 01:30 UTC: Berlin's 25 Oct (22:00 to 23:00 UTC) holds 25.
    start = datetime(2026, 10, 24, 20, 30, tzinfo=timezone.utc)
    lines = [json.dumps({"source": "twitter", "id": f"h{h}", "brand": "Acme", "text": f"acme coffee {h}",
                         "created_at": f"{start + timedelta(hours=h):%Y-%m-%dT%H:%M:%SZ}", "label": "positive"})
             for h in range(30)]
    _ingest(tmp_path, invoke, config, lines)

    doc = json.loads(invoke("--config", config, "digest", "--date", "2026-10-25", "--format", "json").stdout)
    text = invoke("--config", config, "digest", "--date", "2026-10-25").stdout
    html = invoke("--config", config, "digest", "--date", "2026-10-25", "--format", "html").stdout

    # Before: 25 mentions of a day read as the usual 24 hours', nothing said of the extra hour.
    assert doc["hours"] == 25 and doc["brands"][0]["volume"] == 25
    note = ("2026-10-25 had 25 hours in Europe/Berlin: the clocks went back; its counts cover one hour more than a "
            "usual day's.")
    assert text.splitlines()[1] == note and note.replace("'", "&#39;") in html
    spring = json.loads(invoke("--config", config, "digest", "--date", "2026-03-29", "--format", "json").stdout)
    assert spring["hours"] == 23
    usual = invoke("--config", config, "digest", "--date", "2026-10-26")
    assert json.loads(invoke("--config", config, "digest", "--date", "2026-10-26", "--format", "json").stdout)[
        "hours"] == 24 and "hours in" not in usual.stdout


def test_a_day_of_only_unscored_mentions_is_not_called_a_day_without_mentions(tmp_path, invoke):
    config = _config(tmp_path)
    french = json.dumps({"source": "forum", "id": "fr1", "brand": "Acme", "lang": "fr",
                         "text": "acme: le café est horrible, remboursez-moi", "created_at": f"{DAY}T09:00:00Z"})
    _ingest(tmp_path, invoke, config, [_line(1, "Acme", "2026-03-09", "positive")])
    (tmp_path / "fr.jsonl").write_text(french + "\n", encoding="utf-8")
    assert invoke("--config", config, "ingest", tmp_path / "fr.jsonl").exit_code == 0

    text = invoke("--config", config, "digest", "--date", DAY).stdout

    assert "Mentions: 1 (0 promoters, 0 passives, 0 detractors, 1 unscored)" in text
    # The day's character is a dot: it had a mention, which no model read.
    assert "· = no scored mention: none, or only unscored ones): " + "·" * 28 + "█·" in text


def test_a_brand_without_a_mention_says_so_where_it_said_n_a_and_0_posts_to_answer_with_a_command(tmp_path, invoke):
    config = _config(tmp_path, brands="[{name: Acme, keywords: [acme]}, {name: Bolt, keywords: [bolt]}]")
    _ingest(tmp_path, invoke, config, [_line(1, "Acme", DAY, "positive"), _line(2, "Bolt", "2026-03-09", "negative")])
    _followed_since_january(tmp_path)  # 9 Mar is a whole day followed, not Bolt's first partial one

    text = invoke("--config", config, "digest", "--date", DAY, "--brand", "Bolt").stdout
    html = invoke("--config", config, "digest", "--date", DAY, "--brand", "Bolt", "--format", "html").stdout

    # Before: 'Net sentiment: n/a; 7-day average -100' and 'Posts to answer: 0 = 0 detractor mentions (0 of them
    # complaints) + 0 other complaints; listed by: brandpulse query ...', a command listing nothing.
    assert "Net sentiment: n/a (no mention on the day; 7-day average -100)" in text
    assert "Posts to answer: none\n" in text and "--to-answer" not in text
    assert ">n/a</div><div style=\"font-size: 12px; color: #616161;\">no mention on the day</div>" in html
    assert "<b>Posts to answer</b>: none" in html and "--to-answer" not in html
    by_source = html.split("By source")[1].split("Alerts")[0]
    assert ">none</td></tr>" in by_source  # the table held its header alone


def test_a_day_of_only_unscored_mentions_says_why_it_has_no_net_score():
    from brandpulse.alerts.digest_render import digest_text

    doc = {"date": DAY, "timezone": "UTC", "share_of_voice": [], "brands": [{
        "brand": "Acme", "volume": 2, "categories": {"promoter": 0, "passive": 0, "detractor": 0, "unscored": 2},
        "net_score": None, "net_score_previous_day": 50.0, "net_score_7d_average": 20.0, "to_answer": 0,
        "complaints": 0, "net_score_change": {"previous_day": None, "7d_average": None}, "trend": [],
        "themes": [], "top_positive": [], "top_negative": [], "sources": [], "alerts": []}]}

    # Before: a bare 'Net sentiment: n/a; 7-day average +20' on a day of two mentions.
    assert "Net sentiment: n/a (no scored mention, only 2 unscored; 7-day average +20)" in digest_text(doc)


def test_share_of_voice_shown_in_json_text_and_html_adds_up_to_exactly_100(tmp_path, invoke):
    # 3, 3 and 1 of 7 mentions: 42.857 %, 42.857 % and 14.286 % were each rounded up, to 42.9 + 42.9 + 14.3 = 100.1.
    config = _config(tmp_path, brands="[{name: Acme, keywords: [acme]}, {name: Bolt, keywords: [bolt]}, "
                                      "{name: Cleo, keywords: [cleo]}]")
    brands = ("Acme", "Acme", "Acme", "Bolt", "Bolt", "Bolt", "Cleo")
    _ingest(tmp_path, invoke, config, [_line(n, brand, DAY, "positive") for n, brand in enumerate(brands)]
            + [_line(20 + n, brand, day, "positive") for n, (brand, day) in
               enumerate((brand, day) for day in ("2026-03-08", "2026-03-09") for brand in ("Acme", "Bolt", "Cleo"))])

    doc = json.loads(invoke("--config", config, "digest", "--date", DAY, "--format", "json").stdout)
    text = invoke("--config", config, "digest", "--date", DAY).stdout
    html = invoke("--config", config, "digest", "--date", DAY, "--format", "html").stdout

    for key in ("all", "positive"):
        shown = [row[key]["share"] for row in doc["share_of_voice"]]
        assert shown == [42.9, 42.8, 14.3] and sum(round(10 * share) for share in shown) == 1000
    # Changes are taken from the exact shares: yesterday's thirds moved Acme and Bolt alike (33.4 and 33.3 shown).
    assert [row["all"]["change"] for row in doc["share_of_voice"]] == [9.5, 9.5, -19.0]
    assert "- Acme: all 42.9 % (+9.5)" in text and "- Bolt: all 42.8 % (+9.5)" in text
    assert "- Cleo: all 14.3 % (-19.0)" in text
    assert html.count("42.9 %") == 2 and html.count("42.8 %") == 2 and html.count("14.3 %") == 2


def test_largest_remainder_shares_break_ties_by_order_and_leave_no_count_at_zero():
    from brandpulse.alerts.digest import shares_summing_to_100

    assert shares_summing_to_100([1, 1, 1]) == [33.4, 33.3, 33.3]
    assert shares_summing_to_100([667, 667, 666]) == [33.4, 33.3, 33.3]  # rounded one by one: 100.1
    assert shares_summing_to_100([5, 0, 0]) == [100.0, 0.0, 0.0]
    assert shares_summing_to_100([0, 0]) == [None, None]


def test_a_month_without_mentions_is_charted_from_0_mentions_not_around_it(monkeypatch):
    from datetime import date, timedelta

    days = [date(2026, 3, 1) + timedelta(days=n) for n in range(30)]

    labels, _ = _drawn(monkeypatch, lambda c: c.trend_chart(days, [0] * 30, [None] * 30, "Quietly Tea"))

    # Before: "0 0 0 0 -0 -0 -0", an axis from -0.055 to 0.055 mentions.
    assert labels[:2] == ["0", "1"] and len(set(labels)) == len(labels) and all(n.isdigit() for n in labels)



def test_a_digest_of_a_day_not_over_says_until_when_it_counts_in_email_chat_and_json(tmp_path, invoke, monkeypatch):
    from brandpulse import digesting
    from tests.local_http import LocalServer, Reply

    hooks, inbox, port = LocalServer(), Inbox(), _free_port()
    hooks.route("/marketing", Reply(200, b"{}", {"Content-Type": "application/json"}))
    monkeypatch.setenv("BP_TEST_MARKETING_URL", f"json://{hooks.url.split('://')[1]}/marketing")
    config = write_config(tmp_path / "config.yaml", f"""
brands: [{{name: Acme, keywords: [acme]}}]
email:
  sender: digest@acme.test
  recipients: {{digest: [marketing@acme.test]}}
  smtp: {{host: 127.0.0.1, port: {port}, security: none, timeout: 5}}
channels: [{{name: marketing, url_env: BP_TEST_MARKETING_URL, kinds: [digest]}}]
digest: {{timezone: America/New_York}}
""")
    _ingest(tmp_path, invoke, config, [_line(1, "Acme", DAY, "positive")])
    day, morning = datetime(2026, 3, 10).date(), datetime(2026, 3, 10, 14, 15, tzinfo=timezone.utc)  # 10:15 EDT
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        pipeline = Pipeline(load_config(config), tmp_path / "brandpulse.db")
        with pipeline.session() as db:
            doc = digesting.build(pipeline.config, db, day, ["Acme"], morning)
            whole = digesting.build(pipeline.config, db, day, ["Acme"], NOW.replace(hour=12))
            digesting.queue(pipeline.config, db, day, ["Acme"], morning, channels=pipeline.channels)
        assert pipeline.deliver(morning).failed == 0
    finally:
        controller.stop()
        hooks.close()

    (message,) = inbox.messages
    chat = json.loads(hooks.requests[0][2])
    note = "The day is not over: these are its mentions until 10:15 America/New_York, not the whole day's."
    # Before: a digest of today sent by hand read as the whole day's, its few mentions those of a quiet day.
    assert (doc["complete"], doc["as_of"]) == (False, "2026-03-10T14:15:00Z") and whole["complete"] is True
    assert message["Subject"] == "[brandpulse] Daily digest 2026-03-10 so far, until 10:15 America/New_York: Acme"
    assert note in message.get_body(("plain",)).get_content()
    assert "until 10:15 America/New_York, not the whole day" in message.get_body(("html",)).get_content()
    assert chat["title"] == "Daily digest 2026-03-10 so far, until 10:15 America/New_York: Acme"


def test_a_day_without_a_mention_of_any_brand_has_no_empty_share_chart_and_says_why():
    from brandpulse.alerts.digest_render import digest_preview

    empty = {"share": None, "change": None}
    doc = {"date": DAY, "timezone": "UTC", "brands": [], "share_of_voice_days": 7,
           "share_of_voice": [{"brand": b, "all": empty, "positive": empty, "negative": empty} for b in ("A", "B")]}

    html = digest_preview(doc)

    # Before: an empty frame with an axis from 0 to 10 %, and nothing saying why.
    assert "data:image/png" not in html and "No mention of any brand on the day: no share to compare." in html
    assert html.count("n/a") == 12  # the table stays: 2 brands x 3 kinds, share and change


def _send_digest(tmp_path, config, inbox, port):
    """Queue NOW's digest of Acme and deliver it through a real SMTP server on `port`, into `inbox`."""
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        pipeline = Pipeline(load_config(config), tmp_path / "brandpulse.db")
        assert pipeline.send_digest(NOW) == ["Acme"]
        assert pipeline.deliver(NOW).failed == 0
    finally:
        controller.stop()


def _send_with_chat(tmp_path, invoke, monkeypatch, server, lines):
    """Ingest `lines` (classifying those without a label), send the digest of DAY through a real SMTP server and a
    real webhook; returns the config, the email and the chat message's text."""
    from tests.local_http import Reply

    inbox, port = Inbox(), _free_port()
    config = _config(tmp_path, smtp_port=port)
    config.write_text(config.read_text() + "channels:\n  - {name: team, url_env: BP_TEST_TEAM_URL, kinds: [digest]}\n")
    server.route("/hook", Reply(200, b"{}", {"Content-Type": "application/json"}))
    monkeypatch.setenv("BP_TEST_TEAM_URL", f"json://{server.url.split('://')[1]}/hook")
    (tmp_path / "m.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    assert invoke("--config", config, "ingest", tmp_path / "m.jsonl").exit_code == 0
    _send_digest(tmp_path, config, inbox, port)
    (message,) = inbox.messages
    return config, message, json.loads(server.requests[-1][2])["message"]


def _listed(invoke, config, command):
    result = invoke("--config", config, *command.split()[1:], "--format", "jsonl")
    return sorted(json.loads(line)["external_id"] for line in result.output.splitlines())


def test_a_digest_with_unscored_mentions_names_the_command_listing_them_in_email_and_chat(tmp_path, invoke,
                                                                                          monkeypatch, server):
    unscored = [json.dumps({"source": "twitter", "id": f"ja{n}", "brand": "Acme", "created_at": f"{DAY}T11:0{n}:00Z",
                            "text": f"Acmeの料金が二重請求されています。早く返金してください {n}"}) for n in range(3)]
    # Japanese: no model reads it, so it is stored unscored.
    config, message, chat = _send_with_chat(tmp_path, invoke, monkeypatch, server,
                                            [_line(1, "Acme", DAY, "negative"), *unscored])

    command = ("brandpulse query --brand Acme --tz UTC --since 2026-03-10 --until 2026-03-11 --category unscored "
               "--all")
    # Was: '3 unscored' among the categories, and no way from the digest to the posts, which ask for a refund.
    assert f"Unscored (in a language no model reads, in no figure of sentiment or complaints, nor in the posts to " \
           f"answer): 3: {command}" in message.get_body(("plain",)).get_content()
    assert "<b>3 unscored</b> (in a language no model reads" in message.get_body(("html",)).get_content()
    assert f"<code>{command}</code>" in message.get_body(("html",)).get_content()
    assert f"The 3 unscored, in a language no model reads and in no figure here: {command}" in chat.splitlines()
    assert _listed(invoke, config, command) == ["ja0", "ja1", "ja2"]


def test_the_chat_digest_counts_the_posts_to_answer_and_names_the_command_listing_them(tmp_path, invoke,
                                                                                       monkeypatch, server):
    lines = [_line(1, "Acme", DAY, "negative"), _line(2, "Acme", DAY, "negative"), _line(3, "Acme", DAY, "positive")]
    config, message, chat = _send_with_chat(tmp_path, invoke, monkeypatch, server, lines)

    command = "brandpulse query --brand Acme --tz UTC --since 2026-03-10 --until 2026-03-11 --to-answer --all"
    # Was: '0 complaints (posts that need an answer); 2 detractor(s) not known (...)', and no count or command of
    # the posts to answer, which the emailed digest gives.
    said = ("Posts to answer: 2 = 2 detractor mentions (0 of them complaints, 2 not known: labels imported without a "
            "complaint probability, or read by a model without a complaint head) + 0 other complaints; listed by: "
            f"{command}")
    assert said in chat.splitlines() and said in message.get_body(("plain",)).get_content().splitlines()
    assert _listed(invoke, config, command) == ["t1", "t2"]
