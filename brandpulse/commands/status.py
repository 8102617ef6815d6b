"""`brandpulse status`: the job schedule, the last run of every job and collector, the channels, and the backlog."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import click

from brandpulse.alerts.shown import excerpt
from brandpulse.channels import resolve_channels
from brandpulse.commands.options import command_zone, zone_option
from brandpulse.store import jobs as store_jobs
from brandpulse.store import outbox as store_outbox
from brandpulse.store import state as store_state
from brandpulse.context import AppContext, pass_app
from brandpulse.errors import domain_errors
from brandpulse.store import open_db
from brandpulse.store.backend import is_url, label
from brandpulse.store.lock import ServiceLock
from brandpulse.store.timestamps import local_text, to_db
from brandpulse.summary import shared_note

LAST_RUN = 26  # the width of a "last run" column: `2026-03-06T15:00:00+01:00` and a space


def _schedule(app: AppContext) -> list[dict[str, Any]]:
    from brandpulse.scheduler import jobs

    listed = [{"job": name, "every_s": interval.total_seconds()} for name, _, interval in jobs(app.pipeline)]
    digest = app.config.digest
    if digest.enabled:
        listed.append({"job": "digest", "cron": digest.cron, "timezone": digest.timezone})
    return listed


def gather(app: AppContext) -> dict[str, Any]:
    """Everything `status` shows, read through a read-only connection so that it works during a run."""
    db = open_db(app.db_path, read_only=True)
    try:
        runs = {row["job"]: row for row in store_jobs.job_runs(db)}
        collectors = store_state.collector_states(db)
        backlog = store_jobs.backlog(db)
        unscored = store_jobs.unscored_languages(db)
        queued = store_outbox.channel_backlog(db)
        retrying = store_outbox.retrying(db)
        waits = {c.name: store_state.collector_retry_at(db, c.name) for c in app.config.collectors}
        shared = app.pipeline.waiting_per_brand(db)
    finally:
        db.close()
    schedule = [_with_wait({**entry, **{k: v for k, v in runs.get(entry["job"], {}).items() if k != "job"}}, waits)
                for entry in _schedule(app)]
    service = _service(app.db_path)
    for job in schedule:
        _unfinished(job, service)
    from brandpulse.factory import disabled_collectors

    disabled, configured = disabled_collectors(app.config), {c.name for c in app.config.collectors}
    for collector in collectors:
        collector.pop("cursor", None)  # opaque to people, and may be long
        ok = collector["last_success_at"] and (not collector["last_error_at"] or collector["last_success_at"] >= collector["last_error_at"])
        # A row a collector left before it was removed from the config: its old error is not a failure now. (One
        # without credentials here may run on another host, with them: its outcome stays what it was.)
        removed = collector["name"].partition(":")[0] not in configured
        collector["last_outcome"] = "removed" if removed else "ok" if ok else "error"
    channels = [{**c.describe(), **queued.get(c.name, {"pending": 0, "failed": 0})} for c in resolve_channels(app.config)]
    now = datetime.now(timezone.utc)
    deferred = {name: to_db(until) for name, until in waits.items() if until is not None and until > now}
    return {"database": label(app.db_path), "service": service, "jobs": schedule,
            "collectors": collectors, "disabled_collectors": disabled, "deferred_collectors": deferred,
            "channels": channels, "retrying": retrying,
            "backlog": backlog, "unscored_languages": unscored,
            "shared_readings": {"copies": shared, "rescore": app.command("sentiment", "rescore") if shared else None}}


def _with_wait(job: dict[str, Any], waits: dict[str, datetime | None]) -> dict[str, Any]:
    """`job`, with `skipped_until` (the wait its source asked for) when its last run was skipped for it."""
    until = waits.get(job["job"].partition(":")[2]) if job.get("last_outcome") == "skipped" else None
    return {**job, "skipped_until": to_db(until)} if until is not None else job


def _last_note(job: dict[str, Any], at: Callable[[str | None], str]) -> str:
    """What the status table says after a job's outcome: its error, or until when it is skipped (shown by `at`)."""
    if job.get("last_outcome") in ("error", "killed"):
        return excerpt(job.get("last_error"), 80)
    if job.get("last_outcome") == "skipped":
        return f"until {at(job['skipped_until'])} (Retry-After)" if job.get("skipped_until") else "as its source asked"
    return ""


KILLED = "started, never finished: the process was killed (kill -9, out of memory) or its host stopped"


def _unfinished(job: dict[str, Any], service: dict[str, Any] | None) -> None:
    """A job whose last run began after its last end is `running` while the service runs; on SQLite without one it
    was `killed` (its work is kept up to its last commit, and the next run goes on); on PostgreSQL `started`."""
    if not job.get("last_started_at") or job.get("last_duration_s") is not None:
        return
    if service is None:
        job["last_outcome"] = "started"
    elif service["running"]:
        job["last_outcome"] = "running"
    else:
        job["last_outcome"], job["last_error"] = "killed", KILLED


