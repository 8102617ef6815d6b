"""`brandpulse stats`: sentiment counts and the net sentiment score per hour, day or week."""

from __future__ import annotations

import click

from brandpulse.commands.options import MOMENT
from brandpulse.commands.output import format_option, write_rows
from brandpulse.context import AppContext, pass_app
from brandpulse.errors import domain_errors
from brandpulse.store import open_db
from brandpulse.store.stats import BUCKETS, STATS_COLUMNS, sentiment_stats


@click.command()
@click.option("--brand", help="Only this brand (default: every brand, one series each).")
@click.option("--by", type=click.Choice(list(BUCKETS)), default="day", show_default=True, help="Bucket width (UTC).")
@click.option("--since", type=MOMENT, help="From: ISO 8601 or a duration ago (24h, 30d).")
@click.option("--until", type=MOMENT, help="Before: ISO 8601 or a duration ago.")
@format_option()
@pass_app
def stats(app: AppContext, brand: str | None, by: str, since, until, fmt: str) -> None:
    """Mentions per bucket: totals, labels, NPS categories and the net sentiment score (nss, -100..100)."""
    if since and until and since >= until:
        raise click.BadParameter("--since must be before --until", param_hint="--since/--until")
    with domain_errors():
        db = open_db(app.db_path, read_only=True)
        try:
            rows = sentiment_stats(db, by, brand, since, until)
        finally:
            db.close()
    write_rows(rows, STATS_COLUMNS, fmt)
