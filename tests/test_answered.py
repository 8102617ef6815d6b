import json
import shlex
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from brandpulse.store import open_db
from brandpulse.store import triage as store_triage
from brandpulse.store.migrations import SCHEMA_VERSION
from brandpulse.store.pg_migrations import PG_MIGRATIONS
from brandpulse.store.queries import MentionFilter, iter_mentions
from tests.alert_streams import HOUR, START
from tests.store_seed import mention, seed
from tests.store_versions import insert_post, postgres_store_at, sqlite_store_at
from tests.test_alerts_pipeline import STORM_HOUR, _messages, _pipeline

NOW = datetime(2026, 3, 6, 15, 30, tzinfo=timezone.utc)
LATER = NOW + timedelta(minutes=20)
TO_ANSWER = ("query", "--to-answer", "--unanswered", "--order", "complaint", "--all", "--format", "json")


def _seed(target):
    return seed(target, [
        mention(1, "double charged, refund please", NOW - timedelta(hours=1), "negative"),
        mention(2, "my order never came", NOW - timedelta(hours=2), "negative"),
        mention(3, "lovely latte", NOW - timedelta(hours=3), "positive"),
    ], now=NOW)


def _unanswered(db, **where):
    return [r["external_id"] for r in iter_mentions(db, MentionFilter(unanswered=True, **where), ("external_id",))]


def test_marking_answered_records_who_and_when_and_keeps_the_first_mark_on_both_backends(store_target):
    db = open_db(_seed(store_target))

    marked = store_triage.mark_answered(db, [1, 2, 1], "dana", NOW)
    again = store_triage.mark_answered(db, [2], "sam", LATER)

    assert marked == [store_triage.Answer(1, "dana", "2026-03-06T15:30:00Z", True),
                      store_triage.Answer(2, "dana", "2026-03-06T15:30:00Z", True)]
    assert again == [store_triage.Answer(2, "dana", "2026-03-06T15:30:00Z", False)]
    assert _unanswered(db) == ["3"] and _unanswered(db, to_answer=True) == []
    rows = iter_mentions(db, MentionFilter(), ("external_id", "answered_by", "answered_at"), order="oldest")
    assert [tuple(r.values()) for r in rows] == [
        ("3", None, None), ("2", "dana", "2026-03-06T15:30:00Z"), ("1", "dana", "2026-03-06T15:30:00Z")]
    db.close()


def test_an_unknown_id_marks_nothing_and_is_named_on_both_backends(store_target):
    db = open_db(_seed(store_target))

    with pytest.raises(store_triage.TriageError, match=r"no mention with id 7, 9; nothing was changed"):
        store_triage.mark_answered(db, [1, 7, 9], "dana", NOW)
    with pytest.raises(store_triage.TriageError, match=r"no mention with id 8"):
        store_triage.unmark_answered(db, [8])

    assert _unanswered(db) == ["1", "2", "3"]
    db.close()


def test_undoing_clears_the_mark_and_says_whose_it_was_on_both_backends(store_target):
    db = open_db(_seed(store_target))
    store_triage.mark_answered(db, [1], "dana", NOW)

    undone = store_triage.unmark_answered(db, [1, 2])

    assert undone == [store_triage.Answer(1, "dana", "2026-03-06T15:30:00Z", True),
                      store_triage.Answer(2, None, None, False)]
    assert _unanswered(db) == ["1", "2", "3"]
    assert store_triage.mark_answered(db, [1], "sam", LATER)[0] == store_triage.Answer(1, "sam", "2026-03-06T15:50:00Z",
                                                                                       True)
    db.close()


@pytest.fixture
def desk(demo_dir, invoke, monkeypatch):
    """A store of three mentions beside the shipped config; the answered marks are stamped NOW."""
    monkeypatch.setattr("brandpulse.commands.triage._now", lambda: NOW)
    path = _seed(demo_dir / "desk.db")

    def run(*args):
        return invoke("--db", path, *args)

    return run