def _service(target: Any) -> dict[str, Any] | None:
    """Whether a `brandpulse run` holds the SQLite store's lock, and its pid; None on PostgreSQL (no lock there)."""
    if is_url(target):
        return None
    pid = ServiceLock(target).holder()
    return {"running": pid is not None, "pid": pid or None}


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _print_text(report: dict[str, Any], zone: str) -> None:
    """The report as a person reads it, its times on `zone`'s wall clock with their offset (as stored in UTC)."""
    def at(stored: str | None) -> str:
        return local_text(stored, zone) if stored else "never"

    click.echo(f"Store: {report['database']}")
    if (service := report["service"]) is not None:
        click.echo(f"Service: running (pid {service['pid'] or 'unknown'})" if service["running"] else
                   "Service: not running on this store (no `brandpulse run` holds its lock)")
    click.echo(f"{'Job':<24}{'every':>7}  {'last run':<{LAST_RUN}}{'outcome':<8}{'runs':>6}{'failed':>7}  last error")
    for job in report["jobs"]:
        every = _duration(job["every_s"]) if "every_s" in job else "cron"
        click.echo(f"{job['job']:<24}{every:>7}  {at(job.get('last_started_at')):<{LAST_RUN}}"
                   f"{job.get('last_outcome') or '-':<8}{job.get('runs', 0):>6}{job.get('failures', 0):>7}  "
                   f"{_last_note(job, at)}")
    click.echo(f"{'Collector':<32}{'last run':<{LAST_RUN}}{'outcome':<8}{'items':>7}  last error")
    for row in report["collectors"]:
        click.echo(f"{row['name']:<32}{at(row['last_run_at']):<{LAST_RUN}}{row['last_outcome']:<8}{row['items']:>7}  "
                   f"{excerpt(row['last_error'], 80) if row['last_outcome'] == 'error' else ''}")
    for job in report["jobs"]:
        if "cron" in job:
            click.echo(f"Job {job['job']} runs at '{job['cron']}' ({job['timezone']})")
    for name, why in report["disabled_collectors"].items():
        click.echo(f"Collector {name} is disabled: {why}")
    for name, until in report["deferred_collectors"].items():
        click.echo(f"Collector {name} is skipped until {at(until)}, as its source asked (Retry-After)")
    for channel in report["channels"]:
        state = "enabled" if channel["enabled"] else f"disabled: {channel['disabled']}"
        click.echo(f"Channel {channel['name']} ({', '.join(channel['kinds'])}; "
                   f"{', '.join(channel['brands'] or ['every brand'])}): {state}; "
                   f"{channel['pending']} message(s) waiting, {channel['failed']} given up")
    backlog = report["backlog"]
    given_up = backlog["emails_failed"] + sum(channel["failed"] for channel in report["channels"])
    click.echo(f"Backlog: {backlog['unclassified']} unclassified mention(s), {backlog['emails_pending']} email(s) "
               f"waiting, {backlog['emails_failed']} given up"
               + ("; `brandpulse outbox list` shows the messages given up, `outbox retry` sends them again"
                  if given_up else ""))
    for channel, waiting in report["retrying"].items():
        click.echo(_retrying_line(channel, waiting, at))
    if unscored := report["unscored_languages"]:
        click.echo(f"Unscored: {sum(unscored.values())} mention(s) in a language no configured model reads ("
                   + ", ".join(f"{lang} {count}" for lang, count in unscored.items())
                   + "); sentiment.models can name a model for each")
    if shared := report["shared_readings"]["copies"]:
        click.echo(f"Rescore: {shared_note(shared, report['shared_readings']['rescore'])}")


def _retrying_line(channel: str, waiting: dict[str, Any], at: Callable[[str | None], str]) -> str:
    """Why a channel's messages wait: `outbox list` shows only those given up, and the deliver job's last run may
    have attempted none of them (their backoff not over), so this is the one place that names the failure."""
    return (f"Retrying: {waiting['waiting']} message(s) to {channel} failed and wait for a retry, the next at "
            f"{at(waiting['next_at'])}; last error: {excerpt(waiting['last_error'], 160)} (fixed? `brandpulse "
            "outbox retry --all` sends them at the next delivery)")


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@zone_option("the text's times are on its wall clock, with their UTC offset; JSON keeps UTC", reads=None)
@pass_app
def status(app: AppContext, fmt: str, zone: str | None) -> None:
    """Show the job schedule, each job's and collector's last run and outcome, the channels, and the backlog; the
    text's times in --tz."""
    zone = command_zone(app, zone)
    with domain_errors():
        report = gather(app)
    if fmt == "json":
        click.echo(json.dumps(report, indent=2))
    else:
        _print_text(report, zone)
