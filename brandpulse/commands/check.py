"""`brandpulse check`: one line per collector, channel and sentiment model, `ok` or why not; exit code 1 when any
failed."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone

import click

from brandpulse.context import AppContext, pass_app

MESSAGE_CHARS = 240  # a screen line or two; --format json has the whole message


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_app
def check(app: AppContext, fmt: str) -> None:
    """Try the store's server, every collector, the email transport, each chat channel and each sentiment model
    once, all at the same time; store nothing."""
    from brandpulse.checking import probes, run_probes

    if not app.config.collectors:
        # A warning, not a failure: an ingest-only set-up (mentions imported from another tool) has none on purpose.
        click.echo(f"Warning: {app.config_path} configures no collector: `brandpulse run` collects nothing, and only "
                   "mentions imported with `brandpulse ingest` are classified and alerted on; add one under "
                   "`collectors:` unless this set-up is ingest-only.", err=True)
    for note in app.config.notes():
        click.echo(f"Note: {note}.", err=True)
    # --db reaches the store probe as BRANDPULSE_DB does.
    env = {**os.environ, "BRANDPULSE_DB": str(app.db_path)}
    outcomes = run_probes(probes(app.config, datetime.now(timezone.utc), env))
    if fmt == "json":
        click.echo(json.dumps([{"name": o.name, "ok": o.reason is None, "reason": o.reason, "message": o.message}
                               for o in outcomes], indent=2))
    else:
        width = max((len(o.name) for o in outcomes), default=0)
        for outcome in outcomes:
            message = outcome.message
            if len(message) > MESSAGE_CHARS:
                message = message[:MESSAGE_CHARS - 1] + "…"
            verdict = f"{outcome.reason}: {message}" if outcome.reason else "ok" + (f" ({message})" if message else "")
            click.echo(f"{outcome.name:<{width}}  {verdict}")
    if any(o.reason for o in outcomes):
        sys.exit(1)
