"""Turning domain errors into clean CLI errors: a message and an exit code, no traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from brandpulse.alerts.base import AlertsError
from brandpulse.collectors.base import CollectorError
from brandpulse.sentiment.base import SentimentError
from brandpulse.store.errors import StoreError


@contextmanager
def domain_errors() -> Iterator[None]:
    """Re-raise any brandpulse error as a `click.ClickException` (exit code 1)."""
    try:
        yield
    except (StoreError, SentimentError, CollectorError, AlertsError) as exc:
        raise click.ClickException(str(exc)) from exc
