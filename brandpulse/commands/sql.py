"""`brandpulse sql` (read-only SQL for analysts) and `brandpulse prune` (retention)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import click

from brandpulse.commands.options import DURATION
from brandpulse.commands.output import format_option, write_rows
from brandpulse.context import AppContext, pass_app
from brandpulse.errors import domain_errors
from brandpulse.store import StoreError, open_db
from brandpulse.store.errors import RoleRefused
from brandpulse.store.retention import count_message_bodies, count_older, prune_mentions, prune_message_bodies
from brandpulse.store.timestamps import to_db


@click.command()
@click.argument("statement")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="A named parameter (:NAME).")
@format_option()
@pass_app
def sql(app: AppContext, statement: str, params: tuple[str, ...], fmt: str) -> None:
    """Run one SQL STATEMENT on a read-only connection (SQLite) or in a read-only transaction (PostgreSQL)."""
    named = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--param")
        if name in named:  # one would silently win: which the user meant is theirs to say
            raise click.BadParameter(f"{name} is given twice ({named[name]!r} and {value!r})", param_hint="--param")
        named[name] = value
    for name in named:
        if not re.search(rf":{re.escape(name)}\b", statement):  # a typo, or a parameter the statement lost
            click.echo(f"Warning: --param {name}: the statement has no :{name}; the value is not used", err=True)
    with domain_errors():
        db = open_db(app.db_path, read_only=True)
    try:
        with db.read_only_statement(statement, named) as cursor:
            columns = unique_names([d[0] for d in cursor.description or ()])
            write_rows((dict(zip(columns, row)) for row in cursor), columns, fmt)
    except RoleRefused as exc:  # an analyst's role without SELECT on a table: the statement's error, not the setup's
        raise click.ClickException(f"SQL error: {exc.refusal}") from None
    except StoreError as exc:  # the server failed (disk full, connection lost): its message says what to do
        raise click.ClickException(str(exc)) from None
    except db.errors as exc:
        hint = _parameter_hint(statement, named)
        raise click.ClickException(f"SQL error: {str(exc).rstrip('.') if hint else exc}{hint}") from None
    finally:
        db.close()


# A :name placeholder (not PostgreSQL's ::cast, nor a time's 12:30), looked for outside literals and comments; it only
# adds a hint to an error the database raised.
_PLACEHOLDER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


# What holds no placeholder: a string literal ('a ''quoted'' ?'), a quoted name, a comment.
_NO_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.S)


def _parameter_hint(statement: str, named: dict[str, str]) -> str:
    """What to add to an SQL error when the statement has placeholders the command line gave no value."""
    # A `?` or `:word` in a literal is text (a URL's query, 'note:abc'): it must not send the reader to -p.
    statement = _NO_PLACEHOLDER.sub(" ", statement)
    missing = sorted({m for m in _PLACEHOLDER.findall(statement) if m not in named})
    if missing:
        return "; no value given for " + ", ".join(f":{m} (add -p {m}=VALUE)" for m in missing)
    if "?" in statement and not named:
        return "; values are given by name: write :name in the statement and add -p name=VALUE"
    return ""


def unique_names(columns: list[str]) -> list[str]:
    """The result's column names, a repeated one numbered (`count`, `count_2`): rows are keyed by name, and
    PostgreSQL names every unnamed `count(*)` alike, so one value would silently replace the other."""
    seen: dict[str, int] = {}
    names = []
    for column in columns:
        seen[column] = seen.get(column, 0) + 1
        name = column if seen[column] == 1 else f"{column}_{seen[column]}"
        while name in columns and seen[column] > 1:  # a numbered name the query already uses
            seen[column] += 1
            name = f"{column}_{seen[column]}"
        names.append(name)
    return names


@click.command()
@click.option("--older-than", "age", type=DURATION, required=True, help="Delete mentions published longer ago: 365d, 52w.")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
@pass_app
def prune(app: AppContext, age: timedelta, dry_run: bool) -> None:
    """Delete mentions published longer ago than --older-than (retention); alerts and emails stay."""
    before = datetime.now(timezone.utc) - age
    with domain_errors():
        db = open_db(app.db_path)
        try:
            if dry_run:
                click.echo(f"{count_older(db, before)} mention(s) published before {to_db(before)} would be deleted; "
                           f"the bodies of {count_message_bodies(db, before)} message(s) sent before then emptied")
                return
            # Through the pipeline when there are brands: it keeps the count of copies waiting for rescore right.
            deleted = app.pipeline.prune(db, before) if app.optional_config else prune_mentions(db, before)
            emptied = prune_message_bodies(db, before)
        finally:
            db.close()
    click.echo(f"{deleted} mention(s) published before {to_db(before)} deleted; the bodies of {emptied} message(s) "
               "sent before then emptied (their rows kept)")
