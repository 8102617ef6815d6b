"""The PostgreSQL store: psycopg 3 connections from a pool per URL, a tsvector column for search."""

from __future__ import annotations

import atexit
import functools
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from itertools import count
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg.types.numeric import FloatLoader
from psycopg.types.string import TextLoader
from psycopg_pool import ConnectionPool

from brandpulse.store.backend import Params, Transactions, redact, url_password
from brandpulse.store.errors import (ConnectionLost, DiskFull, RoleRefused, SearchSyntaxError, ServerUnavailable,
                                     StoreError)
from brandpulse.store.pg_migrations import APPLICATION_NAME, PG_MIGRATIONS, STORE_KEY, migrate_postgres
from brandpulse.store.pg_search import lexemes, to_tsquery
from brandpulse.store.refold import follow_folding
from brandpulse.store.statements import check_query
from brandpulse.store.unspaced import SEARCHED, has_unspaced, unspaced_search

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10
# Each scheduled job borrows a connection for its run: room for a dozen collectors plus the other jobs.
POOL_MAX = 20
STREAM_CHUNK = 2000
COPY_ROWS = 200  # from this many rows on, insert_ignoring COPYs them in
_SEARCH_ORDERS = {"newest": "m.id DESC", "oldest": "m.id", "stored": "m.id",
                  "relevance": "ts_rank(m.search, to_tsquery('simple', :search)) DESC, m.id DESC",
                  "complaint": "m.complaint IS NULL, m.complaint DESC, m.id DESC"}
# A search holding Chinese, Japanese or Thai (store/unspaced.py): each other term through the tsvector, each such
# term as a substring of the lower-cased text as indexed.
_INDEXED_TERM = "m.search @@ to_tsquery('simple', {})"
_SUBSTRING = f"strpos({SEARCHED}, {{}}) > 0"
DISK_FULL = ("PostgreSQL store {target}: disk full on the server ({error}); free space on the database server's disk, "
             "then run again: what was committed before is kept, and the work cut short is redone")
TOO_MANY_ADVICE = ("raise the server's max_connections (or the role's CONNECTION LIMIT) or stop idle clients "
                   "(each brandpulse process keeps up to 20), then run again")
# libpq's word when the server asks for a password and none was given (no SQLSTATE: the session never started).
_NO_PASSWORD = "no password supplied"
NO_PASSWORD_ADVICE = ("the server asks for a password: set PGPASSWORD (or a ~/.pgpass entry) in the environment of "
                      "brandpulse, or give the whole URL, password included, in BRANDPULSE_DB "
                      "(never in the config file)")
# libpq's word for a password the server refused (SQLSTATE 28P01, which libpq does not hand on before the session).
_WRONG_PASSWORD = "password authentication failed"
WRONG_PASSWORD_ADVICE = ("the password brandpulse was given is not this role's: correct it where it comes from "
                         "(PGPASSWORD, a ~/.pgpass entry, or the URL in BRANDPULSE_DB), then run again")
_TOO_MANY_WORDS = ("too many connections", "too many clients")
# Class 53 (insufficient resources) but the disk: the server is up, and has no room for this work now.
EXHAUSTED = {
    "53200": ("PostgreSQL store {target}: the server is out of memory ({error}); give it more memory or lower its "
              "work_mem, then run again: what was committed before is kept"),
    "53300": "PostgreSQL store {target}: the server has too many connections ({error}); " + TOO_MANY_ADVICE,
}
# The server ended the session: pg_terminate_backend or a fast shutdown (57P01), a crash (57P02), a start (57P03).
_SESSION_ENDED = ("57P01", "57P02", "57P03")
_UTC_BUCKETS = {
    "hour": "substr({c}, 1, 13) || ':00:00Z'",
    "day": "substr({c}, 1, 10) || 'T00:00:00Z'",
    "week": "to_char(date_trunc('week', substr({c}, 1, 10)::date), 'YYYY-MM-DD') || 'T00:00:00Z'",
    "month": "substr({c}, 1, 7) || '-01T00:00:00Z'",
}
# date_trunc in a zone counts that zone's wall clock (a day of 23 or 25 hours) and gives the bucket's start back as
# an instant, written here in the stored form.
_ZONE_BUCKET = ("""to_char(date_trunc('{by}', ({c})::timestamptz, :zone) AT TIME ZONE 'UTC', """
                """'YYYY-MM-DD"T"HH24:MI:SS"Z"')""")
