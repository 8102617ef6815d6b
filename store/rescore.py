"""Finding mentions whose classification is stale: another model or version, no complaint probability yet, or
unscored in a language a model now reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from brandpulse.sentiment.language import language_tag
from brandpulse.sentiment.router import OTHER_LANGUAGES
from brandpulse.store.backend import Store
from brandpulse.store.mentions import PendingMention
from brandpulse.store.timestamps import to_db

# Read without a model (its language had none): no provenance, yet a classification time. Its category is
# `unscored`, or its stars' when it is a rated review, so the category alone does not find them all.
UNREAD = "provenance IS NULL AND classified_at IS NOT NULL"
# The tags unscored mentions carry as stored: a collector's own ("de-DE", "iw"), which name a language only once
# read as ISO 639-1. There are few.
_UNSCORED_TAGS = f"SELECT DISTINCT lang FROM mentions WHERE {UNREAD} AND lang IS NOT NULL"


@dataclass(frozen=True)
class CurrentModel:
    """A configured model: its name and version, and whether it gives a complaint probability."""

    name: str
    version: str
    complaint: bool


def covered_tags(db: Store, langs: Sequence[str]) -> list[str]:
    """The stored tags of unscored mentions whose language is one of `langs` ("de-DE" and "de_AT" for "de")."""
    return [tag for (tag,) in db.execute(_UNSCORED_TAGS).fetchall() if language_tag(tag) in langs]


def _stale(db: Store, models: Sequence[CurrentModel], langs: Sequence[str], since: datetime | None,
           tags: Sequence[str] | None = None) -> tuple[str, list[Any]]:
    # Imported labels come from the source and are kept; only our own model's output is re-scored.
    fresh = " OR ".join("(model = ? AND model_version = ? AND (complaint IS NOT NULL OR ? = 0))" for _ in models)
    params: list[Any] = [value for m in models for value in (m.name, m.version, int(m.complaint))]
    tags = covered_tags(db, langs) if tags is None else tags
    covered = ", ".join("?" for _ in tags)
    stamp = to_db(since) if since else None
    # An unscored mention is stale when its language now has a model: named, or any with the "*" entry (a blank
    # text has no language, and no model reads it).
    where = (f"((provenance = 'model' AND NOT ({fresh or '1 = 0'})) "
             f"OR ({UNREAD} AND (lang IN ({covered or 'NULL'}) OR (? = 1 AND lang IS NOT NULL)))) "
             "AND (? IS NULL OR created_at >= ?)")
    return where, [*params, *tags, int(OTHER_LANGUAGES in langs), stamp, stamp]


def count_stale(db: Store, models: Sequence[CurrentModel], langs: Sequence[str], since: datetime | None = None) -> int:
    """How many mentions (created at or after `since`) need classifying again with the current `models`."""
    where, params = _stale(db, models, langs, since)
    return db.execute(f"SELECT count(*) FROM mentions WHERE {where}", params).fetchone()[0]


def stale_classifications(db: Store, models: Sequence[CurrentModel], langs: Sequence[str],
                          since: datetime | None, after_id: int, limit: int,
                          tags: Sequence[str] | None = None) -> list[PendingMention]:
    """Up to `limit` such mentions with an id above `after_id`, by id, to re-classify in pages; `tags`, the
    `covered_tags` of `langs` when a caller reading page after page has them already."""
    where, params = _stale(db, models, langs, since, tags)
    rows = db.execute(f"SELECT id, text, rating, lang FROM mentions WHERE {where} AND id > ? ORDER BY id LIMIT ?",
                      [*params, after_id, limit])
    return [PendingMention(*row) for row in rows.fetchall()]