def _listed(run, *args):
    result = run(*args)
    assert result.exit_code == 0, result.output
    return [(r["id"], r["external_id"]) for r in json.loads(result.stdout)]


def test_the_alerts_command_lists_only_what_is_left_once_support_marks_posts_answered(desk):
    before = _listed(desk, *TO_ANSWER)
    marked = desk("alerts", "answered", str(before[0][0]), "--by", "dana")
    after = _listed(desk, *TO_ANSWER)
    shown = json.loads(desk("query", "--columns", "external_id,answered_by,answered_at", "--format", "json").stdout)

    assert [e for _, e in before] == ["1", "2"]
    assert marked.exit_code == 0 and marked.output == f"mention {before[0][0]} marked answered by dana\n"
    assert after == before[1:]
    assert shown[0] == {"external_id": "1", "answered_by": "dana", "answered_at": "2026-03-06T15:30:00Z"}
    assert shown[1]["answered_by"] is None


def test_the_query_table_shows_the_id_support_passes_first(desk):
    table = desk("query", "--to-answer", "--unanswered").stdout.splitlines()

    assert table[0].split() == ["id", "created_at", "brand", "source", "external_id", "label", "score", "category",
                                "text", "url"]
    assert [line.split()[0] for line in table[2:]] == ["1", "2"]


def test_marking_again_names_who_answered_first_and_undo_puts_the_post_back(desk):
    desk("alerts", "answered", "1", "--by", "dana")

    again = desk("alerts", "answered", "1", "2", "--by", "sam")
    undone = desk("alerts", "answered", "1", "3", "--by", "lee", "--undo")

    assert again.output.splitlines() == ["mention 1 was already answered by dana at 2026-03-06T15:30:00Z",
                                         "mention 2 marked answered by sam"]
    assert undone.exit_code == 0 and undone.output.splitlines() == [
        "mention 1: answered by dana at 2026-03-06T15:30:00Z, undone by lee", "mention 3 was not marked answered"]
    assert [e for _, e in _listed(desk, *TO_ANSWER)] == ["1"]


def test_an_unknown_mention_id_is_a_clear_error_and_marks_none_of_the_others(desk):
    result = desk("alerts", "answered", "1", "42", "--by", "dana")

    assert result.exit_code == 1 and "no mention with id 42; nothing was changed" in result.output
    assert [e for _, e in _listed(desk, *TO_ANSWER)] == ["1", "2"]


@pytest.mark.parametrize("args, message", [
    (["1"], "Missing option '--by'"),
    (["--by", "dana"], "Missing argument 'ID...'"),
    (["0", "--by", "dana"], "0 is not in the range"),
    (["x1", "--by", "dana"], "'x1' is not a valid integer"),
    (["99999999999999999999", "--by", "dana"], "is not in the range"),
    (["1", "--by", " "], "must name someone"),
])
def test_answered_refuses_bad_arguments_and_marks_nothing(desk, args, message):
    result = desk("alerts", "answered", *args)

    assert result.exit_code == 2 and message in result.output
    assert [e for _, e in _listed(desk, *TO_ANSWER)] == ["1", "2"]


def test_a_schema_7_sqlite_store_upgrades_keeping_its_rows_and_search_then_takes_answered_marks(demo_dir, invoke):
    path = demo_dir / "old.db"
    db = sqlite_store_at(path, 7)
    db.execute("""INSERT INTO mentions (source, external_id, brand, text, created_at, collected_at, label, category)
                  VALUES ('twitter', 't1', 'Pinebrook Coffee', 'the refund never came', '2026-03-06T14:00:00Z',
                          '2026-03-06T14:05:00Z', 'negative', 'detractor'),
                         ('twitter', 't2', 'Pinebrook Coffee', 'charged twice', '2026-03-06T14:10:00Z',
                          '2026-03-06T14:15:00Z', 'negative', 'detractor')""")
    db.close()

    marked = invoke("--db", path, "alerts", "answered", "2", "--by", "dana")
    listed = invoke("--db", path, *TO_ANSWER)

    assert marked.exit_code == 0, marked.output
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 12
    assert conn.execute("SELECT id, external_id, text, answered_by FROM mentions ORDER BY id").fetchall() == [
        (1, "t1", "the refund never came", None), (2, "t2", "charged twice", "dana")]
    assert conn.execute("SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH 'refund'").fetchall() == [(1,)]
    conn.close()
    assert [r["external_id"] for r in json.loads(listed.stdout)] == ["t1"]


