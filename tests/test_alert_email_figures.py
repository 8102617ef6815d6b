from dataclasses import replace

from brandpulse.alerts.base import Bucket
from brandpulse.alerts.emails import alert_email
from brandpulse.alerts.spike import SpikeRule, detect_spikes
from tests.alert_streams import HOUR, START


def _storm_of(detractors):
    quiet = [Bucket(START + i * HOUR, 3, 1) for i in range(72)]
    (alert,), _ = detect_spikes("Acme", [*quiet, Bucket(START + 72 * HOUR, detractors + 100, detractors)],
                                START + 72 * HOUR, HOUR, SpikeRule(), None)
    return alert


def test_the_guards_of_a_storm_of_thousands_show_whole_numbers_not_scientific_notation():
    message = alert_email(_storm_of(3000), "bp@example.com", ["support@example.com"], [])

    for kind in ("plain", "html"):
        body = message.get_body((kind,)).get_content()
        assert "min_count: 3000 (required 6)" in body and "min_ratio: 3000 (required 2.0)" in body
        assert "min_share: 0.968 (required 0.4)" in body and "e+0" not in body


def test_a_storm_of_imported_labels_says_its_complaints_are_not_known_rather_than_none():
    from brandpulse.alerts.chat import spike_chat
    from brandpulse.alerts.evidence import spike_evidence

    posts = [{"text": f"acme order {n} never came", "score": -80, "complaint": None, "category": "detractor",
              "lang": "en", "source": "x", "author": "a", "url": None} for n in range(300)]
    alert = _storm_of(300)
    alert = replace(alert, details={**alert.details, **spike_evidence(posts, [], ["acme"], 0.5)})

    body = alert_email(alert, "bp@example.com", ["support@example.com"], []).get_body(("plain",)).get_content()
    chat = spike_chat(alert, 1).body

    # Was: 'Complaints (posts that need an answer): 0 of the 30 detractor mentions', though all 300 are to answer.
    assert ("Posts to answer: 300 = 300 detractor mentions (0 of them complaints, 300 not known: labels imported "
            "without a complaint") in body
    assert "Posts to answer: 300 = 300 detractor mentions (0 of them complaints, 300 not known: labels imported" in chat


def test_a_listed_group_names_the_ids_of_its_near_duplicates_so_each_can_be_answered_and_marked():
    from brandpulse.alerts.chat import spike_chat
    from brandpulse.alerts.evidence import spike_evidence

    def post(n, text):
        return {"id": n, "text": text, "score": -80, "complaint": 0.9, "category": "detractor", "lang": "en",
                "source": "twitter", "author": f"user{n}", "url": None}

    flood = [post(100 + n, f"acme charged me twice for my order {n}, refund now please") for n in range(14)]
    alone = post(7, "acme app crashes at login every single time")
    alert = _storm_of(300)
    alert = replace(alert, details={**alert.details, **spike_evidence([*flood, alone], [], ["acme"], 0.5)})
    message = alert_email(alert, "bp@example.com", ["support@example.com"], alert.details["top_mentions"], None, 1)
    text, html = (message.get_body((kind,)).get_content() for kind in ("plain", "html"))
    chat = spike_chat(alert, 1).body

    # Was: '(+13 similar)': 13 posts to answer, and mark answered, with no id in the email or the chat message.
    shown = "(+13 similar: #101, #102, #103, #104, #105, #106, #107, #108, #109, #110, ...)"
    first = "#100 [twitter] user100 (all 14 complaints): acme charged me twice for my order 0, refund now please"
    assert f"{first} {shown}" in text
    assert "#7 [twitter] user7 (complaint): acme app crashes at login every single time\n" in text
    assert shown in chat and "(+13 similar: <code>#101</code>, <code>#102</code>," in html


def test_a_spike_email_says_what_the_storm_is_about_before_its_figures_and_keeps_the_guards_for_last():
    from brandpulse.alerts.evidence import spike_evidence

    posts = [{"id": n, "text": text, "score": -80, "complaint": 0.9, "category": "detractor", "lang": "en",
              "source": "twitter", "author": f"user{n}", "url": None}
             for n, text in enumerate(["acme double charged my card", "charged twice by acme, refund please",
                                       "acme charged me two times today", "acme billing charged twice again"] * 3)]
    alert = _storm_of(300)
    baseline = ["acme coffee was cold", "acme app slow today", "acme barista rude"] * 10
    alert = replace(alert, details={**alert.details, **spike_evidence(posts, baseline, ["acme"], 0.5)})
    message = alert_email(alert, "bp@example.com", ["support@example.com"], alert.details["top_mentions"], None, 1)
    text, html = (message.get_body((kind,)).get_content() for kind in ("plain", "html"))
    top = alert.details["themes"][:3]

    about = "About: " + ", ".join(f"{t['term']} ({t['count']} posts)" for t in top)
    # Was: the themes came after the window, the figures and five guard lines; the first lines said only how many.
    assert top and text.startswith(f"Negative spike for Acme\n\n{about}\n\n{alert.reason}.")
    assert "<b>About:</b> " + about.removeprefix("About: ") in html
    for body in (text, html):
        assert body.index("Top posts still to answer") < body.index("Guards passed") < body.index("Alert #1;")


