"""Writing mentions and their classifications, and reading the ones still to classify."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from brandpulse.collectors.base import Mention
from brandpulse.sentiment.base import Classification
from brandpulse.store.backend import Store, transaction
from brandpulse.store.folding import search_text
from brandpulse.store.state import save_collector_success
from brandpulse.store.timestamps import to_db

IMPORTED_SCORE = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}
# From this many mentions on, a save takes the backend's bulk path (SQLite: one FTS statement after the insert).
BULK_ROWS = 200
_COLUMNS = ("source", "external_id", "brand", "author", "url", "text", "created_at", "lang", "rating", "raw",
            "collected_at", "label", "score", "category", "provenance", "classified_at", "dated_after", "search_text")
# A post is stored once per brand (idx_mentions_key): "left Acme for Bolt" counts for both.
_KEY = ("source", "external_id", "coalesce(brand, '')")
# A mention stored under one of its former ids, the same text: an older release's copy (idx_mentions_key).
_STORED_FORMERLY = ("SELECT 1 FROM mentions WHERE source = ? AND external_id = ? AND coalesce(brand, '') = ? "
                    "AND text = ?")


@dataclass(frozen=True)
class SaveResult:
    """How many mentions were new and how many the store already had."""

    new: int
    duplicate: int


@dataclass(frozen=True)
class PendingMention:
    """A stored mention that has no sentiment yet (or a stale one), with its language tag if it has one, and the
    brand it was stored for."""

    id: int
    text: str
    rating: int | None
    lang: str | None = None
    brand: str | None = None


# JSON may escape lone UTF-16 surrogates ("\\ud83d" of a split emoji); SQLite cannot encode them, PostgreSQL
# refuses NUL too, and one such character would fail the whole batch. They carry no text: each becomes U+FFFD.
_SURROGATE = re.compile("[\ud800-\udfff\x00]")


def cleaned(row: Sequence[Any]) -> tuple[Any, ...]:
    """`row` with every lone surrogate and NUL in its text values made U+FFFD."""
    return tuple(_SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value for value in row)


def _insert(db: Store, rows: list[tuple[Any, ...]]) -> int:
    """Insert `rows` (ignoring known keys), returning how many were new; call in a transaction."""
    # Surrogates are rare: rather than scanning every value of every row, a batch that fails to encode is
    # undone to the savepoint and inserted again cleaned.
    db.execute("SAVEPOINT insert_rows")
    try:
        new = db.insert_ignoring("mentions", _COLUMNS, rows, _KEY)
    except db.dialect.encode_errors:
        db.execute("ROLLBACK TO insert_rows")
        new = db.insert_ignoring("mentions", _COLUMNS, [cleaned(row) for row in rows], _KEY)
    db.execute("RELEASE insert_rows")
    return new


def _first_of_each_key(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """`rows` without the repeats of a key (_KEY: source, external_id and brand, '' for none), the first kept, as an
    insert ignoring known keys would keep it: an insert drawing ids ahead of its conflict check then draws none for
    them (PostgreSQL)."""
    first: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for row in rows:
        first.setdefault((row[0], row[1], row[2] or ""), row)
    return list(first.values()) if len(first) < len(rows) else rows


def _row(mention: Mention, now: str, category_of: Callable[[str, int | None], str] | None) -> tuple[Any, ...]:
    label = mention.label
    imported = label is not None
    return (
        mention.source, mention.external_id, mention.brand, mention.author, mention.url, mention.text,
        to_db(mention.created_at), mention.lang, mention.rating,
        json.dumps(mention.raw, ensure_ascii=False, default=str) if mention.raw is not None else None,
        now, label, IMPORTED_SCORE[label] if imported else None,
        category_of(label, mention.rating) if imported and category_of else None,
        "imported" if imported else None, now if imported else None,
        to_db(mention.dated_after) if mention.dated_after is not None else None, search_text(mention.text),
    )


def save_mentions(
    db: Store,
    mentions: Sequence[Mention],
    now: datetime,
    collector: str | None = None,
    cursor: dict[str, Any] | None = None,
    category_of: Callable[[str, int | None], str] | None = None,
    whole: bool = True,
) -> SaveResult:
    """Insert new mentions (ignoring known (source, external_id, brand)) and advance the collector's cursor, atomically.

    Mentions that arrive with a label are stored as imported; `category_of(label, rating)` gives their category.
    `whole` false: the collector stopped part-way, so the run does not count as a success.
    """
    stamp = to_db(now)
    with transaction(db):
        rows = _first_of_each_key([_row(m, stamp, category_of) for m in mentions if not _stored_formerly(db, m)])
        if len(mentions) >= BULK_ROWS:
            new = db.dialect.bulk_insert(db, rows, _insert)
        else:
            # rowcount counts the rows inserted, not those the FTS triggers touch, nor ignored duplicates.
            new = _insert(db, rows)
        if collector is not None:
            save_collector_success(db, collector, cursor, new, now, whole)
        record_amplification(db, mentions)
    return SaveResult(new=new, duplicate=len(mentions) - new)


def _stored_formerly(db: Store, mention: Mention) -> bool:
    """Whether `mention` is stored already under one of its `former_ids` (an older release's id for it)."""
    return any(db.execute(_STORED_FORMERLY, (mention.source, former, mention.brand or "", mention.text)).fetchone()
               for former in mention.former_ids)


def record_amplification(db: Store, mentions: Iterable[Mention]) -> None:
    """Raise each stored mention's amplification count to the latest one its source reported; call in a transaction."""
    # Counts only grow at the source: a late re-read of an older page must not lower them.
    db.executemany(
        "UPDATE mentions SET amplification = ? WHERE source = ? AND external_id = ? AND amplification < ?",
        [(m.amplification, m.source, m.external_id, m.amplification) for m in mentions if m.amplification > 0],
    )


_PENDING = ("SELECT id, text, rating, lang, brand FROM mentions WHERE classified_at IS NULL AND id > ? "
            "ORDER BY id LIMIT ?")


def pending_classification(db: Store, limit: int, after_id: int = 0) -> list[PendingMention]:
    """Up to `limit` mentions not classified yet (neither labelled nor found unscored), oldest first, with an id
    above `after_id`."""
    return [PendingMention(*row) for row in db.execute(_PENDING, [after_id, limit]).fetchall()]


@contextmanager
def claim_pending(db: Store, limit: int, after_id: int = 0) -> Iterator[list[PendingMention]]:
    """Up to `limit` unclassified mentions with an id above `after_id`, oldest first, that no other worker holds;
    they stay this worker's until the block ends, so save their classifications inside it (a worker that dies lets
    them go). A pass moves `after_id` on, so that mentions it could not classify do not come back to it."""
    with db.claim(_PENDING, [after_id, limit]) as rows:
        yield [PendingMention(*row) for row in rows]


@dataclass(frozen=True)
class ClassifiedMention:
    """What the classify stage found for one stored mention; `classification` None means unscored.

    `lang` is stored as given: the collector's own tag when it named a language, else the detected one. `shared`
    false: a reading for this copy's brand alone (its post names several), not given to the post's other copies.
    """

    id: int
    lang: str | None  # None for a blank text that no collector tagged
    classification: Classification | None
    category: str
    shared: bool = True


def _classified_row(item: ClassifiedMention, stamp: str) -> tuple[Any, ...]:
    c = item.classification
    if c is None:
        return (None, None, None, None, None, None, item.category, None, None, None, stamp, item.lang, item.id)
    return (c.label, c.probs[0], c.probs[1], c.probs[2], c.score, c.complaint, item.category, c.model,
            c.model_version, "model", stamp, item.lang, item.id)


_CLASSIFIED = """label = ?, p_negative = ?, p_neutral = ?, p_positive = ?, score = ?, complaint = ?, category = ?,
    model = ?, model_version = ?, provenance = ?, classified_at = ?, lang = ?"""
_SAVE_CLASSIFICATION = f"UPDATE mentions SET {_CLASSIFIED} WHERE id = ?"
# A post stored for several brands ("left Acme for Bolt") is read once: its other copies (same source, id and text)
# still to read get this reading: unclassified, found unscored (when this is a model's reading), or read by another
# model, or by this one without the complaint probability this reading has (the last two: what rescore reads again).
# Read in another batch, the same text gets other probabilities, at times another label (activations are quantized
# per batch), and the brands would count one post differently. `{lock}`: the copies another worker holds are left
# to it (PostgreSQL; no waiting on them).
_SAVE_TO_COPIES = f"""UPDATE mentions SET {_CLASSIFIED}
    WHERE id IN (SELECT c.id FROM mentions c JOIN mentions m
                     ON c.source = m.source AND c.external_id = m.external_id AND c.text = m.text AND c.id <> m.id
                 WHERE m.id = ? AND (c.classified_at IS NULL OR (c.provenance IS NULL AND ? IS NOT NULL)
                                     OR (c.provenance = 'model' AND NOT (c.model = ? AND c.model_version = ?
                                                                         AND (c.complaint IS NOT NULL OR ? IS NULL))))
                 {{lock}})"""


# A copy stored after its post was read for another brand (a collector's later run, an import of the line without a
# brand after the upgrade to schema 7) takes that reading, for the same reason, instead of being read in another batch.
_READ_COPIES = """SELECT c.id, min(s.id) FROM mentions c JOIN mentions s
        ON s.source = c.source AND s.external_id = c.external_id AND s.text = c.text AND s.id <> c.id
    WHERE c.id BETWEEN ? AND ? AND c.classified_at IS NULL AND s.classified_at IS NOT NULL AND s.provenance = 'model'
    GROUP BY c.id"""
_READING = ("label, p_negative, p_neutral, p_positive, score, complaint, category, model, model_version, provenance, "
            "lang")
_TAKE_READING = f"""UPDATE mentions SET ({_READING}) = (SELECT {_READING} FROM mentions WHERE id = ?), classified_at = ?
    WHERE id = ?"""


def take_copies_readings(db: Store, pending: Sequence[PendingMention], now: datetime) -> set[int]:
    """Give each of `pending` (claimed by this worker) whose post another copy of was read already that reading;
    returns their ids, which need no reading of their own."""
    if not pending:
        return set()
    ids = {p.id for p in pending}
    found = [(copy, read) for copy, read in db.execute(_READ_COPIES, [min(ids), max(ids)]).fetchall() if copy in ids]
    if found:
        with transaction(db):
            db.executemany(_TAKE_READING, [(read, to_db(now), copy) for copy, read in found])
    return {copy for copy, _ in found}


def save_classifications(db: Store, results: Iterable[ClassifiedMention], now: datetime) -> int:
    """Store each result with the model's provenance and the mention's language, and give it to the other copies of
    its post still to read (stored for other brands), in one transaction; returns the mentions classified."""
    stamp = to_db(now)
    items = list(results)
    rows = [_classified_row(item, stamp) for item in items]
    with transaction(db):
        db.executemany(_SAVE_CLASSIFICATION, rows)
        copies = db.executemany(_SAVE_TO_COPIES.format(lock=db.dialect.skip_locked),
                                [(*row, row[9], row[7], row[8], row[5]) for item, row in zip(items, rows)
                                 if item.shared])
    return len(rows) + copies
