"""Store: the mention store every stage reads from and writes to, on SQLite (a file) or PostgreSQL (a URL)."""

from brandpulse.store.db import open_db, transaction
from brandpulse.store.errors import StoreError

__all__ = ["StoreError", "open_db", "transaction"]
