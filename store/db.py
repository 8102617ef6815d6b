"""Opening the store named by a file path (SQLite) or a URL (PostgreSQL), and explicit transactions."""

from __future__ import annotations

from pathlib import Path

from brandpulse.store.backend import Store, is_url, redact, transaction
from brandpulse.store.errors import StoreError

__all__ = ["open_db", "transaction"]


def open_db(target: str | Path, read_only: bool = False) -> Store:
    """Open (creating and migrating when writable) the store at `target`: a file path, or a postgresql:// URL."""
    if not is_url(target):
        from brandpulse.store.sqlite_backend import open_sqlite

        return open_sqlite(target, read_only)
    url = str(target)
    if url.split("://", 1)[0] not in ("postgresql", "postgres"):
        raise StoreError(f"unsupported store URL {redact(url)}: give a file path (SQLite) or a postgresql:// URL")
    from brandpulse.store.postgres_backend import open_postgres

    return open_postgres(url, read_only)
