"""`brandpulse store copy`: a SQLite store moved to PostgreSQL (and back), resumable, counts checked."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from brandpulse.alerts.base import Alert
from brandpulse.store import alerts as store_alerts
from brandpulse.store import jobs as store_jobs
from brandpulse.store import outbox as store_outbox
from brandpulse.store import state as store_state
from brandpulse.store import open_db
from brandpulse.store.copy import CopyMismatch, copy_store
from brandpulse.store.errors import ConnectionLost
from tests.store_seed import mention, seed

NOW = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)
LABELS = ("negative", "neutral", "positive")


def _source(path, count=120):
    seed(path, [mention(n, f"Pinebrook order {n} {'refund please' if n % 4 == 0 else 'lovely'}", NOW - timedelta(hours=n),
                        LABELS[n % 3], source=("twitter", "reddit")[n % 2]) for n in range(1, count + 1)], NOW)
    db = open_db(path)
    store_alerts.record_alert(db, Alert("spike", "Pinebrook Coffee", NOW - timedelta(hours=1), NOW, 9.0, 2.0, 5.0, 1e-6,
                                        "9 detractors", details={"top_mentions": []}), NOW)
    store_outbox.enqueue(db, "alert", "Pinebrook Coffee", "Spike", ["ops@example.com"], b"\x00message", NOW)
    store_state.set_value(db, "alerts.evaluated_until", "2026-03-02T12:00:00Z")
    store_jobs.record_job_run(db, "classify", NOW, NOW + timedelta(seconds=3))
    db.close()
    return path


def _export(invoke, target):
    result = invoke("--db", target, "export", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_copy_to_postgresql_keeps_every_row_and_the_copy_works_as_a_store(invoke, tmp_path, pg_url):
    source = _source(tmp_path / "brandpulse.db")

    result = invoke("store", "copy", "--from", source, "--to", pg_url)

    assert result.exit_code == 0, result.output
    assert "counts match: mentions 120, alerts 1, outbox 1" in result.output
    assert _export(invoke, pg_url) == _export(invoke, source)
    for args in (("query", "--search", "refund", "--format", "json"), ("stats", "--by", "day", "--format", "json"),
                 ("sql", "SELECT value FROM state", "--format", "json")):
        assert invoke("--db", pg_url, *args).output == invoke("--db", source, *args).output, args
    db = open_db(pg_url)
    assert store_outbox.due(db, NOW)[0].message == b"\x00message"
    # New rows get ids after the copied ones.
    seed(pg_url, [mention("new", "Pinebrook again", NOW, "positive")], NOW)
    assert db.execute("SELECT max(id) FROM mentions").fetchone()[0] == 121
    db.close()


def test_an_interrupted_copy_resumes_where_it_stopped(tmp_path, pg_url):
    source = open_db(_source(tmp_path / "brandpulse.db", count=100), read_only=True)
    target = open_db(pg_url)

    def interrupt(table, rows):
        if table == "mentions" and rows >= 60:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        copy_store(source, target, batch=30, progress=interrupt)
    assert target.execute("SELECT count(*) FROM mentions").fetchone()[0] == 60
    # Used before the copy is resumed (a service started on it by mistake): new rows take ids after the copied ones.
    seed(pg_url, [mention("early", "Pinebrook before the rest", NOW, "positive")], NOW)
    assert target.execute("SELECT id FROM mentions WHERE external_id = 'early'").fetchone()[0] == 61
    target.execute("DELETE FROM mentions WHERE external_id = 'early'")
    report = copy_store(source, target, batch=30)

    assert report.copied["mentions"] == 40 and report.counts["mentions"] == 100
    source.close()
    target.close()


def test_a_target_holding_other_rows_fails_the_count_check(tmp_path, pg_url):
    seed(pg_url, [mention("other", "someone else's mention", NOW, "neutral")], NOW)
    source, target = open_db(_source(tmp_path / "brandpulse.db", count=10), read_only=True), open_db(pg_url)

    with pytest.raises(CopyMismatch, match="not a copy of"):
        copy_store(source, target)
    source.close()
    target.close()


def test_copy_back_from_postgresql_to_a_new_sqlite_file(invoke, tmp_path, pg_url):
    invoke("store", "copy", "--from", _source(tmp_path / "a.db"), "--to", pg_url)

    result = invoke("store", "copy", "--from", pg_url, "--to", tmp_path / "b.db")

    assert result.exit_code == 0, result.output
    assert _export(invoke, tmp_path / "b.db") == _export(invoke, tmp_path / "a.db")
    assert invoke("--db", tmp_path / "b.db", "query", "--search", "refund", "--format", "json").output == \
        invoke("--db", tmp_path / "a.db", "query", "--search", "refund", "--format", "json").output


def test_a_text_sqlite_kept_with_a_nul_is_copied_to_postgresql_as_u_fffd(tmp_path, pg_url):
    seed(tmp_path / "nul.db", [mention(1, "Pinebrook\x00 refund", NOW, "negative"),
                               mention(2, "Pinebrook lovely", NOW, "positive")], NOW)
    source, target = open_db(tmp_path / "nul.db", read_only=True), open_db(pg_url)

    report = copy_store(source, target)

    texts = [row[0] for row in target.execute("SELECT text FROM mentions ORDER BY id").fetchall()]
    assert report.counts["mentions"] == 2 and texts == ["Pinebrook\ufffd refund", "Pinebrook lovely"]
    source.close()
    target.close()


def test_a_text_stored_before_texts_were_cut_is_cut_when_copied_to_postgresql(tmp_path, pg_url):
    import sqlite3

    from brandpulse.collectors.base import MAX_TEXT

    seed(tmp_path / "old.db", [mention(1, "Pinebrook short", NOW, "negative"),
                               mention(2, "Pinebrook placeholder", NOW, "positive")], NOW)
    with sqlite3.connect(tmp_path / "old.db") as conn:  # as an older brandpulse stored it, uncut
        conn.execute("UPDATE mentions SET text = ? WHERE external_id = '2'",
                     ["Pinebrook " + " ".join(f"w{n:07d}" for n in range(190_000))])
    source, target = open_db(tmp_path / "old.db", read_only=True), open_db(pg_url)

    report = copy_store(source, target)

    lengths = [row[0] for row in target.execute("SELECT length(text) FROM mentions ORDER BY id").fetchall()]
    assert report.counts["mentions"] == 2 and lengths == [len("Pinebrook short"), MAX_TEXT]
    source.close()
    target.close()


def test_a_copy_cut_off_by_a_lost_connection_says_to_run_it_again_and_the_rerun_resumes(tmp_path, pg_url):
    import psycopg

    source = open_db(_source(tmp_path / "brandpulse.db", count=100), read_only=True)
    target = open_db(pg_url)
    backend = target.conn.info.backend_pid

    def cut(table, rows):  # the server ends the copy's session (a restart, a failover) after two batches
        if table == "mentions" and rows >= 60:
            with psycopg.connect(pg_url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [backend])

    with pytest.raises(ConnectionLost) as lost:
        copy_store(source, target, batch=30, progress=cut)
    target.close()
    target = open_db(pg_url)
    report = copy_store(source, target, batch=30)

    assert "then run the same `brandpulse store copy` again: it resumes" in str(lost.value)
    assert "the service's next run" not in str(lost.value)
    assert report.copied["mentions"] == 40 and report.counts["mentions"] == 100
    source.close()
    target.close()