def test_a_schema_7_postgresql_store_upgrades_keeping_its_rows_then_takes_answered_marks(pg_url):
    postgres_store_at(pg_url, 7, insert_post("B", "the refund never came"))

    db = open_db(pg_url)
    (answer,) = store_triage.mark_answered(db, [1], "dana", NOW)

    assert answer == store_triage.Answer(1, "dana", "2026-03-06T15:30:00Z", True)
    assert db.execute("SELECT external_id, text FROM mentions").fetchall() == [("t1", "the refund never came")]
    assert db.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == len(PG_MIGRATIONS) == 12
    db.close()


def test_a_spike_emails_command_run_again_leaves_out_the_posts_marked_answered(tmp_path, invoke):
    pipeline = _pipeline(tmp_path, invoke, {STORM_HOUR: (4, 16)})
    pipeline.evaluate_alerts(START + 5 * 24 * HOUR)
    (message,) = _messages(tmp_path)
    body = message.get_body(("plain",)).get_content()
    command = shlex.split(body.split("the likeliest complaints first:")[1].strip().splitlines()[0])
    config = tmp_path / "config.yaml"

    def listed():
        result = invoke("--config", config, *command[1:], "--format", "json")
        return [r["id"] for r in json.loads(result.stdout)]

    first = listed()
    marked = invoke("--config", config, "alerts", "answered", *map(str, first[:5]), "--by", "dana")

    assert "--unanswered" in command and "brandpulse alerts answered ID... --by NAME" in body
    assert "brandpulse alerts answered ID... --by NAME" in message.get_body(("html",)).get_content()
    assert len(first) >= 16 and marked.exit_code == 0
    assert listed() == first[5:]


def test_a_copy_to_postgresql_keeps_the_answered_marks(tmp_path, pg_url):
    from brandpulse.store.copy import copy_store

    source = open_db(_seed(tmp_path / "source.db"))
    store_triage.mark_answered(source, [2], "dana", NOW)
    target = open_db(pg_url)

    copy_store(source, target)

    assert target.execute("SELECT id, answered_by, answered_at FROM mentions WHERE answered_at IS NOT NULL"
                          ).fetchall() == [(2, "dana", "2026-03-06T15:30:00Z")]
    source.close()
    target.close()


def test_a_storms_answered_count_is_exact_beyond_the_posts_it_lists_on_both_backends(store_target):
    from brandpulse.alerting import with_evidence
    from brandpulse.alerts.base import Alert
    from brandpulse.config import Config
    from brandpulse.store import transaction

    start = datetime(2026, 3, 6, 14, tzinfo=timezone.utc)
    stamp = "2026-03-06T14:30:00Z"
    # 20,000 posts to answer, the most negative, fill the list; the 7 marked answered are the least negative.
    rows = [(f"t{i}", "refund never came", -0.9, None, None) for i in range(20_000)]
    rows += [(f"a{i}", "refund never came", -0.1, "sam", stamp) for i in range(7)]
    db = open_db(store_target)
    with transaction(db):
        db.executemany("INSERT INTO mentions (source, external_id, brand, text, created_at, collected_at, label, "
                       f"category, score, answered_by, answered_at) VALUES ('twitter', ?, 'Acme', ?, '{stamp}', "
                       f"'{stamp}', 'negative', 'detractor', ?, ?, ?)", rows)
    config = Config.model_validate({"brands": [{"name": "Acme", "keywords": ["acme"]}]})
    alert = Alert("spike", "Acme", start, start + timedelta(hours=1), 20_007, 10, 30, 5.0, "storm")

    details = with_evidence(config, db, alert).details
    db.close()

    assert details["answered"] == 7