def test_the_email_lists_twenty_groups_to_answer_and_counts_the_rest_while_the_chat_message_keeps_three():
    from brandpulse.alerts.chat import spike_chat
    from brandpulse.alerts.evidence import spike_evidence

    def post(n, text):
        return {"id": n, "text": text, "score": -80, "complaint": 0.9, "category": "detractor", "lang": "en",
                "source": "twitter", "author": f"user{n}", "url": None}

    flood = [post(100 + n, f"acme charged me twice for my order {n}, refund now please") for n in range(5)]
    # 24 posts, each its own group: no two share a word but the brand's (digits are no words to the grouping).
    alone = [post(n, "acme " + " ".join(f"w{chr(97 + n)}x{chr(97 + k)}" for k in range(8))) for n in range(1, 25)]
    alert = _storm_of(300)
    alert = replace(alert, details={**alert.details, **spike_evidence([*flood, *alone], [], ["acme"], 0.5)})
    message = alert_email(alert, "bp@example.com", ["support@example.com"], alert.details["top_mentions"], None, 1)
    text, html = (message.get_body((kind,)).get_content() for kind in ("plain", "html"))
    chat = spike_chat(alert, 1).body

    # Was: the first 5 groups (9 of the 29 posts to answer) and no word of the others but the query's.
    listed = [f"#{n} [twitter] user{n} (complaint)" for n in range(1, 20)]
    assert "#100 [twitter] user100 (all 5 complaints)" in text and all(f"{line}: " in text for line in listed)
    assert "#20 [twitter]" not in text and text.count("\n- #") == 20
    summary = ("... and 5 more posts to answer, in 5 more groups of near-duplicates not listed here: the command "
               "below lists them all.")
    assert f"{summary}\nEvery post to answer since the storm began" in text
    assert html.count("<li dir=\"auto\">") == 20 and f"<p>{summary}</p>" in html and "<code>#19</code>" in html
    assert "3. #2 twitter user2" in chat and "4. " not in chat and "more posts to answer" not in chat


def test_an_unscored_alerts_email_lists_twenty_groups_and_counts_the_rest_as_a_spikes_does():
    from brandpulse.alerts.chat import unscored_chat
    from brandpulse.alerts.unscored import detect_unscored, unscored_evidence, volume_rule

    quiet = [Bucket(START + i * HOUR, 3, 1) for i in range(72)]
    (alert,), _ = detect_unscored("Acme", "hi", [*quiet, Bucket(START + 72 * HOUR, 30, 30)], START + 72 * HOUR, HOUR,
                                  volume_rule(SpikeRule()), None)
    # 30 posts, each its own group: no two share a word but the brand's.
    posts = [{"id": n, "text": "acme " + " ".join(f"w{chr(97 + n % 26)}{chr(97 + n // 26)}x{chr(97 + k)}"
                                                  for k in range(8)),
              "source": "twitter", "author": f"user{n}", "url": None, "lang": "hi"} for n in range(1, 31)]
    alert = replace(alert, details={**alert.details, **unscored_evidence(posts, [], ["acme"])})
    message = alert_email(alert, "bp@example.com", ["support@example.com"], alert.details["top_mentions"], None, 1)
    text, html = (message.get_body((kind,)).get_content() for kind in ("plain", "html"))
    chat = unscored_chat(alert, 1).body

    # Was: the first 5 groups, and no word of the 25 other posts but the query's.
    assert text.count("\n- #") == 20 and html.count("<li dir=\"auto\">") == 20
    summary = ("... and 10 more posts to answer, in 10 more groups of near-duplicates not listed here: the command "
               "below lists them all.")
    assert f"{summary}\nEvery one of them since the storm began" in text and f"<p>{summary}</p>" in html
    assert "3. #3 twitter user3" in chat and "4. " not in chat and "more posts to answer" not in chat


def test_the_p_value_reads_the_same_in_the_reason_the_figures_and_the_guards():
    message = alert_email(_storm_of(70), "bp@example.com", ["support@example.com"], [])  # p = 3.115e-101
    text, html = (message.get_body((kind,)).get_content() for kind in ("plain", "html"))

    # Was: 'p=3.1e-101' and 'p-value: 3.1e-101' above 'p_value: 3.12e-101 (required 0.001)' under "Guards passed".
    assert "p=3.1e-101" in text and "p-value: 3.1e-101" in text and "p_value: 3.1e-101 (required 0.001)" in text
    assert "<td>3.1e-101</td>" in html and "<li>p_value: 3.1e-101 (required 0.001)</li>" in html
    assert "3.12e-101" not in text + html
