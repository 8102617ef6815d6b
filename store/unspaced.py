"""Searching text written without spaces between words (Chinese, Japanese, Thai, Lao, Myanmar, Khmer).

Both indexes (FTS5's unicode61, PostgreSQL's simple parser) hold a run of such letters, up to the next space or
punctuation, as one word: コーヒー is not a word of "Pinebrookのコーヒーは最高です", nor สาขา of "สาขานี้บริการดีมาก".
A search holding such a term is read with FTS5's syntax and precedence as before, but each such term is looked for
as a substring of the text as the indexes read it (`folding.searchable`: in NFKC, so ｺｰﾋｰ is コーヒー), and every
other term in the index. No index is added: a trigram index (FTS5's trigram
tokenizer, pg_trgm) finds no term shorter than three characters, and most Chinese words, many Japanese and Thai
ones, are two; its size and the time to write it would be paid for every post, in every language. The substring
test reads the text of each mention the other filters (and the indexed terms) leave: see README for its cost.
Relevance ranks such matches by bm25's weight of how often each term occurs against the text's length; NEAR is
refused, the text having no word positions for a substring. A search holding Korean but none of these letters goes
through the index alone, each Korean term as a prefix: it ranks as any other search, and FTS5 takes its NEAR.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from brandpulse.store.folding import HANGUL, UNSPACED_LETTERS, searchable
from brandpulse.store.pg_search import Operators, translated

UNSPACED = re.compile(f"[{UNSPACED_LETTERS}]")
SQL_OPERATORS = Operators(any_of=" OR ", all_of=" AND ", excluding="({} AND NOT {})")
# The relevance of a match: its terms' weights added up, a term after NOT counting nothing ("{0}" keeps the left side).
RANK_OPERATORS = Operators(any_of=" + ", all_of=" + ", excluding="{0}")
BESIDE = "beside Chinese, Japanese or Thai terms (each looked for as a substring of the text, not a word of the index)"
ORDERS = {"newest": "m.id DESC", "oldest": "m.id", "stored": "m.id",
          "complaint": "m.complaint IS NULL, m.complaint DESC, m.id DESC"}
# The text as the indexes read it, lower-cased (as ASCII on SQLite: the unspaced letters have no case).
SEARCHED = "lower(coalesce(m.search_text, m.text))"
# How often a term (the parameter {t}, of {n} characters) occurs in the text.
_OCCURRENCES = f"((length({SEARCHED}) - length(replace({SEARCHED}, {{t}}, ''))) / {{n}})"
# bm25's weight of a term with those occurrences (k1 1.2, b 0.75, FTS5's), the text's length against the average of
# the matches, in characters (the substring has no words to count); without its weight for rare terms, for which
# the index holds no count of the texts holding a substring.
_WEIGHT = (f"({_OCCURRENCES} * 2.2 / ({_OCCURRENCES} + 1.2 * (0.25 + 0.75 * length({SEARCHED}) / "
           f"avg(length({SEARCHED})) OVER ())))")


def has_unspaced(expression: str) -> bool:
    """Whether the search `expression` holds a letter of a script written without spaces: it is then read term by
    term (`unspaced_search`)."""
    return UNSPACED.search(searchable(expression)) is not None


def has_korean(expression: str) -> bool:
    """Whether the search `expression` holds Korean, whose terms are looked for in the index as prefixes."""
    return HANGUL.search(expression) is not None


def korean_prefix(term: Callable[[str, bool], str]) -> Callable[[str, bool], str]:
    """`term` (a translation's writer of a term), looking for a term holding Korean as a prefix."""
    return lambda text, prefix: term(text, prefix or HANGUL.search(text) is not None)


# An FTS5 phrase ("...", "" for a quote inside) or bare word, with its * when it has one.
_FTS5_TERM = re.compile(r'"(?:[^"]|"")*"\*?|[^\s()"*:+^{},]+\*?')


def fts5_korean_prefixes(expression: str) -> str:
    """The FTS5 search `expression` with each term holding Korean made a prefix ("환불" as "환불"*), the rest of its
    syntax (NEAR, column filters, ^) as written."""
    return _FTS5_TERM.sub(lambda m: m[0] + ("*" if HANGUL.search(m[0]) and not m[0].endswith("*") else ""),
                          expression)


def unspaced_search(expression: str, indexed: str, indexed_value: Callable[[str, bool], str],
                    substring: str) -> tuple[str, dict[str, Any], dict[str, str]]:
    """The WHERE clause (over `mentions m`), its parameters and the orders for `expression`: a term the index holds is
    the condition `indexed` on `indexed_value(text, prefix)`, a term in a script written without spaces the condition
    `substring` on the term lower-cased as the indexes read it (each with `{}` for its parameter); relevance ranks by
    bm25's weight of how often each term occurs (`_WEIGHT`)."""
    params: dict[str, Any] = {}

    def term(text: str, prefix: bool) -> str:
        name = f"search{len(params)}"
        unspaced = UNSPACED.search(text) is not None
        params[name] = searchable(text).lower() if unspaced else korean_prefix(indexed_value)(text, prefix)
        return (substring if unspaced else indexed).format(f":{name}")

    def weight(text: str, prefix: bool) -> str:
        name = f"rank{len(params)}"
        params[name] = searchable(text).lower()
        params[f"{name}_length"] = len(params[name])
        return _WEIGHT.format(t=f":{name}", n=f":{name}_length")

    clause = translated(expression, term, SQL_OPERATORS, BESIDE)
    relevance = translated(expression, weight, RANK_OPERATORS, BESIDE)
    return clause, params, dict(ORDERS, relevance=f"{relevance} DESC, m.id DESC")


def fts5_term(text: str, prefix: bool) -> str:
    """`text` as an FTS5 phrase."""
    return '"' + text.replace('"', '""') + '"' + ("*" if prefix else "")
