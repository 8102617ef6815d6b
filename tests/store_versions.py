"""Stores as an older release left them, for the upgrade tests."""

import sqlite3

from brandpulse.store.migrations import MIGRATIONS, _log_migration
from brandpulse.store.sqlite_backend import SqliteStore


def sqlite_store_at(path, version):
    """A SQLite store at schema `version` (this code's first `version` migrations, each committed and logged as
    released); the caller adds its rows, then closes it."""
    # The store's handle, as a release's migrations ran on it (m012 writes through its executemany).
    db = SqliteStore(sqlite3.connect(path, isolation_level=None), str(path))
    for number, step in enumerate(MIGRATIONS[:version], start=1):
        db.execute("BEGIN")
        step(db)
        _log_migration(db, number)
        db.execute(f"PRAGMA user_version = {number}")
        db.execute("COMMIT")
    return db


def postgres_store_at(url, version, *statements):
    """A PostgreSQL store at schema `version` (this code's first `version` migrations, logged as released), then
    `statements` run on it (the rows the caller wants)."""
    import psycopg

    from brandpulse.store.pg_migrations import PG_MIGRATIONS

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
                     "applied_at text NOT NULL)")
        for number, (name, script) in enumerate(PG_MIGRATIONS[:version], start=1):
            with conn.transaction():  # each step committed as released
                # A step that needs Python (m012) takes the store: SQL as the store writes it, with `?` placeholders.
                script(_Released(conn)) if callable(script) else conn.execute(script)
                conn.execute("INSERT INTO schema_migrations VALUES (%s, %s, '2026-11-01T00:00:00Z')", [number, name])
        for statement in statements:
            conn.execute(statement)


class _Released:
    """A connection as a PostgreSQL migration step written in Python uses the store: `execute` and `executemany` of
    SQL with SQLite's placeholders."""

    def __init__(self, conn):
        self.conn = conn

    def execute(self, sql, params=None):
        from brandpulse.store.postgres_backend import to_pyformat

        return self.conn.execute(to_pyformat(sql), params) if params else self.conn.execute(sql)

    def executemany(self, sql, rows):
        from brandpulse.store.postgres_backend import to_pyformat

        with self.conn.cursor() as cursor:
            cursor.executemany(to_pyformat(sql), rows)


def insert_post(brand, text, created_at="2026-03-06T14:00:00Z", source="twitter", external_id="t1"):
    """The INSERT of one post as any release stores it (the columns every schema has), for the stores above."""
    values = ", ".join("'" + str(v).replace("'", "''") + "'" for v in (source, external_id, brand, text, created_at,
                                                                       created_at))
    return f"INSERT INTO mentions (source, external_id, brand, text, created_at, collected_at) VALUES ({values})"
