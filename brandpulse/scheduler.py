"""Running the jobs on APScheduler until Ctrl-C or SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from brandpulse.pipeline import Pipeline

log = logging.getLogger(__name__)

# One copy of a job at a time; a backlog of missed runs collapses into one; a late run still counts for 5 min.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _job(name: str, work: Callable[[datetime], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            work(_utcnow())
        except Exception:  # a failing job must not kill the service; the next run retries
            log.exception("job %s failed", name)

    run.__name__ = name
    return run


def jobs(pipeline: Pipeline) -> list[tuple[str, Callable[[datetime], object], timedelta]]:
    """Every job of the service with its interval."""
    config = pipeline.config
    listed: list[tuple[str, Callable[[datetime], object], timedelta]] = [
        (f"collect:{c.name}", lambda now, name=c.name: pipeline.collect(now, only=name), c.interval)
        for c in config.collectors
    ]
    listed += [
        ("classify", pipeline.classify, config.sentiment.interval),
        ("alerts", pipeline.evaluate_alerts, config.alerts.interval),
        ("deliver", pipeline.deliver, config.email.interval),
    ]
    return listed


def add_digest_job(scheduler, pipeline: Pipeline) -> None:
    """The daily digest, at the config's cron expression in its time zone."""
    from zoneinfo import ZoneInfo

    from brandpulse.crontab import cron_trigger

    digest = pipeline.config.digest
    if not digest.enabled:
        return
    trigger = cron_trigger(digest.cron, ZoneInfo(digest.timezone))
    scheduler.add_job(_job("digest", pipeline.send_digest), trigger, id="digest")
    log.info("scheduled digest at '%s' (%s)", digest.cron, digest.timezone)


def serve(pipeline: Pipeline, stop: threading.Event | None = None) -> None:
    """Start every job now and then at its interval; return after a clean shutdown on SIGINT/SIGTERM or `stop`."""
    from apscheduler.schedulers.background import BackgroundScheduler

    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
    scheduler = BackgroundScheduler(timezone=timezone.utc, job_defaults=JOB_DEFAULTS)
    start = _utcnow()
    for name, work, interval in jobs(pipeline):
        scheduler.add_job(_job(name, work), "interval", id=name, seconds=interval.total_seconds(), next_run_time=start)
        log.info("scheduled %s every %s", name, interval)
    add_digest_job(scheduler, pipeline)
    scheduler.start()
    log.info("brandpulse is running; Ctrl-C or SIGTERM stops it")
    stop.wait()
    log.info("stopping: waiting for running jobs to finish")
    scheduler.shutdown(wait=True)
    log.info("stopped")