# Store SQL is written with SQLite's `?` and `:name` placeholders; psycopg wants %s and %(name)s, and a literal %
# doubled. String literals (E'...' with backslash escapes, $tag$...$tag$ too), quoted names, comments and `::`
# casts pass through (their % doubled all the same): an analyst's `/* why? */` is not a placeholder.
_PLACEHOLDER = re.compile(
    r"""(?P<literal>[Ee]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/"""
    r"""|\$(?P<tag>[A-Za-z_]\w*|)\$.*?\$(?P=tag)\$)"""
    r"""|(?P<cast>::)|(?P<mark>\?)|(?<![\w:]):(?P<name>[A-Za-z_]\w*)|(?P<percent>%)""",
    re.DOTALL,
)


@lru_cache(maxsize=512)
def to_pyformat(sql: str) -> str:
    """`sql` with SQLite-style placeholders rewritten for psycopg."""

    def swap(match: re.Match[str]) -> str:
        if match["literal"]:
            return match["literal"].replace("%", "%%")
        if match["cast"]:
            return "::"
        if match["mark"]:
            return "%s"
        return f"%({match['name']})s" if match["name"] else "%%"

    return _PLACEHOLDER.sub(swap, sql)


class PostgresDialect:
    """PostgreSQL's spelling of the dialect-specific fragments."""

    name = "postgresql"
    # A NUL character cannot be stored in a text column; like a lone surrogate it is replaced and the batch retried.
    # A text of over 1 MB of words does not fit the search index: cut, as every post now is (collectors.base).
    encode_errors: tuple[type[BaseException], ...] = (UnicodeEncodeError, psycopg.DataError,
                                                      psycopg.errors.ProgramLimitExceeded)
    # Rows another classify worker claimed are its to save: waiting on them could deadlock two workers.
    skip_locked = " FOR UPDATE OF c SKIP LOCKED"
    # Two people acknowledging one storm or marking one post: the second waits, then reads what the first wrote.
    for_update = " FOR UPDATE"

    def epoch(self, column: str) -> str:
        """Unix time of an ISO 8601 text column."""
        return f"CAST(extract(epoch FROM CAST({column} AS timestamptz)) AS bigint)"

    def bucket(self, by: str, column: str, zone: str) -> str:
        """The stored-form UTC start of the hour, day, week or month, in `zone` (the parameter :zone), of `column`."""
        return (_UTC_BUCKETS[by] if zone == "UTC" else _ZONE_BUCKET).format(c=column, by=by)

    def search(self, expression: str) -> tuple[str, str, dict[str, Any], dict[str, str]]:
        """The tsvector column of the mentions, matched against the translated query (each Chinese, Japanese or Thai
        term as a substring of the text: store/unspaced.py)."""
        if has_unspaced(expression):
            return ("mentions m", *unspaced_search(expression, _INDEXED_TERM, lexemes, _SUBSTRING))
        return ("mentions m", "m.search @@ to_tsquery('simple', :search)", {"search": to_tsquery(expression)},
                _SEARCH_ORDERS)

    def search_error(self, exc: BaseException, expression: str) -> SearchSyntaxError | None:
        """The syntax error a failed search means, or None for any other failure."""
        if isinstance(exc, psycopg.errors.SyntaxError):
            return SearchSyntaxError(f"{expression!r} is not valid search syntax ({exc})")
        return None

    def sync_ids(self, db: PostgresStore, table: str) -> None:
        """Move `table`'s id sequence past the ids written explicitly (a copy), so new rows do not collide."""
        db.execute("SELECT setval(pg_get_serial_sequence(?, 'id'), "
                   "coalesce((SELECT max(id) FROM " + table + "), 0) + 1, false)", [table])

    def bulk_insert(self, db: PostgresStore, rows: list[tuple[Any, ...]], insert: Callable[..., int]) -> int:
        """Insert many mentions; the tsvector is a generated column, computed as each row is written."""
        return insert(db, rows)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


_PROTOCOL_VIOLATION = "08P01"
_INSUFFICIENT_PRIVILEGE = "42501"


