from datetime import datetime, timezone

from brandpulse.alerts.base import Alert
from brandpulse.alerts.chat import alert_chat, defuse, digest_chat, fit

START = datetime(2026, 3, 6, 14, tzinfo=timezone.utc)
END = datetime(2026, 3, 6, 15, tzinfo=timezone.utc)


def _mention(n, url=None, text=None):
    return {"source": "twitter", "author": f"@user{n}", "text": text or f"charged twice for order {n}",
            "url": url if url is not None else f"https://x.example/status/{n}", "created_at": "2026-03-06T14:05:00Z"}


def _spike(**details):
    return Alert("spike", "Pinebrook Coffee", START, END, 42, 3.14, 6.3, 1e-12, "42 detractors", details=details)


def test_a_spike_message_names_brand_counts_top_three_mentions_with_links_and_the_alert_id():
    message = alert_chat(_spike(top_mentions=[_mention(n) for n in range(1, 6)]), 17)

    assert message.title == "Negative spike: Pinebrook Coffee"
    assert message.body.splitlines() == [
        "42 detractor mentions between 14:00 and 15:00 UTC on 2026-03-06, usually 3.1.",
        "Top mentions:",
        '1. twitter @\u200buser1: "charged twice for order 1" https://x.example/status/1',
        '2. twitter @\u200buser2: "charged twice for order 2" https://x.example/status/2',
        '3. twitter @\u200buser3: "charged twice for order 3" https://x.example/status/3',
        "All of them since the storm began (14:00 UTC), later hours too, but those marked answered (brandpulse alerts "
        "answered ID... --by NAME), the likeliest complaints first: brandpulse query --brand 'Pinebrook Coffee' --since "
        "2026-03-06T14:00:00Z --to-answer --unanswered --order complaint --all",
        "Alert #17; acknowledge with: brandpulse alerts ack 17 --by NAME",
    ]


def test_a_spike_message_says_how_many_are_complaints_and_marks_them():
    top = [{**_mention(1), "is_complaint": True}, {**_mention(2), "is_complaint": False}]

    lines = alert_chat(_spike(complaints=7, detractors=42, top_mentions=top), 4).body.splitlines()

    # Was: '7 of them are complaints (posts that need an answer).', next to a digest's 42 posts to answer.
    assert lines[1] == "Posts to answer: 42 = 42 detractor mentions (7 of them complaints) + 0 other complaints."
    assert lines[3].startswith("1. twitter @\u200buser1 (complaint): ")
    assert lines[4].startswith("2. twitter @\u200buser2: ")


def test_a_window_whose_posts_were_all_answered_says_so_instead_of_listing_none():
    message = alert_chat(_spike(top_mentions=[], answered=6), 17)

    assert "All 6 posts to answer of the window were already marked answered." in message.body.splitlines()


def test_themes_are_shown_when_the_alert_has_them_top_three_only():
    themes = [{"term": t, "count": c, "baseline_count": b, "score": s}
              for t, c, b, s in [("double charge", 18, 1, 9.1), ("refund", 9, 2, 4.0), ("app crash", 4, 0, 3.2),
                                 ("barista", 2, 1, 0.5)]]

    body = alert_chat(_spike(themes=themes, top_mentions=[]), 3).body

    assert body.splitlines()[1] == "Themes: double charge (18, 1 in the baseline), refund (9, 2 in the baseline), app crash (4, 0 in the baseline)"
    assert "barista" not in body and "Top mentions" not in body


def test_an_update_of_a_growing_storm_and_a_per_source_alert_say_so():
    alert = Alert("spike", "Acme", START, END, 30, 2, 6, 1e-9, "growing", source="reddit", details={"update": 1})

    message = alert_chat(alert, 5)

    assert message.title == "Negative spike (growing): Acme"
    assert message.body.startswith("30 detractor mentions on reddit between")


def test_mention_text_cannot_ping_a_channel_inject_markup_or_run_on():
    hostile = _mention(1, url="javascript:alert(1)", text="<!channel> @everyone look\n\n*at* this " + "x" * 300)

    line = alert_chat(_spike(top_mentions=[hostile]), 1).body.splitlines()[2]

    assert "<" not in line and "@everyone" not in line and "@\u200beveryone" in line
    assert "javascript:" not in line and len(line) < 200 and line.endswith('…"')


