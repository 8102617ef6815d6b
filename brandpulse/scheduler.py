"""Running the jobs on APScheduler until Ctrl-C or SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from brandpulse.errors import DOMAIN_ERRORS

if TYPE_CHECKING:  # type hints only: `classify` and `init` need not import the whole pipeline
    from brandpulse.pipeline import Pipeline

log = logging.getLogger(__name__)

# One copy of a job at a time; a backlog of missed runs collapses into one; a late run still counts for 5 min.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
SIGNAL_POLL_S = 0.5
# The kinds of job `run --only` selects; a collect job is named `collect:<collector>`.
JOB_KINDS = ("collect", "classify", "alerts", "deliver")

Work = Callable[[datetime], object]
# (job, started, finished, error): finished None records that the run began; the keyword skipped_until for a run
# that did nothing, as a source asked.
Recorder = Callable[..., None]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def wrap_job(name: str, work: Work, record: Recorder | None = None, clock: Callable[[], datetime] = _utcnow) -> Callable[[], None]:
    """The callable the scheduler runs: never raises (the next interval retries), records each run's outcome."""

    def run() -> None:
        started = clock()
        error, skipped = None, {}
        if record is not None:
            record_start(record, [name], started)
        try:
            result = work(started)
            error, skipped = job_failure(result, name), job_skipped({name: result}, [name])
        except DOMAIN_ERRORS as exc:  # its message says what is wrong: one line a run, not a traceback a minute
            error = f"{type(exc).__name__}: {exc}"
            log.error("job %s failed: %s", name, exc)
        except Exception as exc:  # a failing job must not kill the service; the next run retries
            error = f"{type(exc).__name__}: {exc}"
            log.exception("job %s failed", name)
        if record is not None:
            record_run(record, {name: error}, started, clock(), skipped)

    run.__name__ = name
    return run


def job_failure(result: object, job: str) -> str | None:
    """What a job that ran to its end still failed to do (a collector's error, messages left for a retry), if
    anything: results that can fail in part say so with `failure_of(job)`."""
    failure_of = getattr(result, "failure_of", None)
    return failure_of(job) if failure_of else None


def job_skipped(results: Mapping[str, object], names: Collection[str]) -> dict[str, datetime]:
    """Until when each of the jobs `names` did nothing, as a source asked (a collector's stored Retry-After wait),
    from the result each returned (`results[name]`): results that can be skipped say so with `skipped_of(job)`."""
    skipped = {}
    for name in names:
        skipped_of = getattr(results.get(name), "skipped_of", None)
        if skipped_of is not None and (until := skipped_of(name)) is not None:
            skipped[name] = until
    return skipped


def record_start(record: Recorder, names: Sequence[str], started: datetime) -> None:
    """Record that the jobs `names` began, so that a run killed before its end shows in `status`; a store that
    cannot take it is the job's own failure to report, so it is logged here at debug only."""
    try:
        for name in names:
            record(name, started, None, None)
    except DOMAIN_ERRORS as exc:
        log.debug("cannot record the start of job %s: %s", ", ".join(names), exc)
    except Exception:
        log.exception("cannot record the start of job %s", ", ".join(names))


def record_run(record: Recorder, errors: Mapping[str, str | None], started: datetime, finished: datetime,
               skipped: Mapping[str, datetime] | None = None) -> None:
    """Record the outcome of each job in `errors` (None: it succeeded, or it was `skipped` until then, doing
    nothing); losing a status row must not fail the job whose data is already committed, so a failure is logged: one
    line for a store that is down, a traceback else."""
    try:
        for name, error in errors.items():
            if error is None and skipped and name in skipped:
                record(name, started, finished, None, skipped_until=skipped[name])
            else:
                record(name, started, finished, error)
    except DOMAIN_ERRORS as exc:
        if any(error and error.endswith(f": {exc}") for error in errors.values()):
            # The job failed for this very reason (the store cannot be opened or written), and said so already.
            log.debug("cannot record the run of job %s either: %s", ", ".join(errors), exc)
            return
        log.error("cannot record the run of job %s: %s", ", ".join(errors), exc)
    except Exception:
        log.exception("cannot record the run of job %s", ", ".join(errors))


