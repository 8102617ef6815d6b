"""The SQLite store: one file in WAL mode, private to its owner, FTS5 for search."""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlite_utils

from brandpulse.store.backend import Params, Transactions
from brandpulse.store.errors import WORDLESS_TERM, DiskFull, QueryError, SearchSyntaxError, StoreError
from brandpulse.store.folding import searchable
from brandpulse.store.unspaced import (SEARCHED, fts5_korean_prefixes, fts5_term, has_korean, has_unspaced,
                                       unspaced_search)
from brandpulse.store.migrations import migrate
from brandpulse.store.lock import ServiceLock
from brandpulse.store.owners import foreign_file
from brandpulse.store.refold import follow_folding
from brandpulse.store.statements import check_query
from brandpulse.store.timestamps import local_bucket

BUSY_TIMEOUT_S = 30.0
# What `brandpulse sql` runs: queries, and PRAGMA for the schema (table_info, index_list).
_SQL_VERBS = ("SELECT", "WITH", "VALUES", "EXPLAIN", "PRAGMA")
# The pragmas whose value names what to read (a table, an index, how many errors), not a setting to change.
_READ_PRAGMAS = frozenset({"table_info", "table_xinfo", "table_list", "index_info", "index_xinfo", "index_list",
                           "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check"})
PRAGMA_SET = ("brandpulse sql is read-only: PRAGMA {name} given a value changes a setting, refused; "
              "PRAGMA {name} alone reads it")
_PRAGMA_NAME = re.compile(r"PRAGMA\s+(?:\w+\s*\.\s*)?(\w+)", re.I)
DISK_FULL = ("database {path}: disk full ({error}); free space on its disk, then run again: what was committed "
             "before is kept, and the work cut short is redone")
_FTS_TRIGGER = "mentions_fts_insert"
INDEX_NEW_ROWS = ("INSERT INTO mentions_fts (rowid, text) SELECT id, coalesce(search_text, text) FROM mentions "
                  "WHERE id > ?")
# What SQLite says about a MATCH expression it cannot parse (as opposed to a locked or broken database).
_FTS_SYNTAX_ERRORS = ("fts5", "unterminated string", "no such column", "syntax error", "malformed MATCH",
                      "unknown special query")
# A search's terms: a "phrase" (with "" for a quote inside) or a bare word; FTS5's tokenizer indexes letters and
# digits only, so a term with neither (an emoji, "!!!") matches nothing alone and is dropped beside other words.
_FTS_TERM = re.compile(r'"((?:[^"]|"")*)"|([^\s()",]+)')
_INDEXED = re.compile(r"[^\W_]")
# A search holding Chinese, Japanese or Thai (store/unspaced.py): each other term through the index, each such term
# as a substring of the text as indexed (lower-cased as ASCII: SQLite's lower(), as the term's letters beyond ASCII
# need none).
_INDEXED_TERM = "m.id IN (SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH {})"
_SUBSTRING = f"instr({SEARCHED}, {{}}) > 0"
# A search walks the FTS index in rowid (storage) order and stops at the limit; sorting by created_at would
# read every match first (about 150 ms per common word at a million mentions). Collectors store mentions as they
# are published, so storage order is publication order but for back-filled imports.
_SEARCH_ORDERS = {
    "newest": "mentions_fts.rowid DESC",
    "oldest": "mentions_fts.rowid",
    "stored": "mentions_fts.rowid",
    # Ties broken by rowid: equal ranks came in any order, and a page (--offset) could repeat or skip a post.
    "relevance": "mentions_fts.rank, mentions_fts.rowid DESC",
    "complaint": "m.complaint IS NULL, m.complaint DESC, mentions_fts.rowid DESC",
}
# Timestamps are stored as 'YYYY-MM-DDTHH:MM:SSZ' text, so UTC buckets are cheap string operations; each gives the
# bucket's start in that same form. SQLite knows no time zones: another zone's buckets come from bp_bucket (Python's
# zoneinfo, registered on each connection).
_UTC_BUCKETS = {
    "hour": "substr({c}, 1, 13) || ':00:00Z'",
    "day": "substr({c}, 1, 10) || 'T00:00:00Z'",
    # The Monday on or before the day: step back six days, then forward to the next Monday.
    "week": "date(substr({c}, 1, 10), '-6 days', 'weekday 1') || 'T00:00:00Z'",
    "month": "substr({c}, 1, 7) || '-01T00:00:00Z'",
}
_ZONE_BUCKET = "bp_bucket({c}, '{by}', :zone)"


