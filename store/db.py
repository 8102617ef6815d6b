"""Opening the database: pragmas, file permissions, migrations, and explicit transactions."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from brandpulse.store.errors import StoreError
from brandpulse.store.migrations import migrate

BUSY_TIMEOUT_S = 30.0


def _create_private(path: Path) -> None:
    # The store holds customer posts and delivery addresses: readable by the owner only.
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def _deny_attach(action: int, *_: object) -> int:
    return sqlite3.SQLITE_DENY if action == sqlite3.SQLITE_ATTACH else sqlite3.SQLITE_OK


def open_db(path: str | Path, read_only: bool = False) -> sqlite_utils.Database:
    """Open (creating and migrating when writable) the store at `path`."""
    path = Path(path)
    if read_only:
        if not path.exists():
            raise StoreError(f"database {path} does not exist; run `brandpulse run --once` or `brandpulse ingest` first")
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    else:
        if not path.exists():
            _create_private(path)
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        if read_only:
            # mode=ro covers the main file; query_only also covers any database an ATTACH brings in.
            conn.execute("PRAGMA query_only = ON")
            # ATTACH would still create an empty file at any path the statement names: refuse it outright.
            conn.set_authorizer(_deny_attach)
        else:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        db = sqlite_utils.Database(conn)
        migrate(db, read_only=read_only)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"database {path} cannot be opened: {exc}") from exc
    except StoreError:
        conn.close()
        raise
    return db


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction: everything inside commits together or not at all.

    Use raw `db.execute` inside: sqlite-utils' table helpers commit on their own.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
