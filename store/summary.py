"""Per-brand totals for run summaries and status."""

from __future__ import annotations

from typing import Any

import sqlite_utils


def category_totals(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Per brand: mentions, promoters, passives, detractors, unclassified."""
    return [
        dict(row)
        for row in db.query(
            """SELECT coalesce(brand, '(no brand)') AS brand, count(*) AS mentions,
                      sum(category = 'promoter') AS promoters, sum(category = 'passive') AS passives,
                      sum(category = 'detractor') AS detractors, sum(category IS NULL) AS unclassified
               FROM mentions GROUP BY brand ORDER BY brand"""
        )
    ]
