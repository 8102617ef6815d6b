"""`brandpulse stats`: sentiment counts and the net sentiment score per hour, day, week or month."""

from __future__ import annotations

from datetime import datetime, timezone

import click

from brandpulse.commands.options import (
    CATEGORY_OPTION, LANG_OPTION, SOURCE_OPTION, check_brand, command_zone, in_zone, since_until_options,
    note_unknown_brand, warn_unconfigured, zone_option,
)
from brandpulse.commands.output import format_option, write_rows
from brandpulse.context import AppContext, pass_app
from brandpulse.errors import domain_errors
from brandpulse.store import open_db
from brandpulse.store.queries import QueryError
from brandpulse.store.errors import WindowBoundError, ZoneError
from brandpulse.store.stats import BUCKETS, STATS_COLUMNS, only_of, sentiment_stats, unconfigured_brands


def _now() -> datetime:
    return datetime.now(timezone.utc)


@click.command()
@click.option("--brand", help="Only this brand, configured or not (default: every configured brand, one series each).")
@click.option("--no-brand", is_flag=True, help="Only the mentions stored without a brand, as one series.")
@click.option("--by", type=click.Choice(list(BUCKETS)), default="day", show_default=True,
              help="Bucket width, cut by the wall clock of --tz.")
@zone_option("the buckets follow its wall clock")
@since_until_options()
@SOURCE_OPTION
@LANG_OPTION
@CATEGORY_OPTION
@format_option()
@pass_app
def stats(
    app: AppContext, brand: str | None, no_brand: bool, by: str, zone: str | None, since, until, source: str | None,
    lang: str | None, category: str | None, fmt: str,
) -> None:
    """Mentions per bucket: totals, labels, NPS categories and the net sentiment score (nss, -100..100)."""
    check_brand(brand, no_brand)
    zone = command_zone(app, zone)
    since, until = (in_zone(moment, zone) for moment in (since, until))
    if since and until and since >= until:
        raise click.BadParameter("--since must be before --until", param_hint="--since/--until")
    # Without a config file (only --db), every brand in the store is shown.
    configured = ([b.name for b in app.optional_config.brands] if app.optional_config and brand is None and not no_brand
                  else None)
    with domain_errors():
        db = open_db(app.db_path, read_only=True)
        try:
            rows = sentiment_stats(db, by, brand, since, until, configured or (), no_brand, _now(), zone, source,
                                   lang, category)
            # Counted with the same filters as the rows: a brand the window's source or language never saw is
            # no brand the rows leave out.
            note_unknown_brand(db, brand)
            others = (unconfigured_brands(db, configured, since, until, only_of(db, source, lang, category))
                      if configured is not None else {})
        except ZoneError as exc:  # a zone the database server does not know
            raise click.BadParameter(str(exc), param_hint="--tz") from None
        except WindowBoundError as exc:  # a window after now, a bound (or mention) past year 1 or 9999
            hint = f"--{exc.bound}" if exc.bound else "--since/--until"
            raise click.BadParameter(str(exc), param_hint=hint) from None
        except QueryError as exc:  # a window of too many buckets
            raise click.BadParameter(str(exc), param_hint="--since/--until/--by") from None
        finally:
            db.close()
    if configured is not None:
        rows = [row for row in rows if row["brand"] in configured]
    warn_unconfigured(others, app.config_path, "stats", "Pass --brand NAME to see one, or add it under `brands:`.",
                      " (--no-brand counts them)")
    write_rows(rows, STATS_COLUMNS, fmt)

