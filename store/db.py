"""Opening the store named by a file path (SQLite) or a URL (PostgreSQL), and explicit transactions."""

from __future__ import annotations

import re
from pathlib import Path

from brandpulse.store.backend import Store, is_url, label, redact, transaction
from brandpulse.store.errors import StoreError

__all__ = ["open_db", "probe_server", "transaction"]


def _postgres_url(target: str | Path) -> str:
    url = str(target)
    if url.split("://", 1)[0] not in ("postgresql", "postgres"):
        raise StoreError(f"unsupported store URL {redact(url)}: give a file path (SQLite) or a postgresql:// URL")
    return url


def probe_server(url: str) -> str:
    """Reach the database server at `url` without changing anything: what was found, or StoreError saying why not."""
    from brandpulse.store.postgres_backend import probe_postgres

    return probe_postgres(_postgres_url(url))


_CONNINFO = re.compile(r"^\s*(?:host|hostaddr|dbname|user|password|port)\s*=\S*\s+\w+\s*=")  # two pairs at least


def open_db(target: str | Path, read_only: bool = False) -> Store:
    """Open (creating and migrating when writable) the store at `target`: a file path, or a postgresql:// URL."""
    if _CONNINFO.search(str(target)):
        # libpq's key=value form would be taken for a file name and echoed, password and all.
        raise StoreError(f"{label(target)} is a libpq key=value string; give the store as a postgresql:// URL "
                         "(the password from PGPASSWORD or ~/.pgpass)")
    if not is_url(target):
        from brandpulse.store.sqlite_backend import open_sqlite

        return open_sqlite(target, read_only)
    from brandpulse.store.postgres_backend import open_postgres

    return open_postgres(_postgres_url(target), read_only)