def test_defuse_keeps_ordinary_text_as_it_is():
    assert defuse("Refund took 3 weeks, support@pinebrook never answered") == \
        "Refund took 3 weeks, support@pinebrook never answered"


def test_a_health_message_and_a_digest_message_are_short():
    health = alert_chat(Alert("health", None, START, END, 0, 12, 0, 1e-6, "twitter yielded nothing in 6h",
                              source="twitter"), 9)
    digest = digest_chat("Acme", "2026-03-06", 120, {"promoter": 50, "passive": 40, "detractor": 30}, 16.7, 20.9,
                         [("refund", 12), ("charged", 9)])

    assert (health.title, health.body.splitlines()[0]) == ("Collector health: twitter", "twitter yielded nothing in 6h.")
    assert digest.title == "Daily digest 2026-03-06 (UTC): Acme"
    assert digest.body.splitlines() == [
        "120 mentions: 50 promoters, 40 passives, 30 detractors.",
        "Net sentiment: +17 (-4 vs previous day).",
        "Themes of negative mentions: refund (12), charged (9)",
    ]


def test_a_digest_message_writes_one_of_a_category_in_the_singular():
    digest = digest_chat("Acme", "2026-03-06", 1, {"promoter": 0, "passive": 1, "detractor": 0}, None, None, [])

    # Was: "1 mentions: 0 promoters, 1 passives, 0 detractors."
    assert digest.body.splitlines()[0] == "1 mention: 0 promoters, 1 passive, 0 detractors."


def test_a_digest_message_counts_the_days_complaints_when_there_are_any():
    digest = digest_chat("Acme", "2026-03-06", 120, {"promoter": 50, "passive": 40, "detractor": 30}, 16.7, None, [],
                         complaints=13, to_answer=32, to_answer_query="brandpulse query ... --to-answer --all")

    # Was: '13 complaints (posts that need an answer).' above '32 posts to answer (...)': which was it?
    assert digest.body.splitlines() == [
        "120 mentions: 50 promoters, 40 passives, 30 detractors.",
        "Posts to answer: 32 = 30 detractor mentions (11 of them complaints) + 2 other complaints (passive mentions, "
        "a 4-star review say, that read as complaints); listed by: brandpulse query ... --to-answer --all",
        "Net sentiment: +17."]


def test_a_digest_message_of_imported_labels_says_its_complaints_are_not_known_rather_than_none():
    digest = digest_chat("Acme", "2026-03-06", 120, {"promoter": 50, "passive": 40, "detractor": 30}, None, None, [],
                         complaints=0, complaint_unknown=30, to_answer=30)

    assert digest.body.splitlines()[1] == (
        "Posts to answer: 30 = 30 detractor mentions (0 of them complaints, 30 not known: labels imported without a "
        "complaint probability, or read by a model without a complaint head) + 0 other complaints")


def test_a_post_cannot_hide_a_link_embed_an_image_or_ping_a_person_or_group():
    hostile = ("[Acme Refund Desk](https://evil.example/phish) ![receipt](https://evil.example/pixel.png?who=support) "
               "@support-team @sam \u202eright to left [x] (https://e.example)")

    line = defuse(hostile, 400)

    assert "](" not in line and "] (" not in line and "\u202e" not in line
    assert "@sam" not in line and "@support-team" not in line and "@\u200bsam" in line
    assert "https://evil.example/phish" in line  # the address shows as written, not behind a name
    for ping in ("x@here", "__@everyone__", "_@channel_", "a_@sam"):  # glued or underlined: pings all the same
        assert "@\u200b" in defuse(ping), ping
    assert defuse("mail sam@example.com") == "mail sam@example.com"


def test_a_message_over_a_services_limit_keeps_what_happened_and_how_to_acknowledge_it():
    long_link = "https://reviews.example/" + "r" * 250
    mentions = [_mention(n, url=long_link, text="the app lost my order " * 8) for n in range(1, 4)]
    body = alert_chat(_spike(top_mentions=mentions, themes=[{"term": "lost order"}]), 17).body

    teams = fit(body, 1000 - 40)  # Teams Workflows: 1,000 characters, the title beside it

    assert len(body) > 1000 >= len(teams) + 40
    assert teams.splitlines()[0] == body.splitlines()[0] and teams.splitlines()[-2:] == body.splitlines()[-2:]
    assert "…" in teams.splitlines() and fit(body, len(body)) == body


