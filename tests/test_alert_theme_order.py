import email
import email.policy
from datetime import datetime, timezone

from brandpulse.alerts.base import Alert
from brandpulse.alerts.chat import alert_chat
from brandpulse.alerts.digest import alert_summary
from brandpulse.alerts.emails import alert_email

START = datetime(2026, 3, 6, 14, tzinfo=timezone.utc)
END = datetime(2026, 3, 6, 15, tzinfo=timezone.utc)
# As an alert stored before them lists its themes: by score, the highest first.
BY_SCORE = [{"term": t, "count": c, "baseline_count": 0, "score": s}
            for t, c, s in [("double charged", 5, 2.7), ("twice", 7, 2.6), ("billing", 6, 2.4), ("cancel", 6, 2.5)]]


def _alert(**details):
    return Alert("spike", "Acme", START, END, 18, 1.0, 6.0, 1e-12, "18 detractors",
                 details={"themes": BY_SCORE, "top_mentions": [], **details})


def test_a_spikes_email_lists_its_themes_by_count_as_the_digest_does_ties_by_score():
    message = alert_email(_alert(), "bp@example.com", ["support@example.com"], [])
    text, html = (message.get_body((kind,)).get_content() for kind in ("plain", "html"))

    # Was: 'About: double charged (5 posts), twice (7 posts), billing (6 posts)', the counts out of order.
    assert "About: twice (7 posts), cancel (6 posts), billing (6 posts)\n" in text
    assert "</b> twice (7 posts), cancel (6 posts), billing (6 posts)</p>" in html
    listed = [line.split(":")[0] for line in text.splitlines() if line.startswith("- ") and "baseline period" in line]
    assert listed == ["- twice", "- cancel", "- billing", "- double charged"]
    assert html.index("<td>twice</td>") < html.index("<td>cancel</td>") < html.index("<td>double charged</td>")
    # The subject names the About line's first theme, the most frequent, where it named the highest-scoring.
    assert message["Subject"].endswith('(usually 1.0): "twice"')


def test_a_spikes_chat_message_and_the_digests_alert_list_give_its_themes_by_count():
    body = alert_chat(_alert(), 3).body
    summary = alert_summary({"kind": "spike", "source": None, "window_start": "2026-03-06T14:00:00Z",
                             "window_end": "2026-03-06T15:00:00Z", "observed": 18, "expected": 1.0, "reason": "x",
                             "details": {"themes": BY_SCORE}})

    assert ("Themes: twice (7, 0 in the baseline), cancel (6, 0 in the baseline), billing (6, 0 in the baseline)"
            in body.splitlines())
    assert [t["term"] for t in summary["themes"]] == ["twice", "cancel", "billing", "double charged"]


def test_an_unscored_alerts_email_and_chat_message_list_its_themes_by_count():
    alert = _alert(unscored_lang="hi", language="Hindi")
    text = alert_email(alert, "bp@example.com", ["support@example.com"], []).get_body(("plain",)).get_content()
    body = alert_chat(alert, 3).body

    listed = [line.split(":")[0] for line in text.splitlines() if line.startswith("- ") and "baseline period" in line]
    assert listed == ["- twice", "- cancel", "- billing", "- double charged"]
    assert "Themes: twice (7, 0 in the baseline), cancel (6," in body


def test_the_demos_alert_is_about_its_themes_by_count_in_its_subject_and_body(demo_dir, invoke):
    assert invoke("run", "--once").exit_code == 0
    (eml,) = (demo_dir / "outbox").glob("*-alert-1.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()

    # Was: 'About: double charged (5 posts), twice (7 posts), billing (6 posts)', and '"double charged"' in the subject.
    assert "\nAbout: twice (7 posts), billing (6 posts), double charged (5 posts)\n" in text
    assert message["Subject"].endswith('18 detractor mentions (usually 1.0): "twice"')


def test_an_updates_themes_changed_when_its_three_most_frequent_are_no_longer_the_same():
    from brandpulse.alerts.evidence import themes_change

    # The last email's About line named twice, cancel and billing; so does this one's.
    same = themes_change(["twice", "cancel", "billing"], BY_SCORE)
    other = themes_change(["double charged", "twice", "cancel"], BY_SCORE)

    # Was: changed, the three highest-scoring (double charged, twice, cancel) compared.
    assert not same["changed"] and same["new"] == ["double charged"]
    assert other["changed"] and other["new"] == ["billing"]
