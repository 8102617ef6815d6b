"""Retention: deleting old mentions in small transactions so the service keeps writing meanwhile."""

from __future__ import annotations

import logging
from datetime import datetime

from brandpulse.store.backend import Store, transaction
from brandpulse.store.timestamps import to_db

log = logging.getLogger(__name__)

PRUNE_BATCH = 10_000


def count_older(db: Store, before: datetime) -> int:
    """How many mentions were published before `before`."""
    return db.execute("SELECT count(*) FROM mentions WHERE created_at < ?", [to_db(before)]).fetchone()[0]


def prune_mentions(db: Store, before: datetime, batch: int = PRUNE_BATCH) -> int:
    """Delete mentions published before `before` (their FTS entries follow by trigger); returns how many."""
    deleted = 0
    while True:
        with transaction(db):
            # Batches keep each write lock short: collectors and the classifier wait at most one batch.
            done = db.execute(
                "DELETE FROM mentions WHERE id IN (SELECT id FROM mentions WHERE created_at < ? LIMIT ?)",
                [to_db(before), batch],
            ).rowcount
        deleted += done
        log.info("pruned %s mentions so far", deleted)
        if done < batch:
            return deleted


# Sent, or given up, before the cutoff: no send will read their bodies again.
_COUNT_DONE_BEFORE = """SELECT count(*) FROM outbox
    WHERE status IN ('sent', 'failed') AND coalesce(sent_at, created_at) < ? AND length(message) > 0"""
_EMPTY_DONE_BEFORE = """UPDATE outbox SET message = ?
    WHERE status IN ('sent', 'failed') AND coalesce(sent_at, created_at) < ? AND length(message) > 0"""


def count_message_bodies(db: Store, before: datetime) -> int:
    """How many bodies `prune_message_bodies` would empty."""
    return db.execute(_COUNT_DONE_BEFORE, [to_db(before)]).fetchone()[0]


def prune_message_bodies(db: Store, before: datetime) -> int:
    """Empty the bodies of the messages sent (or given up) before `before` (a digest is 70 kB a brand a day),
    keeping their rows: what went where and when stays on record. Returns how many were emptied."""
    with transaction(db):
        return db.execute(_EMPTY_DONE_BEFORE, [b"", to_db(before)]).rowcount
