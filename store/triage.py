"""Who owns an alert: acknowledgements, storms, silences that mute a brand's spike alerts for a while, and which
posts support has answered."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from brandpulse.store.backend import Store, transaction
from brandpulse.store.errors import StoreError
from brandpulse.store.timestamps import local_text, to_db

ALERT_COLUMNS = ("id", "kind", "brand", "source", "window_start", "window_end", "observed", "expected", "reason",
                 "storm_id", "suppressed", "acked_by", "acked_at", "ack_note", "created_at")
# What `alerts list` shows: the columns, how many of a spike's mentions were complaints and how many were posts to
# answer (its detractors and the other complaints), from its details.
LISTED_COLUMNS = (*ALERT_COLUMNS, "complaints", "to_answer")
SILENCE_COLUMNS = ("id", "brand", "created_by", "created_at", "until", "note", "lifted_by", "lifted_at")
# LIMIT -1 is SQLite's "no limit" only; this is every row on both backends.
_NO_LIMIT = 2**62
# Built once from the constant column lists above; every value is bound.
# Open: neither the alert nor any alert of its storm (the first alert and its updates) is acknowledged.
_LIST_ALERTS = f"""SELECT {', '.join(ALERT_COLUMNS)}, details FROM alerts a
    WHERE (:since IS NULL OR window_start >= :since) AND (:brand IS NULL OR brand = :brand)
          AND (NOT :open OR NOT EXISTS (SELECT 1 FROM alerts s WHERE s.acked_at IS NOT NULL
               AND (s.id = coalesce(a.storm_id, a.id) OR s.storm_id = coalesce(a.storm_id, a.id))))
    ORDER BY window_start DESC, id DESC LIMIT :limit"""
_STORM_OWNER = """SELECT acked_by, acked_at FROM alerts WHERE (id = :s OR storm_id = :s) AND acked_at IS NOT NULL
    ORDER BY acked_at LIMIT 1"""
_ONE_ALERT = f"SELECT {', '.join(ALERT_COLUMNS)} FROM alerts WHERE id = ?"
_SILENCES = f"""SELECT {', '.join(SILENCE_COLUMNS)} FROM silences
    WHERE NOT :active OR (until > :now AND created_at <= :now AND lifted_at IS NULL)
    ORDER BY created_at DESC, id DESC"""
_ACTIVE_SILENCE = f"""SELECT {', '.join(SILENCE_COLUMNS)} FROM silences
    WHERE brand = :brand AND until > :now AND created_at <= :now AND lifted_at IS NULL ORDER BY until DESC LIMIT 1"""


# The locks end with the dialect's `for_update`: the row is held till the transaction ends, so whoever comes second
# waits and then reads what the first wrote (the storm's first alert stands for its storm).
_STORM_OF = "SELECT coalesce(storm_id, id) FROM alerts WHERE id = ?"
_LOCK_ALERT = "SELECT id FROM alerts WHERE id = ?"
_LOCK_MENTION = "SELECT 1 FROM mentions WHERE id = ?"
_LOCK_SILENCE = "SELECT until, lifted_by, lifted_at FROM silences WHERE id = ?"
_ANSWER = "SELECT id, answered_by, answered_at FROM mentions WHERE id = ?"
# Guarded: of two people marking one post at once the first keeps it (PostgreSQL re-checks a row it waited for).
_MARK_ANSWERED = "UPDATE mentions SET answered_by = ?, answered_at = ? WHERE id = ? AND answered_at IS NULL"
_UNMARK_ANSWERED = "UPDATE mentions SET answered_by = NULL, answered_at = NULL WHERE id = ?"


class TriageError(StoreError):
    """An alert, silence or mention that does not exist, or one that cannot change as asked."""


@dataclass(frozen=True)
class Answer:
    """A mention's answered mark (who, when; None when nobody) and whether the call that returned it changed it."""

    mention_id: int
    answered_by: str | None
    answered_at: str | None
    changed: bool