def _refuse_wordless_terms(expression: str, shown: str) -> None:
    """SearchSyntaxError for a term the index cannot hold: '🚀' found nothing and 'acme 🚀' every 'acme', silently
    (PostgreSQL refuses both). Bare ASCII punctuation is FTS5's own syntax (+, *, ^), which FTS5 itself checks.
    `shown`: the search as typed, before folding.searchable, for the message."""
    for phrase, word in _FTS_TERM.findall(expression):
        term = word or phrase.replace('""', '"')
        if _INDEXED.search(term) is None and (not word or not term.isascii()):
            raise SearchSyntaxError(f"{shown!r}: {WORDLESS_TERM.format(term=term)}")


class SqliteDialect:
    """SQLite's spelling of the dialect-specific fragments."""

    name = "sqlite"
    encode_errors: tuple[type[BaseException], ...] = (UnicodeEncodeError,)
    skip_locked = ""  # one writer at a time: no row is another worker's
    for_update = ""  # a write transaction (BEGIN IMMEDIATE) already holds the whole database

    def epoch(self, column: str) -> str:
        """Unix time of an ISO 8601 text column."""
        return f"CAST(strftime('%s', {column}) AS INTEGER)"

    def bucket(self, by: str, column: str, zone: str) -> str:
        """The stored-form UTC start of the hour, day, week or month, in `zone` (the parameter :zone), of `column`."""
        return (_UTC_BUCKETS[by] if zone == "UTC" else _ZONE_BUCKET).format(c=column, by=by)

    def search(self, expression: str) -> tuple[str, str, dict[str, Any], dict[str, str]]:
        """FTS5: the index joined to its rows, MATCH (read as the index reads the text: folding.searchable), and the
        index's own order."""
        folded = searchable(expression)
        _refuse_wordless_terms(folded, expression)
        if has_unspaced(folded):
            return ("mentions m", *unspaced_search(expression, _INDEXED_TERM, fts5_term, _SUBSTRING))
        if has_korean(folded):  # the index alone, each Korean term a prefix: bm25 and NEAR as for any search
            folded = fts5_korean_prefixes(folded)
        return ("mentions_fts JOIN mentions m ON m.id = mentions_fts.rowid", "mentions_fts MATCH :search",
                {"search": folded}, _SEARCH_ORDERS)

    def search_error(self, exc: BaseException, expression: str) -> SearchSyntaxError | None:
        """The syntax error a failed search means, or None for any other failure."""
        if isinstance(exc, sqlite3.OperationalError) and any(hint in str(exc) for hint in _FTS_SYNTAX_ERRORS):
            return SearchSyntaxError(f"{expression!r} is not valid FTS5 search syntax ({exc}); "
                                     'put phrases in double quotes, e.g. "double charged" OR refund')
        return None

    def sync_ids(self, db: SqliteStore, table: str) -> None:
        """Nothing to do: a new row takes max(id) + 1 whatever ids were written explicitly."""

    def bulk_insert(self, db: SqliteStore, rows: list[tuple[Any, ...]], insert: Callable[..., int]) -> int:
        """Insert many mentions indexing their text once at the end; call in a transaction."""
        # FTS5 flushes its pending terms at every statement a trigger runs in, so indexing row by row costs about
        # five times what one INSERT ... SELECT over the batch costs. Inside this transaction the insert trigger
        # is set aside and restored as it was; a failure rolls both back, and no other writer can see the gap.
        trigger = db.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                             [_FTS_TRIGGER]).fetchone()
        last_id = db.execute("SELECT coalesce(max(id), 0) FROM mentions").fetchone()[0]
        if trigger:
            db.execute(f"DROP TRIGGER {_FTS_TRIGGER}")
        new = insert(db, rows)
        if trigger:
            # Without AUTOINCREMENT new rows take ids above the current maximum: exactly this batch's rows.
            db.execute(INDEX_NEW_ROWS, [last_id])
            db.execute(trigger[0])
        return new


