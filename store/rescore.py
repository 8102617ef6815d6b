"""Finding mentions whose classification is stale: another model or version, no complaint probability yet, or
unscored in a language a model now reads."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from brandpulse.sentiment.language import language_tag
from brandpulse.sentiment.router import OTHER_LANGUAGES
from brandpulse.store.backend import Store
from brandpulse.store.mentions import PendingMention
from brandpulse.store.state import get_value, set_value
from brandpulse.store.timestamps import to_db

# Read without a model (its language had none): no provenance, yet a classification time. Its category is
# `unscored`, or its stars' when it is a rated review, so the category alone does not find them all.
UNREAD = "provenance IS NULL AND classified_at IS NOT NULL"
# The language tags as stored: a collector's own ("de-DE", "iw"), which name a language only once read as ISO 639-1.
# There are few.
_STORED_TAGS = "SELECT DISTINCT lang FROM mentions WHERE lang IS NOT NULL"
# A row that this model gave (with the complaint probability when the model gives one).
_SAME_MODEL = "model = ? AND model_version = ? AND (complaint IS NOT NULL OR ? = 0)"


@dataclass(frozen=True)
class CurrentModel:
    """A configured model: its name and version, and whether it gives a complaint probability."""

    name: str
    version: str
    complaint: bool


def stored_tags(db: Store) -> dict[str, str | None]:
    """Each language tag in the store, with the ISO 639-1 code it names ("de_AT" -> "de", "iw" -> "he")."""
    return {tag: language_tag(tag) for (tag,) in db.execute(_STORED_TAGS).fetchall()}


def _routed_to(lang: str, langs: Sequence[str], tags: Mapping[str, str | None]) -> list[str]:
    """The stored tags whose mentions the model of `lang` (a `sentiment.models` key) reads."""
    if lang != OTHER_LANGUAGES:
        return [tag for tag, code in tags.items() if code == lang]
    return [tag for tag, code in tags.items() if code not in langs]


def _fresh(models: Sequence[CurrentModel], langs: Sequence[str], tags: Mapping[str, str | None]
           ) -> tuple[str, list[Any]]:
    """SQL true for a row that the model now configured for its language classified. A model read for another
    language (the "*" model, before a language got its own; the English one, before "*" was removed) is stale. A row
    without a language (classified before languages were told apart) is fresh for any configured model."""
    clauses = [f"(lang IS NULL AND ({' OR '.join(f'({_SAME_MODEL})' for _ in models) or '1 = 0'}))"]
    params: list[Any] = [value for m in models for value in (m.name, m.version, int(m.complaint))]
    for lang, model in zip(langs, models):
        # Not `lang IN (NULL)` for none: under NOT, its NULL would make every row fresh.
        if routed := _routed_to(lang, langs, tags):
            clauses.append(f"(lang IN ({', '.join('?' for _ in routed)}) AND {_SAME_MODEL})")
            params += [*routed, model.name, model.version, int(model.complaint)]
    return " OR ".join(clauses), params


def _stale(db: Store, models: Sequence[CurrentModel], langs: Sequence[str], since: datetime | None,
           tags: Mapping[str, str | None] | None = None) -> tuple[str, list[Any]]:
    # `models` and `langs` go together: the model of each `sentiment.models` key, in order.
    # Imported labels come from the source and are kept; only our own model's output is re-scored.
    tags = stored_tags(db) if tags is None else tags
    fresh, params = _fresh(models, langs, tags)
    covered = [tag for tag, code in tags.items() if code in langs]
    stamp = to_db(since) if since else None
    # An unscored mention is stale when its language now has a model: named, or any with the "*" entry (a blank
    # text has no language, and no model reads it).
    where = (f"((provenance = 'model' AND NOT ({fresh})) "
             f"OR ({UNREAD} AND (lang IN ({', '.join('?' for _ in covered) or 'NULL'}) "
             "OR (? = 1 AND lang IS NOT NULL)))) AND (? IS NULL OR created_at >= ?)")
    return where, [*params, *covered, int(OTHER_LANGUAGES in langs), stamp, stamp]


def count_stale(db: Store, models: Sequence[CurrentModel], langs: Sequence[str], since: datetime | None = None) -> int:
    """How many mentions (created at or after `since`) need classifying again with the current `models`."""
    where, params = _stale(db, models, langs, since)
    return db.execute(f"SELECT count(*) FROM mentions WHERE {where}", params).fetchone()[0]


def stale_classifications(db: Store, models: Sequence[CurrentModel], langs: Sequence[str],
                          since: datetime | None, after_id: int, limit: int,
                          tags: Mapping[str, str | None] | None = None) -> list[PendingMention]:
    """Up to `limit` such mentions with an id above `after_id`, by id, to re-classify in pages; `tags`, the
    `stored_tags` when a caller reading page after page has them already."""
    where, params = _stale(db, models, langs, since, tags)
    rows = db.execute(f"SELECT id, text, rating, lang, brand FROM mentions WHERE {where} AND id > ? "
                      "ORDER BY id LIMIT ?", [*params, after_id, limit])
    return [PendingMention(*row) for row in rows.fetchall()]


# Copies of one post holding one reading between them: the reading of one copy given to the others, as every post
# stored for several brands was read before such posts were read per brand; with the brand of each copy it matches.
# Only copies up to an id (`shared_upto`): the later ones were read by a release that reads such posts per brand.
_SHARED = """SELECT c.id, c.text, c.rating, c.lang, c.brand, s.brand FROM mentions c JOIN mentions s
        ON s.source = c.source AND s.external_id = c.external_id AND s.text = c.text AND s.id <> c.id
    WHERE c.provenance = 'model' AND s.provenance = 'model' AND c.p_negative = s.p_negative
        AND c.p_neutral = s.p_neutral AND c.p_positive = s.p_positive AND (? IS NULL OR c.created_at >= ?)
        AND (? IS NULL OR c.id <= ?)
    ORDER BY c.id"""
# The highest mention id that a release reading every copy of a post alike may have read: the store's last id when
# this release first opened it ("0": none, a new store's or once rescore has read them all). No key: not known.
SHARED_UPTO_KEY = "sentiment.shared_readings_upto"
# (`WHERE true`: SQLite would read ON CONFLICT as the join's ON.)
_MARK_SHARED_UPTO = """INSERT INTO state (key, value) SELECT ?, CAST(coalesce(max(id), 0) AS TEXT) FROM mentions
    WHERE true ON CONFLICT (key) DO NOTHING"""


@dataclass(frozen=True)
class SharedReading:
    """A copy of a post whose model reading is the same as that of its copies stored for `others` (brands)."""

    mention: PendingMention
    others: frozenset[str | None]


def shared_readings(db: Store, since: datetime | None = None, upto: int | None = None) -> list[SharedReading]:
    """Every mention (created at or after `since`, with an id up to `upto`) whose reading another copy of its post
    holds too, by id."""
    stamp = to_db(since) if since else None
    found: dict[int, tuple[PendingMention, set[str | None]]] = {}
    for id_, text, rating, lang, brand, other in db.execute(_SHARED, [stamp, stamp, upto, upto]).fetchall():
        found.setdefault(id_, (PendingMention(id_, text, rating, lang, brand), set()))[1].add(other)
    return [SharedReading(mention, frozenset(others)) for mention, others in found.values()]


# The pairs `_SHARED` finds (copies up to `:upto`) in the posts of which a copy was published before `:before`, each
# with whether its copy and its other copy are so: what `prune_mentions` deletes of them.
_SHARED_OF_PRUNED = """WITH pruned (source, external_id) AS (
        SELECT DISTINCT source, external_id FROM mentions WHERE created_at < :before)
    SELECT c.id, c.text, c.rating, c.lang, c.brand, s.brand, c.created_at < :before, s.created_at < :before
    FROM pruned p JOIN mentions c ON c.source = p.source AND c.external_id = p.external_id
        JOIN mentions s ON s.source = c.source AND s.external_id = c.external_id AND s.text = c.text AND s.id <> c.id
    WHERE c.provenance = 'model' AND s.provenance = 'model' AND c.p_negative = s.p_negative
        AND c.p_neutral = s.p_neutral AND c.p_positive = s.p_positive AND c.id <= :upto
    ORDER BY c.id"""


def shared_readings_pruned(db: Store, before: datetime, upto: int) -> tuple[list[SharedReading], list[SharedReading]]:
    """The `shared_readings` up to `upto` of the posts of which a copy was published before `before`: as stored, and
    as they are once `prune_mentions` has deleted those copies (the copies of other posts are left as they are)."""
    stored: dict[int, tuple[PendingMention, set[str | None]]] = {}
    left: dict[int, tuple[PendingMention, set[str | None]]] = {}
    for id_, text, rating, lang, brand, other, gone, other_gone in db.execute(
            _SHARED_OF_PRUNED, {"before": to_db(before), "upto": upto}).fetchall():
        mention = PendingMention(id_, text, rating, lang, brand)
        stored.setdefault(id_, (mention, set()))[1].add(other)
        if not gone and not other_gone:
            left.setdefault(id_, (mention, set()))[1].add(other)
    return ([SharedReading(mention, frozenset(others)) for mention, others in stored.values()],
            [SharedReading(mention, frozenset(others)) for mention, others in left.values()])


def shared_upto(db: Store) -> int | None:
    """The highest id a copy holding its post's one reading for every brand may have (0: none), None if not known."""
    value = get_value(db, SHARED_UPTO_KEY)
    return int(value) if value is not None and value.isdigit() else None


