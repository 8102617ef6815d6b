"""The outbox: every email and chat message is stored before it is sent, so none is lost to an outage or a restart.

One row per message and channel: `channel` is `email` or the name of a configured chat channel (never its URL).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from brandpulse.store.timestamps import to_db

EMAIL = "email"


@dataclass(frozen=True)
class OutboxItem:
    """A queued message: the serialised email (or the chat text) and where it goes."""

    id: int
    kind: str
    subject: str
    recipients: list[str]
    message: bytes
    attempts: int
    channel: str = EMAIL


def enqueue(
    db: sqlite_utils.Database, kind: str, brand: str | None, subject: str, recipients: list[str], message: bytes,
    now: datetime, channel: str = EMAIL,
) -> int:
    """Queue a message for `channel`; call inside the transaction of the work that produced it."""
    stamp = to_db(now)
    cursor = db.execute(
        """INSERT INTO outbox (kind, brand, subject, recipients, message, created_at, next_attempt_at, channel)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        [kind, brand, subject, json.dumps(recipients), message, stamp, stamp, channel],
    )
    return cursor.lastrowid


def due(db: sqlite_utils.Database, now: datetime, limit: int = 100) -> list[OutboxItem]:
    """Pending messages whose next attempt is due, oldest first."""
    rows = db.execute(
        """SELECT id, kind, subject, recipients, message, attempts, channel FROM outbox
           WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?""",
        [to_db(now), limit],
    ).fetchall()
    return [OutboxItem(r[0], r[1], r[2], json.loads(r[3]), bytes(r[4]), r[5], r[6]) for r in rows]


def channel_backlog(db: sqlite_utils.Database) -> dict[str, dict[str, int]]:
    """Per channel: messages pending and given up."""
    found: dict[str, dict[str, int]] = {}
    for channel, status, count in db.execute(
        "SELECT channel, status, count(*) FROM outbox WHERE status != 'sent' GROUP BY channel, status"
    ).fetchall():
        found.setdefault(channel, {"pending": 0, "failed": 0})[status] = count
    return found


def mark_sent(db: sqlite_utils.Database, item_id: int, delivered_to: str, now: datetime) -> None:
    """Record a delivery."""
    db.execute(
        "UPDATE outbox SET status = 'sent', sent_at = ?, delivered_to = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?",
        [to_db(now), delivered_to, item_id],
    )


def mark_failed(db: sqlite_utils.Database, item_id: int, error: str, retry_at: datetime | None) -> None:
    """Record a failed attempt; with no `retry_at` the email is given up as failed."""
    db.execute(
        """UPDATE outbox SET attempts = attempts + 1, last_error = ?,
               status = CASE WHEN ? IS NULL THEN 'failed' ELSE 'pending' END,
               next_attempt_at = coalesce(?, next_attempt_at)
           WHERE id = ?""",
        [error, retry_at and to_db(retry_at), retry_at and to_db(retry_at), item_id],
    )