def server_error(exc: BaseException, target: str, closed: bool = False) -> StoreError | None:
    """The store error a server's failure means (disk full, out of memory, too many connections, the connection lost
    or `closed`), naming the server `target` (a URL without its password); None for any other error."""
    if not isinstance(exc, psycopg.Error):
        return None
    code, error = exc.sqlstate or "", _first_line(exc)
    if code == _INSUFFICIENT_PRIVILEGE:  # a read-only role running a job: one line a run, not a traceback a minute
        return RoleRefused(error)
    if code == "53100":
        return DiskFull(DISK_FULL.format(target=target, error=error))
    if code in EXHAUSTED:
        return ServerUnavailable(EXHAUSTED[code].format(target=target, error=error))
    # 08P01 on an open connection is the statement's fault (a bind of too few parameters: `sql 'SELECT ?'`), not a
    # lost server; a broken proxy's garbage closes the connection.
    if closed or (code.startswith("08") and code != _PROTOCOL_VIOLATION) or code in _SESSION_ENDED:
        return ConnectionLost(target, error)
    return None


_names = count()
_EXCLUSIVE = to_pyformat(f"SELECT pg_advisory_lock({STORE_KEY})")
_UNEXCLUSIVE = to_pyformat(f"SELECT pg_advisory_unlock({STORE_KEY})")
# What `brandpulse sql` runs: queries, through a server-side cursor, and the two statements no cursor takes.
_SQL_VERBS = ("SELECT", "WITH", "VALUES", "TABLE", "EXPLAIN", "SHOW")
_CLIENT_VERBS = ("EXPLAIN", "SHOW")


def _keyed(part: str, columns: Any, prefix: str) -> str:
    """A key expression (a column, or one in an expression: `coalesce(brand, '')`) with its columns prefixed: a
    table alias (`t.`) or a parameter mark (`:`)."""
    return re.sub(r"\b(" + "|".join(columns) + r")\b(?!\s*\()", lambda m: prefix + m[1], part)


