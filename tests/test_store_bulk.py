import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from brandpulse.store import mentions as store_mentions
from brandpulse.collectors.base import Mention
from brandpulse.store.bulk import BulkWriter

NOW = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)
TRIGGERS = "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"


def _mentions(count, start=0, word="latte"):
    return [Mention(source="reddit", external_id=str(i), text=f"{word} number w{i}", created_at=NOW - timedelta(minutes=i),
                    brand="B") for i in range(start, start + count)]


def _search(db, query):
    return db.execute("SELECT count(*) FROM mentions_fts WHERE mentions_fts MATCH ?", [query]).fetchone()[0]


def test_bulk_save_indexes_every_new_row_once_and_restores_the_insert_trigger(fresh_db):
    triggers = fresh_db.execute(TRIGGERS).fetchall()
    store_mentions.save_mentions(fresh_db, _mentions(3), NOW)  # row by row, through the trigger
    batch = _mentions(store_mentions.BULK_ROWS + 10)  # overlaps the first three: duplicates are skipped

    saved = store_mentions.save_mentions(fresh_db, batch, NOW)

    assert (saved.new, saved.duplicate) == (store_mentions.BULK_ROWS + 7, 3)
    assert _search(fresh_db, "latte") == store_mentions.BULK_ROWS + 10
    assert _search(fresh_db, "w5") == 1
    assert fresh_db.execute(TRIGGERS).fetchall() == triggers
    store_mentions.save_mentions(fresh_db, _mentions(1, start=10_000, word="espresso"), NOW)
    assert _search(fresh_db, "espresso") == 1


def test_failed_bulk_save_rolls_back_rows_index_and_trigger_change(fresh_db):
    triggers = fresh_db.execute(TRIGGERS).fetchall()
    batch = _mentions(store_mentions.BULK_ROWS)
    object.__setattr__(batch[-1], "rating", 9)  # violates the CHECK constraint at the end of the batch

    with pytest.raises(sqlite3.IntegrityError):
        store_mentions.save_mentions(fresh_db, batch, NOW)

    assert fresh_db.execute("SELECT count(*) FROM mentions").fetchone()[0] == 0
    assert _search(fresh_db, "latte") == 0
    assert fresh_db.execute(TRIGGERS).fetchall() == triggers


def test_bulk_writer_saves_every_batch_and_the_remainder(fresh_db):
    with BulkWriter(fresh_db, NOW, batch=100) as writer:
        for item in _mentions(250):
            writer.add(item)

    assert (writer.new, writer.duplicate) == (250, 0)
    assert fresh_db.execute("SELECT count(*) FROM mentions").fetchone()[0] == 250


def test_bulk_writer_raises_the_writer_threads_error_to_the_caller(fresh_db):
    bad = _mentions(1, start=500)[0]
    object.__setattr__(bad, "rating", 9)

    with pytest.raises(sqlite3.IntegrityError):
        with BulkWriter(fresh_db, NOW, batch=10) as writer:
            for item in [*_mentions(25), bad]:
                writer.add(item)

    assert fresh_db.execute("SELECT count(*) FROM mentions").fetchone()[0] == 20  # the two full batches before it