def mark_shared_upto(db: Store) -> None:
    """Record the store's last id as `shared_upto`, unless it is known: call when this release first opens it."""
    db.execute(_MARK_SHARED_UPTO, [SHARED_UPTO_KEY])


def clear_shared_upto(db: Store) -> None:
    """Record that no copy holds one reading for all its post's brands any more (rescore read them all)."""
    set_value(db, SHARED_UPTO_KEY, "0")
    forget_shared_count(db)


# How many of those copies a writer last counted (reading each post's clauses per brand takes seconds on 200,000
# mentions, which `status` paid on every call), with what the count read: the copies up to `upto`, `rows` of them
# stored, the configured brands' `terms`. Those copies are never read again but by rescore, which counts them anew
# (a copy stored since is read for its own brand); a deletion changes `rows`, another brand configuration `terms`,
# and the count is then made again where asked for. `prune` records the count it leaves (`shared_readings_pruned`).
SHARED_COUNT_KEY = "sentiment.shared_readings_count"
_ROWS_UPTO = "SELECT count(*) FROM mentions WHERE id <= ?"
_FORGET = "DELETE FROM state WHERE key = ?"


def _counted_over(db: Store, upto: int, terms: str) -> dict[str, Any]:
    return {"upto": upto, "rows": db.execute(_ROWS_UPTO, [upto]).fetchone()[0], "terms": terms}


def counted_shared(db: Store, upto: int, terms: str) -> int | None:
    """The copies `record_shared_count` last recorded for `upto` and the brands' `terms`, None when that count is not
    known or no longer holds."""
    try:
        recorded = json.loads(get_value(db, SHARED_COUNT_KEY) or "{}")
        copies = recorded.pop("copies")
    except (ValueError, KeyError, AttributeError, TypeError):  # none, or not ours to read: counted again
        return None
    return copies if isinstance(copies, int) and recorded == _counted_over(db, upto, terms) else None


def record_shared_count(db: Store, upto: int, terms: str, copies: int) -> None:
    """Record that `copies` copies up to `upto` wait for rescore under the brands' `terms`."""
    set_value(db, SHARED_COUNT_KEY, json.dumps({**_counted_over(db, upto, terms), "copies": copies}))


def forget_shared_count(db: Store) -> None:
    """Drop the recorded count (the copies' brands changed): the next one is made again."""
    db.execute(_FORGET, [SHARED_COUNT_KEY])
