"""`brandpulse outbox list | retry`: the messages given up, and sending them again once what failed is fixed."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import click

from brandpulse.commands.options import ROW_ID, command_zone, shown_in, zone_option
from brandpulse.commands.output import format_option, write_rows
from brandpulse.context import AppContext, pass_app
from brandpulse.errors import domain_errors
from brandpulse.store import open_db
from brandpulse.store import outbox as store_outbox

# Formats written for other programs: their times stay as stored, ISO 8601 in UTC with a Z, whatever --tz says.
FOR_PROGRAMS = ("json", "jsonl")


def _now() -> datetime:
    return datetime.now(timezone.utc)


@click.group("outbox")
def outbox_group() -> None:
    """Emails and chat messages given up, and queueing them (or those waiting for a retry) again."""


@outbox_group.command("list")
@zone_option("the table's and CSV's created_at is on its wall clock, with its UTC offset; JSON keeps UTC", reads=None)
@format_option()
@pass_app
def list_given_up(app: AppContext, zone: str | None, fmt: str) -> None:
    """The messages given up (a permanent refusal, or 60 failed attempts over about 14 hours), oldest first, queued
    at a time in --tz."""
    zone = command_zone(app, zone)
    with domain_errors():
        db = open_db(app.db_path, read_only=True)
        try:
            rows = store_outbox.given_up(db)
            if not rows and fmt == "table":
                click.echo(_nothing_given_up(store_outbox.channel_backlog(db), store_outbox.retrying(db)))
                return
        finally:
            db.close()
    shown = rows if fmt in FOR_PROGRAMS else shown_in(rows, ("created_at",), zone)
    write_rows(shown, (*store_outbox.GIVEN_UP_COLUMNS, "kept"), fmt)


def _nothing_given_up(backlog: dict[str, dict[str, int]], retrying: dict[str, dict[str, Any]]) -> str:
    """What the table says when no message was given up (a bare header read as a listing cut short): how many are
    queued, and how many of those wait for a retry after a failed attempt."""
    queued = sum(channel["pending"] for channel in backlog.values())
    if not queued:
        return "No message given up, and none waits to be sent."
    waiting = sum(channel["waiting"] for channel in retrying.values())
    retried = (f", {waiting} of them waiting for a retry after a failed attempt (`brandpulse status` says why; "
               "`brandpulse outbox retry --all` sends them at the next delivery)" if waiting else "")
    return f"No message given up; {queued} message(s) queued to be sent{retried}."


@outbox_group.command()
@click.argument("ids", nargs=-1, type=ROW_ID)
@click.option("--all", "every", is_flag=True,
              help="Every message given up whose body is kept, and every one waiting for a retry after failing.")
@pass_app
def retry(app: AppContext, ids: tuple[int, ...], every: bool) -> None:
    """Queue the messages IDS (or --all) given up, or waiting for a retry, again once what failed is fixed (a login,
    a recipient, a webhook); the next delivery sends them, with their attempts counted from zero."""
    if bool(ids) == every:
        raise click.UsageError("give the ids of the messages to send again (`brandpulse outbox list`), or --all")
    with domain_errors():
        db = open_db(app.db_path)
        try:
            untried = store_outbox.untried(db, ids)
            queued = store_outbox.requeue(db, None if every else list(ids), _now())
        finally:
            db.close()
    if not queued:
        click.echo("0 message(s) queued again")
        return
    click.echo(_requeued_text(queued, untried))


def _requeued_text(queued: list[int], untried: list[int]) -> str:
    """Which messages were queued again and which were queued already, never tried (it said 'queued again' of those
    too, as if they had failed), and who sends them."""
    again = [item_id for item_id in queued if item_id not in untried]
    said = [f"{len(again)} message(s) queued again: {', '.join(map(str, again))}"] if again else []
    if untried:
        said.append(f"{len(untried)} message(s) already queued and not tried yet: {', '.join(map(str, untried))}, "
                    "sent at the next delivery")
    return "; ".join(said) + ("; the service's deliver job sends them (without a service, `brandpulse run --once "
                              "--only deliver` sends them now)")