def test_a_digest_message_says_how_many_mentions_are_not_classified_yet():
    lines = digest_chat("Acme", "2026-03-10", 72, {"promoter": 30, "passive": 20, "detractor": 22}, 10.0, None, [],
                        complaints=0, unclassified=7).body.splitlines()

    assert lines[1] == "7 more not classified yet, in no figure here."


def test_a_spike_message_names_the_query_for_the_windows_posts_no_model_read():
    body = alert_chat(_spike(complaints=40, unscored=2), 17).body

    assert ("2 more in a language no model reads, in no count: brandpulse query --brand 'Pinebrook Coffee' --since "
            "2026-03-06T14:00:00Z --category unscored --unanswered --all") in body.splitlines()
    assert "unscored" not in alert_chat(_spike(complaints=40, unscored=0), 17).body


def test_an_updates_command_lists_the_posts_from_the_storms_start_the_day_before():
    began = {"update": 2, "storm_start": "2026-03-05T22:00:00Z"}

    lines = alert_chat(_spike(**began, complaints=3, unscored=1), 9).body.splitlines()

    assert lines[-2] == ("All of them since the storm began (2026-03-05 22:00 UTC), later hours too, but those marked "
                         "answered (brandpulse alerts answered ID... --by NAME), the likeliest complaints first: "
                         "brandpulse query --brand 'Pinebrook Coffee' --since 2026-03-05T22:00:00Z "
                         "--to-answer --unanswered --order complaint --all")
    assert lines[2].endswith("--since 2026-03-05T22:00:00Z --category unscored --unanswered --all")


def test_a_post_cut_at_its_limit_keeps_each_flag_emoji_and_accented_letter_whole():
    family, flags, accent = "👨\u200d👩\u200d👧\u200d👦", "🇫🇷🇩🇪", "e\u0301"
    for text, whole in ((f"{'a' * 137}{flags}b", "🇫🇷"), (f"{'a' * 136}{family}b", ""), (f"{'a' * 138}{accent}b", ""),
                        (f"{'a' * 138}👍🏽b", ""), (f"{'a' * 138}1\ufe0f\u20e3b", "")):
        shown = defuse(text)

        assert len(shown) <= 140 and shown == f"{text[:shown.index('…')]}…" and shown.endswith(f"a{whole}…")


def test_a_message_cut_to_a_services_limit_keeps_the_last_emoji_whole():
    title = "Negative spike: Café ורד"
    body = title + "🇮🇱" * 600

    shown = fit(body, 1000)

    assert len(shown) <= 1000 and shown.endswith("🇮🇱…") and shown[len(title):-1] == "🇮🇱" * 487


def test_a_digest_message_writes_one_complaint_in_the_singular():
    digest = digest_chat("Acme", "2026-03-06", 3, {"promoter": 1, "passive": 1, "detractor": 1}, 0.0, 0.0, [],
                         complaints=1, to_answer=1)

    # Was: "1 complaints (posts that need an answer)."
    assert digest.body.splitlines()[1] == ("Posts to answer: 1 = 1 detractor mention (1 of them a complaint) "
                                           "+ 0 other complaints")


def test_a_digest_message_too_long_for_teams_drops_its_unscored_line_before_its_posts_to_answer():
    query = "brandpulse query --brand 'Pinebrook Coffee' --tz America/Argentina/Buenos_Aires --since 2026-12-05 " \
            "--until 2026-12-06"
    digest = digest_chat("Pinebrook Coffee", "2026-12-05", 1234, {"promoter": 300, "passive": 200, "detractor": 700,
                                                                  "unscored": 34}, -33.3, 10.0,
                         [("double charged", 120), ("refund please", 80), ("customer service", 60)],
                         complaints=650, complaint_unknown=20, unscored_query=f"{query} --category unscored --all",
                         to_answer=720, to_answer_query=f"{query} --to-answer --all")

    fitted = fit(digest.body, 700).splitlines()
    assert ("Posts to answer: 720 = 700 detractor mentions (630 of them complaints, 20 not known: labels imported "
            "without a complaint probability, or read by a model without a complaint head) + 20 other complaints "
            f"(passive mentions, a 4-star review say, that read as complaints); listed by: {query} --to-answer --all"
            ) in fitted
    assert not [line for line in fitted if "unscored --all" in line]
