import email
import json
import sqlite3
from email import policy
from datetime import timedelta

import pytest

from brandpulse.store import open_db, transaction
from brandpulse.store import triage as store_triage
from tests.alert_streams import HOUR, START
from tests.test_alerts_pipeline import STORM_HOUR
from tests.test_channels_delivery import SUPPORT_ONLY, _pipeline

GROWING = {STORM_HOUR: (4, 8), STORM_HOUR + 1: (4, 20)}  # the second hour is over twice the first: an update
FIRST, SECOND = START + (STORM_HOUR + 1) * HOUR, START + (STORM_HOUR + 2) * HOUR


@pytest.fixture
def storm(tmp_path, invoke, monkeypatch):
    monkeypatch.setenv("BP_TEST_SUPPORT_URL", "json://127.0.0.1:1/support")
    return _pipeline(tmp_path, invoke, GROWING, extra=SUPPORT_ONLY)


def _rows(pipeline, sql):
    conn = sqlite3.connect(pipeline.db_path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _queued(pipeline):
    return _rows(pipeline, "SELECT channel, subject FROM outbox ORDER BY id")


def test_a_growing_storm_sends_its_update_to_email_and_channels_while_nobody_owns_it(storm):
    storm.evaluate_alerts(FIRST)
    storm.evaluate_alerts(SECOND)

    assert [r[0] for r in _queued(storm)] == ["email", "support", "email", "support"]
    assert _rows(storm, "SELECT id, storm_id, suppressed FROM alerts") == [(1, 1, None), (2, 1, None)]


def test_an_acknowledged_storm_stores_its_update_but_sends_nothing_more(storm, invoke):
    storm.evaluate_alerts(FIRST)
    acked = invoke("--config", storm.db_path.parent / "config.yaml", "alerts", "ack", "1", "--by", "dana", "--note", "refund bug")
    storm.evaluate_alerts(SECOND)

    assert acked.output == "alert 1 (spike, Acme) acknowledged by dana\n"
    assert [r[0] for r in _queued(storm)] == ["email", "support"]
    assert _rows(storm, "SELECT id, storm_id, suppressed FROM alerts") == [
        (1, 1, None), (2, 1, "storm 1 acknowledged by dana")]


def test_a_silenced_brand_keeps_its_alerts_on_record_and_sends_none_until_the_silence_ends(storm):
    db = open_db(storm.db_path)
    with transaction(db):
        store_triage.add_silence(db, "Acme", "dana", FIRST + timedelta(minutes=30), "known outage", FIRST - HOUR)
    db.close()

    storm.evaluate_alerts(FIRST)
    storm.evaluate_alerts(SECOND)  # the silence has ended: the update goes out

    suppressed = _rows(storm, "SELECT suppressed FROM alerts ORDER BY id")
    assert suppressed == [("silenced by dana until 2026-03-06T15:30:00Z (silence 1)",), (None,)]
    assert [r[0] for r in _queued(storm)] == ["email", "support"]


def test_alerts_list_limit_past_what_a_store_counts_is_a_usage_error_not_a_traceback(storm, invoke):
    result = invoke("--config", storm.db_path.parent / "config.yaml", "alerts", "list", "--limit", str(2**63))

    # Was: OverflowError: Python int too large to convert to SQLite INTEGER.
    assert result.exit_code == 2 and "--limit" in result.output


def test_alerts_list_as_json_has_the_triage_fields_and_filters_open_brand_and_since(storm, invoke):
    config = storm.db_path.parent / "config.yaml"
    conn = sqlite3.connect(storm.db_path)
    with conn:  # every third detractor is a complaint
        conn.execute("UPDATE mentions SET complaint = iif(id % 3 = 0, 0.8, 0.2) WHERE category = 'detractor'")
    conn.close()
    storm.evaluate_alerts(FIRST)
    storm.evaluate_alerts(SECOND)
    invoke("--config", config, "alerts", "ack", "2", "--by", "sam")

    every = json.loads(invoke("--config", config, "alerts", "list", "--format", "json").stdout)
    still_open = json.loads(invoke("--config", config, "alerts", "list", "--open", "--format", "json").stdout)
    recent = json.loads(invoke("--config", config, "alerts", "list", "--since", "2026-03-06T15:00:00Z",
                               "--format", "json").stdout)
    table = invoke("--config", config, "alerts", "list", "--brand", "Globex").stdout

    assert [a["id"] for a in every] == [2, 1]
    assert {"id", "kind", "brand", "window_start", "observed", "expected", "acked_by", "acked_at"} <= set(every[0])
    assert (every[0]["acked_by"], every[0]["window_start"], every[0]["observed"]) == ("sam", "2026-03-06T15:00:00Z", 20)
    assert every[1]["acked_by"] is None and every[1]["acked_at"] is None
    for alert in every:  # each alert's complaints, as its window holds them
        (expected,) = _rows(storm, "SELECT count(*) FROM mentions WHERE category = 'detractor' AND complaint >= 0.5 "
                                   f"AND created_at >= '{alert['window_start']}' AND created_at < '{alert['window_end']}'")
        assert alert["complaints"] == expected[0] > 0
        # Was: complaints only, shown as 'the posts to answer', where every detractor is one to answer.
        assert alert["to_answer"] == alert["observed"] > alert["complaints"]
    assert still_open == [] and [a["id"] for a in recent] == [2]  # acknowledging its update owns storm 1
    assert table.splitlines()[0].split() == ["id", "kind", "brand", "source", "window_start", "observed", "expected",
                                             "to_answer", "complaints", "acked_by", "acked_at", "suppressed"]
    assert len(table.splitlines()) == 2  # header and rule: Globex has no alert


def test_acknowledging_an_unknown_alert_is_a_clear_error(storm, invoke):
    result = invoke("--config", storm.db_path.parent / "config.yaml", "alerts", "ack", "42", "--by", "dana")

    assert result.exit_code == 1 and "no alert with id 42" in result.output


def test_a_second_acknowledgement_keeps_the_first_owner(storm, invoke):
    config = storm.db_path.parent / "config.yaml"
    storm.evaluate_alerts(FIRST)
    invoke("--config", config, "alerts", "ack", "1", "--by", "dana")

    again = invoke("--config", config, "alerts", "ack", "1", "--by", "sam")

    assert again.exit_code == 0 and again.output.startswith("alert 1 was already acknowledged by dana at ")
    assert _rows(storm, "SELECT acked_by FROM alerts") == [("dana",)]


@pytest.mark.parametrize("command", [("ack",), ("unsilence",)])
def test_an_alert_or_silence_id_past_what_a_store_counts_is_a_usage_error_not_a_traceback(storm, invoke, command):
    result = invoke("--config", storm.db_path.parent / "config.yaml", "alerts", *command, str(2**63), "--by", "dana")

    # Was: OverflowError: Python int too large to convert to SQLite INTEGER, and its traceback.
    assert result.exit_code == 2 and "is not in the range 1<=x<=" in result.output


def test_acknowledging_an_alert_one_owns_already_says_so_and_keeps_the_first_time(storm, invoke, monkeypatch):
    config = storm.db_path.parent / "config.yaml"
    storm.evaluate_alerts(FIRST)
    monkeypatch.setattr("brandpulse.commands.triage._now", lambda: SECOND)
    invoke("--config", config, "alerts", "ack", "1", "--by", "dana")
    monkeypatch.setattr("brandpulse.commands.triage._now", lambda: SECOND + timedelta(hours=1))

    again = invoke("--config", config, "alerts", "ack", "1", "--by", "dana")

    # Was: 'alert 1 (spike, Acme) acknowledged by dana', as if it were acknowledged then.
    assert again.exit_code == 0 and again.output.startswith("alert 1 was already acknowledged by dana at ")
    assert _rows(storm, "SELECT acked_by, acked_at FROM alerts") == [("dana", "2026-03-06T16:00:00Z")]


@pytest.mark.parametrize("duration, why", [("-1h", "'-1h' is negative"), ("0s", "'0s' is zero"),
                                           ("-0.5d", "'-0.5d' is negative")])
def test_silencing_for_a_negative_or_zero_duration_says_so(storm, invoke, duration, why):
    result = invoke("--config", storm.db_path.parent / "config.yaml", "alerts", "silence", "--brand", "Acme",
                    "--for", duration, "--by", "dana")

    # Was: "'-1h' is not a duration such as 30s, 15m, 1h, 7d or 2w", of a duration written as the help says.
    assert result.exit_code == 2 and f"{why}: give how long, longer than zero, such as 30s" in result.output
    assert _rows(storm, "SELECT count(*) FROM silences") == [(0,)]


def test_a_second_acknowledgement_with_a_note_says_the_note_was_not_kept(storm, invoke):
    config = storm.db_path.parent / "config.yaml"
    storm.evaluate_alerts(FIRST)
    invoke("--config", config, "alerts", "ack", "1", "--by", "dana")

    again = invoke("--config", config, "alerts", "ack", "1", "--by", "sam", "--note", "billing team on it")

    assert again.exit_code == 0 and again.output.startswith("alert 1 was already acknowledged by dana at ")
    assert again.output.rstrip().endswith("; your note was not kept (tell dana: billing team on it)")
    assert _rows(storm, "SELECT acked_by, ack_note FROM alerts") == [("dana", None)]


def test_a_storm_has_one_owner_and_its_updates_are_not_open_once_it_is_acknowledged(storm, invoke):
    config = storm.db_path.parent / "config.yaml"
    storm.evaluate_alerts(FIRST)
    invoke("--config", config, "alerts", "ack", "1", "--by", "dana")
    storm.evaluate_alerts(SECOND)  # the update, alert 2, of the acknowledged storm 1

    listed = json.loads(invoke("--config", config, "alerts", "list", "--open", "--format", "json").stdout)
    update = invoke("--config", config, "alerts", "ack", "2", "--by", "lee")

    assert listed == [] and update.output.startswith("alert 2 was already acknowledged by dana at ")
    assert _rows(storm, "SELECT id, acked_by FROM alerts") == [(1, "dana"), (2, None)]


def test_silence_is_recorded_listed_and_can_be_lifted_early(storm, invoke):
    config = storm.db_path.parent / "config.yaml"

    made = invoke("--config", config, "alerts", "silence", "--brand", "Acme", "--for", "2h", "--by", "dana",
                  "--note", "planned maintenance")
    active = json.loads(invoke("--config", config, "alerts", "silences", "--format", "json").stdout)
    lifted = invoke("--config", config, "alerts", "unsilence", "1", "--by", "sam")
    after = json.loads(invoke("--config", config, "alerts", "silences", "--format", "json").stdout)
    history = json.loads(invoke("--config", config, "alerts", "silences", "--all", "--format", "json").stdout)
    table = invoke("--config", config, "alerts", "silences", "--all").stdout
    twice = invoke("--config", config, "alerts", "unsilence", "1", "--by", "sam")

    assert made.stdout.startswith("silence 1: spike alerts of Acme muted until ")
    assert [(s["brand"], s["created_by"], s["note"]) for s in active] == [("Acme", "dana", "planned maintenance")]
    until = active[0]["until"]
    assert until > active[0]["created_at"] and lifted.stdout == "silence 1 lifted by sam\n"
    # The end it was set for stays on record beside when it was lifted.
    assert after == [] and history[0]["lifted_by"] == "sam" and history[0]["until"] == until > history[0]["lifted_at"]
    assert twice.exit_code == 1 and "silence 1 was already lifted by sam at " in twice.output
    assert table.splitlines()[0].split()[-2:] == ["lifted_by", "lifted_at"] and " sam " in table.splitlines()[2]


@pytest.mark.parametrize("args, message", [
    (["--brand", "Nope", "--for", "2h", "--by", "x"], "unknown brand 'Nope'"),
    (["--brand", "Acme", "--for", "soon", "--by", "x"], "--for"),
    (["--brand", "Acme", "--for", "2h"], "Missing option '--by'"),
    (["--brand", "Acme", "--for", "2h", "--by", "  "], "must name someone"),
    (["--brand", "Acme", "--for", "999999w", "--by", "x"], "'999999w' is longer than 100 years"),
    (["--brand", "Acme", "--for", "2h", "--by", "eve\n4  Acme  FAKE ROW"], "must be one line of printable characters"),
])
def test_silence_refuses_bad_arguments(storm, invoke, args, message):
    result = invoke("--config", storm.db_path.parent / "config.yaml", "alerts", "silence", *args)

    assert result.exit_code == 2 and message in result.output


def test_silence_and_list_take_a_configured_brand_ignoring_case_and_store_its_configured_name(storm, invoke):
    config = storm.db_path.parent / "config.yaml"
    storm.evaluate_alerts(FIRST)

    made = invoke("--config", config, "alerts", "silence", "--brand", "acme", "--for", "2h", "--by", "dana")
    listed = invoke("--config", config, "alerts", "list", "--brand", "ACME", "--format", "json")

    assert made.exit_code == 0 and made.stdout.startswith("silence 1: spike alerts of Acme muted until ")
    assert _rows(storm, "SELECT brand FROM silences") == [("Acme",)]
    assert [a["brand"] for a in json.loads(listed.stdout)] == ["Acme"]


def _bodies(pipeline, after_id=0):
    """The plain-text email body and the chat body of each alert queued after outbox row `after_id`."""
    found = []
    for channel, raw in _rows(pipeline, f"SELECT channel, message FROM outbox WHERE id > {after_id} ORDER BY id"):
        if channel == "email":
            found.append(email.message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content())
        else:
            found.append(raw.decode("utf-8"))
    return found


def test_an_update_lists_only_the_posts_still_to_answer_with_their_ids_and_says_how_many_were_answered(storm, invoke):
    config = storm.db_path.parent / "config.yaml"
    storm.evaluate_alerts(FIRST)
    second_hour = [i for (i,) in _rows(storm, "SELECT id FROM mentions WHERE category = 'detractor' AND created_at "
                                              "LIKE '2026-03-06T15:%' ORDER BY id")]
    answered = invoke("--config", config, "alerts", "answered", *map(str, second_hour[:-2]), "--by", "dana")
    storm.evaluate_alerts(SECOND)

    (details,) = [json.loads(d) for (d,) in _rows(storm, "SELECT details FROM alerts WHERE id = 2")]
    mail, chat = _bodies(storm, after_id=2)
    assert answered.exit_code == 0 and len(second_hour) == 20
    assert [(m["id"], m["similar"]) for m in details["top_mentions"]] == [(second_hour[-2], 1)]
    assert details["answered"] == 18
    assert "Top posts still to answer" in mail and "leaving out 18 already marked answered:" in mail
    assert f"#{second_hour[-2]} [twitter] user" in mail
    assert f"1. #{second_hour[-2]} twitter user" in chat and "(18 already marked answered left out)" in chat


def test_alerts_list_since_a_negative_duration_says_to_write_it_without_its_sign(storm, invoke):
    result = invoke("--config", storm.db_path.parent / "config.yaml", "alerts", "list", "--since", "-3d")

    # Was: "'-3d' is neither an ISO 8601 date/time nor a duration such as 24h or 7d".
    assert result.exit_code == 2 and "'-3d': a duration counts back from now without a sign; write 3d" in result.output
