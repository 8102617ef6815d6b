"""`brandpulse query` and `brandpulse export`: reading mentions with filters and full-text search."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from brandpulse.commands.options import (
    CATEGORY_OPTION, COLUMNS, LANG_OPTION, ROW_COUNT, ROW_OFFSET, SOURCE_OPTION, check_brand, command_zone, in_zone,
    note_unknown_brand, shown_in, since_until_options, zone_option,
)
from brandpulse.commands.output import format_option, private_file, write_rows
from brandpulse.context import AppContext, pass_app
from brandpulse.errors import domain_errors
from brandpulse.store import open_db
from brandpulse.store.queries import (
    DEFAULT_COLUMNS, MENTION_COLUMNS, MentionFilter, SearchSyntaxError, iter_mentions,
)

SCORE = click.FloatRange(-1.0, 1.0)
# The mention columns holding a moment: `query` shows them on the --tz wall clock, `export` as stored (UTC).
TIME_COLUMNS = ("created_at", "collected_at", "classified_at", "answered_at")


def filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The mention filters shared by `query` and `export`, gathered into one `MentionFilter` argument."""
    options = [
        click.option("--brand", help="Only this brand (ignoring case: acme finds Acme)."),
        click.option("--no-brand", is_flag=True,
                     help="Only the mentions stored without a brand (imported lines naming no brand's keywords)."),
        SOURCE_OPTION,
        since_until_options(" (publication time)"),
        CATEGORY_OPTION,
        click.option("--label", type=click.Choice(["positive", "neutral", "negative"]), help="Sentiment label."),
        click.option("--search", help="Full-text search, FTS5 syntax: refund, \"double charged\", refund OR chargeback."),
        click.option("--min-score", type=SCORE, help="Sentiment score at least (-1..1)."),
        click.option("--max-score", type=SCORE, help="Sentiment score at most (-1..1)."),
        click.option("--min-complaint", type=click.FloatRange(0.0, 1.0),
                     help="Complaint probability at least (0..1); 0.5 is the complaint head's threshold "
                          "(with --category detractor: the posts to answer)."),
        LANG_OPTION,
        click.option("--to-answer", is_flag=True,
                     help="Only the posts to answer: detractors, and complaints of any other category but promoter "
                          "(a 4-star review's, say), as alerts list them and stats counts them."),
        click.option("--unanswered", is_flag=True,
                     help="Only the posts nobody marked answered (brandpulse alerts answered ID... --by NAME)."),
    ]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["where"] = MentionFilter(**{f.name: kwargs.pop(f.name) for f in dataclasses.fields(MentionFilter)})
        return command(*args, **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


def _checked_filters(app: AppContext, where: MentionFilter, zone: str | None) -> tuple[MentionFilter, str]:
    """The filters with a --since/--until naming no offset read in the zone (--tz, else the digest's), and the zone."""
    check_brand(where.brand, where.no_brand)
    zone = command_zone(app, zone)
    where = dataclasses.replace(where, since=in_zone(where.since, zone), until=in_zone(where.until, zone))
    if where.since and where.until and where.since >= where.until:
        raise click.BadParameter(f"--since {where.since.isoformat(timespec='seconds')} is not before --until "
                                 f"{where.until.isoformat(timespec='seconds')}", param_hint="--since/--until")
    _check_scores(where)
    return where, zone


def _check_scores(where: MentionFilter) -> None:
    # Crossed bounds select nothing: an empty list would read as 'no such mention', where the bounds were swapped.
    low, high = where.min_score, where.max_score
    if low is not None and high is not None and low > high:
        raise click.BadParameter(f"--min-score {low:g} is above --max-score {high:g}: no score is both; swap them",
                                 param_hint="--min-score/--max-score")


def _check_search(db: Any, where: MentionFilter) -> None:
    # An invalid search fails on the first row: find out before any output is written.
    try:
        next(iter_mentions(db, where, ("id",), order="stored", limit=1), None)
    except SearchSyntaxError as exc:
        raise click.BadParameter(str(exc), param_hint="--search") from None


def _row_limit(limit: int, every: bool) -> int | None:
    """None (no limit) with --all, which a --limit given with it would contradict."""
    if not every:
        return limit
    if click.get_current_context().get_parameter_source("limit") is not click.core.ParameterSource.DEFAULT:
        raise click.BadParameter("--all lists every match: leave out --limit", param_hint="--all")
    return None


@click.command()
@filter_options
@zone_option("times are shown on its wall clock, with their UTC offset")
@click.option("--limit", type=ROW_COUNT, default=50, show_default=True, help="At most this many mentions.")
@click.option("--offset", type=ROW_OFFSET, default=0, show_default=True,
              help="Skip this many matching mentions first, in --order: --limit 50 --offset 50 is the second page.")
@click.option("--all", "every", is_flag=True,
              help="Every matching mention, however many (an alert's window can gain posts after it was sent).")
@click.option("--order", type=click.Choice(["newest", "oldest", "relevance", "complaint"]), default="newest",
              show_default=True,
              help="By publication time; with --search by storage time (the same for collected mentions), "
                   "or relevance (bm25, reads every match), or complaint (most likely complaints first).")
@click.option("--columns", type=COLUMNS, default=",".join(DEFAULT_COLUMNS), show_default=True,
              help=f"Comma-separated, from: {', '.join(MENTION_COLUMNS)}.")
@format_option()
@pass_app
def query(
    app: AppContext, where: MentionFilter, zone: str | None, limit: int, offset: int, every: bool, order: str,
    columns: tuple[str, ...], fmt: str,
) -> None:
    """Show stored mentions matching the filters, newest first, their times in --tz."""
    where, zone = _checked_filters(app, where, zone)
    limit = _row_limit(limit, every)
    if order == "relevance" and where.search is None:
        raise click.BadParameter("relevance needs --search", param_hint="--order")
    with domain_errors():
        db = open_db(app.db_path, read_only=True)
        with _closing_rows(db, iter_mentions(db, where, columns, order, limit, offset)) as rows:
            _check_search(db, where)
            note_unknown_brand(db, where.brand)
            write_rows(shown_in(rows, [c for c in columns if c in TIME_COLUMNS], zone), columns, fmt)


@click.command()
@filter_options
@zone_option("the times written stay in UTC, as stored")
@click.option("--columns", type=COLUMNS, default=",".join(c for c in MENTION_COLUMNS if c != "raw"), show_default=True,
              help="Comma-separated mention columns.")
@format_option(default="jsonl", choices=("csv", "jsonl", "json"))
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
              help="Write to this file instead of stdout.")
