"""The `brands` table: the configured brands, synced at start-up so analysts can join on them."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from brandpulse.collectors.base import BrandQuery
from brandpulse.store.backend import Store, transaction
from brandpulse.store.folding import name_key
from brandpulse.store.spellings import merge_spellings
from brandpulse.store.timestamps import to_db

log = logging.getLogger(__name__)


def sync_brands(db: Store, queries: Iterable[BrandQuery], now: datetime, level: int = logging.WARNING) -> int:
    """Upsert every configured brand as active; brands no longer configured stay, marked inactive (their mentions
    remain). Mentions stored under another capitalisation of a configured brand are folded into it (`fold_spellings`),
    and its alerts and silences with them (`fold_alert_brands`, logged at `level`); returns how many mentions were."""
    stamp = to_db(now)
    queries = list(queries)
    rows = [(q.brand, json.dumps(list(q.keywords)), json.dumps(list(q.exclusions)), stamp, stamp) for q in queries]
    with transaction(db):
        names = {q.brand for q in queries}
        folded = sum(fold_spellings(db, name, names) for name in names)
        if alerts := fold_alert_brands(db, names):
            log.log(level, "%d alert(s) and silence(s) stored under another capitalisation of a configured brand now "
                    "read under its configured name", alerts)
        db.execute("UPDATE brands SET active = 0, updated_at = ? WHERE active = 1", [stamp])
        db.executemany(
            """INSERT INTO brands (name, keywords, exclusions, active, first_seen_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)
               ON CONFLICT (name) DO UPDATE SET keywords = excluded.keywords, exclusions = excluded.exclusions,
                   active = 1, updated_at = excluded.updated_at""",
            rows,
        )
    return folded


def fold_spellings(db: Store, configured: str, keep: Iterable[str] = ()) -> int:
    """Store the mentions of `configured` kept under another capitalisation ('acme') under its name, one copy per post;
    how many were moved or merged; names in `keep` (configured brands too) stay. Call in a transaction; a no-op once
    done, so the queries can match by `=`."""
    keep = {configured, *keep}
    others = [name for name in brand_spellings(db, configured) if name not in keep]
    if not others:
        return 0
    return merge_spellings(db, "brand", configured, others)


# The alerts' and silences' brands: spike and unscored alerts name one, as a failing collector's health alert and a
# silence do.
_ALERT_BRANDS = "SELECT DISTINCT brand FROM alerts WHERE brand IS NOT NULL UNION SELECT brand FROM silences"
_RENAME_ALERTS = "UPDATE alerts SET brand = :configured WHERE brand = :brand"
_RENAME_SILENCES = "UPDATE silences SET brand = :configured WHERE brand = :brand"


def fold_alert_brands(db: Store, configured: Iterable[str]) -> int:
    """Store the alerts and silences of a `configured` brand kept under another spelling of it ('acme', 'ＡＣＭＥ', by
    `name_key`) under its name, as `fold_spellings` stores its mentions; how many rows were renamed. Call in a
    transaction; a no-op once done, so that `alerts list --brand`, the cooldowns, storms and silences, which match
    by `=`, read one brand."""
    named = {name_key(name): name for name in configured}
    renamed = 0
    for (brand,) in db.execute(_ALERT_BRANDS).fetchall():
        name = named.get(name_key(brand), brand)
        if name != brand:  # each alert stays a row of its own: no two are copies of one, as two mentions may be
            for statement in (_RENAME_ALERTS, _RENAME_SILENCES):
                renamed += max(db.execute(statement, {"configured": name, "brand": brand}).rowcount, 0)
    return renamed


# Every distinct brand of the mentions, one index seek each (a loose index scan, which neither database does alone
# for DISTINCT), and the configured ones, which may have no mention yet.
_BRAND_NAMES = """
    WITH RECURSIVE stored (brand) AS (
        SELECT min(brand) FROM mentions
        UNION ALL
        SELECT (SELECT min(brand) FROM mentions WHERE brand > stored.brand) FROM stored WHERE stored.brand IS NOT NULL)
    SELECT brand FROM stored WHERE brand IS NOT NULL UNION SELECT name FROM brands"""


def known_brands(db: Store) -> list[str]:
    """Every brand the stored mentions name, and every configured one, sorted."""
    return sorted(brand for (brand,) in db.execute(_BRAND_NAMES).fetchall())


def brand_spellings(db: Store, name: str) -> tuple[str, ...]:
    """The stored (or configured) brands that are `name` ignoring case and width ('acme' and 'ａｃｍｅ' find 'Acme');
    (name,) when none is."""
    wanted = name_key(name)
    # Compared here, not by SQL: lower() folds ASCII only on SQLite and follows the server's locale on PostgreSQL.
    found = sorted({brand for (brand,) in db.execute(_BRAND_NAMES).fetchall() if name_key(brand) == wanted})
    return tuple(found) or (name,)


def list_brands(db: Store) -> list[dict[str, Any]]:
    """Every brand the store knows, active ones first."""
    return [
        {**row, "keywords": json.loads(row["keywords"]), "exclusions": json.loads(row["exclusions"])}
        for row in db.query("SELECT * FROM brands ORDER BY active DESC, name")
    ]
