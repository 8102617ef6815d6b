import json

from tests.test_digest_figures import DAY, _config, _ingest, _line


def _bolt_from_last_evening(tmp_path, invoke):
    # Acme: 1 promoter a day 2-10 Mar. Bolt: first posted on 9 Mar at 10:50 (a detractor), 2 promoters on 10 Mar.
    config = _config(tmp_path, brands="[{name: Acme, keywords: [acme]}, {name: Bolt, keywords: [bolt]}]")
    lines = [_line(d, "Acme", f"2026-03-{d:02d}", "positive") for d in range(2, 11)]
    lines += [_line(50, "Bolt", "2026-03-09", "negative"), _line(51, "Bolt", DAY, "positive"),
              _line(52, "Bolt", DAY, "positive")]
    _ingest(tmp_path, invoke, config, lines)
    return config


def test_the_net_scores_change_skips_a_previous_day_only_partly_followed_as_the_change_in_mentions_does(tmp_path,
                                                                                                      invoke):
    config = _bolt_from_last_evening(tmp_path, invoke)

    doc = json.loads(invoke("--config", config, "digest", "--date", DAY, "--format", "json").stdout)
    text = invoke("--config", config, "digest", "--date", DAY, "--brand", "Bolt").stdout

    bolt = doc["brands"][1]
    # Before: its one post of 9 Mar (from 10:50 on) read as the day's -100, a +200 change, where its change in
    # mentions said nothing of that day.
    assert bolt["volume_previous_day"] is None and bolt["net_score_previous_day"] is None
    assert bolt["net_score_change"]["previous_day"] is None
    assert "vs previous day" not in text
    acme = doc["brands"][0]
    assert acme["net_score_previous_day"] == 100.0 and acme["net_score_change"]["previous_day"] == 0.0


def test_the_chat_digest_gives_the_changes_the_day_length_and_why_a_score_is_missing_as_the_email_does(tmp_path,
                                                                                                     invoke):
    from datetime import date

    from brandpulse import digesting
    from brandpulse.config import load_config
    from brandpulse.pipeline import Pipeline

    # Acme: 1 promoter a day 2-9 Mar, 2 on 10 Mar; 25 Oct (Berlin: 25 hours) 1 detractor; 26 Oct nothing.
    config = _config(tmp_path)
    config.write_text(config.read_text().replace("timezone: UTC", "timezone: Europe/Berlin"))
    lines = [_line(d, "Acme", f"2026-03-{d:02d}", "positive") for d in range(2, 10)]
    lines += [_line(20, "Acme", DAY, "positive"), _line(21, "Acme", DAY, "positive"),
              _line(30, "Acme", "2026-10-25", "negative")]
    _ingest(tmp_path, invoke, config, lines)
    pipeline = Pipeline(load_config(config), tmp_path / "brandpulse.db")
    with pipeline.session() as db:
        docs = {day: digesting.build(pipeline.config, db, date.fromisoformat(day), ["Acme"])
                for day in (DAY, "2026-10-25", "2026-10-26")}
    chats = {day: digesting._chat(doc["brands"][0], doc) for day, doc in docs.items()}

    # Before: '2 mentions: ...' and 'Net sentiment: +100.', no change in mentions nor against the week; the 25-hour
    # day's count read as a usual day's; a day without a mention had a bare 'Net sentiment: n/a.'
    assert chats[DAY].body.splitlines()[:2] == [
        "2 mentions: 2 promoters, 0 passives, 0 detractors.",
        "Change in mentions: +100 % vs previous day (1), +100 % vs 7-day average (1 a day).",
    ]
    assert "Net sentiment: +100 (+0 vs previous day, +0 vs 7-day average +100)." in chats[DAY].body.splitlines()
    assert chats["2026-10-25"].body.splitlines()[0] == (
        "1 mention in 25 hours (the clocks went back): 0 promoters, 0 passives, 1 detractor.")
    assert "Net sentiment: n/a (no mention on the day; 7-day average -100)." in chats["2026-10-26"].body.splitlines()


