"""The store handle every store function takes: one narrow interface, implemented for SQLite and PostgreSQL.

Store functions are written once, in SQL both databases run (`?` and `:name` placeholders, `ON CONFLICT`,
`RETURNING`, `count(*) FILTER (WHERE ...)`), against the methods below. What the two databases spell differently
(full-text search, time arithmetic, row claims, locks) is a method or a `dialect` attribute of the handle, never an
`if` on the backend in the store functions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote_plus

Params = Sequence[Any] | dict[str, Any] | None


class Dialect(Protocol):
    """The SQL fragments the two databases write differently."""

    name: str
    encode_errors: tuple[type[BaseException], ...]  # what a text the database cannot store raises
    skip_locked: str  # ends a subquery whose rows another worker has locked are left out ('' where none can)
    for_update: str  # ends a SELECT whose rows the transaction holds till it ends ('' where it holds the database)

    def bulk_insert(self, db: Store, rows: list[tuple[Any, ...]], insert: Callable[[Store, list], int]) -> int:
        """Insert many mentions through `insert`, with whatever the backend does around a large batch."""

    def search_error(self, exc: BaseException, expression: str) -> Exception | None:
        """The SearchSyntaxError a failed search means, or None for any other failure."""

    def epoch(self, column: str) -> str:
        """An integer expression: the Unix time of the ISO 8601 text in `column`."""

    def bucket(self, by: str, column: str, zone: str) -> str:
        """An expression giving the start of the hour, day, week (Monday) or month, in the IANA time zone `zone`, of
        the ISO 8601 text in `column`, as stored-form UTC text; the statement binds `zone` as :zone."""

    def sync_ids(self, db: Store, table: str) -> None:
        """After rows were written with explicit ids: make sure new rows get ids above them."""

    def search(self, expression: str) -> tuple[str, str, dict[str, Any], dict[str, str]]:
        """For an FTS5-style search: the FROM source, the WHERE clause, its parameters and the orders it allows."""


class Store(Protocol):
    """A connection to the mention store; store functions use only these methods."""

    dialect: Dialect
    target: str  # the file path or the URL without its password, for messages
    errors: tuple[type[BaseException], ...]  # what the driver raises for SQL errors

    def execute(self, sql: str, params: Params = None) -> Any:
        """Run one statement; the cursor has fetchone/fetchall, iteration, rowcount and description."""

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """Run one statement per row; returns the rows changed."""

    def insert_ignoring(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], key: Sequence[str],
    ) -> int:
        """Insert `rows` of `columns`, skipping those whose `key` is already stored; returns how many were new."""

    def query(self, sql: str, params: Params = None) -> Iterator[dict[str, Any]]:
        """The rows of a SELECT as dicts."""

    def stream(self, sql: str, params: Params = None) -> Iterator[tuple[Any, ...]]:
        """The rows of a SELECT as tuples, fetched in chunks: memory stays flat for any count."""

    def transaction(self) -> AbstractContextManager[Any]:
        """One write transaction; a nested one joins the enclosing transaction."""

    def claim(self, sql: str, params: Params = None) -> AbstractContextManager[list[tuple[Any, ...]]]:
        """Rows of a SELECT held for this process until the block ends; other workers skip them meanwhile."""

    def exclusive(self, name: str) -> AbstractContextManager[None]:
        """Run the block while no other worker on this store holds the lock `name` (waits for it)."""

    def read_only_statement(self, sql: str, params: Params = None) -> AbstractContextManager[Any]:
        """The cursor of one analyst statement that cannot write, whatever it says."""

    def tune_for_bulk(self) -> None:
        """Settings for a long bulk import on this connection."""

    def analyze(self, table: str) -> None:
        """Refresh the planner's statistics (PostgreSQL: and visibility map) of `table` after a bulk import."""

    def close(self) -> None:
        """Give the connection back."""