class SqliteStore(Transactions, sqlite_utils.Database):
    """A sqlite-utils Database with the store interface (`brandpulse.store.backend.Store`)."""

    dialect = SqliteDialect()
    # IMMEDIATE: take the write lock at once, so a transaction never fails half-way on SQLITE_BUSY.
    # Use raw `execute` inside: sqlite-utils' table helpers commit on their own.
    BEGIN = "BEGIN IMMEDIATE"
    errors: tuple[type[BaseException], ...] = (sqlite3.Error,)

    def __init__(self, conn: sqlite3.Connection, target: str):
        super().__init__(conn)
        self.target = target

    @contextmanager
    def _space(self) -> Iterator[None]:
        """A full disk as the store's own error, naming the file: a traceback per job and run says less."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_FULL:
                raise
            raise DiskFull(DISK_FULL.format(path=self.target, error=exc)) from exc

    def execute(self, sql: str, parameters: Any = None) -> sqlite3.Cursor:
        """Run one statement; `DiskFull` when the disk has no room for what it writes."""
        with self._space():
            return super().execute(sql, parameters)

    def executemany(self, sql: str, rows: Any) -> int:
        """Run `sql` once per row; returns the rows changed."""
        with self._space():
            return max(self.conn.executemany(sql, rows).rowcount, 0)

    def insert_ignoring(self, table: str, columns: Any, rows: Any, key: Any) -> int:
        """INSERT ... ON CONFLICT DO NOTHING, once per row (table and columns are the caller's constants)."""
        return self.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
            f"ON CONFLICT ({', '.join(key)}) DO NOTHING",
            rows,
        )

    def stream(self, sql: str, params: Params = None) -> Iterator[tuple[Any, ...]]:
        """Rows as tuples; SQLite steps through them one at a time."""
        yield from self.execute(sql, params or [])

    def _finish(self, statement: str) -> None:
        # SQLite rolls a transaction back itself on some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM): a ROLLBACK
        # then fails with "no transaction is active", and that error would hide the one that says what went wrong.
        if statement != "ROLLBACK" or self.conn.in_transaction:
            self.execute(statement)

    @contextmanager
    def claim(self, sql: str, params: Params = None) -> Iterator[list[tuple[Any, ...]]]:
        """The rows; one service per SQLite file (its lock file) means nobody else can take them."""
        yield self.execute(sql, params or []).fetchall()

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """Nothing to take: the service lock file already makes this process the only worker."""
        yield

    @contextmanager
    def read_only_statement(self, sql: str, params: Params = None) -> Iterator[sqlite3.Cursor]:
        """The statement's cursor: a store opened read-only (mode=ro, query_only) refuses any write itself; a statement
        that is no query is refused before it runs, saying so."""
        verb = check_query(sql, _SQL_VERBS)
        self.conn.set_authorizer(_analyst)  # checked as the statement is prepared, by execute
        try:
            cursor = self.execute(sql, params or [])
        except sqlite3.DatabaseError as exc:
            if verb == "PRAGMA" and str(exc) == "not authorized":  # _analyst's refusal of a setting
                raise QueryError(PRAGMA_SET.format(name=_pragma_name(sql))) from None
            raise
        yield cursor

    def analyze(self, table: str) -> None:
        """Nothing: SQLite's plans here come from the indexes alone (no sqlite_stat1 is kept)."""

    def tune_for_bulk(self) -> None:
        """Settings for a long bulk import on this connection."""
        # A bulk import touches seven B-trees per row: a 64 MB page cache (instead of 2 MB) keeps their upper
        # levels in memory, and checkpointing every 64 MB of WAL instead of every 4 MB batches the copying.
        self.execute("PRAGMA cache_size = -65536")
        self.execute("PRAGMA wal_autocheckpoint = 16384")


