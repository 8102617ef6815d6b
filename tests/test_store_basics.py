import sqlite3
import stat
from datetime import datetime, timezone

import pytest

from brandpulse.store import mentions as store_mentions
from brandpulse.store import state as store_state
from brandpulse.collectors.base import Mention
from brandpulse.store import StoreError, open_db
from brandpulse.store.migrations import SCHEMA_VERSION

NOW = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)


def _mention(external_id, text="Pinebrook!"):
    return Mention(source="twitter", external_id=external_id, text=text, created_at=NOW, brand="B")


def test_new_database_is_private_in_wal_mode_at_current_schema(db_path):
    db = open_db(db_path)

    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_database_from_newer_code_is_refused(db_path):
    open_db(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()

    with pytest.raises(StoreError) as raised:
        open_db(db_path)
    # No package index serves brandpulse: `pip install -U brandpulse` would fail, or install someone else's code.
    assert str(raised.value).endswith("upgrade brandpulse where it is installed (in its clone: git pull, then pip "
                                      "install .) before using it")


@pytest.mark.parametrize("read_only", [False, True])
def test_a_folder_given_as_the_store_is_a_clear_error(tmp_path, read_only):
    with pytest.raises(StoreError, match=f"database {tmp_path} is a folder; give the store's file, such as"):
        open_db(tmp_path, read_only=read_only)


def test_a_symlink_to_the_store_takes_the_same_service_lock(tmp_path):
    from brandpulse.store.lock import ServiceLock, StoreLocked

    (tmp_path / "link.db").symlink_to(tmp_path / "real.db")

    with ServiceLock(tmp_path / "real.db"):
        with pytest.raises(StoreLocked, match="already running"):
            ServiceLock(tmp_path / "link.db").acquire()


def test_mentions_and_cursor_commit_together(fresh_db):
    result = store_mentions.save_mentions(fresh_db, [_mention("1"), _mention("2")], NOW, "c:B", {"since_id": "2"})

    assert (result.new, result.duplicate) == (2, 0)
    assert store_state.collector_cursor(fresh_db, "c:B") == {"since_id": "2"}


def test_failed_save_leaves_neither_mentions_nor_cursor(fresh_db):
    broken = Mention(source="twitter", external_id="3", text="x", created_at=NOW, rating=None)
    object.__setattr__(broken, "rating", 9)  # violates the CHECK constraint half-way through the batch

    with pytest.raises(sqlite3.IntegrityError):
        store_mentions.save_mentions(fresh_db, [_mention("1"), broken], NOW, "c:B", {"since_id": "3"})

    assert fresh_db.execute("SELECT count(*) FROM mentions").fetchone()[0] == 0
    assert store_state.collector_cursor(fresh_db, "c:B") is None


def test_full_text_index_follows_inserts_and_text_updates(fresh_db):
    store_mentions.save_mentions(fresh_db, [_mention("1", "double charged again")], NOW)
    search = "SELECT count(*) FROM mentions_fts WHERE mentions_fts MATCH ?"

    assert fresh_db.execute(search, ["charged"]).fetchone()[0] == 1
    fresh_db.execute("UPDATE mentions SET text = 'all good now'")
    assert fresh_db.execute(search, ["charged"]).fetchone()[0] == 0
    assert fresh_db.execute(search, ["good"]).fetchone()[0] == 1


def test_a_store_path_holding_key_like_words_is_a_path_not_a_libpq_string(tmp_path):
    folder = tmp_path / "client host=eu"
    folder.mkdir()

    db = open_db(folder / "user=x.db")

    assert (folder / "user=x.db").exists()
    db.close()


@pytest.mark.parametrize("name", ["q?1.db", "run #2.db", "100%25.db"])
def test_a_store_path_with_uri_characters_is_read_only_as_that_file(tmp_path, name):
    other = open_db(tmp_path / "100%.db")  # what "100%25" decodes to, were the path read as a URI
    other.close()
    db = open_db(tmp_path / name)
    store_mentions.save_mentions(db, [_mention("1")], NOW)
    db.close()
    before = set(tmp_path.iterdir())

    reader = open_db(tmp_path / name, read_only=True)

    assert reader.execute("SELECT count(*) FROM mentions").fetchone()[0] == 1
    reader.close()
    assert {p for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))} <= before


def test_a_relative_store_path_starting_with_file_colon_is_written_and_read_as_that_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # --db file:x.db: SQLite built with SQLITE_USE_URI wrote the store into x.db
    db = open_db("file:x.db")
    store_mentions.save_mentions(db, [_mention("1")], NOW)
    db.close()

    reader = open_db("file:x.db", read_only=True)

    assert reader.execute("SELECT count(*) FROM mentions").fetchone()[0] == 1
    reader.close()
    assert not (tmp_path / "x.db").exists()


def test_a_store_path_starting_with_two_slashes_is_read_only_as_that_file(tmp_path):
    # "$DATA/brandpulse.db" with DATA=/ or a path joined by hand: POSIX reads "//srv/x.db" as "/srv/x.db".
    db = open_db(tmp_path / "x.db")
    store_mentions.save_mentions(db, [_mention("1")], NOW)
    db.close()

    reader = open_db("/" + str(tmp_path / "x.db"), read_only=True)

    assert reader.execute("SELECT count(*) FROM mentions").fetchone()[0] == 1
    reader.close()


def _full(db) -> None:
    """Let the store's file grow no more on this connection: the next page it needs fails with SQLITE_FULL."""
    db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")


def test_a_write_that_fills_the_disk_reports_sqlites_error_not_a_failed_rollback(fresh_db):
    _full(fresh_db)

    # SQLite has rolled the transaction back itself; a ROLLBACK on top failed and its error hid this one.
    with pytest.raises(Exception, match="database or disk is full") as raised:
        store_mentions.save_mentions(fresh_db, [_mention(str(i), "x" * 3000) for i in range(300)], NOW)

    assert "rollback" not in str(raised.value) and not fresh_db.conn.in_transaction
    assert fresh_db.execute("SELECT count(*) FROM mentions").fetchone()[0] == 0
