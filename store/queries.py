"""Reading mentions for analysts: filters, full-text search, and streaming in constant memory."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from brandpulse.store.errors import StoreError
from brandpulse.store.timestamps import to_db

MENTION_COLUMNS = (
    "id", "source", "external_id", "brand", "author", "url", "text", "created_at", "lang", "rating",
    "amplification", "raw", "collected_at", "label", "p_negative", "p_neutral", "p_positive", "score", "category",
    "model", "model_version", "provenance", "classified_at",
)
DEFAULT_COLUMNS = ("created_at", "brand", "source", "external_id", "label", "score", "category", "text", "url")
ORDERS = {
    "newest": "m.created_at DESC, m.id DESC",
    "oldest": "m.created_at, m.id",
    # Storage order: no sort at all, so any number of rows streams without a temporary b-tree.
    "stored": "m.id",
}
# A search walks the FTS index in rowid (storage) order and stops at the limit; sorting by created_at would
# read every match first (about 150 ms per common word at a million mentions). Collectors store mentions as they
# are published, so storage order is publication order but for back-filled imports.
SEARCH_ORDERS = {
    "newest": "mentions_fts.rowid DESC",
    "oldest": "mentions_fts.rowid",
    "stored": "mentions_fts.rowid",
    "relevance": "mentions_fts.rank",
}


class QueryError(StoreError):
    """A query the store cannot run: an unknown column, or a search the FTS5 syntax rejects."""


class SearchSyntaxError(QueryError):
    """The --search expression is not valid FTS5 syntax."""


# What SQLite says about a MATCH expression it cannot parse (as opposed to a locked or broken database).
_FTS_SYNTAX_ERRORS = ("fts5", "unterminated string", "no such column", "syntax error", "malformed MATCH")


@dataclass(frozen=True)
class MentionFilter:
    """Which mentions to read; every field left as None matches everything."""

    brand: str | None = None
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    category: str | None = None
    label: str | None = None
    search: str | None = None
    min_score: float | None = None
    max_score: float | None = None


def check_columns(columns: Sequence[str]) -> tuple[str, ...]:
    """The columns, or QueryError naming the unknown ones."""
    unknown = [c for c in columns if c not in MENTION_COLUMNS]
    if unknown:
        raise QueryError(f"unknown column(s): {', '.join(unknown)}; choose from {', '.join(MENTION_COLUMNS)}")
    return tuple(columns)


_CLAUSES = {
    "brand": "m.brand = :brand",
    "source": "m.source = :source",
    "since": "m.created_at >= :since",
    "until": "m.created_at < :until",
    "category": "m.category = :category",
    "label": "m.label = :label",
    "min_score": "m.score >= :min_score",
    "max_score": "m.score <= :max_score",
    "search": "mentions_fts MATCH :search",
}


def _where(f: MentionFilter) -> tuple[str, dict[str, Any]]:
    params = {name: getattr(f, name) for name in _CLAUSES}
    params.update(since=f.since and to_db(f.since), until=f.until and to_db(f.until))
    used = [clause for name, clause in _CLAUSES.items() if params[name] is not None]
    return (" WHERE " + " AND ".join(used) if used else ""), {k: v for k, v in params.items() if v is not None}


def mentions_sql(
    f: MentionFilter, columns: Sequence[str] = DEFAULT_COLUMNS, order: str = "newest", limit: int | None = None
) -> tuple[str, dict[str, Any]]:
    """The SELECT (and its parameters) that reads the mentions `f` matches."""
    orders = ORDERS if f.search is None else SEARCH_ORDERS
    if order not in orders:
        raise QueryError(f"unknown order {order!r}; choose from {', '.join(orders)}")
    where, params = _where(f)
    source = "mentions m"
    if f.search is not None:
        source = "mentions_fts JOIN mentions m ON m.id = mentions_fts.rowid"
    select = ", ".join(f"m.{c}" for c in check_columns(columns))
    sql = f"SELECT {select} FROM {source}{where} ORDER BY {orders[order]}"
    if limit is not None:
        sql += " LIMIT :limit"
        params["limit"] = limit
    return sql, params


def iter_mentions(
    db: sqlite_utils.Database,
    f: MentionFilter,
    columns: Sequence[str] = DEFAULT_COLUMNS,
    order: str = "newest",
    limit: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield the matching mentions one at a time, as dicts of `columns`; memory stays flat for any count."""
    sql, params = mentions_sql(f, columns, order, limit)
    names = tuple(columns)
    try:
        cursor = db.execute(sql, params)
        for row in cursor:
            yield dict(zip(names, row))
    except sqlite3.OperationalError as exc:
        if f.search is not None and any(hint in str(exc) for hint in _FTS_SYNTAX_ERRORS):
            raise SearchSyntaxError(
                f"{f.search!r} is not valid FTS5 search syntax ({exc}); "
                'put phrases in double quotes, e.g. "double charged" OR refund'
            ) from None
        raise