def _create_private(path: Path) -> None:
    # The store holds customer posts and delivery addresses: readable by the owner only.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError as exc:
        raise StoreError(f"database {path} cannot be created: {exc.strerror}") from None


def _pragma_name(sql: str) -> str:
    found = _PRAGMA_NAME.search(sql)
    return found.group(1) if found else ""


def _deny_attach(action: int, *_: object) -> int:
    return sqlite3.SQLITE_DENY if action == sqlite3.SQLITE_ATTACH else sqlite3.SQLITE_OK


def _analyst(action: int, name: str | None, value: str | None, *_: object) -> int:
    # An analyst's statement, on top of _deny_attach: a pragma given a value sets it (journal_mode = DELETE failed
    # with a 'disk I/O error', query_only = OFF was taken), unless its value names what to read.
    if action == sqlite3.SQLITE_ATTACH:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and value is not None and (name or "").lower() not in _READ_PRAGMAS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _cannot_open(path: Path, exc: sqlite3.Error) -> str:
    # SQLite says only 'unable to open database file' (or 'readonly database') for a file of another user.
    why = foreign_file(path)
    return f"database {path} cannot be opened: {exc}" + (f"; {why}" if why else "")


def _other_service(path: Path) -> int | None:
    """The pid of another process holding the store's service lock (0 when it wrote none), or None."""
    holder = ServiceLock(path).holder()
    return None if holder is None or holder == os.getpid() else holder


def open_sqlite(path: str | Path, read_only: bool = False) -> SqliteStore:
    """Open (creating and migrating when writable) the SQLite store at `path`."""
    path = Path(path)
    if path.is_dir():
        raise StoreError(f"database {path} is a folder; give the store's file, such as {path / 'brandpulse.db'}")
    if read_only:
        if not path.exists():
            raise StoreError(f"database {path} does not exist; "
                             "run `brandpulse run --once` or `brandpulse ingest` first")
    elif not path.exists():
        _create_private(path)
    # Always a URI: the path's `?`, `#` and `%` escaped, or "100%25.db" would open "100%.db" and "a?b.db" create "a";
    # absolute, after an empty authority, or "//srv/x.db" would name a host "srv". A plain name is no safer: SQLite
    # built with SQLITE_USE_URI (Debian's, Ubuntu's) reads "file:x.db" as a URI, so the store went into x.db.
    target = f"file://{quote(str(path.absolute()))}" + ("?mode=ro" if read_only else "")
    try:
        conn = sqlite3.connect(target, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_S,
                               check_same_thread=False)
    except sqlite3.Error as exc:
        raise StoreError(_cannot_open(path, exc)) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.create_function("bp_bucket", 3, local_bucket, deterministic=True)
        if read_only:
            # mode=ro covers the main file; query_only also covers any database an ATTACH brings in.
            conn.execute("PRAGMA query_only = ON")
            # ATTACH would still create an empty file at any path the statement names: refuse it outright.
            conn.set_authorizer(_deny_attach)
        else:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        db = SqliteStore(conn, str(path))
        migrate(db, read_only=read_only, other_service=lambda: _other_service(path))
        if not read_only:
            follow_folding(db)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(_cannot_open(path, exc)) from exc
    except StoreError:
        conn.close()
        raise
    return db
