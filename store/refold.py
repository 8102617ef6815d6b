"""Stored search text written again when `folding.searchable` reads more than it did: no schema change, a mark in
`state` naming what the stored `search_text` follows (`folding.FOLDING`)."""

from __future__ import annotations

import logging

from brandpulse.store.backend import Store, transaction
from brandpulse.store.folding import FOLDING, search_text
from brandpulse.store.migrations import NOT_ASCII_SQLITE, SET_SEARCH_TEXT
from brandpulse.store.pg_migrations import NOT_ASCII_POSTGRES
from brandpulse.store.state import get_value, set_value

logger = logging.getLogger(__name__)

FOLDING_KEY = "search.folding"
_PAGE = 10_000
_NOT_ASCII = {"sqlite": NOT_ASCII_SQLITE, "postgresql": NOT_ASCII_POSTGRES}
_STORED_PAGE = "SELECT id, text, search_text FROM mentions WHERE id > ? AND {not_ascii} ORDER BY id LIMIT ?"


def follow_folding(db: Store) -> int:
    """Write `search_text` again where `searchable` now reads a stored text otherwise (a store indexed before it read
    ㎏ as kg: only ASCII-free rows are read), once per store; returns how many changed. Each page is committed with
    its index: a run cut short is taken up again, and two processes doing it at once write the same."""
    if get_value(db, FOLDING_KEY) == FOLDING:
        return 0
    changed, after = 0, 0
    page = _STORED_PAGE.format(not_ascii=_NOT_ASCII[db.dialect.name])
    while rows := db.execute(page, [after, _PAGE]).fetchall():
        changes = [(new, id_) for id_, text, old in rows if (new := search_text(text)) != old]
        if changes:
            with transaction(db):
                db.executemany(SET_SEARCH_TEXT, changes)
        changed += len(changes)
        after = rows[-1][0]
    with transaction(db):
        set_value(db, FOLDING_KEY, FOLDING)
    if changed:
        logger.warning("search: %d stored mention(s) indexed again as search now reads them (%s)", changed, FOLDING)
    return changed