class PostgresStore(Transactions):
    """One pooled connection with the store interface (`brandpulse.store.backend.Store`)."""

    dialect = PostgresDialect()
    errors: tuple[type[BaseException], ...] = (psycopg.Error,)

    def __init__(self, conn: psycopg.Connection, pool: ConnectionPool, target: str):
        self.conn, self._pool, self.target = conn, pool, target

    @contextmanager
    def _served(self) -> Iterator[None]:
        """A server that has no room or went away as the store's own error, naming it: the CLI and the service show
        one line (what to do), not a driver traceback per job and run."""
        try:
            yield
        except psycopg.Error as exc:
            failure = server_error(exc, self.target, self.conn is None or self.conn.closed)
            if failure is None:
                raise
            raise failure from exc

    def execute(self, sql: str, params: Params = None) -> psycopg.Cursor:
        """Run one statement; returns its cursor. `DiskFull` or `ServerUnavailable` when the server fails."""
        cursor = self.conn.cursor()
        with self._served():
            if params:
                cursor.execute(to_pyformat(sql), params)
            else:
                cursor.execute(sql)
        return cursor

    def executemany(self, sql: str, rows: Any) -> int:
        """Run `sql` once per row (pipelined); returns the rows changed."""
        rows = list(rows)
        if not rows:
            return 0
        with self._served(), self.conn.cursor() as cursor:
            cursor.executemany(to_pyformat(sql), rows)
            return max(cursor.rowcount, 0)

    def insert_ignoring(self, table: str, columns: Any, rows: Any, key: Any) -> int:
        """Few rows: one INSERT ... SELECT each. Many: COPY into a temporary table, then one INSERT ... SELECT
        (twenty times faster than row by row); call in a transaction, with each key once in `rows`. A row whose key is
        stored is left out before the insert: ON CONFLICT alone would still draw it an id, which new rows would then
        skip (SQLite's run on)."""
        names, conflict = ", ".join(columns), ", ".join(key)
        few = len(rows) < COPY_ROWS
        stored = " AND ".join(f"{_keyed(part, columns, 't.')} = {_keyed(part, columns, ':' if few else 'incoming.')}"
                              for part in key)
        if few:
            values = ", ".join(f":{name}" for name in columns)
            return self.executemany(f"INSERT INTO {table} ({names}) SELECT {values} WHERE NOT EXISTS "
                                    f"(SELECT 1 FROM {table} t WHERE {stored}) ON CONFLICT ({conflict}) DO NOTHING",
                                    [dict(zip(columns, row)) for row in rows])
        staging = f"{table}_incoming"
        self.execute(f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA")
        with self._served(), self.conn.cursor() as cursor, cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        # In the order they came (COPY appends, a scan reads in that order), so that ids follow it. OFFSET 0 keeps the
        # NOT EXISTS a probe of the key's index per row: as a join the planner hashes the whole table (a store of
        # 250,000 mentions: 20 % slower a batch, and growing with the store).
        new = self.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging} incoming WHERE NOT EXISTS "
                           f"(SELECT 1 FROM {table} t WHERE {stored} OFFSET 0) ON CONFLICT ({conflict}) DO NOTHING"
                           ).rowcount
        self.execute(f"DROP TABLE {staging}")
        return max(new, 0)

    def query(self, sql: str, params: Params = None) -> Iterator[dict[str, Any]]:
        """Rows as dicts."""
        with self._served(), self.conn.cursor(row_factory=dict_row) as cursor:
            cursor.execute(to_pyformat(sql) if params else sql, params or None)
            rows = cursor.fetchall()
        yield from rows

    def stream(self, sql: str, params: Params = None) -> Iterator[tuple[Any, ...]]:
        """Rows as tuples through a server-side cursor, STREAM_CHUNK at a time, in one (read) transaction."""
        with self.transaction(), self._served():
            with self.conn.cursor(name=f"brandpulse_stream_{next(_names)}") as cursor:
                cursor.itersize = STREAM_CHUNK
                cursor.execute(to_pyformat(sql) if params else sql, params or None)
                yield from cursor

    def _finish(self, statement: str) -> None:
        if statement != "ROLLBACK" or not self.conn.closed:  # a dead connection has rolled back already
            with self._served():
                self.conn.execute(statement)

    @contextmanager
    def claim(self, sql: str, params: Params = None) -> Iterator[list[tuple[Any, ...]]]:
        """The rows, locked FOR UPDATE SKIP LOCKED until the block's transaction commits (or the process dies)."""
        with self.transaction():
            yield self.execute(sql + " FOR UPDATE SKIP LOCKED", params).fetchall()

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """A session advisory lock on `name` in this store (its schema's: a store in another schema of the database
        has its own): waits for any other holder; dropped with the connection if we die."""
        with self._served():
            self.conn.execute(_EXCLUSIVE, [name])
        try:
            yield
        finally:
            if not self.conn.closed:
                with self._served():
                    self.conn.execute(_UNEXCLUSIVE, [name])

    @contextmanager
    def read_only_statement(self, sql: str, params: Params = None) -> Iterator[psycopg.Cursor]:
        """The statement's cursor inside BEGIN READ ONLY ... ROLLBACK. A query runs in a server-side cursor (DECLARE
        ... CURSOR FOR takes a query alone, bound as one statement), so its rows stream and no COPY ... TO a file or
        PROGRAM, which a read-only transaction allows, nor a `COMMIT; ...` escaping the transaction, gets through;
        EXPLAIN and SHOW, which no cursor takes, through a prepared statement (one statement as well)."""
        verb = check_query(sql, _SQL_VERBS)
        with self._served():
            self.conn.execute("BEGIN READ ONLY")
        try:
            if verb in _CLIENT_VERBS:
                cursor: psycopg.Cursor = psycopg.Cursor(self.conn)
                execute = functools.partial(cursor.execute, prepare=True)
            else:
                cursor = self.conn.cursor(name=f"brandpulse_sql_{next(_names)}")
                cursor.itersize = STREAM_CHUNK
                execute = cursor.execute
            with cursor:
                with self._served():
                    execute(to_pyformat(sql), params or {})
                yield cursor
        finally:
            if not self.conn.closed:
                self.conn.execute("ROLLBACK")

    def analyze(self, table: str) -> None:
        """VACUUM (ANALYZE): right after a large import autovacuum has not caught up, and without fresh statistics
        and visibility map the planner scans the time index instead of the per-brand covering index
        (stats over 30 days at 1M mentions: 300-400 ms instead of 60). Not in a transaction: VACUUM refuses one."""
        self.execute(f"VACUUM (ANALYZE) {table}")  # the caller's constant table name

    def tune_for_bulk(self) -> None:
        """Nothing to tune per connection: the server's settings apply."""

    def close(self) -> None:
        """Give the connection back to its pool."""
        if self.conn is not None:
            self._pool.putconn(self.conn)
            self.conn = None


# Types SQLite never returns, read as their text so that an analyst's `sql` prints them in any format.
_AS_TEXT = ("date", "time", "timetz", "timestamp", "timestamptz", "interval", "uuid", "json", "jsonb", "inet")


