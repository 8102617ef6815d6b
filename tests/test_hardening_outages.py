import socket
import sqlite3
from datetime import datetime, timedelta, timezone

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

from brandpulse.store import outbox as store_outbox
from brandpulse.alerts.transports import retry_at
from brandpulse.config import load_config
from brandpulse.pipeline import Pipeline
from brandpulse.store import open_db, transaction
from tests.conftest import write_config

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _pipeline(tmp_path, port):
    config = write_config(tmp_path / "c.yaml", f"""
brands: [{{name: Acme, keywords: [acme]}}]
email:
  smtp: {{host: 127.0.0.1, port: {port}, security: none, timeout: 5}}
""")
    pipeline = Pipeline(load_config(config), tmp_path / "o.db")
    db = open_db(pipeline.db_path)
    with transaction(db):
        store_outbox.enqueue(db, "alert", "Acme", "spike", ["ops@example.com"], b"Subject: spike\r\n\r\nbody\r\n", NOW)
    db.close()
    return pipeline


def _row(pipeline):
    return sqlite3.connect(pipeline.db_path).execute("SELECT status, attempts, next_attempt_at FROM outbox").fetchone()


def test_an_smtp_outage_keeps_the_email_queued_and_it_goes_out_once_the_server_is_back(tmp_path):
    port = _free_port()
    pipeline = _pipeline(tmp_path, port)

    down = pipeline.deliver(NOW)
    assert (down.failed, _row(pipeline)) == (1, ("pending", 1, "2026-03-02T09:01:00Z"))
    assert pipeline.deliver(NOW + timedelta(seconds=30)).failed == 0  # not due yet: no hammering a down server

    handler = Sink()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        up = pipeline.deliver(NOW + timedelta(minutes=1))
    finally:
        server.stop()

    assert up.sent == [f"SMTP 127.0.0.1:{port}"]
    assert _row(pipeline)[:2] == ("sent", 2)


def test_email_retry_backoff_doubles_is_capped_at_15_minutes_and_finally_gives_up():
    waits = [(retry_at(n, NOW) - NOW).total_seconds() for n in range(1, 12)]

    assert waits[:5] == [60, 120, 240, 480, 900]
    assert max(waits) == 900
    assert retry_at(60, NOW) is None


def test_a_collector_outage_is_recorded_and_the_next_run_resumes_without_losing_the_cursor(tmp_path):
    feed = tmp_path / "feed.jsonl"
    config = write_config(tmp_path / "c.yaml", f"""
brands: [{{name: Acme, keywords: [acme]}}]
collectors: [{{type: replay, name: feed, path: {feed}}}]
""")
    pipeline = Pipeline(load_config(config), tmp_path / "c.db")
    feed.write_text('{"source": "x", "id": "1", "text": "acme ok", "created_at": "2026-03-01T10:00:00Z"}\n')
    pipeline.collect(NOW)
    feed.unlink()  # the source goes away: an outage

    failed = pipeline.collect(NOW + timedelta(minutes=15))
    feed.write_text('{"source": "x", "id": "2", "text": "acme back", "created_at": "2026-03-01T11:00:00Z"}\n')
    recovered = pipeline.collect(NOW + timedelta(minutes=30))

    assert "cannot be read" in failed.failures["feed:Acme"]
    assert recovered.new == 1 and not recovered.failures
    state = sqlite3.connect(pipeline.db_path).execute(
        "SELECT items, last_success_at, last_error_at FROM collector_state").fetchone()
    assert state == (2, "2026-03-02T09:30:00Z", "2026-03-02T09:15:00Z")
