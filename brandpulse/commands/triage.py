"""`brandpulse alerts list | ack | silence | silences | unsilence | answered`: who owns which alert, muting a brand,
and which posts support answered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import click

from brandpulse.commands.options import (
    DURATION, LOCAL_MOMENT, ROW_COUNT, ROW_ID, command_zone, in_zone, selected_brands, shown_in, zone_option,
)
from brandpulse.commands.output import format_option, write_rows
from brandpulse.context import AppContext, pass_app
from brandpulse.errors import domain_errors
from brandpulse.store import open_db, transaction
from brandpulse.store import triage as store_triage
from brandpulse.store.timestamps import local_text, to_db

LIST_TABLE = ("id", "kind", "brand", "source", "window_start", "observed", "expected", "to_answer", "complaints",
              "acked_by", "acked_at", "suppressed")
SILENCE_TABLE = ("id", "brand", "until", "created_by", "created_at", "note", "lifted_by", "lifted_at")
# The moments `alerts list` and `alerts silences` show on the wall clock of --tz.
LIST_MOMENTS = ("window_start", "window_end", "acked_at", "created_at")
SILENCE_MOMENTS = ("until", "created_at", "lifted_at")


def _someone(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not value.strip():
        raise click.BadParameter("must name someone (a name or handle)")
    if not value.strip().isprintable():  # a line break would forge a row of the listings it shows in
        raise click.BadParameter("must be one line of printable characters")
    return value.strip()


NAME = click.option("--by", "by", required=True, callback=_someone,
                    help="Who does it (a name or handle), recorded with it.")
NOTE = click.option("--note", default=None, help="Free text kept with the record.")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _shown_by(app: AppContext) -> Callable[[str], str]:
    """How a command's message shows a stored moment: on the wall clock of the config's digest zone (the --tz default
    of the listings) with its offset, as `alerts list` and `query` show it by default. Called before the command
    writes: a config that fails to load then stops it with nothing written."""
    zone = command_zone(app, None)
    return lambda stored: local_text(stored, zone)


def _in_store(app: AppContext, work: Callable[[Any], Any], read_only: bool = False) -> Any:
    """Run `work(db)` on the store (writes in one transaction) and return its result; store errors end the command."""
    with domain_errors():
        # Triage writes a row or two: no service lock, SQLite's WAL lets it run beside the service.
        db = open_db(app.db_path, read_only=read_only)
        try:
            if read_only:
                return work(db)
            with transaction(db):
                return work(db)
        finally:
            db.close()


@click.command("list")
@click.option("--since", default=None, type=LOCAL_MOMENT,
              help="Alerts whose window starts at or after this moment: a duration ago (7d) or ISO 8601, in --tz when "
                   "it names no offset.")
@zone_option("times are shown on its wall clock, with their UTC offset", reads="a --since naming no offset is")
@click.option("--brand", default=None, help="Only this configured brand.")
@click.option("--open", "open_only", is_flag=True, help="Only alerts of storms nobody has acknowledged yet.")
@click.option("--limit", default=100, show_default=True, type=ROW_COUNT, help="Newest alerts shown at most.")
@format_option("table", ("table", "json"))
@pass_app
def list_alerts(app: AppContext, since: datetime | None, zone: str | None, brand: str | None, open_only: bool,
                limit: int, fmt: str) -> None:
    """List stored alerts, newest first, with who acknowledged them, their times in --tz."""
    zone = command_zone(app, zone)
    since = in_zone(since, zone)
    if brand is not None:
        brand = selected_brands([b.name for b in app.config.brands], brand)[0]
    rows = _in_store(app, lambda db: list(store_triage.list_alerts(db, since, brand, open_only, limit)), read_only=True)
    write_rows(shown_in(map(_suppressed_in(zone), rows), LIST_MOMENTS, zone),
               LIST_TABLE if fmt == "table" else store_triage.LISTED_COLUMNS, fmt)


def _suppressed_in(zone: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A listed alert with its `suppressed` text rebuilt on `zone`'s wall clock (a silence's end) from its details;
    as stored (UTC) for alerts stored before the details kept it."""
    def shown(row: dict[str, Any]) -> dict[str, Any]:
        why = row.pop("suppression", None)
        return {**row, "suppressed": store_triage.suppressed_text(why, zone)} if why else row
    return shown


