"""Finding model-classified mentions whose classification came from another model or version."""

from __future__ import annotations

from datetime import datetime

from brandpulse.store.backend import Store
from brandpulse.store.mentions import PendingMention
from brandpulse.store.timestamps import to_db

# Imported labels come from the source and are kept; only our own model's output is re-scored.
_STALE = """FROM mentions WHERE provenance = 'model' AND (coalesce(model, '') <> ? OR coalesce(model_version, '') <> ?)
            AND (? IS NULL OR created_at >= ?)"""
_COUNT_STALE = "SELECT count(*) " + _STALE
_PAGE_STALE = "SELECT id, text, rating " + _STALE + " AND id > ? ORDER BY id LIMIT ?"


def count_stale(db: Store, model: str, version: str, since: datetime | None = None) -> int:
    """How many mentions (created at or after `since`) were classified by a model other than `model` `version`."""
    stamp = to_db(since) if since else None
    return db.execute(_COUNT_STALE, [model, version, stamp, stamp]).fetchone()[0]


def stale_classifications(
    db: Store, model: str, version: str, since: datetime | None, after_id: int, limit: int
) -> list[PendingMention]:
    """Up to `limit` such mentions with an id above `after_id`, by id, to re-classify in pages."""
    stamp = to_db(since) if since else None
    rows = db.execute(_PAGE_STALE, [model, version, stamp, stamp, after_id, limit])
    return [PendingMention(*row) for row in rows.fetchall()]
