"""Copying a whole store to another (SQLite to PostgreSQL, or back): resumable, with the row counts checked."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from brandpulse.collectors.base import MAX_TEXT
from brandpulse.store.backend import Store
from brandpulse.store.errors import ConnectionLost, StoreError
from brandpulse.store.mentions import cleaned

log = logging.getLogger(__name__)

COPY_BATCH = 5_000
# Copied in id order: the destination's largest id is where a rerun resumes. With each, the columns that
# identify a row whatever later updates changed, to check that the destination holds a copy of this source.
ID_TABLES = {"mentions": "source, external_id, brand", "alerts": "kind, created_at", "outbox": "kind, created_at",
             "silences": "brand, created_at"}
# Small tables keyed by name: copied whole each time, the source's rows winning.
KEYED_TABLES = {"brands": "name", "collector_state": "name", "state": "key", "job_runs": "job"}
# Computed by the database itself (PostgreSQL's tsvector): never copied.
GENERATED = {"search"}
COPY_AGAIN = ("then run the same `brandpulse store copy` again: it resumes after the last batch committed "
              "(no service retries a copy)")
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


class CopyMismatch(StoreError):
    """After the copy, a table holds a different number of rows than its source."""


@dataclass
class CopyReport:
    """Rows copied in this run and the final count of each table."""

    copied: dict[str, int]
    counts: dict[str, int]


def _columns(db: Store, table: str) -> list[str]:
    cursor = db.execute(f"SELECT * FROM {table} LIMIT 0")  # table names from the constants above
    return [d[0] for d in cursor.description]


def _shared_columns(source: Store, target: Store, table: str) -> list[str]:
    present = set(_columns(target, table))
    shared = [c for c in _columns(source, table) if c in present and c not in GENERATED]
    # Column names go into the statements as text: only plain identifiers are accepted.
    odd = [c for c in shared if not _IDENTIFIER.fullmatch(c)]
    if odd:
        raise StoreError(f"{table} has column name(s) that are not plain identifiers: {odd}")
    return shared


def _count(db: Store, table: str) -> int:
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _check_resumable(source: Store, target: Store, table: str, after: int) -> None:
    """Refuse a target whose rows up to `after` are not this source's: resuming there would skip rows."""
    key = ID_TABLES[table]
    mine = source.execute(f"SELECT count(*) FROM {table} WHERE id <= ?", [after]).fetchone()[0]
    theirs = target.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    same = (source.execute(f"SELECT {key} FROM {table} WHERE id = ?", [after]).fetchone()
            == target.execute(f"SELECT {key} FROM {table} WHERE id = ?", [after]).fetchone())
    if mine != theirs or not same:
        raise CopyMismatch(f"{table} in {target.target} holds rows that are not a copy of {source.target}: "
                           "copy into an empty store, or into an earlier partial copy of the same source")


def _copy_by_id(source: Store, target: Store, table: str, batch: int, progress: Callable[[str, int], object]) -> int:
    columns = _shared_columns(source, target, table)
    names, marks = ", ".join(columns), ", ".join("?" for _ in columns)
    after = target.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
    if after:
        _check_resumable(source, target, table, after)
    copied = 0
    page = f"SELECT {names} FROM {table} WHERE id > ? ORDER BY id LIMIT ?"
    insert = f"INSERT INTO {table} ({names}) VALUES ({marks})"
    while rows := source.execute(page, [after, batch]).fetchall():
        try:
            _insert_batch(target, table, insert, rows)
        except target.dialect.encode_errors:
            # A NUL or lone surrogate SQLite kept and PostgreSQL cannot store: U+FFFD, as an import stores it. A text
            # stored before posts were cut at MAX_TEXT characters is cut now.
            text = columns.index("text") if table == "mentions" else None
            _insert_batch(target, table, insert, [_cut(cleaned(row), text) for row in rows])
        after = rows[-1][columns.index("id")]
        copied += len(rows)
        progress(table, copied)
    return copied


def _cut(row: tuple[Any, ...], text: int | None) -> tuple[Any, ...]:
    if text is None or not isinstance(row[text], str) or len(row[text]) <= MAX_TEXT:
        return row
    return (*row[:text], row[text][:MAX_TEXT], *row[text + 1:])


def _insert_batch(target: Store, table: str, insert: str, rows: list[tuple[Any, ...]]) -> None:
    with target.transaction():
        target.executemany(insert, rows)
        # With each batch: a copy killed part-way leaves a store whose new rows do not collide with copied ids.
        target.dialect.sync_ids(target, table)


def _copy_keyed(source: Store, target: Store, table: str, key: str) -> int:
    columns = _shared_columns(source, target, table)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
    rows = source.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
    with target.transaction():
        target.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
            f"ON CONFLICT ({key}) DO UPDATE SET {updates}",
            rows,
        )
    return len(rows)


def copy_store(source: Store, target: Store, batch: int = COPY_BATCH,
               progress: Callable[[str, int], object] = lambda table, rows: None) -> CopyReport:
    """Copy every row of `source` into `target` (empty, or holding an earlier partial copy of `source`).

    Each batch commits on its own, so an interrupted copy resumes after the last committed id when run again.
    Raises `CopyMismatch` for a target holding other rows, and when a table's count differs afterwards (a source
    written to during the copy: stop the service first, or run the copy again to catch up).
    """
    try:
        copied = {table: _copy_by_id(source, target, table, batch, progress) for table in ID_TABLES}
        copied.update({table: _copy_keyed(source, target, table, key) for table, key in KEYED_TABLES.items()})
        counts = _checked_counts(source, target, copied)
    except ConnectionLost as exc:  # no service runs a copy again: the operator does, and it resumes
        raise ConnectionLost(exc.target, exc.error, COPY_AGAIN) from exc
    log.info("copied %s", copied)
    return CopyReport(copied, counts)


def _checked_counts(source: Store, target: Store, copied: dict[str, int]) -> dict[str, int]:
    """Each copied table's row count in `target`; `CopyMismatch` where it is not the source's."""
    counts = {}
    for table in copied:
        want, have = _count(source, table), _count(target, table)
        if want != have:
            raise CopyMismatch(f"{table}: {want} row(s) in {source.target} but {have} in {target.target}")
        counts[table] = have
    return counts