def list_alerts(
    db: Store, since: datetime | None = None, brand: str | None = None, open_only: bool = False,
    limit: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Stored alerts, newest window first: since `since` (window start), of `brand`, only unacknowledged ones; each
    with `complaints` and `to_answer` (None for health alerts and alerts stored before spikes counted them) and
    `suppression` (why it was not sent, as `suppressed_text` reads it; None when sent or stored before it was kept)."""
    rows = db.query(
        _LIST_ALERTS,
        {"since": since and to_db(since), "brand": brand, "open": open_only,
         "limit": _NO_LIMIT if limit is None else limit},
    )
    for row in rows:
        details = json.loads(row.pop("details") or "{}")
        yield {**row, "complaints": details.get("complaints"), "to_answer": _to_answer(details),
               "suppression": details.get("suppression")}


def _to_answer(details: dict[str, Any]) -> int | None:
    """A spike's posts to answer: every detractor and the other complaints (a 4-star review's), as its email counts
    them; None where its details lack the counts."""
    if details.get("detractors") is None or details.get("complaints") is None:
        return None
    return details["detractors"] + (details.get("passive_complaints") or 0)


def suppressed_text(why: dict[str, Any], zone: str) -> str:
    """Why an alert was stored and not sent (`_suppressed`'s record), its moment on `zone`'s wall clock: `silenced by
    dana until 2026-03-06T18:00:00+01:00 (silence 1)`, `storm 4 acknowledged by sam`. In UTC, the stored text."""
    if "silence" in why:
        return f"silenced by {why['by']} until {local_text(why['until'], zone)} (silence {why['silence']})"
    return f"storm {why['storm']} acknowledged by {why['by']}"


def acknowledge(db: Store, alert_id: int, by: str, note: str | None, now: datetime) -> dict[str, Any]:
    """Record who owns alert `alert_id`; returns the alert row. A storm has one owner: a second ack, of the alert or
    of another alert of its storm, keeps the first owner (the row returned names them), even one made at once."""
    with transaction(db):
        row = db.execute(_STORM_OF, [alert_id]).fetchone()
        if row is None:
            raise TriageError(f"no alert with id {alert_id}; `brandpulse alerts list` shows the stored ones")
        db.execute(_LOCK_ALERT + db.dialect.for_update, [row[0]])
        owner = db.execute(_STORM_OWNER, {"s": row[0]}).fetchone()
        if owner is None:
            db.execute("UPDATE alerts SET acked_by = ?, acked_at = ?, ack_note = ? WHERE id = ?",
                       [by, to_db(now), note, alert_id])
        alert = dict(next(db.query(_ONE_ALERT, [alert_id])))
    return alert if owner is None else {**alert, "acked_by": owner[0], "acked_at": owner[1]}


def storm_acknowledgement(db: Store, storm_id: int | None) -> str | None:
    """Who acknowledged an alert of the storm that began with alert `storm_id`, or None."""
    if storm_id is None:
        return None
    row = db.execute(_STORM_OWNER, {"s": storm_id}).fetchone()
    return row[0] if row else None


def add_silence(db: Store, brand: str, by: str, until: datetime, note: str | None, now: datetime) -> int:
    """Mute `brand`'s spike alerts from `now` until `until`; returns the silence's id."""
    cursor = db.execute(
        "INSERT INTO silences (brand, created_by, created_at, until, note) VALUES (?, ?, ?, ?, ?) RETURNING id",
        [brand, by, to_db(now), to_db(until), note],
    )
    return cursor.fetchone()[0]


def lift_silence(db: Store, silence_id: int, by: str, now: datetime) -> None:
    """End silence `silence_id` now; it stays on record with who lifted it. Lifted already (even by someone at the
    same moment), or over: TriageError saying so."""
    with transaction(db):
        row = db.execute(_LOCK_SILENCE + db.dialect.for_update, [silence_id]).fetchone()
        if row is None:
            raise TriageError(f"no silence with id {silence_id}; `brandpulse alerts silences` lists the active ones")
        until, lifted_by, lifted_at = row
        if lifted_at is not None:
            raise TriageError(f"silence {silence_id} was already lifted by {lifted_by} at {lifted_at}")
        if until <= to_db(now):
            raise TriageError(f"silence {silence_id} is no longer active (it ended at {until})")
        db.execute("UPDATE silences SET lifted_by = ?, lifted_at = ? WHERE id = ?", [by, to_db(now), silence_id])


def silences(db: Store, now: datetime, active_only: bool = True) -> list[dict[str, Any]]:
    """Silences (active at `now`, or all), newest first."""
    return [dict(row) for row in db.query(_SILENCES, {"active": active_only, "now": to_db(now)})]


def active_silence(db: Store, brand: str, now: datetime) -> dict[str, Any] | None:
    """The silence muting `brand` at `now` that lasts longest, or None."""
    rows = list(db.query(_ACTIVE_SILENCE, {"brand": brand, "now": to_db(now)}))
    return rows[0] if rows else None


def _known_mentions(db: Store, mention_ids: Iterable[int]) -> list[int]:
    """The ids once each, in their order, their rows held till the transaction ends; TriageError naming every one not
    stored."""
    ids = list(dict.fromkeys(mention_ids))
    # Held in id order whatever order was typed: two people marking `1 2` and `2 1` would otherwise each hold one
    # row and wait for the other's, a deadlock PostgreSQL ends by failing one of the commands.
    held = {i for i in sorted(ids) if db.execute(_LOCK_MENTION + db.dialect.for_update, [i]).fetchone()}
    unknown = [str(i) for i in ids if i not in held]
    if unknown:
        raise TriageError(f"no mention with id {', '.join(unknown)}; nothing was changed (`brandpulse query` shows "
                          "the stored mentions' ids in its first column)")
    return ids


def _answer(db: Store, mention_id: int, changed: bool) -> Answer:
    return Answer(*db.execute(_ANSWER, [mention_id]).fetchone(), changed=changed)


def mark_answered(db: Store, mention_ids: Iterable[int], by: str, now: datetime) -> list[Answer]:
    """Record that `by` answered these mentions at `now`, all in one transaction, or none if an id is unknown
    (TriageError). A mention already answered keeps its first mark: its Answer names them, `changed` False."""
    with transaction(db):
        ids = _known_mentions(db, mention_ids)
        marked = {i for i in ids if db.execute(_MARK_ANSWERED, [by, to_db(now), i]).rowcount}
        return [_answer(db, i, i in marked) for i in ids]


def unmark_answered(db: Store, mention_ids: Iterable[int]) -> list[Answer]:
    """Clear these mentions' answered marks, all in one transaction, or none if an id is unknown (TriageError); each
    Answer holds the mark it had (`changed` False: it had none)."""
    with transaction(db):
        ids = _known_mentions(db, mention_ids)
        before = [_answer(db, i, False) for i in ids]
        db.executemany(_UNMARK_ANSWERED, [[i] for i in ids])
        return [Answer(a.mention_id, a.answered_by, a.answered_at, a.answered_at is not None) for a in before]