@click.option("--bom", is_flag=True, help="Begin the CSV with a UTF-8 byte-order mark, for Excel.")
@pass_app
def export(app: AppContext, where: MentionFilter, zone: str | None, columns: tuple[str, ...], fmt: str,
           output: Path | None, bom: bool) -> None:
    """Stream every matching mention in storage order, in constant memory, whatever the store's size; times in UTC."""
    where, _ = _checked_filters(app, where, zone)
    if bom and fmt != "csv":
        raise click.BadParameter("a byte-order mark is for CSV opened in Excel; JSON must not have one",
                                 param_hint="--bom")
    # Excel reads a CSV without the mark in the system's code page: 'Café' shows as 'CafÃ©'.
    start = "\ufeff" if bom else ""
    with domain_errors():
        db = open_db(app.db_path, read_only=True)
        with _closing_rows(db, iter_mentions(db, where, columns, order="stored")) as rows:
            _check_search(db, where)
            note_unknown_brand(db, where.brand)
            if output is None:
                click.echo(start, nl=False)
                write_rows(rows, columns, fmt)
                return
            try:
                out = private_file(output)
            except OSError as exc:
                raise click.BadParameter(f"cannot write {output}: {exc.strerror}", param_hint="--output") from None
            with out:
                out.write(start)
                count = write_rows(rows, columns, fmt, out)
            click.echo(f"{count} mention(s) written to {output}", err=True)


@contextmanager
def _closing_rows(db, rows: Iterator) -> Iterator[Iterator]:
    """`rows` streamed from `db`, then both closed, the rows first: a reader gone early (`| head`) leaves a
    half-read stream whose cursor must not outlive its connection."""
    try:
        yield rows
    finally:
        rows.close()
        db.close()
