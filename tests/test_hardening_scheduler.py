import logging
import threading
from datetime import datetime, timedelta, timezone

import pytest

from brandpulse.scheduler import build_scheduler, wrap_job
from brandpulse.store import open_db
from brandpulse.store.jobs import job_runs

TICK = timedelta(seconds=0.05)
WAIT_S = 20  # an upper bound for a failing test, never reached by a passing one


@pytest.fixture
def running():
    schedulers = []

    def start(listed, record=None):
        scheduler = build_scheduler(listed, record)
        scheduler.start()
        schedulers.append(scheduler)
        return scheduler

    yield start
    for scheduler in schedulers:
        scheduler.shutdown(wait=False)


def test_a_failing_job_is_retried_at_its_next_interval_until_it_succeeds(running):
    calls, succeeded = [], threading.Event()

    def flaky(now):
        calls.append(now)
        if len(calls) < 3:
            raise ConnectionError("HTTP 503 from the API")
        succeeded.set()

    running([("collect:api", flaky, TICK)])

    assert succeeded.wait(WAIT_S)
    assert len(calls) == 3


def test_the_scheduler_never_runs_two_copies_of_a_job(running):
    active, most, lock, release = [0], [0], threading.Lock(), threading.Event()
    entered = threading.Semaphore(0)

    def slow(now):
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        entered.release()
        release.wait(WAIT_S)
        with lock:
            active[0] -= 1

    others = threading.Event()
    ticks = []

    def witness(now):  # proves many intervals of the slow job went by while it was still running
        ticks.append(now)
        if len(ticks) >= 10:
            others.set()

    running([("classify", slow, TICK), ("alerts", witness, TICK)])
    assert entered.acquire(timeout=WAIT_S)
    assert others.wait(WAIT_S)
    release.set()
    assert entered.acquire(timeout=WAIT_S)  # after the release, it runs again: skipped runs were not lost forever

    assert most[0] == 1


def test_a_long_job_does_not_starve_the_other_jobs(running):
    release = threading.Event()
    delivered, collected = threading.Event(), threading.Event()
    counts = {"deliver": 0, "collect": 0}

    def count(name, done):
        def work(now):
            counts[name] += 1
            if counts[name] >= 3:
                done.set()
        return work

    running([
        ("classify", lambda now: release.wait(WAIT_S), TICK),
        ("deliver", count("deliver", delivered), TICK),
        ("collect:demo", count("collect", collected), TICK),
    ])

    try:
        assert delivered.wait(WAIT_S) and collected.wait(WAIT_S)
    finally:
        release.set()


def test_every_scheduled_job_coalesces_missed_runs_runs_alone_and_tolerates_late_starts(running):
    scheduler = running([("classify", lambda now: None, TICK), ("deliver", lambda now: None, TICK)])

    settings = {(j.coalesce, j.max_instances, j.misfire_grace_time) for j in scheduler.get_jobs()}

    assert settings == {(True, 1, 300)}


def test_the_job_wrapper_records_each_outcome_and_never_raises(tmp_path):
    db_path = tmp_path / "jobs.db"
    clock = iter(datetime(2026, 3, 2, 9, 0, s, tzinfo=timezone.utc) for s in range(10))

    def record(name, started, finished, error):
        db = open_db(db_path)
        try:
            from brandpulse.store.jobs import record_job_run

            record_job_run(db, name, started, finished, error)
        finally:
            db.close()

    def boom(now):
        raise TimeoutError("read timed out after 30 s")

    wrap_job("collect:api", boom, record, lambda: next(clock))()
    wrap_job("collect:api", lambda now: None, record, lambda: next(clock))()
    wrap_job("collect:api", boom, record, lambda: next(clock))()

    db = open_db(db_path)
    (row,) = job_runs(db)
    db.close()
    assert (row["runs"], row["failures"], row["last_outcome"]) == (3, 2, "error")
    assert row["last_error"] == "TimeoutError: read timed out after 30 s"
    assert row["last_success_at"] == "2026-03-02T09:00:03Z"
    assert row["last_started_at"] == "2026-03-02T09:00:04Z"


def test_a_job_whose_run_cannot_be_recorded_still_completes(caplog):
    done = []

    def broken_record(*args):
        raise OSError("disk full")

    wrap_job("deliver", done.append, broken_record)()

    assert len(done) == 1
    assert "cannot record the run of job deliver" in caplog.text


def test_a_deliver_run_that_left_messages_undelivered_is_recorded_as_an_error(tmp_path):
    from brandpulse.delivery import DeliveryReport
    from brandpulse.store.jobs import record_job_run

    db = open_db(tmp_path / "jobs.db")
    refused = DeliveryReport(sent=["SMTP mx:25"], failed=2, last_error="SMTP mx:25: SMTPDataError: (554, b'spam')")
    try:
        wrap_job("deliver", lambda now: refused, lambda *run: record_job_run(db, *run))()
        (row,) = job_runs(db)
    finally:
        db.close()

    assert (row["last_outcome"], row["failures"]) == ("error", 1)
    assert row["last_error"] == "2 message(s) not delivered: SMTP mx:25: SMTPDataError: (554, b'spam')"


def test_a_store_that_is_down_when_a_run_is_recorded_is_one_log_line(caplog):
    from brandpulse.store.errors import StoreError

    def store_down(*args):
        raise StoreError("cannot connect to postgresql://bp:***@127.0.0.1:5432/bp: connection refused")

    wrap_job("alerts", lambda now: None, store_down)()

    (record,) = [r for r in caplog.records if "cannot record" in r.getMessage()]
    assert record.exc_info is None and "connection refused" in record.getMessage()


def test_a_domain_error_is_logged_as_one_line_and_anything_else_with_its_traceback(caplog):
    from brandpulse.sentiment.base import SentimentError

    def broken_model(now):
        raise SentimentError("3 text(s) in 'de' left unclassified, kept for the next pass: not a folder")

    def bug(now):
        raise KeyError("oops")

    with caplog.at_level(logging.ERROR, logger="brandpulse.scheduler"):
        wrap_job("classify", broken_model)()
        wrap_job("alerts", bug)()

    (domain, unexpected) = caplog.records
    assert domain.getMessage() == ("job classify failed: 3 text(s) in 'de' left unclassified, kept for the next "
                                   "pass: not a folder")
    assert domain.exc_info is None
    assert unexpected.getMessage() == "job alerts failed" and unexpected.exc_info[0] is KeyError
