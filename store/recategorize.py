"""Stored categories under a changed NPS mapping: the classifications stay, only their categories are derived
again (no model runs)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from brandpulse.store.backend import Store, transaction
from brandpulse.store.state import set_value

# Where the fingerprint of the mapping the stored categories follow is kept (the `state` table).
POLICY_KEY = "sentiment.nps_policy"
_PAGE = """SELECT id, label, p_negative, p_neutral, p_positive, complaint, rating, category FROM mentions
           WHERE classified_at IS NOT NULL AND id > ? ORDER BY id LIMIT ?"""
_SET_CATEGORY = "UPDATE mentions SET category = ? WHERE id = ?"


@dataclass(frozen=True)
class StoredClassification:
    """What a category is derived from, as stored, with the category it has."""

    id: int
    label: str | None
    probs: tuple[float | None, float | None, float | None]
    complaint: float | None
    rating: int | None
    category: str | None


def classified_page(db: Store, after_id: int, limit: int) -> list[StoredClassification]:
    """Up to `limit` classified (or found unscored) mentions with an id above `after_id`, in id order."""
    return [StoredClassification(row[0], row[1], (row[2], row[3], row[4]), row[5], row[6], row[7])
            for row in db.execute(_PAGE, [after_id, limit]).fetchall()]


def save_categories(db: Store, changes: Sequence[tuple[str, int]]) -> None:
    """Set each (category, id), in one transaction."""
    with transaction(db):
        db.executemany(_SET_CATEGORY, list(changes))


def save_fingerprint(db: Store, fingerprint: str) -> None:
    """Record that the stored categories follow the mapping of `fingerprint`."""
    with transaction(db):
        set_value(db, POLICY_KEY, fingerprint)
