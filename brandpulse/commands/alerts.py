"""`brandpulse alerts ...`: replay detection over stored history; the triage commands live in `triage.py`."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import click

from brandpulse.alerts.base import Alert
from brandpulse.context import AppContext, pass_app
from brandpulse.errors import domain_errors
from brandpulse.commands.options import (
    LOCAL_MOMENT, command_zone, in_zone, selected_brands, warn_unconfigured, zone_option,
)


def alert_json(alert: Alert) -> str:
    """One JSON line for an alert: kind, brand, source, window, counts, threshold, p-value, reason and details."""
    return json.dumps({
        "kind": alert.kind, "brand": alert.brand, "source": alert.source,
        "window_start": alert.window_start.isoformat().replace("+00:00", "Z"),
        "window_end": alert.window_end.isoformat().replace("+00:00", "Z"),
        "observed": alert.observed, "expected": alert.expected, "threshold": alert.threshold,
        "p_value": alert.score, "reason": alert.reason, "details": alert.details,
    }, ensure_ascii=False, default=str)


@click.group("alerts")
def alerts_group() -> None:
    """Inspect, rehearse and triage alerts: backtest, list, ack, silence, silences, unsilence, answered."""


@alerts_group.command()
@click.option("--since", required=True, type=LOCAL_MOMENT,
              help="Start, ISO 8601 (in --tz when it names no offset) or a duration before now (7d).")
@click.option("--until", default=None, type=LOCAL_MOMENT,
              help="End (exclusive), ISO 8601 (in --tz when it names no offset) or a duration before now; "
                   "default: now.")
@zone_option("the JSON lines keep their times in UTC")
@click.option("--brand", default=None, help="Only this configured brand.")
@pass_app
def backtest(app: AppContext, since: datetime, until: datetime | None, zone: str | None, brand: str | None) -> None:
    """Print, as JSON lines, the alerts that would have fired over [SINCE, UNTIL); records and sends nothing."""
    zone = command_zone(app, zone)
    start, end = in_zone(since, zone), in_zone(until, zone) or datetime.now(timezone.utc)
    if end <= start:
        raise click.BadParameter(f"--until {end.isoformat(timespec='seconds')} must be after --since "
                                 f"{start.isoformat(timespec='seconds')}", param_hint="--since/--until")
    configured = [b.name for b in app.config.brands]
    brand = selected_brands(configured, brand)[0] if brand is not None else None
    with domain_errors():
        for alert in app.pipeline.backtest(start, end, brand):
            click.echo(alert_json(alert))
        if brand is None:
            warn_unconfigured(app.pipeline.unconfigured_brands(start, end), app.config_path, "alerts backtest",
                              "Add them under `brands:` to evaluate them.")


from brandpulse.commands.triage import TRIAGE_COMMANDS  # noqa: E402

for _command in TRIAGE_COMMANDS:
    alerts_group.add_command(_command)