class Transactions:
    """`transaction()` for both stores: BEGIN once, COMMIT or ROLLBACK at the end; nested calls join it."""

    _depth = 0
    BEGIN = "BEGIN"

    def _finish(self, statement: str) -> None:
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """One write transaction; a nested one joins the enclosing transaction."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        self._finish(self.BEGIN)
        self._depth = 1
        try:
            yield self
        except BaseException:
            self._depth = 0
            self._finish("ROLLBACK")
            raise
        self._depth = 0
        self._finish("COMMIT")


def transaction(db: Store) -> AbstractContextManager[Any]:
    """One write transaction on `db`: everything inside commits together or not at all."""
    return db.transaction()


_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(target: object) -> bool:
    """Whether a --db / store.url value is a database URL rather than a file path."""
    return isinstance(target, str) and bool(_URL.match(target))


# libpq's key=value form: `host=db password=s3cret dbname=bp`.
_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('[^']*'|\S+)")


def label(target: object) -> str:
    """How to name a store in messages: the path, or the URL without its password (either form of it)."""
    return redact(target) if is_url(target) else _KEYWORD_PASSWORD.sub(r"\1***", str(target))


def _authority(url: str) -> tuple[str, str, str]:
    """The URL split as (before the authority, the authority, the rest), by string operations alone: the user info
    runs to the last `@` before the path (a password may hold `?`, `#` or an unencoded `@`). urlsplit raises on a
    malformed host ("[::1" without its bracket), and an error about such a URL must still hide its password."""
    head, found, tail = url.partition("://")
    if not found:
        return url, "", ""
    at, slash = tail.find("@"), tail.find("/")
    host = 0
    if at >= 0 and (slash < 0 or at < slash):
        # An `@` left unencoded in the password ("Xy@Zw9secret@host"): the user info runs to the last `@` before the
        # path, so that no part of the password is taken for the host and printed (libpq reads to the first).
        path = tail.find("/", at)
        host = tail.rfind("@", 0, path if path >= 0 else len(tail)) + 1
    end = min((i for i in (tail.find(c, host) for c in "/?#") if i >= 0), default=len(tail))
    return head + found, tail[:end], tail[end:]


# A password with a `/` in it is no user info to libpq, but it is still a secret to keep out of messages.
_LOOSE_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:/@?#]*:)([^@?#]+)(@)")


def url_password(url: str) -> str | None:
    """The password of the URL's user info, or None."""
    userinfo, at, _ = _authority(url)[1].rpartition("@")
    if at:
        return userinfo.partition(":")[2] or None
    loose = _LOOSE_PASSWORD.match(url)
    return loose.group(2) if loose else None


def has_password(url: str) -> bool:
    """Whether the URL carries a password, before the host or as libpq's `?password=` parameter."""
    query = _authority(url)[2].partition("?")[2].partition("#")[0]
    return bool(url_password(url)) or any(key == "password" for key, _ in parse_qsl(query))


def redact(url: str) -> str:
    """The URL without its password (user info or `?password=`), for messages and logs."""
    if not has_password(url):
        return url
    if "@" not in _authority(url)[1]:
        url = _LOOSE_PASSWORD.sub(r"\1***\3", url)
    head, authority, rest = _authority(url)
    userinfo, at, host = authority.rpartition("@")
    if at and url_password(url):
        authority = f"{userinfo.partition(':')[0]}:***@{host}"
    path, mark, query = rest.partition("?")
    query, hash_mark, fragment = query.partition("#")
    if mark:  # the rest as typed (`?host=/tmp/pg`, not re-encoded as `?host=%2Ftmp%2Fpg`): the URL the user knows
        query = "&".join("password=***" if _is_password(pair) else pair for pair in query.split("&"))
    return head + authority + path + mark + query + hash_mark + fragment


def _is_password(pair: str) -> bool:
    """Whether one `key=value` of a URL's query gives the password (its key written plainly or percent-encoded)."""
    return unquote_plus(pair.partition("=")[0]) == "password"
