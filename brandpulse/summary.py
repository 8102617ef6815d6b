"""The short report `brandpulse run --once` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from brandpulse.logging_setup import mask, secret_values
from brandpulse.store import jobs as store_jobs
from brandpulse.store import outbox as store_outbox
from brandpulse.store import summary as store_summary
from brandpulse.store.backend import label
from brandpulse.alerts.base import Alert, wall_clock
from brandpulse.alerts.health import shown_reason
from brandpulse.alerts.shown import excerpt
from brandpulse.sentiment.nps import net_sentiment_score

if TYPE_CHECKING:  # type hints only
    from brandpulse.pipeline import CollectReport, DeliveryReport, Pipeline


def _nss(row: dict) -> str:
    categories = ["promoter"] * (row["promoters"] or 0) + ["passive"] * (row["passives"] or 0) + ["detractor"] * (row["detractors"] or 0)
    score = net_sentiment_score(categories)
    return "n/a" if score is None else f"{score:+.0f}"


def print_run_summary(pipeline: Pipeline, collected: CollectReport, classified: int, fired: list[Alert], delivered: DeliveryReport) -> None:
    """Mentions new/duplicate, categories, complaints and net sentiment per brand, alerts fired, where messages went."""
    with pipeline.session() as db:
        totals = store_summary.category_totals(db)
        waiting = store_jobs.backlog(db)["unclassified"]
        queued = store_outbox.channel_backlog(db).values()
    # Mentions still waiting (a model that failed to load, another worker's batch) have no label yet; unless stars
    # gave them a category, the columns below leave them out.
    click.echo(f"Mentions:   {collected.new} new, {collected.duplicate} duplicate; {classified} classified"
               + (f", {waiting} waiting to be classified" if waiting else ""))
    for name, error in collected.failures.items():
        # Masked as the log line is; on one line, its controls shown as U+FFFD (a feed's ESC sequences, quoted).
        click.echo(f"  collector {name} failed: {excerpt(mask(error, secret_values()), 1000)}")
    for name, until in collected.deferred.items():
        click.echo(f"  collector {name} skipped until {until:%Y-%m-%d %H:%M:%S}Z, as its source asked (Retry-After)")
    click.echo(f"{'Brand':<24}{'mentions':>9}{'promoters':>11}{'passives':>10}{'detractors':>12}{'unscored':>10}"
               f"{'complaints':>12}{'NSS':>6}")
    for row in totals:
        click.echo(f"{row['brand']:<24}{row['mentions']:>9}{row['promoters'] or 0:>11}{row['passives'] or 0:>10}"
                   f"{row['detractors'] or 0:>12}{row['unscored'] or 0:>10}{row['complaints'] or 0:>12}{_nss(row):>6}")
    click.echo(f"Alerts:     {len(fired)} fired")
    zone = pipeline.config.digest.timezone
    for alert in fired:
        # On the wall clock its email and chat message show, zone named: a Berlin team read UTC's hours here alone.
        reason = shown_reason(alert.source, alert.reason, alert.details, zone)
        click.echo(f"  {alert.kind} {alert.brand or alert.source} {wall_clock(alert.window_start, zone)}: {reason}")
    # Where they went (the SMTP server, channels, .eml files); nothing when nothing went.
    where = "; " + ", ".join(sorted(set(delivered.sent))) if delivered.sent else ""
    # Every message still pending: queued by a run without the deliver job, or waiting for a retry after its backoff.
    pending, given_up = sum(q["pending"] for q in queued), sum(q["failed"] for q in queued)
    click.echo(f"Messages:   {len(delivered.sent)} delivered, {delivered.failed} failed; {pending} waiting to be sent"
               + (f", {given_up} given up" if given_up else "") + where)
    click.echo(f"Store:      {label(pipeline.db_path)}")


def shared_note(copies: int, command: str) -> str:
    """What `status`, `run --once` and the service say of the copies `Pipeline.waiting_per_brand` counts."""
    return (f"{copies} stored copies of posts naming several brands hold one reading of the whole post for every "
            f"brand (read by an older release); `{command}` reads each for its own brand")


def undelivered(delivered: DeliveryReport) -> str:
    """The messages a deliver run failed to send, and what becomes of them: a retry (those held back behind a chat
    channel that failed included), or given up (a permanent refusal, or the last attempt), which no later run sends
    unless queued again. `run --once` and `digest --send` end with it, exit code 1."""
    error = mask(delivered.last_error or "", secret_values())
    waiting = delivered.failed - delivered.given_up + delivered.held
    fates = []
    if waiting:
        fates.append(f"{waiting} wait in the outbox for a retry" if delivered.given_up
                     else "they wait in the outbox for a retry")
    if delivered.given_up:
        fates.append(f"{delivered.given_up} given up, not retried (refused for good, or on its last attempt): "
                     "`brandpulse outbox list` shows them, `brandpulse outbox retry ID...` queues them again once "
                     "what failed is fixed")
    return f"{delivered.failed + delivered.held} message(s) not delivered ({error}); " + ", ".join(fates)


def still_retrying(pipeline: Pipeline) -> str:
    """The messages waiting out a backoff after a failed attempt, which a deliver run inside it did not try, or '':
    the outage goes on, and `run --once` from cron fails on each run until they are sent or given up."""
    with pipeline.session() as db:
        retrying = store_outbox.retrying(db)
    if not retrying:
        return ""
    count = sum(waiting["waiting"] for waiting in retrying.values())
    channels = "; ".join(f"{channel}: {waiting['waiting']}, the next at {waiting['next_at']}, last error: "
                         f"{excerpt(mask(waiting['last_error'] or '', secret_values()), 160)}"
                         for channel, waiting in retrying.items())
    return (f"{count} message(s) wait for a retry after a failed attempt, delivery not yet recovered ({channels}); "
            "`brandpulse status` shows them, `brandpulse outbox retry --all` sends them at the next delivery once "
            "what failed is fixed")
