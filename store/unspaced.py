"""Searching text written without spaces between words (Chinese, Japanese, Thai, Lao, Myanmar, Khmer).

Both indexes (FTS5's unicode61, PostgreSQL's simple parser) hold a run of such letters, up to the next space or
punctuation, as one word: コーヒー is not a word of "Pinebrookのコーヒーは最高です", nor สาขา of "สาขานี้บริการดีมาก".
A search holding such a term is read with FTS5's syntax and precedence as before, but each such term is looked for
as a substring of the text as the indexes read it (`folding.searchable`: in NFKC, so ｺｰﾋｰ is コーヒー), and every
other term in the index. No index is added: a trigram index (FTS5's trigram
tokenizer, pg_trgm) finds no term shorter than three characters, and most Chinese words, many Japanese and Thai
ones, are two; its size and the time to write it would be paid for every post, in every language. The substring
test reads the text of each mention the other filters (and the indexed terms) leave: see README for its cost.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from brandpulse.store.folding import UNSPACED_LETTERS, searchable
from brandpulse.store.pg_search import Operators, translated

UNSPACED = re.compile(f"[{UNSPACED_LETTERS}]")
# Korean is written with spaces but glues its particles to the word ("환불이", "파인브룩에서"): a Korean term is looked
# for in the index as a prefix, so that 환불 finds 환불이 and 환불을 (and compounds such as 환불금).
HANGUL = re.compile("[\uac00-\ud7a3]")
SQL_OPERATORS = Operators(any_of=" OR ", all_of=" AND ", excluding="({} AND NOT {})")
BESIDE = "beside Chinese, Japanese or Thai terms"
# Without an index's order or rank: newest stored first for relevance too.
ORDERS = {"newest": "m.id DESC", "oldest": "m.id", "stored": "m.id", "relevance": "m.id DESC",
          "complaint": "m.complaint IS NULL, m.complaint DESC, m.id DESC"}


def has_unspaced(expression: str) -> bool:
    """Whether the search `expression` holds a letter of a script written without spaces, or Korean: it is then
    read term by term (`unspaced_search`)."""
    expression = searchable(expression)
    return UNSPACED.search(expression) is not None or HANGUL.search(expression) is not None


def unspaced_search(expression: str, indexed: str, indexed_value: Callable[[str, bool], str],
                    substring: str) -> tuple[str, dict[str, Any]]:
    """The WHERE clause (over `mentions m`) and parameters for `expression`: a term the index holds is the condition
    `indexed` on `indexed_value(text, prefix)`, a term in a script written without spaces the condition `substring`
    on the term lower-cased as the indexes read it (each with `{}` for its parameter)."""
    params: dict[str, Any] = {}

    def term(text: str, prefix: bool) -> str:
        name = f"search{len(params)}"
        unspaced = UNSPACED.search(text) is not None
        korean = HANGUL.search(text) is not None
        params[name] = searchable(text).lower() if unspaced else indexed_value(text, prefix or korean)
        return (substring if unspaced else indexed).format(f":{name}")

    return translated(expression, term, SQL_OPERATORS, BESIDE), params


def fts5_term(text: str, prefix: bool) -> str:
    """`text` as an FTS5 phrase."""
    return '"' + text.replace('"', '""') + '"' + ("*" if prefix else "")
