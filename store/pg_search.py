"""Translating an FTS5-style search (words, "phrases", OR, AND, NOT, prefix*, parentheses) into a tsquery."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from brandpulse.store.errors import WORDLESS_TERM, SearchSyntaxError
from brandpulse.store.folding import HANGUL, fold, searchable

# A phrase (with "" for a quote inside), a parenthesis, or a bare word up to the next space, quote or parenthesis.
_TOKEN = re.compile(r'\s*(?:"((?:[^"]|"")*)"(\*?)|(\()|(\))|([^\s()"]+))')
_WORD = re.compile(r"\w+")
_PREFIX_END = re.compile(r"(?<=\*)")  # splits a bare word after each *
_OPERATORS = ("AND", "OR", "NOT")
# FTS5 reads `text:refund` or `{text author}:refund` as a column filter; the tsvector has one column.
_COLUMN_FILTER = re.compile(r"[A-Za-z_{][\w{} ]*:")


def lexemes(text: str, prefix: bool) -> str:
    """`text` as tsquery lexemes (a phrase of its words), folded as the tsvector is; `prefix`: its last word as a prefix."""
    # Quoted, the term goes through the same parser as the stored text: several words become a phrase (<->).
    if not _WORD.search(text):
        raise SearchSyntaxError(WORDLESS_TERM.format(term=text))
    # Folded as the tsvector is (pg_migrations m009): 'café' and 'cafe' are the same word, as in FTS5.
    return _quoted(fold(text), prefix)


def _quoted(text: str, prefix: bool) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'" + (":*" if prefix else "")


ON_POSTGRESQL = "on PostgreSQL"


def _tokens(expression: str, term: Callable[[str, bool], str] = lexemes,
            where: str = ON_POSTGRESQL, shown: str | None = None) -> list[tuple[str, str]]:
    """The expression's terms (each as `term` writes it), operators and parentheses; SearchSyntaxError for FTS5
    syntax not supported `where`, quoting `shown` (the search as typed, before folding.searchable) or `expression`."""
    found, at = [], 0
    expression = expression.rstrip()
    shown = expression if shown is None else shown
    while at < len(expression):
        match = _TOKEN.match(expression, at)
        if match is None or match.end() == at:
            raise SearchSyntaxError(f"{shown!r}: unterminated phrase at character {at + 1}; close it with \"")
        phrase, star, opening, closing, word = match.groups()
        at = match.end()
        if phrase is not None:
            found.append(("term", term(phrase.replace('""', '"'), bool(star))))
        elif opening or closing:
            found.append((opening or closing, ""))
        elif word in _OPERATORS:
            found.append((word, ""))
        elif word == "NEAR" and expression[at:].lstrip().startswith("("):
            raise SearchSyntaxError(f"{shown!r}: NEAR() is not supported {where}; use a \"phrase\" (its words side by "
                                    "side) or AND (both anywhere in the text)")
        elif _COLUMN_FILTER.match(word):
            raise SearchSyntaxError(f"{shown!r}: column filters ({word.partition(':')[0]}:) are not supported "
                                    f"{where}; "
                                    "search the text with words and \"phrases\"")
        elif word.startswith("^"):
            raise SearchSyntaxError(f"{shown!r}: ^ (the text's first word) is not supported {where}; "
                                    f"search for {word[1:] or 'the word'} anywhere in the text")
        elif word.startswith("-"):
            raise SearchSyntaxError(f"{shown!r}: a leading - does not exclude here; write NOT {word[1:]}")
        else:
            # FTS5 reads `refund*crash` as the prefix refund* and then the word crash, side by side.
            found += [("term", term(part.rstrip("*"), part.endswith("*"))) for part in _PREFIX_END.split(word)
                      if part]
    return found


@dataclass(frozen=True)
class Operators:
    """How a translation writes FTS5's OR, AND and NOT: tsquery's by default."""

    any_of: str = " | "
    all_of: str = " & "
    excluding: str = "({} & !{})"


def _joined(parts: list[str], operator: str) -> str:
    """`parts` joined by a tsquery operator, in parentheses when there are several."""
    return parts[0] if len(parts) == 1 else "(" + operator.join(parts) + ")"


class _Parser:
    """FTS5 precedence: terms side by side (implicit AND) bind tighter than NOT, NOT tighter than AND, AND tighter
    than OR: `a NOT b c` is `a NOT (b AND c)`, `a NOT b AND c` is `(a NOT b) AND c`."""

    def __init__(self, expression: str, term: Callable[[str, bool], str] = lexemes,
                 operators: Operators = Operators(), where: str = ON_POSTGRESQL, shown: str | None = None):
        self.expression = expression if shown is None else shown  # as typed, for the messages
        self.tokens = _tokens(expression, term, where, shown)
        self.operators = operators
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at][0] if self.at < len(self.tokens) else None

    def fail(self, why: str) -> SearchSyntaxError:
        return SearchSyntaxError(f"{self.expression!r} is not valid search syntax: {why}; "
                                 'put phrases in double quotes, e.g. "double charged" OR refund')

    def parse(self) -> str:
        if not self.tokens:
            raise self.fail("it is empty")
        result = self.any_of()
        if self.peek() is not None:
            raise self.fail(f"unexpected {self.peek()!r}")
        return result

    def any_of(self) -> str:
        parts = [self.all_of()]
        while self.peek() == "OR":
            self.at += 1
            parts.append(self.all_of())
        return _joined(parts, self.operators.any_of)

    def all_of(self) -> str:
        parts = [self.excluding()]
        while self.peek() in ("AND", "term", "("):
            if self.peek() == "AND":
                self.at += 1
            parts.append(self.excluding())
        return _joined(parts, self.operators.all_of)

    def excluding(self) -> str:
        result = self.side_by_side()
        while self.peek() == "NOT":
            self.at += 1
            result = self.operators.excluding.format(result, self.side_by_side())
        return result

    def side_by_side(self) -> str:
        parts = [self.primary()]
        while self.peek() == "term":
            parts.append(self.primary())
        return _joined(parts, self.operators.all_of)

    def primary(self) -> str:
        kind = self.peek()
        if kind == "term":
            self.at += 1
            return self.tokens[self.at - 1][1]
        if kind == "(":
            self.at += 1
            inner = self.any_of()
            if self.peek() != ")":
                raise self.fail("a parenthesis is not closed")
            self.at += 1
            return inner
        raise self.fail("a term is missing" + (f" before {kind!r}" if kind else " at the end"))


def _korean_prefix(text: str, prefix: bool) -> str:
    """`lexemes`, a term holding Korean as a prefix: Korean glues its particles to the word (환불 finds 환불이)."""
    return lexemes(text, prefix or HANGUL.search(text) is not None)


def to_tsquery(expression: str) -> str:
    """The tsquery text (for `to_tsquery('simple', ...)`) that matches what FTS5 matches for `expression`."""
    return _Parser(searchable(expression), _korean_prefix, shown=expression).parse()


def translated(expression: str, term: Callable[[str, bool], str], operators: Operators, where: str) -> str:
    """`expression` parsed with FTS5's precedence, each term written by `term(text, prefix)`, joined by
    `operators`; SearchSyntaxError for invalid syntax, or syntax not supported `where`."""
    return _Parser(searchable(expression), term, operators, where, expression).parse()
