"""`brandpulse digest`: print or write the daily digest (json, html, text), or send it through the outbox."""

from __future__ import annotations

from contextlib import closing
from datetime import date, datetime, timezone
from pathlib import Path

import click

from brandpulse.context import AppContext, pass_app
from brandpulse.commands.options import selected_brands
from brandpulse.commands.output import private_file
from brandpulse.errors import domain_errors
from brandpulse.store import open_db
from brandpulse.store.lock import StoreLocked, service_lock

FORMATS = ("json", "html", "text")
EARLIEST_YEAR = 1900


def _now() -> datetime:
    return datetime.now(timezone.utc)


@click.command("digest")
@click.option("--date", "day", default=None, type=click.DateTime(["%Y-%m-%d"]),
              help="The day, in the digest's time zone (digest.timezone); default: yesterday there, the day the "
              "scheduled digest covers.")
@click.option("--brand", default=None, help="Only this configured brand (share of voice still compares them all).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Print the digest in this format (default text); with --preview, the file's format (default html).")
@click.option("--preview", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the digest to this file (HTML unless --format says otherwise), sending nothing.")
@click.option("--send", is_flag=True, help="Queue the digest in the outbox and deliver it now (again if already sent); "
              "while the service runs, it delivers it.")
@pass_app
def digest_command(app: AppContext, day: datetime | None, brand: str | None, fmt: str | None, preview: Path | None,
                   send: bool) -> None:
    """Build the daily digest of DATE: print it (--format json|html|text), write it (--preview FILE), or email it
    to the marketing recipients (--send)."""
    from brandpulse import digesting

    brands = selected_brands([b.name for b in app.config.brands], brand)
    if preview and send:
        raise click.UsageError("--preview writes the digest to a file and sends nothing; give one of --preview, --send")
    zone, now = app.config.digest.timezone, _now()
    the_day: date = day.date() if day else digesting.previous_day(now, zone)
    if day is None:  # on stderr: a digest printed to stdout stays as it is
        click.echo(f"note: no --date: the digest of {the_day.isoformat()}, yesterday in {zone}", err=True)
    _check_day(the_day, zone, send, now)
    with domain_errors():
        # Only reading unless it sends: an analyst's SELECT-only role on PostgreSQL may print a digest.
        with app.pipeline.session() if send else closing(open_db(app.db_path, read_only=True)) as db:
            if preview or not send:
                doc = digesting.build(app.config, db, the_day, brands, now)
            if preview:
                with _preview_file(preview) as out:
                    out.write(digesting.render(doc, fmt or "html"))
                click.echo(f"digest for {the_day.isoformat()} written to {preview}")
            elif not send:
                click.echo(digesting.render(doc, fmt or "text"), nl=False)
            if send:
                queued = digesting.queue(app.config, db, the_day, brands, now, again=True,
                                         channels=app.pipeline.channels)
        if send:
            _deliver(app, queued, brands)


def _check_day(day: date, zone: str, send: bool, now: datetime) -> None:
    """A day in the future is a usage error; today is not over, so its digest counts only the mentions so far."""
    from brandpulse import digesting

    today = digesting.today(now, zone)
    if day > today:
        raise click.BadParameter(f"{day.isoformat()} is in the future in {zone} (today is {today.isoformat()})",
                                 param_hint="'--date'")
    if day.year < EARLIEST_YEAR:  # its 30-day trend would reach before the calendar's first day
        raise click.BadParameter(f"{day.isoformat()} is before {EARLIEST_YEAR}", param_hint="'--date'")
    if day == today:
        click.echo(f"note: {day.isoformat()} is not over in {zone}; the digest counts its mentions so far"
                   + (", and the scheduled digest of the whole day still goes out" if send else ""), err=True)


def _preview_file(path: Path):
    """`path` opened for the preview, or a usage error naming it and why (a folder that does not exist, no right to
    write there) instead of a traceback."""
    try:
        return private_file(path)
    except OSError as exc:
        raise click.BadParameter(f"cannot write {path}: {exc.strerror}", param_hint="'--preview'") from None


def _deliver(app: AppContext, queued: list[str], brands: list[str]) -> None:
    """Send what is due now and say what became of it; exit code 1 when a message was not delivered, when earlier ones
    still wait out a backoff after a failed attempt, or when no brand had anyone to send its digest to, as `run
    --once` fails for those (cron reports it)."""
    from brandpulse.scheduler import run_recorded
    from brandpulse.summary import still_retrying, undelivered

    if not queued:
        raise click.ClickException(f"no digest queued: {', '.join(brands)} {'has' if len(brands) == 1 else 'have'} "
                                   "no digest recipients (email.recipients.digest, or the brand's recipients.digest) "
                                   "and no enabled channel of kind digest")
    try:
        # On SQLite only one process may send from the outbox, or an email could go out twice.
        with service_lock(app.db_path):
            # A deliver run like the deliver job's: `status` shows when it ran and what failed.
            report = run_recorded(app.pipeline.record_job_run, ["deliver"], app.pipeline.deliver, _now)
    except StoreLocked:
        click.echo(f"digest queued for {', '.join(queued)}; the running service delivers it")
        return
    # Waiting: failed but for a retry, and those held back because their channel had just failed.
    waiting = report.failed - report.given_up + report.held
    given_up = (f", {report.given_up} given up (`brandpulse outbox list` shows them, `brandpulse outbox retry` "
                "queues them again)" if report.given_up else "")
    click.echo(f"digest queued for {', '.join(queued)}; {len(report.sent)} message(s) delivered "
               f"(email and chat), {waiting} waiting for retry{given_up}")
    if report.failed or report.held:
        raise click.ClickException(undelivered(report))
    # The digest went out, but messages that failed before (an alert to a chat channel down) wait for a retry.
    if retrying := still_retrying(app.pipeline):
        raise click.ClickException(retrying)
