import json
import logging
import sqlite3
from datetime import datetime, timezone

import pytest

from brandpulse.config import load_config
from brandpulse.pipeline import Pipeline
from brandpulse.scheduler import wrap_job

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
