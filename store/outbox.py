"""The outbox: every email and chat message is stored before it is sent, so none is lost to an outage or a restart.

One row per message and channel: `channel` is `email` or the name of a configured chat channel (never its URL).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from brandpulse.store.backend import Store, transaction
from brandpulse.store.errors import StoreError
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
    db: Store, kind: str, brand: str | None, subject: str, recipients: list[str], message: bytes,
    now: datetime, channel: str = EMAIL,
) -> int:
    """Queue a message for `channel`; call inside the transaction of the work that produced it."""
    stamp = to_db(now)
    cursor = db.execute(
        """INSERT INTO outbox (kind, brand, subject, recipients, message, created_at, next_attempt_at, channel)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
        [kind, brand, subject, json.dumps(recipients), message, stamp, stamp, channel],
    )
    return cursor.fetchone()[0]


# A chat channel is one queue, sent oldest first: with a message of its own due (a new one), a channel's older
# messages waiting for their retry are due too, so that a storm's update never reaches the chat before its alert.
# Emails go to their own recipients each, and keep their own backoff.
_DUE = """SELECT id, kind, subject, recipients, message, attempts, channel FROM outbox AS o
          WHERE status = 'pending' AND id > ? AND (next_attempt_at <= ? OR channel <> 'email' AND EXISTS (
              SELECT 1 FROM outbox AS d
              WHERE d.channel = o.channel AND d.status = 'pending' AND d.next_attempt_at <= ?))
          ORDER BY id LIMIT ?"""


def _item(row: tuple) -> OutboxItem:
    return OutboxItem(row[0], row[1], row[2], json.loads(row[3]), bytes(row[4]), row[5], row[6])


def due(db: Store, now: datetime, limit: int = 100) -> list[OutboxItem]:
    """Pending messages whose next attempt is due, oldest first."""
    return [_item(row) for row in db.execute(_DUE, [0, to_db(now), to_db(now), limit]).fetchall()]


def channel_backlog(db: Store) -> dict[str, dict[str, int]]:
    """Per channel: messages pending and given up."""
    found: dict[str, dict[str, int]] = {}
    for channel, status, count in db.execute(
        "SELECT channel, status, count(*) FROM outbox WHERE status != 'sent' GROUP BY channel, status"
    ).fetchall():
        found.setdefault(channel, {"pending": 0, "failed": 0})[status] = count
    return found


# Per channel, the messages waiting for a retry after a failed attempt: how many, the first due, the newest's error.
_RETRYING = """SELECT o.channel, w.waiting, w.next_at, o.last_error FROM outbox o JOIN (
        SELECT channel, count(*) AS waiting, min(next_attempt_at) AS next_at, max(id) AS newest FROM outbox
        WHERE status = 'pending' AND last_error IS NOT NULL GROUP BY channel) w ON o.id = w.newest
    ORDER BY o.channel"""


def retrying(db: Store) -> dict[str, dict[str, Any]]:
    """Per channel: the messages waiting for a retry after failing (`waiting`), when the first is due (`next_at`)
    and why the newest failed (`last_error`)."""
    return {channel: {"waiting": waiting, "next_at": next_at, "last_error": error}
            for channel, waiting, next_at, error in db.execute(_RETRYING).fetchall()}


@contextmanager
def claim_due(db: Store, now: datetime, after_id: int = 0, limit: int = 10) -> Iterator[list[OutboxItem]]:
    """Due emails with an id above `after_id` that no other worker holds; mark them inside the block."""
    with db.claim(_DUE, [after_id, to_db(now), to_db(now), limit]) as rows:
        yield [_item(row) for row in rows]


def mark_sent(db: Store, item_id: int, delivered_to: str, now: datetime) -> None:
    """Record a delivery."""
    db.execute(
        "UPDATE outbox SET status = 'sent', sent_at = ?, delivered_to = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?",
        [to_db(now), delivered_to, item_id],
    )


def postpone(db: Store, item_id: int, until: datetime) -> None:
    """Leave a message untried until `until` (its channel failed on an older one, retried then), attempts unchanged."""
    db.execute("UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND status = 'pending'", [to_db(until), item_id])