@click.command("ack")
@click.argument("alert_id", type=ROW_ID)
@NAME
@NOTE
@pass_app
def ack(app: AppContext, alert_id: int, by: str, note: str | None) -> None:
    """Acknowledge alert ALERT_ID: you own it, and its storm sends no further update messages."""
    shown, now = _shown_by(app), _now()
    row = _in_store(app, lambda db: store_triage.acknowledge(db, alert_id, by, note, now))
    if row["acked_by"] != by or row["acked_at"] != to_db(now):  # one's own earlier ack is no new one either
        # The owner's note stays: the second one's is shown back, so that it is not lost without a word.
        kept = f"; your note was not kept (tell {row['acked_by']}: {note})" if note else ""
        click.echo(f"alert {alert_id} was already acknowledged by {row['acked_by']} at "
                   f"{shown(row['acked_at'])}{kept}")
        return
    click.echo(f"alert {alert_id} ({row['kind']}, {row['brand'] or row['source']}) acknowledged by {by}")


@click.command("silence")
@click.option("--brand", required=True, help="The configured brand whose spike alerts to mute.")
@click.option("--for", "duration", required=True, type=DURATION, help="How long: 30m, 2h, 1d.")
@NAME
@NOTE
@pass_app
def silence(app: AppContext, brand: str, duration: timedelta, by: str, note: str | None) -> None:
    """Mute BRAND's spike alerts for a while: they are still detected and stored, but nothing is sent."""
    brand = selected_brands([b.name for b in app.config.brands], brand)[0]
    if duration <= timedelta(0):
        raise click.BadParameter("must be longer than zero", param_hint="--for")
    now, shown = _now(), _shown_by(app)
    silence_id = _in_store(app, lambda db: store_triage.add_silence(db, brand, by, now + duration, note, now))
    click.echo(f"silence {silence_id}: spike alerts of {brand} muted until {shown(to_db(now + duration))} "
               f"by {by}")


@click.command("silences")
@click.option("--all", "show_all", is_flag=True, help="Expired and lifted silences too.")
@zone_option("times are shown on its wall clock, with their UTC offset", reads=None)
@format_option("table", ("table", "json"))
@pass_app
def silences(app: AppContext, show_all: bool, zone: str | None, fmt: str) -> None:
    """List active silences (who muted which brand, until when), their times in --tz."""
    zone = command_zone(app, zone)
    rows = _in_store(app, lambda db: store_triage.silences(db, _now(), active_only=not show_all), read_only=True)
    write_rows(shown_in(rows, SILENCE_MOMENTS, zone), SILENCE_TABLE if fmt == "table" else store_triage.SILENCE_COLUMNS,
               fmt)


@click.command("unsilence")
@click.argument("silence_id", type=ROW_ID)
@NAME
@pass_app
def unsilence(app: AppContext, silence_id: int, by: str) -> None:
    """Lift silence SILENCE_ID now; it stays on record with who lifted it."""
    _in_store(app, lambda db: store_triage.lift_silence(db, silence_id, by, _now()))
    click.echo(f"silence {silence_id} lifted by {by}")


@click.command("answered")
@click.argument("mention_ids", metavar="ID...", nargs=-1, required=True, type=ROW_ID)
@NAME
@click.option("--undo", is_flag=True, help="Clear the marks instead (posts marked by mistake).")
@pass_app
def answered(app: AppContext, mention_ids: tuple[int, ...], by: str, undo: bool) -> None:
    """Mark the mentions ID... (the first column of `brandpulse query`) answered: `query --unanswered`, the alert's
    command, leaves them out from then on."""
    shown = _shown_by(app)
    if undo:
        for answer in _in_store(app, lambda db: store_triage.unmark_answered(db, mention_ids)):
            if not answer.changed:
                click.echo(f"mention {answer.mention_id} was not marked answered")
                continue
            click.echo(f"mention {answer.mention_id}: answered by {answer.answered_by} at "
                       f"{shown(answer.answered_at)}, undone by {by}")
        return
    now = _now()
    for answer in _in_store(app, lambda db: store_triage.mark_answered(db, mention_ids, by, now)):
        click.echo(f"mention {answer.mention_id} marked answered by {by}" if answer.changed else
                   f"mention {answer.mention_id} was already answered by {answer.answered_by} at "
                   f"{shown(answer.answered_at)}")


TRIAGE_COMMANDS: list[Any] = [list_alerts, ack, silence, silences, unsilence, answered]
