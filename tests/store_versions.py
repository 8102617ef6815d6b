"""Stores as an older release left them, for the upgrade tests."""

import sqlite3

import sqlite_utils

from brandpulse.store.migrations import MIGRATIONS


def sqlite_store_at(path, version):
    """A SQLite store at schema `version` (this code's first `version` migrations, each committed as released);
    the caller adds its rows, then closes it."""
    db = sqlite_utils.Database(sqlite3.connect(path, isolation_level=None))
    for number, step in enumerate(MIGRATIONS[:version], start=1):
        db.execute("BEGIN")
        step(db)
        db.execute(f"PRAGMA user_version = {number}")
        db.execute("COMMIT")
    return db
