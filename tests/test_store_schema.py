import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlite_utils

from brandpulse.store import brands as store_brands
from brandpulse.collectors.base import BrandQuery
from brandpulse.store import StoreError, open_db
from brandpulse.store.migrations import SCHEMA_VERSION, m001_initial

NOW = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)


def _version_1_database(path):
    conn = sqlite3.connect(path, isolation_level=None)
    db = sqlite_utils.Database(conn)
    db.execute("BEGIN")
    m001_initial(db)
    db.execute("PRAGMA user_version = 1")
    db.execute(
        """INSERT INTO mentions (source, external_id, brand, text, created_at, collected_at, label, category)
           VALUES ('reddit', 'r1', 'B', 'the refund never came', '2026-01-05T10:00:00Z', '2026-01-05T10:05:00Z',
                   'negative', 'detractor')""")
    db.execute("""INSERT INTO collector_state (name, last_error, last_error_at)
                  VALUES ('twitter:B', 'HTTP 401', '2026-01-05T09:00:00Z')""")
    db.execute("COMMIT")
    conn.close()


def test_version_1_database_upgrades_in_place_keeping_rows_and_search(db_path):
    _version_1_database(db_path)

    db = open_db(db_path)

    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("SELECT external_id, label, category FROM mentions").fetchall() == [("r1", "negative", "detractor")]
    assert db.execute("SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH 'refund'").fetchall() == [(1,)]
    names = [r[0] for r in db.execute("SELECT name FROM schema_migrations ORDER BY version")]
    assert names[:4] == [
        "m001_initial", "m002_brands_migrations_indexes", "m003_job_runs", "m004_collector_failing_since"]
    assert names[4:] == ["m005_complaint_lang_unscored", "m006_channels_and_triage", "m007_mentions_per_brand",
                         "m008_mentions_answered", "m009_search_folds_accents",
                         "m010_mentions_dated_after", "m011_job_runs_skipped", "m012_search_reads_nfkc_and_scripts"]
    assert len(names) == SCHEMA_VERSION
    assert db["brands"].exists()
    # A collector failing at upgrade time is failing since its last error.
    assert db.execute("SELECT failing_since FROM collector_state").fetchall() == [("2026-01-05T09:00:00Z",)]


def test_version_1_database_opened_read_only_asks_for_a_read_write_open(db_path):
    _version_1_database(db_path)

    asks = r"schema version 1 \(this brandpulse needs \d+\); stop the service of the older version, then start"
    with pytest.raises(StoreError, match=asks + r" this version's \(or run `brandpulse run --once`\)"):
        open_db(db_path, read_only=True)


def test_an_older_service_running_on_the_store_is_not_upgraded_under(db_path, tmp_path):
    import subprocess
    import sys

    _version_1_database(db_path)
    # The older version's service: another process holding the store's service lock.
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom brandpulse.store.lock import ServiceLock\n"
                               f"lock = ServiceLock({str(db_path)!r}).acquire()\nprint('held', flush=True)\n"
                               "time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        refused = rf"a brandpulse service \(pid {holder.pid}\), an older version, still runs"
        with pytest.raises(StoreError, match=refused):
            open_db(db_path)
    finally:
        holder.kill()
        holder.wait()
    assert sqlite3.connect(db_path).execute("PRAGMA user_version").fetchone()[0] == 1

    db = open_db(db_path)  # once it stopped, the upgrade goes ahead
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


# This version's service upgrading the store: it holds the service lock and stops inside the last migration step.
_UPGRADING_SERVICE = """
import sys
from brandpulse.store import open_db
from brandpulse.store import migrations
from brandpulse.store.lock import ServiceLock

last = migrations.MIGRATIONS[-1]
def paused(db):
    last(db)
    print("upgrading", flush=True)
    sys.stdin.readline()
paused.__name__ = last.__name__
migrations.MIGRATIONS[-1] = paused
with ServiceLock(sys.argv[1]):
    open_db(sys.argv[1]).close()
"""