def mark_failed(db: Store, item_id: int, error: str, retry_at: datetime | None) -> None:
    """Record a failed attempt; with no `retry_at` the email is given up as failed."""
    db.execute(
        """UPDATE outbox SET attempts = attempts + 1, last_error = ?,
               status = CASE WHEN ? IS NULL THEN 'failed' ELSE 'pending' END,
               next_attempt_at = coalesce(?, next_attempt_at)
           WHERE id = ?""",
        [error, retry_at and to_db(retry_at), retry_at and to_db(retry_at), item_id],
    )


# A copy of a message for some of its recipients, its attempts and its age carried over (the backoff goes on).
_DEFER = """INSERT INTO outbox (kind, brand, subject, recipients, message, created_at, next_attempt_at, channel,
                                attempts, last_error, status)
    SELECT kind, brand, subject, ?, message, created_at, ?, channel, attempts, ?,
           CASE WHEN ? IS NULL THEN 'failed' ELSE 'pending' END
    FROM outbox WHERE id = ? RETURNING id"""


def defer_recipients(db: Store, item_id: int, recipients: list[str], error: str, retry_at: datetime | None,
                     now: datetime) -> int:
    """Queue message `item_id` again for `recipients` alone (those a server refused for now while it took the
    others), due at `retry_at`, or given up without one; returns the new message's id."""
    due = retry_at and to_db(retry_at)
    cursor = db.execute(_DEFER, [json.dumps(recipients), due or to_db(now), error, due, item_id])
    return cursor.fetchone()[0]


class OutboxError(StoreError):
    """A message that cannot be queued again: unknown, sent, or its body pruned."""


GIVEN_UP_COLUMNS = ("id", "kind", "brand", "channel", "subject", "attempts", "created_at", "last_error")
_GIVEN_UP = f"""SELECT {', '.join(GIVEN_UP_COLUMNS)}, length(message) > 0 AS kept FROM outbox
    WHERE status = 'failed' ORDER BY id"""
_STATUS = "SELECT status, length(message) > 0 FROM outbox WHERE id = ?"
# attempts from 0: the backoff starts over, and the message has its 60 attempts again. A message waiting for its
# retry is due at once too: once the login or the server is fixed, nobody should wait out a 15-minute backoff.
_REQUEUE = """UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?
    WHERE id = ? AND status IN ('failed', 'pending')"""
_WAITING_AFTER_FAILING = "SELECT id FROM outbox WHERE status = 'pending' AND last_error IS NOT NULL ORDER BY id"
_UNTRIED = "SELECT 1 FROM outbox WHERE id = ? AND status = 'pending' AND last_error IS NULL"


def given_up(db: Store) -> list[dict[str, Any]]:
    """The messages given up (a permanent refusal, or 60 failed attempts), oldest first, with `kept`: whether their
    body is still stored (retention empties it)."""
    return [dict(zip((*GIVEN_UP_COLUMNS, "kept"), row)) for row in db.execute(_GIVEN_UP).fetchall()]


def untried(db: Store, ids: Sequence[int]) -> list[int]:
    """Those of `ids` queued and not failed yet (never tried, or held behind their channel's failed message): there is
    nothing to queue again, the next delivery sends them."""
    return [item_id for item_id in dict.fromkeys(ids) if db.execute(_UNTRIED, [item_id]).fetchone()]


def requeue(db: Store, ids: Sequence[int] | None, now: datetime) -> list[int]:
    """Queue given-up messages again, and make those waiting for a retry due, `now` (when `ids` is None: every one
    given up whose body is kept and every one that failed and waits); returns their ids. An id unknown, sent or
    pruned: OutboxError naming each, and nothing is changed."""
    with transaction(db):
        if ids is None:
            chosen = sorted([row["id"] for row in given_up(db) if row["kept"]]
                            + [row[0] for row in db.execute(_WAITING_AFTER_FAILING).fetchall()])
        else:
            chosen = list(dict.fromkeys(ids))
            problems = [problem for i in chosen if (problem := _why_not(db, i))]
            if problems:
                raise OutboxError("; ".join(problems) + "; nothing was queued again (`brandpulse outbox list` shows "
                                  "the messages given up)")
        for item_id in chosen:
            db.execute(_REQUEUE, [to_db(now), item_id])
    return chosen


def _why_not(db: Store, item_id: int) -> str | None:
    row = db.execute(_STATUS, [item_id]).fetchone()
    if row is None:
        return f"no message with id {item_id}"
    if row[0] == "sent":
        return f"message {item_id} is sent, not given up"
    if not row[1]:
        return f"message {item_id} was pruned (its body emptied by `prune`): it cannot be sent again"
    return None
