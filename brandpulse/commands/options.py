"""Option types shared by the commands: moments in time, durations, column lists, configured brands."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import click

from brandpulse.sentiment.language import language_tag
from brandpulse.timeparse import parse_duration, parse_local_moment, parse_moment
from brandpulse.store.brands import known_brands
from brandpulse.store.errors import ZoneError
from brandpulse.store.folding import name_key
from brandpulse.store.queries import QueryError, check_columns
from brandpulse.store.stats import check_zone
from brandpulse.store.timestamps import local_text


class Moment(click.ParamType):
    """ISO 8601 (UTC when no zone) or a duration before now such as `24h` or `7d`."""

    name = "moment"

    def __init__(self, local: bool = False) -> None:
        self.local = local  # an ISO value without an offset stays naive: the command reads it in its own zone

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        """The aware datetime `value` means, relative ones counted back from now (naive if local and no offset)."""
        if isinstance(value, datetime):
            return value
        try:
            return (parse_local_moment if self.local else parse_moment)(value, datetime.now(timezone.utc))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class Duration(click.ParamType):
    """A duration such as `90d` or `52w`."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> timedelta:
        """The timedelta `value` means."""
        if isinstance(value, timedelta):
            return value
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class Columns(click.ParamType):
    """A comma-separated list of mention columns."""

    name = "columns"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[str, ...]:
        """The column names, each checked against the mentions table."""
        if isinstance(value, tuple):
            return value
        try:
            return check_columns([c.strip() for c in value.split(",") if c.strip()] or [""])
        except QueryError as exc:
            self.fail(str(exc), param, ctx)


def zone_option(what: str | None, reads: str | None = "--since/--until naming no offset are"):
    """The `--tz ZONE` option of the commands that read bare dates and times (`reads`, if any) in the analyst's zone;
    `what` says what else follows it."""
    read = f"; {reads} read in it" if reads else ""
    return click.option("--tz", "zone", metavar="ZONE",
                        help=f"IANA time zone{f' ({what})' if what else ''}, such as Europe/Berlin{read} (default: the "
                             "config's digest.timezone, else UTC).")


def since_until_options(what: str = "") -> Callable[..., Any]:
    """`--since` / `--until`: ISO 8601, read in --tz when it names no offset, or a duration ago; `what` qualifies."""
    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option("--until", type=LOCAL_MOMENT, help=f"Before{what}: ISO 8601 (in --tz when it names no "
                                                                  "offset) or a duration ago.")(command)
        return click.option("--since", type=LOCAL_MOMENT, help=f"From{what}: ISO 8601 (in --tz when it names no "
                                                               "offset) or a duration ago (24h, 7d).")(command)
    return decorate


def command_zone(app: Any, zone: str | None) -> str:
    """--tz, else the digest's zone (a day in stats or query is the day a digest covers), else UTC; a usage error if
    unknown."""
    if zone is None:
        return app.optional_config.digest.timezone if app.optional_config else "UTC"
    try:
        check_zone(zone)
    except ZoneError as exc:
        raise click.BadParameter(str(exc), param_hint="--tz") from None
    return zone


def in_zone(moment: datetime | None, zone: str) -> datetime | None:
    """`moment`, read in the IANA time zone `zone` when it is naive (a LOCAL_MOMENT that named no offset)."""
    return moment.replace(tzinfo=ZoneInfo(zone)) if moment is not None and moment.tzinfo is None else moment


def shown_in(rows: Iterable[dict[str, Any]], moments: Iterable[str], zone: str) -> Iterator[dict[str, Any]]:
    """The rows with their stored timestamps in the columns `moments` on `zone`'s wall clock, offset included, as an
    analyst in that zone reads them (as stored, `...Z`, in UTC)."""
    moments = tuple(moments)
    for row in rows:
        yield {**row, **{column: local_text(row[column], zone) for column in moments if row.get(column) is not None}}


