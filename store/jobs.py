"""What `brandpulse status` reads besides the collectors: the last run and outcome of every scheduled job, the backlog
and the unscored languages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from brandpulse.sentiment.language import language_tag
from brandpulse.sentiment.nps import UNSCORED
from brandpulse.store.backend import Store, transaction
from brandpulse.store.timestamps import to_db

ERROR_LIMIT = 2000  # a traceback-sized error is noise in a status table
# Blank texts (no lang) are unscored too, but no model could read them. The category index serves this count.
_UNSCORED_BY_TAG = (f"SELECT lang, count(*) FROM mentions WHERE category = '{UNSCORED}' AND lang IS NOT NULL "
                    "GROUP BY lang")


_RECORD_RUN = """INSERT INTO job_runs (job, runs, failures, last_started_at, last_finished_at, last_outcome,
                             last_error, last_success_at, last_duration_s)
       VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (job) DO UPDATE SET runs = job_runs.runs + 1,
           failures = job_runs.failures + excluded.failures,
           last_started_at = excluded.last_started_at, last_finished_at = excluded.last_finished_at,
           last_outcome = excluded.last_outcome,
           last_error = coalesce(excluded.last_error, job_runs.last_error),
           last_success_at = coalesce(excluded.last_success_at, job_runs.last_success_at),
           last_duration_s = excluded.last_duration_s"""


def record_job_run(
    db: Store, job: str, started: datetime, finished: datetime, error: str | None = None, skipped: bool = False
) -> None:
    """Record one run of `job`: when, how long, and its outcome (`ok`, `error` with the message, or `skipped`: it
    did nothing, as a source asked, so it is neither a failure nor a success and keeps the last of each)."""
    ok = error is None and not skipped
    outcome = "error" if error is not None else "skipped" if skipped else "ok"
    with transaction(db):
        db.execute(
            _RECORD_RUN,
            [job, 0 if error is None else 1, to_db(started), to_db(finished), outcome,
             None if error is None else error[:ERROR_LIMIT], to_db(finished) if ok else None,
             round((finished - started).total_seconds(), 3)],
        )


_RECORD_START = """INSERT INTO job_runs (job, last_started_at) VALUES (?, ?)
    ON CONFLICT (job) DO UPDATE SET last_started_at = excluded.last_started_at, last_duration_s = NULL"""


def record_job_start(db: Store, job: str, started: datetime) -> None:
    """Record that a run of `job` began: its duration is NULL until its end (`record_job_run`) sets it, so a run
    killed in between (kill -9, a power cut) leaves a row without one, which `status` shows."""
    with transaction(db):
        db.execute(_RECORD_START, [job, to_db(started)])


def job_runs(db: Store) -> list[dict[str, Any]]:
    """Every recorded job with its last run, by name."""
    return [dict(row) for row in db.query("SELECT * FROM job_runs ORDER BY job")]


def unscored_languages(db: Store) -> dict[str, int]:
    """How many mentions are unscored because no configured model reads their language, per language (ISO 639-1,
    regional tags folded in; a tag that names none as it is), most first: which model an operator could add."""
    counts: dict[str, int] = {}
    for lang, count in db.execute(_UNSCORED_BY_TAG).fetchall():
        key = language_tag(lang) or lang
        counts[key] = counts.get(key, 0) + count
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def backlog(db: Store) -> dict[str, int]:
    """Work waiting: mentions without sentiment, emails pending and emails given up."""
    unclassified = db.execute("SELECT count(*) FROM mentions WHERE classified_at IS NULL").fetchone()[0]
    outbox = dict(db.execute("SELECT status, count(*) FROM outbox WHERE channel = 'email' GROUP BY status").fetchall())
    return {"unclassified": unclassified, "emails_pending": outbox.get("pending", 0), "emails_failed": outbox.get("failed", 0)}
