"""A resume point made of a timestamp and the ids seen at that instant, for sources sorted newest first.

Sources whose items carry only a creation time (reviews, feeds, Reddit) cannot be asked for "everything
after id X"; the collector reads newest first and keeps the items strictly after the watermark. Ids seen at
exactly the watermark's second are remembered so that two items sharing a timestamp are neither lost nor
taken twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Watermark:
    """The newest creation time already collected and the ids collected at exactly that time."""

    at: datetime | None = None
    ids: frozenset[str] = frozenset()

    @classmethod
    def load(cls, cursor: dict[str, Any] | None) -> Watermark:
        """The watermark saved in `cursor` (`{"at": ISO, "ids": [...]}`), or an empty one."""
        if not cursor or not cursor.get("at"):
            return cls()
        return cls(datetime.fromisoformat(cursor["at"]), frozenset(str(i) for i in cursor.get("ids", ())))

    def dump(self) -> dict[str, Any] | None:
        """The JSON form stored as (part of) a collector cursor."""
        if self.at is None:
            return None
        return {"at": self.at.isoformat(), "ids": sorted(self.ids)}

    def is_new(self, at: datetime, item_id: str) -> bool:
        """True when an item created at `at` with id `item_id` was not collected yet."""
        if self.at is None or at > self.at:
            return True
        return at == self.at and item_id not in self.ids

    def advance(self, items: Iterable[tuple[datetime, str]]) -> Watermark:
        """The watermark after collecting `items` (creation time, id)."""
        at, ids = self.at, set(self.ids)
        for item_at, item_id in items:
            if at is None or item_at > at:
                at, ids = item_at, {item_id}
            elif item_at == at:
                ids.add(item_id)
        return Watermark(at, frozenset(ids))
