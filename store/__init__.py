"""Store: the SQLite mention store that every stage reads from and writes to."""

from brandpulse.store.db import open_db, transaction
from brandpulse.store.errors import StoreError

__all__ = ["StoreError", "open_db", "transaction"]
