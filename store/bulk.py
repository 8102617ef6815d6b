"""Bulk import: saving mentions in large batches on a background thread while the caller parses the next ones."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from datetime import datetime
from types import TracebackType

from brandpulse.collectors.base import Mention
from brandpulse.store.backend import Store
from brandpulse.store.mentions import SaveResult, save_mentions

BULK_BATCH = 10_000


class BulkWriter:
    """Collects mentions and saves each full batch on one writer thread; use as a context manager.

    The database driver releases the GIL while it writes, so parsing the next batch overlaps that work.
    Each batch is its own transaction; the first failure stops the writer and is raised to the caller.
    """

    def __init__(
        self,
        db: Store,
        now: datetime,
        category_of: Callable[[str, int | None], str] | None = None,
        batch: int = BULK_BATCH,
    ):
        self._db, self._now, self._category_of, self._size = db, now, category_of, batch
        self._batch: list[Mention] = []
        # One batch waiting and one being written: memory stays at about two batches.
        self._queue: queue.Queue[list[Mention] | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self.new = self.duplicate = 0
        self._thread = threading.Thread(target=self._run, name="brandpulse-bulk-writer", daemon=True)

    def __enter__(self) -> BulkWriter:
        self._db.tune_for_bulk()
        self._thread.start()
        return self

    def add(self, mention: Mention) -> None:
        """Queue one mention; a full batch goes to the writer thread."""
        self._batch.append(mention)
        if len(self._batch) >= self._size:
            self._submit()

    def _submit(self) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(self._batch)
        self._batch = []

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            if self._error is not None:
                continue  # keep draining so that the caller never blocks on a full queue
            try:
                saved = save_mentions(self._db, batch, self._now, category_of=self._category_of)
            except BaseException as exc:  # handed to the caller's thread, which raises it
                self._error = exc
                continue
            self.new += saved.new
            self.duplicate += saved.duplicate

    def result(self) -> SaveResult:
        """What the writer stored so far."""
        return SaveResult(self.new, self.duplicate)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None and self._batch and self._error is None:
            self._queue.put(self._batch)
            self._batch = []
        self._queue.put(None)
        self._thread.join()
        if kind is None and self._error is not None:
            raise self._error
        if kind is None and self.new:
            self._db.analyze("mentions")
