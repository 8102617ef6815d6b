"""`brandpulse store copy`: move a store to another backend (SQLite to PostgreSQL, or back)."""

from __future__ import annotations

import click

from brandpulse.errors import domain_errors
from brandpulse.store import open_db
from brandpulse.store.backend import label


@click.group("store")
def store_group() -> None:
    """Manage the store itself."""


@store_group.command("copy")
@click.option("--from", "source", required=True, metavar="PATH|URL", help="The store to read (opened read-only).")
@click.option("--to", "target", required=True, metavar="PATH|URL", help="The store to fill: new, or a partial copy.")
@click.option("--batch", default=5000, show_default=True, type=click.IntRange(1), help="Rows per transaction.")
def copy(source: str, target: str, batch: int) -> None:
    """Copy every mention, alert, email and state row; run it again to resume an interrupted copy."""
    from brandpulse.store.copy import copy_store

    if source == target:
        raise click.BadParameter("--from and --to name the same store", param_hint="--to")
    with domain_errors():
        reader = open_db(source, read_only=True)
        try:
            writer = open_db(target)
            try:
                report = copy_store(reader, writer, batch,
                                    lambda table, rows: click.echo(f"{table}: {rows} row(s) copied", err=True))
            finally:
                writer.close()
        finally:
            reader.close()
    counts = ", ".join(f"{table} {count}" for table, count in report.counts.items())
    click.echo(f"copied {sum(report.copied.values())} row(s) from {label(source)} to {label(target)}; "
               f"counts match: {counts}")
