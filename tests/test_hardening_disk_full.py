import json
import logging
import shutil
import sqlite3
from datetime import datetime, timezone

import pytest

from brandpulse.config import load_config
from brandpulse.pipeline import Pipeline
from brandpulse.scheduler import wrap_job
from brandpulse.store import open_db
from brandpulse.store.migrations import SCHEMA_VERSION
from brandpulse.store.errors import DiskFull
from tests.store_versions import sqlite_store_at

NOW = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)


def _lines(path, first, count, size=3000):
    path.write_text("".join(json.dumps({"source": "forum", "id": str(i), "text": "Pinebrook " + "x" * size,
                                        "created_at": "2026-03-01T10:00:00Z", "label": "neutral"}) + "\n"
                            for i in range(first, first + count)), encoding="utf-8")
    return path


def _stored(path) -> tuple[int, str]:
    with sqlite3.connect(path) as conn:
        return (conn.execute("SELECT count(*) FROM mentions").fetchone()[0],
                conn.execute("PRAGMA integrity_check").fetchone()[0])


@pytest.fixture
def full_disk(monkeypatch):
    """Call it to fill the disk: from then on no SQLite file may grow (its max_page_count is its size on opening),
    and a write that needs another page fails with SQLITE_FULL, as on a full disk."""
    connect = sqlite3.connect

    def capped(*args, **kwargs):
        conn = connect(*args, **kwargs)
        conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
        return conn

    return lambda: monkeypatch.setattr(sqlite3, "connect", capped)


def test_ingest_onto_a_full_disk_says_so_and_keeps_what_was_committed(demo_dir, invoke, full_disk):
    assert invoke("ingest", "--no-classify", _lines(demo_dir / "a.jsonl", 0, 5)).exit_code == 0
    full_disk()

    result = invoke("ingest", "--no-classify", _lines(demo_dir / "b.jsonl", 5, 300))

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"Error: database {demo_dir / 'brandpulse.db'}: disk full (database or disk is full)" in result.output
    assert _stored(demo_dir / "brandpulse.db") == (5, "ok")


def test_run_once_onto_a_full_disk_says_so_without_a_traceback(demo_dir, invoke, full_disk):
    assert invoke("ingest", "--no-classify", _lines(demo_dir / "a.jsonl", 0, 5)).exit_code == 0
    full_disk()

    result = invoke("run", "--once")  # the demo's replay collector has more to store than the disk holds

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"Error: database {demo_dir / 'brandpulse.db'}: disk full" in result.output
    assert _stored(demo_dir / "brandpulse.db") == (5, "ok")


def test_the_service_logs_a_full_disk_as_one_line_per_failed_run(demo_dir, full_disk, caplog):
    pipeline = Pipeline(load_config(demo_dir / "config.yaml"), demo_dir / "brandpulse.db")
    pipeline.ingest(_lines(demo_dir / "a.jsonl", 0, 5).read_bytes().splitlines(), NOW)
    full_disk()

    with caplog.at_level(logging.ERROR):
        for _ in range(2):  # two intervals
            wrap_job("collect:demo", lambda now: pipeline.collect(now, only="demo"), pipeline.record_job_run)()

    failed = [r for r in caplog.records if r.getMessage().startswith("job collect:demo failed")]
    assert len(failed) == 2 and all(r.exc_info is None and "disk full" in r.getMessage() for r in failed)
    assert not any(r.exc_info for r in caplog.records)
    assert _stored(demo_dir / "brandpulse.db") == (5, "ok")


def _store_at_6(path, count=400):
    db = sqlite_store_at(path, 6)
    db.conn.executemany(
        "INSERT INTO mentions (source, external_id, brand, text, created_at, collected_at) VALUES (?, ?, ?, ?, ?, ?)",
        [("forum", str(i), "Pinebrook Coffee", f"post {i} " + "lorem ipsum " * 60, "2026-03-01T10:00:00Z",
          "2026-03-01T10:00:00Z") for i in range(count)])
    db.conn.commit()
    db.conn.close()
    return path


def _schema(path) -> tuple[int, int, str]:
    with sqlite3.connect(path) as conn:
        version, count = (conn.execute(sql).fetchone()[0]
                          for sql in ("PRAGMA user_version", "SELECT count(*) FROM mentions"))
        return version, count, conn.execute("PRAGMA integrity_check").fetchone()[0]


def test_an_upgrade_the_disk_cannot_hold_says_how_much_room_it_needs_before_it_starts(demo_dir, invoke, monkeypatch):
    store = _store_at_6(demo_dir / "brandpulse.db")
    size_mb = store.stat().st_size / 2**20
    usage = shutil.disk_usage(demo_dir)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=int(1.5 * 2**20)))

    result = invoke("run", "--once")

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (f"Error: database {store}: not enough free space to upgrade the store from schema version 6 to "
            f"{SCHEMA_VERSION}: the upgrade copies the mentions table and needs about {size_mb * 2.25:.1f} MB free on "
            f"its disk (2.25 times the store's {size_mb:.1f} MB), and 1.5 MB is free; free space (or move the store "
            "to a larger disk), then run again: the store is unchanged, at schema version 6") in result.output
    assert _schema(store) == (6, 400, "ok")


