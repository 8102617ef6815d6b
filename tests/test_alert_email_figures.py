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