def test_a_brand_not_followed_yet_on_the_day_has_no_share_of_voice_rather_than_0_percent(tmp_path, invoke):
    from tests.test_digest_figures import _two_brands

    config = _two_brands(tmp_path, invoke, bolt_from=8)  # Bolt: first mentioned on 8 Mar

    doc = json.loads(invoke("--config", config, "digest", "--date", "2026-03-05", "--format", "json").stdout)
    text = invoke("--config", config, "digest", "--date", "2026-03-05").stdout
    html = invoke("--config", config, "digest", "--date", "2026-03-05", "--format", "html").stdout

    # Before: 'Bolt: all 0.0 % (n/a), positive 0.0 % (n/a), negative 0.0 % (n/a)', a brand nobody spoke of.
    acme, bolt = doc["share_of_voice"]
    empty = {"share": None, "change": None}
    assert bolt == {"brand": "Bolt", "tracked": False, "all": empty, "positive": empty, "negative": empty}
    assert acme["tracked"] is True and acme["all"]["share"] == 100.0
    assert "- Bolt: not tracked on the day (configured or first mentioned later)\n" in text
    assert " 0.0 %" not in text and ">0.0 %" not in html
    assert "Only one brand was followed on the day: no share to compare." in html
    later = json.loads(invoke("--config", config, "digest", "--date", "2026-03-08", "--format", "json").stdout)
    assert [row["tracked"] for row in later["share_of_voice"]] == [True, True]  # its first day, if only partly


def test_the_themes_are_listed_by_their_count_against_the_days_the_store_holds(tmp_path, invoke):
    config = _config(tmp_path)
    day = [("acme charged me twice for one order", 8), ("acme app crashes at login", 5),
           ("acme billing page broken, billing wrong", 6)]
    lines = [_line(n, "Acme", "2026-03-07", "negative", "acme charged me for the order") for n in range(6)]
    lines += [_line(10 + n, "Acme", DAY, "negative", text) for n, text in
              enumerate(text for text, count in day for _ in range(count))]
    _ingest(tmp_path, invoke, config, lines)

    (acme,) = json.loads(invoke("--config", config, "digest", "--date", DAY, "--format", "json").stdout)["brands"]
    text = invoke("--config", config, "digest", "--date", DAY).stdout
    html = invoke("--config", config, "digest", "--date", DAY, "--format", "html").stdout

    # Before: by score, 'charged me twice 8, billing page broken 6, crashes at login 5, order 8', and 'against the
    # previous 28 days' with 3 days stored.
    counts = [theme["count"] for theme in acme["themes"]]
    assert len(counts) >= 3 and counts == sorted(counts, reverse=True)
    assert acme["themes_baseline_days"] == 3
    assert "What negative mentions talk about (against the previous 3 days):" in text
    assert "The previous 3 days</th>" in html and "28 days" not in text + html
    first = json.loads(invoke("--config", config, "digest", "--date", "2026-03-07", "--format", "json").stdout)
    assert first["brands"][0]["themes_baseline_days"] == 0
    assert "(against no earlier day: the brand's first)" in invoke("--config", config, "digest", "--date",
                                                                    "2026-03-07").stdout


def test_the_net_scores_7_day_average_is_over_the_days_followed_all_day_as_the_mentions_average_is(tmp_path,
                                                                                                   invoke):
    # Bolt: first posted on 7 Mar at 10:50 (a detractor), then a promoter on 8 and 9 Mar and 2 on 10 Mar.
    config = _config(tmp_path, brands="[{name: Acme, keywords: [acme]}, {name: Bolt, keywords: [bolt]}]")
    lines = [_line(d, "Acme", f"2026-03-{d:02d}", "positive") for d in range(2, 11)]
    lines += [_line(50, "Bolt", "2026-03-07", "negative"), _line(51, "Bolt", "2026-03-08", "positive"),
              _line(52, "Bolt", "2026-03-09", "positive"), _line(53, "Bolt", DAY, "positive"),
              _line(54, "Bolt", DAY, "positive")]
    _ingest(tmp_path, invoke, config, lines)

    bolt = json.loads(invoke("--config", config, "digest", "--date", DAY, "--format", "json").stdout)["brands"][1]
    text = invoke("--config", config, "digest", "--date", DAY, "--brand", "Bolt").stdout
    html = invoke("--config", config, "digest", "--date", DAY, "--brand", "Bolt", "--format", "html").stdout
    first = invoke("--config", config, "digest", "--date", "2026-03-08", "--brand", "Bolt").stdout

    # Before: '+67 vs 7-day average +33', its first evening's detractor in the week's score where its mentions'
    # average was over the 2 days followed all day; on 8 Mar, '+200 vs 7-day average -100' from that evening alone.
    assert (bolt["net_score_7d_average"], bolt["volume_7d_days"]) == (100.0, 2)
    assert "Net sentiment: +100 (+0 vs previous day, +0 vs 2-day average +100)" in text
    assert "+0 vs 2-day average (+100)" in html
    assert "Net sentiment: +100 (no earlier full day to compare with)\n" in first