def _configure(conn: psycopg.Connection) -> None:
    # numeric results (sum, round) come back as float, as SQLite's do, so that JSON output stays plain.
    conn.adapters.register_loader("numeric", FloatLoader)
    for name in _AS_TEXT:
        conn.adapters.register_loader(name, TextLoader)


def _reset(conn: psycopg.Connection) -> None:
    # A connection goes back to the pool as it came: an analyst's SET undone, no advisory lock left behind.
    conn.execute("RESET ALL")
    conn.execute("SELECT pg_advisory_unlock_all()")


_READ_ONLY = "-c default_transaction_read_only=on"
_pools: dict[tuple[str, bool], ConnectionPool] = {}
_pools_lock = threading.Lock()


def _connect_error(url: str, exc: Exception) -> StoreError:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    password = url_password(url)
    if password:
        # libpq reads a password to its first `@` and takes the rest for the host, which its error then quotes.
        for piece in sorted({password, *(p for p in password.split("@") if len(p) >= 4)}, key=len, reverse=True):
            text = text.replace(piece, "***")
    if any(words in text for words in _TOO_MANY_WORDS):  # no SQLSTATE before the session starts: libpq's words
        text += f"; {TOO_MANY_ADVICE}"
    elif _NO_PASSWORD in text:
        text += f"; {NO_PASSWORD_ADVICE}"
    elif _WRONG_PASSWORD in text:
        text += f"; {WRONG_PASSWORD_ADVICE}"
    return StoreError(f"cannot connect to the PostgreSQL store {redact(url)}: {text}")


def _options(url: str, read_only: bool) -> str | None:
    """The server options of the pool's connections: the URL's own (a schema: `?options=-c%20search_path%3Dbp`) or
    PGOPTIONS', which an `options` given beside the URL would replace, then read-only's where asked."""
    try:
        given = conninfo_to_dict(url).get("options") or os.environ.get("PGOPTIONS") or ""
    except psycopg.ProgrammingError:  # a URL libpq cannot parse: the connection says what is wrong with it
        given = ""
    return " ".join(filter(None, [given, _READ_ONLY if read_only else ""])) or None


def _pool(url: str, read_only: bool) -> ConnectionPool:
    with _pools_lock:
        pool = _pools.get((url, read_only))
        if pool is None:
            kwargs = {"autocommit": True, "cursor_factory": psycopg.ClientCursor, "connect_timeout": CONNECT_TIMEOUT_S,
                      "options": _options(url, read_only), "application_name": APPLICATION_NAME}
            try:
                # One direct connection first: a pool only retries in the background, this says what is wrong.
                psycopg.connect(url, **kwargs).close()
            except (psycopg.Error, ValueError) as exc:
                raise _connect_error(url, exc) from None
            # `check`: a connection idle in the pool while the server restarted is dead; lent as it is, each one
            # failed the next run of some job ('connection lost' with the server up). Checked, it is replaced.
            pool = ConnectionPool(url, min_size=1, max_size=POOL_MAX, kwargs=kwargs, configure=_configure, reset=_reset,
                                  check=ConnectionPool.check_connection,
                                  name=f"brandpulse{'-ro' if read_only else ''}", open=True)
            _pools[(url, read_only)] = pool
        return pool


@atexit.register
def close_pools() -> None:
    """Close every pool this process opened."""
    with _pools_lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()


def probe_postgres(url: str) -> str:
    """Connect once, change nothing: the server's version and the schema version found, or StoreError."""
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            logged = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()[0]
            schema = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0] if logged else 0
    except psycopg.Error as exc:
        raise _connect_error(url, exc) from None
    return f"PostgreSQL {version}, schema version {schema} of {len(PG_MIGRATIONS)}"


def open_postgres(url: str, read_only: bool = False) -> PostgresStore:
    """A store on the PostgreSQL database at `url`, migrated to the current schema when writable."""
    pool = _pool(url, read_only)
    try:
        conn = pool.getconn(timeout=CONNECT_TIMEOUT_S * 3)
    except Exception as exc:
        raise _connect_error(url, exc) from None
    db = PostgresStore(conn, pool, redact(url))
    try:
        migrate_postgres(db, read_only)
        if not read_only:
            follow_folding(db)
    except BaseException:
        db.close()
        raise
    return db
