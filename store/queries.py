"""Reading mentions for analysts: filters, full-text search, and streaming in constant memory."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from brandpulse.sentiment.language import WITHDRAWN_CODES
from brandpulse.sentiment.nps import COMPLAINT_THRESHOLD
from brandpulse.store.backend import Dialect, Store
from brandpulse.store.brands import brand_spellings
from brandpulse.store.errors import QueryError, SearchSyntaxError  # noqa: F401 (re-exported for the CLI)
from brandpulse.store.folding import name_key
from brandpulse.store.spellings import name_in
from brandpulse.store.timestamps import to_db

MENTION_COLUMNS = (
    "id", "source", "external_id", "brand", "author", "url", "text", "created_at", "lang", "rating",
    "amplification", "raw", "collected_at", "label", "p_negative", "p_neutral", "p_positive", "score", "category",
    "model", "model_version", "provenance", "classified_at", "complaint", "answered_by", "answered_at",
    "dated_after",
)
# The id first: it is what `alerts answered` takes for the posts support answered.
DEFAULT_COLUMNS = ("id", "created_at", "brand", "source", "external_id", "label", "score", "category", "text", "url")
ORDERS = {
    "newest": "m.created_at DESC, m.id DESC",
    "oldest": "m.created_at, m.id",
    # Storage order: no sort at all, so any number of rows streams without a temporary b-tree.
    "stored": "m.id",
    # The posts support has to answer first; mentions without a complaint probability (unscored, no head) last.
    "complaint": "m.complaint IS NULL, m.complaint DESC, m.created_at DESC, m.id DESC",
}


@dataclass(frozen=True)
class MentionFilter:
    """Which mentions to read; every field left as None matches everything."""

    brand: str | None = None  # ignoring case and width: 'acme' and 'ａｃｍｅ' read the mentions stored as 'Acme'
    source: str | None = None  # ignoring case and width too: 'Twitter' reads the mentions stored as 'twitter'
    since: datetime | None = None
    until: datetime | None = None
    category: str | None = None
    label: str | None = None
    search: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    min_complaint: float | None = None
    lang: str | None = None  # ISO 639-1; matches collectors' regional tags too (en: en, en-GB, en_US)
    to_answer: bool = False  # detractors and complaints: what an alert lists, what the complaint counts count
    unanswered: bool = False  # only mentions nobody marked answered (`alerts answered`)
    no_brand: bool = False  # only mentions stored without a brand (an import naming none of the brands' keywords)


def check_columns(columns: Sequence[str]) -> tuple[str, ...]:
    """The columns, or QueryError naming the unknown ones, or those given twice."""
    unknown = [c for c in columns if c not in MENTION_COLUMNS]
    if unknown:
        # Quoted: an empty name (`--columns ''`, `a,,b`) is shown as '' rather than as nothing.
        raise QueryError(f"unknown column(s): {', '.join(map(repr, unknown))}; "
                         f"choose from {', '.join(MENTION_COLUMNS)}")
    # JSON keeps one value of a name given twice, CSV writes two columns of it: the formats would disagree.
    repeated = sorted({c for c in columns if columns.count(c) > 1}, key=columns.index)
    if repeated:
        raise QueryError(f"column(s) given more than once: {', '.join(repeated)}")
    return tuple(columns)


_CLAUSES = {
    "since": "m.created_at >= :since",
    "until": "m.created_at < :until",
    "category": "m.category = :category",
    "label": "m.label = :label",
    "min_score": "m.score >= :min_score",
    "max_score": "m.score <= :max_score",
    "min_complaint": "m.complaint >= :min_complaint",
    "lang": "(lower(m.lang) IN (:lang, :withdrawn) OR lower(substr(m.lang, 1, 3)) IN (:lang_dash, :lang_underscore, "
            ":withdrawn_dash, :withdrawn_underscore))",
    # The posts support has to answer: every detractor, and every complaint but a promoter's (stats.IS_COMPLAINT),
    # such as a 4-star review that rating_takes_precedence made passive.
    "to_answer": f"(m.category = 'detractor' OR (m.complaint >= {COMPLAINT_THRESHOLD!r} AND m.category <> 'promoter'))",
    "unanswered": "m.answered_at IS NULL",
    "no_brand": "m.brand IS NULL",
}
_FLAGS = ("to_answer", "unanswered", "no_brand")  # clauses without a parameter: used when true


# The language filter's clause (mentions aliased m), with the parameters lang_params gives; stats reads it too.
LANG_CLAUSE = _CLAUSES["lang"]
# The NPS category's (:category), which stats reads too.
CATEGORY_CLAUSE = _CLAUSES["category"]


def lang_params(lang: str) -> dict[str, str]:
    """The parameters of LANG_CLAUSE selecting the ISO 639-1 language `lang`."""
    # Tags are stored as collectors wrote them: Twitter's Hebrew is "iw", the code withdrawn for "he".
    withdrawn = next((old for old, new in WITHDRAWN_CODES.items() if new == lang), lang)
    return {"lang": lang, "lang_dash": f"{lang}-", "lang_underscore": f"{lang}_", "withdrawn": withdrawn,
            "withdrawn_dash": f"{withdrawn}-", "withdrawn_underscore": f"{withdrawn}_"}


def source_clause(source: str, sources: Sequence[str] = ()) -> tuple[str, dict[str, Any]]:
    """The clause (mentions aliased m) and parameters selecting the source `source`, read in each of its stored
    spellings `sources` (source_spellings), `source` itself when not given."""
    return name_in("m.source", sources or (source,), "source")


def mentions_sql(
    dialect: Dialect, f: MentionFilter, columns: Sequence[str] = DEFAULT_COLUMNS, order: str = "newest",
    limit: int | None = None, brands: Sequence[str] = (), sources: Sequence[str] = (), offset: int = 0,
) -> tuple[str, dict[str, Any]]:
    """The SELECT (and its parameters) that reads the mentions `f` matches, in `dialect`, the first `offset` of
    them (in `order`, which every order makes total) skipped; `brands`: the stored spellings of `f.brand`
    (brands.brand_spellings), f.brand itself when not given; `sources` those of `f.source` (source_spellings)."""
    params = {name: getattr(f, name) for name in _CLAUSES}
    params.update(since=f.since and to_db(f.since), until=f.until and to_db(f.until),
                  **{flag: getattr(f, flag) or None for flag in _FLAGS})
    if f.lang is not None:
        params.update(lang_params(f.lang))
    used = [clause for name, clause in _CLAUSES.items() if params[name] is not None]
    params = {k: v for k, v in params.items() if v is not None and k not in _FLAGS}
    if f.brand is not None:
        clause, names = name_in("m.brand", brands or (f.brand,))
        used.insert(0, clause)
        params.update(names)
    if f.source is not None:
        clause, names = source_clause(f.source, sources)
        used.insert(0, clause)
        params.update(names)
    source, orders = "mentions m", ORDERS
    if f.search is not None:
        # Each backend has its own index: FTS5 on SQLite, a tsvector on PostgreSQL (see their dialects).
        source, clause, search_params, orders = dialect.search(f.search)
        used.append(clause)
        params.update(search_params)
    if order not in orders:
        raise QueryError(f"unknown order {order!r}; choose from {', '.join(orders)}")
    where = " WHERE " + " AND ".join(used) if used else ""
    select = ", ".join(f"m.{c}" for c in check_columns(columns))
    sql = f"SELECT {select} FROM {source}{where} ORDER BY {orders[order]}"
    if limit is not None:
        sql += " LIMIT :limit"
        params["limit"] = limit
    elif offset and dialect.name == "sqlite":
        sql += " LIMIT -1"  # SQLite takes an OFFSET only after a LIMIT (-1: none); PostgreSQL alone too
    if offset:
        sql += " OFFSET :offset"
        params["offset"] = offset
    return sql, params


# Every distinct source of the mentions, one seek each of idx_mentions_source (a loose index scan, as for brands).
_SOURCE_NAMES = """
    WITH RECURSIVE stored (source) AS (
        SELECT min(source) FROM mentions
        UNION ALL
        SELECT (SELECT min(source) FROM mentions WHERE source > stored.source) FROM stored
            WHERE stored.source IS NOT NULL)
    SELECT source FROM stored WHERE source IS NOT NULL"""


def stored_sources(db: Store) -> list[str]:
    """Every distinct source of the stored mentions, sorted."""
    return sorted(source for (source,) in db.execute(_SOURCE_NAMES).fetchall())


def source_spellings(db: Store, name: str) -> tuple[str, ...]:
    """The stored sources that are `name` ignoring case and width ('Twitter' and 'ｔｗｉｔｔｅｒ' find 'twitter'); (name,)
    when none is."""
    wanted = name_key(name)
    # Several where a store kept 'Twitter' from an import before sources were folded on ingest: each is read.
    return tuple(source for source in stored_sources(db) if name_key(source) == wanted) or (name,)


def iter_mentions(
    db: Store,
    f: MentionFilter,
    columns: Sequence[str] = DEFAULT_COLUMNS,
    order: str = "newest",
    limit: int | None = None,
    offset: int = 0,
) -> Iterator[dict[str, Any]]:
    """Yield the matching mentions one at a time, as dicts of `columns`, the first `offset` skipped; memory stays
    flat for any count."""
    brands = brand_spellings(db, f.brand) if f.brand is not None else ()
    sources = source_spellings(db, f.source) if f.source is not None else ()
    sql, params = mentions_sql(db.dialect, f, columns, order, limit, brands, sources, offset)
    names = tuple(columns)
    try:
        for row in db.stream(sql, params):
            yield dict(zip(names, row))
    except db.errors as exc:
        syntax = db.dialect.search_error(exc, f.search) if f.search is not None else None
        if syntax is not None:
            raise syntax from None
        raise
