"""Dated items skipped as malformed (a feed's entry with no text, an app store's review with no text or a rating out
of range), retried at later runs instead of passed for good.

The resume point moves past an item skipped: read again once its publisher fixes it, it would lie behind the
watermark and never be collected. So the cursor remembers it (`malformed`: its id, date and when it was first
skipped), and an item remembered is new whatever the watermark says, and the paging goes on until it is met. One left
broken must not be retried forever: after RETRY_FOR and RETRY_RUNS runs it is forgotten, with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

log = logging.getLogger(__name__)

CURSOR_KEY = "malformed"
# How long, and at least for how many runs, an item skipped as malformed is retried before it is given up.
RETRY_FOR = timedelta(days=1)
RETRY_RUNS = 3
# Items remembered at most: a feed whose every entry is broken must not grow its cursor without end.
REMEMBERED = 100


@dataclass
class Skipped:
    """One item skipped as malformed: its date, when it was first skipped, and how many runs skipped it since."""

    at: datetime
    since: datetime
    runs: int = 1

    def dump(self) -> dict[str, Any]:
        """The JSON form kept in the cursor."""
        return {"at": self.at.isoformat(), "since": self.since.isoformat(), "runs": self.runs}


@dataclass
class Retries:
    """The items skipped as malformed at earlier runs, by id, and what this run made of them."""

    items: dict[str, Skipped] = field(default_factory=dict)
    _met: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, cursor: dict[str, Any] | None) -> Retries:
        """The items saved under `malformed` in `cursor`; an unreadable one (a hand-edited cursor) is left out."""
        saved = (cursor or {}).get(CURSOR_KEY)
        items = {}
        for item_id, value in (saved.items() if isinstance(saved, dict) else ()):
            try:
                items[str(item_id)] = Skipped(datetime.fromisoformat(value["at"]), datetime.fromisoformat(
                    value["since"]), int(value.get("runs", 1)))
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
        return cls(items)

    def pending(self, item_ids: Iterable[str]) -> bool:
        """Whether an item known by one of `item_ids` was skipped before: it is new whatever the watermark says."""
        return any(item_id in self.items for item_id in item_ids)

    @property
    def oldest(self) -> datetime | None:
        """The date of the oldest item still to be met: the paging goes on until it reaches it."""
        waiting = [skipped.at for item_id, skipped in self.items.items() if item_id not in self._met]
        return min(waiting) if waiting else None

    def read(self, item_id: str) -> None:
        """Note that the item `item_id` was read whole at last: it is forgotten."""
        self._met.add(item_id)
        self.items.pop(item_id, None)

    def skip(self, item_id: str, at: datetime, now: datetime) -> None:
        """Note that the item `item_id`, dated `at`, was skipped as malformed at the run of `now`."""
        if item_id in self._met:
            return
        self._met.add(item_id)
        known = self.items.get(item_id)
        self.items[item_id] = Skipped(at, known.since, known.runs + 1) if known else Skipped(at, now)

    def dump(self, cursor: dict[str, Any] | None, source: str, now: datetime) -> dict[str, Any] | None:
        """`cursor` with the items still to retry saved in it; those retried long enough are given up, said so."""
        kept = {}
        for item_id in self.items.keys() - self._met:  # not met this run (deleted, or past the last page): a run too
            self.items[item_id].runs += 1
        for item_id, skipped in sorted(self.items.items(), key=lambda pair: pair[1].since, reverse=True):
            if now - skipped.since >= RETRY_FOR and skipped.runs >= RETRY_RUNS or len(kept) >= REMEMBERED:
                log.warning("%s: gave up on item %s (dated %s), skipped as malformed at %d runs since %s: it is not "
                            "collected even if its publisher fixes it", source, item_id, skipped.at.isoformat(),
                            skipped.runs, skipped.since.isoformat())
                continue
            kept[item_id] = skipped.dump()
        if not kept:
            return {key: value for key, value in cursor.items() if key != CURSOR_KEY} if cursor else cursor
        return {**(cursor or {}), CURSOR_KEY: kept}
