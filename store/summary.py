"""Per-brand totals for run summaries and status."""

from __future__ import annotations

from typing import Any

from brandpulse.store.backend import Store
from brandpulse.store.stats import CATEGORY_COUNTS

# Built once from constants; nothing in it comes from a caller.
_CATEGORY_TOTALS = f"""SELECT coalesce(brand, '(no brand)') AS brand, count(*) AS mentions,
              {CATEGORY_COUNTS}
       FROM mentions GROUP BY brand ORDER BY brand"""


def category_totals(db: Store) -> list[dict[str, Any]]:
    """Per brand: mentions, promoters, passives, detractors, unscored (no model for their language), complaints
    (complaint >= 0.5 but no promoter: the posts to answer), unclassified."""
    return [dict(row) for row in db.query(_CATEGORY_TOTALS)]
