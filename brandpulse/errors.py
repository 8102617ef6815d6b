"""Turning domain errors into clean CLI errors: a message and an exit code, no traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from brandpulse.alerts.base import AlertsError
from brandpulse.collectors.base import CollectorError
from brandpulse.sentiment.base import SentimentError
from brandpulse.store.errors import ConnectionLost, StoreError, server_failure

# Errors whose message already says what was wrong and where: shown without a traceback.
DOMAIN_ERRORS = (StoreError, SentimentError, CollectorError, AlertsError)


@contextmanager
def domain_errors() -> Iterator[None]:
    """Re-raise any brandpulse error as a `click.ClickException` (exit code 1)."""
    try:
        yield
    except ConnectionLost as exc:  # a command, which no service runs again: the operator does
        again = ConnectionLost.COMMAND if exc.then == ConnectionLost.SERVICE else exc.then
        raise click.ClickException(str(ConnectionLost(exc.target, exc.error, again))) from exc
    except DOMAIN_ERRORS as exc:
        raise click.ClickException(str(exc)) from exc
    except Exception as exc:
        failure = server_failure(exc)  # a database server stopped or refused the role: not a bug to trace back
        if failure is None:
            raise
        raise click.ClickException(str(failure)) from exc