def _language(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The ISO 639-1 code of --lang, read as a collector's tag is ("EN", "en-GB" -> "en")."""
    if value is None:
        return None
    code = language_tag(value)
    if code is None:
        raise click.BadParameter(f"{value!r} is not an ISO 639-1 language code (two letters, such as en or de)")
    return code


# The mention filters `stats` shares with `query` and `export`: one meaning in each.
SOURCE_OPTION = click.option("--source", help="Only this source (twitter, reddit, appstore, ...; ignoring case).")
LANG_OPTION = click.option("--lang", callback=_language, metavar="CODE",
                           help="Only this language (ISO 639-1: en, de, ...; a collector's en-GB counts as en).")
CATEGORY_OPTION = click.option("--category", type=click.Choice(["promoter", "passive", "detractor", "unscored"]),
                               help="Only this NPS category (unscored: in a language no model reads).")
MAX_NAMED = 10  # brands named in a note; the rest are counted
MOMENT = Moment()
LOCAL_MOMENT = Moment(local=True)
DURATION = Duration()
COLUMNS = Columns()
# A stored row's id (a mention's, an outbox message's): the stores' ids are 64-bit, a larger number would fail in the
# driver rather than as "no such id".
ROW_ID = click.IntRange(1, 2**63 - 1)
# A count of rows to show, bounded likewise: --limit 99999999999999999999 ended in an OverflowError's traceback.
ROW_COUNT = click.IntRange(1, 2**63 - 1)
ROW_OFFSET = click.IntRange(0, 2**63 - 1)


def warn_unconfigured(
    others: dict[str | None, int], config_path: Any, command: str, hint: str, unbranded_hint: str = "",
) -> None:
    """Say on stderr which brands in the store `command` leaves out because the config does not name them."""
    named = [(brand, count) for brand, count in others.items() if brand is not None]
    if named:
        listed = ", ".join(f"{brand!r} ({count} mention{'s' if count != 1 else ''})"
                           for brand, count in named[:MAX_NAMED])
        listed += f" and {len(named) - MAX_NAMED} more brands" if len(named) > MAX_NAMED else ""
        click.echo(f"Note: {command} covers the brands configured in {config_path}; the store also holds {listed}. "
                   f"{hint}", err=True)
    if others.get(None):
        click.echo(f"Note: {others[None]} mention(s) in the store belong to no brand (they matched no brand's keywords "
                   f"when imported); {command} leaves them out{unbranded_hint}.", err=True)


def note_unknown_brand(db: Any, brand: str | None) -> None:
    """Say on stderr when no stored mention nor configured brand is `brand` ignoring case (a typo lists nothing,
    exit 0, like a brand without mentions in the window), naming the brands the store knows."""
    if brand is None:
        return
    names = known_brands(db)
    if any(name_key(name) == name_key(brand) for name in names):
        return
    listed = ", ".join(map(repr, names[:MAX_NAMED])) + (f" and {len(names) - MAX_NAMED} more" if len(names) > MAX_NAMED
                                                         else "")
    click.echo(f"Note: the store holds no brand {brand!r}; " + (f"its brands: {listed}." if names else
                                                                "it holds no brand yet."), err=True)


def selected_brands(names: list[str], brand: str | None) -> list[str]:
    """The configured brands a `--brand` option selects (all when not given), matched ignoring case and width as the
    stored mentions are (`acme` and `ａｃｍｅ` select Acme); an unknown one is a usage error."""
    if brand is None:
        return names
    found = [name for name in names if name_key(name) == name_key(brand)]
    if not found:
        raise click.BadParameter(f"unknown brand {brand!r}; configured brands: {', '.join(names)}", param_hint="--brand")
    return found


def check_brand(brand: str | None, no_brand: bool) -> None:
    """Refuse an empty --brand (pointing to --no-brand, which selects the mentions without one) and both at once."""
    if brand is not None and not brand.strip():
        raise click.BadParameter("a brand's name is never empty; --no-brand selects the mentions stored without a "
                                 "brand", param_hint="--brand")
    if brand is not None and no_brand:
        raise click.BadParameter("give one of --brand NAME, --no-brand", param_hint="--brand/--no-brand")
