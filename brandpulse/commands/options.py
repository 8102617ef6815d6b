"""Option types shared by the commands: moments in time, durations, column lists, configured brands."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import click

from brandpulse.timeparse import parse_duration, parse_moment
from brandpulse.store.queries import QueryError, check_columns


class Moment(click.ParamType):
    """ISO 8601 (UTC when no zone) or a duration before now such as `24h` or `7d`."""

    name = "moment"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        """The aware datetime `value` means, relative ones counted back from now."""
        if isinstance(value, datetime):
            return value
        try:
            return parse_moment(value, datetime.now(timezone.utc))
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


MOMENT = Moment()
DURATION = Duration()
COLUMNS = Columns()


def selected_brands(names: list[str], brand: str | None) -> list[str]:
    """The configured brands a `--brand` option selects (all when not given); an unknown one is a usage error."""
    if brand is None:
        return names
    if brand not in names:
        raise click.BadParameter(f"unknown brand {brand!r}; configured brands: {', '.join(names)}", param_hint="--brand")
    return [brand]
