"""Per-collector state (cursor, last success, last error) and small key-value watermarks."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from brandpulse.store.backend import Store
from brandpulse.store.timestamps import from_db, to_db

# Until when a collector is skipped, as its source asked (Retry-After); a key of `state`, so no schema change.
RETRY_AT_KEY = "collector.retry_at:{}"


def collector_cursor(db: Store, name: str) -> dict[str, Any] | None:
    """The cursor saved with the collector's last stored batch, or None before its first run."""
    row = db.execute("SELECT cursor FROM collector_state WHERE name = ?", [name]).fetchone()
    return json.loads(row[0]) if row and row[0] else None


_RUN_SAVED = """INSERT INTO collector_state (name, cursor, items, last_run_at, last_success_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor, items = collector_state.items + excluded.items,
        last_run_at = excluded.last_run_at, last_success_at = excluded.last_success_at, failing_since = NULL"""
# Stopped part-way: its cursor and items kept, its last success and failing time left as they were.
_PART_SAVED = """INSERT INTO collector_state (name, cursor, items, last_run_at, last_success_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor, items = collector_state.items + excluded.items,
        last_run_at = excluded.last_run_at"""


def save_collector_success(db: Store, name: str, cursor: dict[str, Any] | None, items: int, now: datetime,
                           whole: bool = True) -> None:
    """Record a run's cursor and items; call inside the transaction that stores the run's mentions. A run that
    stopped part-way (`whole` false) is no success: its error, recorded next, keeps the collector failing."""
    stamp = to_db(now)
    db.execute(_RUN_SAVED if whole else _PART_SAVED,
               [name, json.dumps(cursor) if cursor is not None else None, items, stamp, stamp if whole else None])


def save_collector_error(db: Store, name: str, error: str, now: datetime) -> None:
    """Record a failed run; the cursor stays where the last stored data left it."""
    stamp = to_db(now)
    db.execute(
        """INSERT INTO collector_state (name, last_run_at, last_error, last_error_at, failing_since) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET last_run_at = excluded.last_run_at,
               last_error = excluded.last_error, last_error_at = excluded.last_error_at,
               failing_since = coalesce(collector_state.failing_since, excluded.failing_since)""",
        [name, stamp, error, stamp, stamp],
    )


def collector_states(db: Store) -> list[dict[str, Any]]:
    """Every collector's state, by name."""
    return [dict(row) for row in db.query("SELECT * FROM collector_state ORDER BY name")]


def get_value(db: Store, key: str) -> str | None:
    """A stored watermark or setting."""
    row = db.execute("SELECT value FROM state WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def set_value(db: Store, key: str, value: str) -> None:
    """Store a watermark or setting; call inside the transaction of the work it covers."""
    db.execute("INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value])


def collector_retry_at(db: Store, collector: str) -> datetime | None:
    """Until when `collector` is to be skipped, as its source last asked, or None."""
    value = get_value(db, RETRY_AT_KEY.format(collector))
    return from_db(value) if value else None


def save_collector_retry_at(db: Store, collector: str, until: datetime) -> None:
    """Skip `collector` until `until` (rounded up to the second: the store keeps seconds, and early is refused)."""
    if until.microsecond:
        until = until.replace(microsecond=0) + timedelta(seconds=1)
    set_value(db, RETRY_AT_KEY.format(collector), to_db(until))