def test_a_disk_filling_up_during_an_upgrade_names_the_room_it_needs_and_the_version_left(tmp_path, full_disk):
    store = _store_at_6(tmp_path / "brandpulse.db")
    full_disk()  # room enough by the disk's free space, but the file cannot grow: another writer filled the disk

    with pytest.raises(DiskFull) as raised:
        open_db(store)

    assert str(raised.value).startswith(
        f"database {store}: disk full while upgrading the store from schema version 6 to {SCHEMA_VERSION} (database "
        "or disk is full): the upgrade copies the mentions table and needs about ")
    assert str(raised.value).endswith("; free space, then run again: the store is unchanged, at schema version 6, "
                                      "and the upgrade goes on from there")
    assert _schema(store) == (6, 400, "ok")


def test_run_once_on_a_store_it_cannot_open_says_why_once(demo_dir, invoke):
    (demo_dir / "brandpulse.db").mkdir()  # a folder where the store's file should be

    result = invoke("run", "--once")

    assert result.exit_code == 1
    assert result.output.count("is a folder; give the store's file") == 1, result.output


def test_a_new_store_the_disk_cannot_hold_is_not_left_half_made_at_an_older_schema(tmp_path, demo_dir, invoke,
                                                                                    monkeypatch):
    open_db(tmp_path / "whole.db").close()
    with sqlite3.connect(tmp_path / "whole.db") as conn:
        room = conn.execute("PRAGMA page_count").fetchone()[0] * 3 // 4  # the disk fills up part-way
    connect = sqlite3.connect

    def capped(*args, **kwargs):
        conn = connect(*args, **kwargs)
        conn.execute(f"PRAGMA max_page_count = {room}")
        return conn

    monkeypatch.setattr(sqlite3, "connect", capped)
    with pytest.raises(DiskFull):
        open_db(demo_dir / "brandpulse.db")
    monkeypatch.setattr(sqlite3, "connect", connect)

    with connect(demo_dir / "brandpulse.db") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
    status = invoke("status")
    assert status.exit_code == 1 and "older version" not in status.output
    assert "holds no brandpulse store yet (its making may have been cut short, by a full disk for one)" in status.output
    open_db(demo_dir / "brandpulse.db").close()  # with room again, it is made whole


def _store_at_11(path, count=400):
    db = sqlite_store_at(path, 11)
    db.conn.executemany(
        "INSERT INTO mentions (source, external_id, brand, text, created_at, collected_at) VALUES (?, ?, ?, ?, ?, ?)",
        [("forum", str(i), "Pinebrook Coffee", f"Pinebrook{i}のコーヒーは最高です " * 8, "2026-03-01T10:00:00Z",
          "2026-03-01T10:00:00Z") for i in range(count)])
    db.conn.commit()
    db.conn.close()
    return path


def test_the_upgrade_to_schema_12_says_how_much_room_it_needs_before_it_starts(tmp_path, monkeypatch):
    store = _store_at_11(tmp_path / "brandpulse.db")
    size_mb = store.stat().st_size / 2**20
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=int(size_mb * 1.4 * 2**20)))

    with pytest.raises(DiskFull) as raised:
        open_db(store)

    assert str(raised.value) == (
        f"database {store}: not enough free space to upgrade the store from schema version 11 to {SCHEMA_VERSION}: "
        "the upgrade indexes the mentions again for search (keeping a searchable copy of the texts the index reads "
        f"otherwise) and needs about {size_mb * 1.5:.1f} MB free on its disk (1.5 times the store's {size_mb:.1f} MB), "
        f"and {size_mb * 1.4:.1f} MB is free; free space (or move the store to a larger disk), then run again: the "
        "store is unchanged, at schema version 11")
    assert _schema(store) == (11, 400, "ok")


def test_the_upgrade_to_schema_12_goes_ahead_with_room_for_it(tmp_path, monkeypatch):
    store = _store_at_11(tmp_path / "brandpulse.db")
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage",
                        lambda path: usage._replace(free=int(store.stat().st_size * 1.6)))

    open_db(store).close()

    assert _schema(store) == (SCHEMA_VERSION, 400, "ok")


def test_a_disk_filling_up_during_the_upgrade_to_schema_12_names_the_room_it_needs(tmp_path, full_disk):
    store = _store_at_11(tmp_path / "brandpulse.db")
    full_disk()

    with pytest.raises(DiskFull) as raised:
        open_db(store)

    assert "the upgrade indexes the mentions again for search" in str(raised.value)
    assert "(1.5 times the store's" in str(raised.value)
    assert _schema(store) == (11, 400, "ok")