def test_a_command_during_this_versions_upgrade_says_the_service_is_upgrading_not_that_it_is_older(db_path):
    import subprocess
    import sys

    from tests.store_versions import sqlite_store_at

    sqlite_store_at(db_path, 6).close()
    service = subprocess.Popen([sys.executable, "-c", _UPGRADING_SERVICE, str(db_path)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    try:
        assert service.stdout.readline().strip() == "upgrading"
        upgrading = (rf"the brandpulse service \(pid {service.pid}\) is upgrading the database from schema version 6 "
                     rf"to {SCHEMA_VERSION} right now; run this again once it has")
        with pytest.raises(StoreError, match=upgrading) as writer:
            open_db(db_path)  # ingest, alerts ack from cron
        with pytest.raises(StoreError, match=upgrading) as reader:
            open_db(db_path, read_only=True)  # status, query
        assert "older" not in str(writer.value) + str(reader.value)
        service.communicate("go\n", timeout=60)
    finally:
        service.kill()
    assert service.returncode == 0

    db = open_db(db_path, read_only=True)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("SELECT count(*) FROM state WHERE key = 'store.upgrading'").fetchone()[0] == 0
    db.close()


def test_database_from_newer_code_is_refused_read_only_too(db_path):
    open_db(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()

    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1}"):
        open_db(db_path, read_only=True)


def test_stats_and_spike_counts_are_answered_from_the_covering_index(fresh_db):
    plan = fresh_db.execute(
        """EXPLAIN QUERY PLAN SELECT count(*), sum(label = 'negative'), sum(category = 'detractor') FROM mentions
           WHERE brand = 'B' AND created_at >= '2026-01-01' AND created_at < '2026-02-01'""").fetchall()

    assert "COVERING INDEX idx_mentions_brand_created" in plan[0][3]


def test_brand_sync_upserts_configured_brands_and_deactivates_removed_ones(fresh_db):
    store_brands.sync_brands(fresh_db, [BrandQuery("A", ("a",)), BrandQuery("B", ("b",), ("b park",))], NOW)
    store_brands.sync_brands(fresh_db, [BrandQuery("B", ("b", "#b"))], NOW)

    brands = {b["name"]: b for b in store_brands.list_brands(fresh_db)}

    assert (brands["A"]["active"], brands["B"]["active"]) == (0, 1)
    assert brands["B"]["keywords"] == ["b", "#b"] and brands["B"]["exclusions"] == []


def test_ingest_records_the_configured_brands(demo_dir, invoke):
    (demo_dir / "in.jsonl").write_text("", encoding="utf-8")

    invoke("ingest", demo_dir / "in.jsonl")

    rows = sqlite3.connect(demo_dir / "brandpulse.db").execute("SELECT name, active FROM brands").fetchall()
    assert rows == [("Pinebrook Coffee", 1)]


def test_queued_emails_and_alerts_of_an_older_store_survive_the_channels_migration(db_path):
    from brandpulse.store.migrations import MIGRATIONS

    conn = sqlite3.connect(db_path, isolation_level=None)
    db = sqlite_utils.Database(conn)
    names = [step.__name__ for step in MIGRATIONS]
    before = MIGRATIONS[:names.index("m006_channels_and_triage")]
    for number, step in enumerate(before, start=1):
        db.execute("BEGIN")
        step(db)
        db.execute(f"PRAGMA user_version = {number}")
        db.execute("COMMIT")
    db.execute("""INSERT INTO outbox (kind, subject, recipients, message, created_at, next_attempt_at)
                  VALUES ('alert', 's', '["a@b"]', x'00', '2026-01-05T10:00:00Z', '2026-01-05T10:00:00Z')""")
    db.execute("""INSERT INTO alerts (kind, brand, window_start, window_end, observed, expected, reason, created_at)
                  VALUES ('spike', 'B', '2026-01-05T10:00:00Z', '2026-01-05T11:00:00Z', 9, 1, 'r', '2026-01-05T11:00:00Z')""")
    conn.close()

    db = open_db(db_path)

    assert db.execute("SELECT channel, status FROM outbox").fetchall() == [("email", "pending")]
    assert db.execute("SELECT storm_id, acked_by, suppressed FROM alerts").fetchall() == [(None, None, None)]
    assert db.execute("SELECT count(*) FROM silences").fetchone() == (0,)


def test_a_failed_upgrade_leaves_no_upgrading_marker_and_loses_no_rows(db_path, monkeypatch):
    import os

    from brandpulse.store import migrations
    from tests.store_versions import insert_post, sqlite_store_at

    old = sqlite_store_at(db_path, 6)
    old.execute(insert_post("Acme", "the refund never came"))
    old.conn.close()

    def broken(db):
        raise sqlite3.OperationalError("database or disk is full")
    steps = list(migrations.MIGRATIONS)
    steps[7] = broken  # m008 fails, after m007 is committed
    monkeypatch.setattr(migrations, "MIGRATIONS", steps)

    with pytest.raises(StoreError, match="database or disk is full"):
        open_db(db_path)

    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 7
    assert conn.execute("SELECT count(*) FROM state WHERE key = 'store.upgrading'").fetchone()[0] == 0
    assert conn.execute("SELECT brand, text FROM mentions").fetchall() == [("Acme", "the refund never came")]
    conn.close()
    # An older service later holding the lock with this pid (pid 1 in a container) is not taken for an upgrade.
    db = sqlite_utils.Database(sqlite3.connect(db_path, isolation_level=None))
    with pytest.raises(StoreError, match="an older version, still runs on it"):
        migrations.migrate(db, other_service=os.getpid)
    monkeypatch.undo()
    db.conn.close()

    db = open_db(db_path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("SELECT brand, text FROM mentions").fetchall() == [("Acme", "the refund never came")]
    assert db.execute("SELECT count(*) FROM state WHERE key = 'store.upgrading'").fetchone()[0] == 0


def test_an_upgrade_says_from_which_version_as_it_starts_and_when_it_is_done_on_both_backends(store_target, caplog):
    import logging

    from tests.store_versions import insert_post, postgres_store_at, sqlite_store_at

    if str(store_target).startswith("postgresql"):
        postgres_store_at(store_target, 8, insert_post("Acme", "acme café"))
    else:
        old = sqlite_store_at(store_target, 8)
        old.execute(insert_post("Acme", "acme café"))
        old.conn.close()

    with caplog.at_level(logging.WARNING):
        open_db(store_target).close()
        open_db(store_target).close()  # upgraded: nothing more to say

    said = [r.getMessage() for r in caplog.records if "upgrad" in r.getMessage()]
    assert len(said) == 2, said
    assert said[0].startswith(f"upgrading the store from schema version 8 to {SCHEMA_VERSION} (")
    assert said[1] == f"store upgraded to schema version {SCHEMA_VERSION}"


def test_two_processes_starting_at_once_on_an_older_sqlite_store_upgrade_it_once(db_path, caplog):
    import logging
    import threading

    from tests.store_versions import insert_post, sqlite_store_at

    old = sqlite_store_at(db_path, 8)
    old.execute("BEGIN")
    for n in range(3000):  # enough posts for the upgrade to take a while
        old.execute(insert_post("Acme", f"acme café order {n}", external_id=str(n)))
    old.execute("COMMIT")
    old.conn.close()
    together, opened, failed = threading.Barrier(2), [], []

    def start():
        together.wait()
        try:
            opened.append(open_db(db_path))
        except Exception as exc:  # handed to the test's thread
            failed.append(exc)

    with caplog.at_level(logging.WARNING, logger="brandpulse.store.migrations"):
        threads = [threading.Thread(target=start) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    for db in opened:
        db.close()

    said = [r.getMessage().split(" (")[0] for r in caplog.records if r.name == "brandpulse.store.migrations"]
    assert not failed and len(opened) == 2
    assert said == [f"upgrading the store from schema version 8 to {SCHEMA_VERSION}",
                    f"store upgraded to schema version {SCHEMA_VERSION}"]


def test_an_upgrade_to_schema_12_indexes_the_stored_posts_as_search_now_reads_them_on_both_backends(store_target):
    from brandpulse.store.queries import MentionFilter, iter_mentions
    from tests.store_versions import insert_post, postgres_store_at, sqlite_store_at

    posts = {"ja": "Pinebrookのコーヒー", "half": "ｺｰﾋｰ冷めてた", "wide": "Ａcme Pay", "en": "refund please"}
    inserts = [insert_post("Acme", text, external_id=key) for key, text in posts.items()]
    if str(store_target).startswith("postgresql"):
        postgres_store_at(store_target, 11, *inserts)
    else:
        old = sqlite_store_at(store_target, 11)
        for insert in inserts:
            old.execute(insert)
        old.conn.close()

    db = open_db(store_target)

    def found(search):
        return {row["external_id"] for row in iter_mentions(db, MentionFilter(search=search), ("external_id",))}

    assert (found("pinebrook"), found("コーヒー"), found("acme"), found("refund")) == ({"ja"}, {"ja", "half"},
                                                                                      {"wide"}, {"en"})
    stored = {row["external_id"]: row["text"] for row in iter_mentions(db, MentionFilter(), ("external_id", "text"))}
    if not str(store_target).startswith("postgresql"):
        db.execute("INSERT INTO mentions_fts (mentions_fts) VALUES ('integrity-check')")  # raises when out of step
    db.close()
    assert stored == posts


def _old_store(db_path):
    from tests.store_versions import insert_post, sqlite_store_at

    old = sqlite_store_at(db_path, 8)
    old.execute(insert_post("Acme", "acme café"))
    old.conn.close()
    return Path(f"{db_path.resolve()}.upgrade.lock")


def test_an_upgrade_leaves_no_upgrade_lock_file_beside_the_store(db_path):
    lock_file = _old_store(db_path)

    open_db(db_path).close()

    assert not lock_file.exists()  # was: an empty <db>.upgrade.lock left for good


def test_an_upgrade_lock_file_left_by_an_upgrade_killed_with_it_is_taken_and_then_removed(db_path):
    lock_file = _old_store(db_path)
    lock_file.write_text("99999")  # kill -9: the kernel dropped the lock, the file stayed

    db = open_db(db_path)

    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION and not lock_file.exists()
    db.close()


def test_a_process_waiting_for_anothers_sqlite_upgrade_says_so_then_finds_it_upgraded(db_path, caplog):
    import logging
    import os
    import threading
    import time

    from brandpulse.store.lock import upgrade_lock

    lock_file = _old_store(db_path)
    outcome = []

    def start():
        try:
            opened = open_db(db_path)
            outcome.append(opened.execute("PRAGMA user_version").fetchone()[0])
            opened.close()
        except Exception as exc:  # handed to the test's thread
            outcome.append(exc)

    with caplog.at_level(logging.WARNING, logger="brandpulse.store.lock"):
        with upgrade_lock(db_path):  # another process upgrading: its lock file names it
            waiter = threading.Thread(target=start)
            waiter.start()
            deadline = time.monotonic() + 20
            while not caplog.records and time.monotonic() < deadline:
                time.sleep(0.01)
        waiter.join(timeout=60)  # the file it waited on was removed: it takes a new one, then upgrades

    assert [r.getMessage() for r in caplog.records if r.name == "brandpulse.store.lock"] == [
        f"waiting for another brandpulse process (pid {os.getpid()}) to finish upgrading the store {db_path}; this "
        "one goes on once it has"]
    assert outcome == [SCHEMA_VERSION] and not lock_file.exists()
