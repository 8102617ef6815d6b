"""What kind of statement an analyst gave `brandpulse sql`: only queries are run."""

from __future__ import annotations

import re

from brandpulse.store.errors import QueryError

# Spaces, comments and opening brackets before a statement's first keyword.
_LEADING = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/|\()*", re.S)
_WORD = re.compile(r"[A-Za-z_]+")
REFUSED = ("brandpulse sql is read-only: it runs one query ({verbs}), not {given}; "
           "the store is changed by brandpulse's own commands")


def statement_verb(sql: str) -> str:
    """The first keyword of `sql` in upper case ('' when there is none), after spaces, comments and brackets."""
    word = _WORD.match(sql, _LEADING.match(sql).end())
    return word.group().upper() if word else ""


def check_query(sql: str, verbs: tuple[str, ...]) -> str:
    """The statement's first keyword when it is one of `verbs`; else QueryError naming what it is."""
    verb = statement_verb(sql)
    if verb not in verbs:
        # Blank, or comments alone: 'a statement without a keyword' sent the analyst looking for one in nothing.
        blank = _LEADING.match(sql).end() == len(sql)
        given = verb or ("an empty statement (nothing but spaces or comments)" if blank else
                         "a statement without a keyword")
        raise QueryError(REFUSED.format(verbs=", ".join(verbs), given=given))
    return verb
