"""The `brands` table: the configured brands, synced at start-up so analysts can join on them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from brandpulse.collectors.base import BrandQuery
from brandpulse.store.backend import Store, transaction
from brandpulse.store.timestamps import to_db


def sync_brands(db: Store, queries: Iterable[BrandQuery], now: datetime) -> None:
    """Upsert every configured brand as active; brands no longer configured stay, marked inactive (their mentions remain)."""
    stamp = to_db(now)
    rows = [(q.brand, json.dumps(list(q.keywords)), json.dumps(list(q.exclusions)), stamp, stamp) for q in queries]
    with transaction(db):
        db.execute("UPDATE brands SET active = 0, updated_at = ? WHERE active = 1", [stamp])
        db.executemany(
            """INSERT INTO brands (name, keywords, exclusions, active, first_seen_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)
               ON CONFLICT (name) DO UPDATE SET keywords = excluded.keywords, exclusions = excluded.exclusions,
                   active = 1, updated_at = excluded.updated_at""",
            rows,
        )


def unconfigured_brands(
    db: Store, configured: Iterable[str], since: datetime | None = None, until: datetime | None = None,
) -> dict[str | None, int]:
    """Mentions (published in [since, until)) per brand outside `configured`, most first; None: matched no brand."""
    names = list(configured)
    clauses = [f"(brand IS NULL OR brand NOT IN ({', '.join('?' * len(names))}))"]
    params: list[Any] = list(names)
    for clause, moment in (("created_at >= ?", since), ("created_at < ?", until)):
        if moment is not None:
            clauses.append(clause)
            params.append(to_db(moment))
    sql = f"SELECT brand, count(*) FROM mentions WHERE {' AND '.join(clauses)} GROUP BY brand ORDER BY count(*) DESC, brand"
    return dict(db.execute(sql, params).fetchall())


# Every distinct brand of the mentions, one index seek each (a loose index scan, which neither database does alone
# for DISTINCT), and the configured ones, which may have no mention yet.
_BRAND_NAMES = """
    WITH RECURSIVE stored (brand) AS (
        SELECT min(brand) FROM mentions
        UNION ALL
        SELECT (SELECT min(brand) FROM mentions WHERE brand > stored.brand) FROM stored WHERE stored.brand IS NOT NULL)
    SELECT brand FROM stored WHERE brand IS NOT NULL UNION SELECT name FROM brands"""


def brand_in(column: str, names: Sequence[str]) -> tuple[str, dict[str, str]]:
    """`column IN (...)` over `names` (the stored spellings of one brand), and its named parameters."""
    params = {f"brand_{i}": name for i, name in enumerate(names)}
    return f"{column} IN ({', '.join(':' + key for key in params)})", params


def brand_spellings(db: Store, name: str) -> tuple[str, ...]:
    """The stored (or configured) brands that are `name` ignoring case ('acme' finds 'Acme'); (name,) when none is."""
    wanted = name.casefold()
    # Compared here, not by SQL: lower() folds ASCII only on SQLite and follows the server's locale on PostgreSQL.
    found = sorted({brand for (brand,) in db.execute(_BRAND_NAMES).fetchall() if brand.casefold() == wanted})
    return tuple(found) or (name,)


def list_brands(db: Store) -> list[dict[str, Any]]:
    """Every brand the store knows, active ones first."""
    return [
        {**row, "keywords": json.loads(row["keywords"]), "exclusions": json.loads(row["exclusions"])}
        for row in db.query("SELECT * FROM brands ORDER BY active DESC, name")
    ]