def test_a_brands_first_day_followed_all_day_says_it_has_no_earlier_day_to_compare_with(tmp_path, invoke):
    from datetime import date

    from brandpulse import digesting
    from brandpulse.config import load_config
    from brandpulse.pipeline import Pipeline

    # Bolt: first posted on 7 Mar at 10:50 (a detractor), a promoter on 8 Mar: its first day followed all day.
    config = _config(tmp_path, brands="[{name: Acme, keywords: [acme]}, {name: Bolt, keywords: [bolt]}]")
    lines = [_line(d, "Acme", f"2026-03-{d:02d}", "positive") for d in range(2, 11)]
    lines += [_line(50, "Bolt", "2026-03-07", "negative"), _line(51, "Bolt", "2026-03-08", "positive")]
    _ingest(tmp_path, invoke, config, lines)
    args = ("--config", config, "digest", "--date", "2026-03-08", "--brand", "Bolt")
    text, html = invoke(*args).stdout, invoke(*args, "--format", "html").stdout
    pipeline = Pipeline(load_config(config), tmp_path / "brandpulse.db")
    with pipeline.session() as db:
        built = digesting.build(pipeline.config, db, date(2026, 3, 8), ["Bolt"])
    chat = digesting._chat(built["brands"][0], built).body

    # Before: the HTML read 'n/a vs previous day<br>n/a vs 0-day average (n/a)', the text and chat nothing.
    assert "Net sentiment: +100 (no earlier full day to compare with)\n" in text
    assert ">No earlier full day to compare with</span>" in html
    assert "0-day average" not in html and "n/a vs" not in html
    assert "Net sentiment: +100 (no earlier full day to compare with)." in chat.splitlines()


def test_a_brand_not_followed_yet_on_the_day_has_one_line_saying_so_in_place_of_its_figures(tmp_path, invoke):
    from datetime import date

    from brandpulse import digesting
    from brandpulse.config import load_config
    from brandpulse.pipeline import Pipeline
    from tests.test_digest_figures import _two_brands

    config = _two_brands(tmp_path, invoke, bolt_from=8)  # Bolt: first mentioned on 8 Mar
    args = ("--config", config, "digest", "--date", "2026-03-05", "--brand", "Bolt")
    doc = json.loads(invoke(*args, "--format", "json").stdout)
    text, html = invoke(*args).stdout, invoke(*args, "--format", "html").stdout
    pipeline = Pipeline(load_config(config), tmp_path / "brandpulse.db")
    with pipeline.session() as db:
        built = digesting.build(pipeline.config, db, date(2026, 3, 5), ["Bolt"])
    chat = digesting._chat(built["brands"][0], built).body

    # Before: 'Mentions: 0', 'Net sentiment: n/a (not tracked yet: ...)', a 30-day trend line of '·' (a chart in the
    # HTML), 'no term stands out', '(none)' of posts, sources and alerts, as a quiet month; the chat '0 mentions'.
    line = "Not tracked yet on the day (configured or first mentioned later): no figure to show."
    bolt = doc["brands"][0]
    assert bolt["tracked"] is False and bolt["volume"] == 0 and "trend" in bolt and "net_score" in bolt
    assert text.split("== Bolt ==\n")[1].startswith(line + "\n\n== Share of voice")
    assert "Mentions:" not in text and "·" not in text and "Net sentiment" not in text
    assert f">{line}</p>" in html
    assert "<img" not in html and "Mentions</div>" not in html and "Top positive" not in html
    assert chat == line
    acme = json.loads(invoke("--config", config, "digest", "--date", "2026-03-05", "--format", "json").stdout)
    assert acme["brands"][0]["brand"] == "Acme" and acme["brands"][0]["tracked"] is True