def run_recorded(record: Recorder, names: list[str], work: Work, clock: Callable[[], datetime] = _utcnow) -> object:
    """Run `work` once outside the scheduler (`run --once`, `digest --send`) and record its outcome as the jobs
    `names`, as the scheduler records its runs, so that `status` shows it; errors still reach the caller."""
    started = clock()
    errors: dict[str, str | None] = dict.fromkeys(names)
    skipped: dict[str, datetime] = {}
    record_start(record, names, started)
    try:
        result = work(started)
        errors = {name: job_failure(result, name) for name in names}
        skipped = job_skipped(dict.fromkeys(names, result), names)
        return result
    except Exception as exc:
        errors = dict.fromkeys(names, f"{type(exc).__name__}: {exc}")
        raise
    finally:
        record_run(record, errors, started, clock(), skipped)


def jobs(pipeline: Pipeline, kinds: Collection[str] = JOB_KINDS) -> list[tuple[str, Work, timedelta]]:
    """Every job of the service (of the `kinds` given) with its interval."""
    config = pipeline.config
    listed: list[tuple[str, Work, timedelta]] = [
        (f"collect:{c.name}", lambda now, name=c.name: pipeline.collect(now, only=name), c.interval)
        for c in pipeline.enabled_collectors
    ]
    listed += [
        ("classify", pipeline.classify, config.sentiment.interval),
        ("alerts", pipeline.evaluate_alerts, config.alerts.interval),
        ("deliver", pipeline.deliver, config.email.interval),
    ]
    return [job for job in listed if job[0].partition(":")[0] in kinds]


def build_scheduler(listed: Sequence[tuple[str, Work, timedelta]], record: Recorder | None = None):
    """A background scheduler running each job now and then at its interval, each on its own worker thread."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    # One thread per job (and one for the digest): a long classify pass never holds up a collector or the deliveries.
    executor = ThreadPoolExecutor(max_workers=len(listed) + 1)
    scheduler = BackgroundScheduler(timezone=timezone.utc, job_defaults=JOB_DEFAULTS, executors={"default": executor})
    start = _utcnow()
    for name, work, interval in listed:
        scheduler.add_job(wrap_job(name, work, record), "interval", id=name, name=name, seconds=interval.total_seconds(), next_run_time=start)
        log.info("scheduled %s every %s", name, interval)
    return scheduler


def _digest_trigger(pipeline: Pipeline):
    from zoneinfo import ZoneInfo

    from brandpulse.crontab import cron_trigger

    digest = pipeline.config.digest
    return cron_trigger(digest.cron, ZoneInfo(digest.timezone)) if digest.enabled else None


def add_digest_job(scheduler, pipeline: Pipeline, record: Recorder | None = None) -> None:
    """The daily digest, at the config's cron expression in its time zone (an `alerts` worker's job)."""
    if (trigger := _digest_trigger(pipeline)) is None:
        return
    scheduler.add_job(wrap_job("digest", pipeline.send_digest, record), trigger, id="digest", name="digest")
    log.info("scheduled digest at '%s' (%s)", pipeline.config.digest.cron, pipeline.config.digest.timezone)


def catch_up_digest(pipeline: Pipeline, record: Recorder | None = None, now: datetime | None = None) -> None:
    """Queue, at start-up, the digest of the cron's latest time in the day before `now` when a service ran here
    before (a restart or a deploy over that time): before the first collection, it reads the data the day had.
    Queued once per brand and day, so nothing goes out twice if it went out then."""
    from brandpulse.crontab import last_fire

    trigger = _digest_trigger(pipeline)
    missed = last_fire(trigger, now or _utcnow(), timedelta(days=1)) if trigger else None
    if missed is not None and pipeline.digest_ran_before():
        wrap_job("digest", lambda started: pipeline.send_digest(started, due_at=missed), record)()


def serve(pipeline: Pipeline, kinds: Collection[str] = JOB_KINDS, stop: threading.Event | None = None) -> None:
    """Start every job (of `kinds`) now and then at its interval; return after a clean shutdown on SIGINT/SIGTERM
    or `stop`."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
    scheduler = build_scheduler(jobs(pipeline, kinds), pipeline.record_job_run)
    if "alerts" in kinds:
        catch_up_digest(pipeline, pipeline.record_job_run)
        add_digest_job(scheduler, pipeline, pipeline.record_job_run)
    scheduler.start()
    log.info("brandpulse is running; Ctrl-C or SIGTERM stops it")
    # Short waits, not one endless one: the kernel may deliver SIGTERM to a worker thread, and Python runs the
    # handler only once the main thread wakes up; an unbounded wait could then ignore SIGTERM for good.
    while not stop.wait(SIGNAL_POLL_S):
        pass
    log.info("stopping: waiting for running jobs to finish")
    pipeline.stopping.set()
    scheduler.shutdown(wait=True)
    log.info("stopped")
