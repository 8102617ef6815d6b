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
from functools import cached_property
from typing import Any

# Ids kept at the watermark's instant beyond those of the latest read: a source stamping every item with one time (a
# feed's build time, a date without its time of day) would otherwise keep in its cursor every id it ever listed.
REMEMBERED = 1000


@dataclass(frozen=True)
class Watermark:
    """The newest creation time already collected and the ids collected at exactly that time, newest read first."""

    at: datetime | None = None
    ids: tuple[str, ...] = ()

    @classmethod
    def load(cls, cursor: dict[str, Any] | None) -> Watermark:
        """The watermark saved in `cursor` (`{"at": ISO, "ids": [...]}`), or an empty one."""
        if not cursor or not cursor.get("at"):
            return cls()
        return cls(datetime.fromisoformat(cursor["at"]), tuple(dict.fromkeys(str(i) for i in cursor.get("ids", ()))))

    def dump(self) -> dict[str, Any] | None:
        """The JSON form stored as (part of) a collector cursor."""
        if self.at is None:
            return None
        return {"at": self.at.isoformat(), "ids": list(self.ids)}

    def is_new(self, at: datetime, item_id: str) -> bool:
        """True when an item created at `at` with id `item_id` was not collected yet."""
        if self.at is None or at > self.at:
            return True
        return at == self.at and item_id not in self._known

    @cached_property
    def _known(self) -> frozenset[str]:
        return frozenset(self.ids)

    def advance(self, items: Iterable[tuple[datetime, str]], reread: Iterable[str] = (),
                replaced: Iterable[str] = ()) -> Watermark:
        """The watermark after collecting `items` (creation time, id). At the same instant, the ids of this read come
        first: those collected, then `reread` (known ones read again), then those remembered before, up to REMEMBERED
        in all (a read of more keeps them all); `replaced` are former ids of those read, forgotten."""
        at, latest = self.at, []
        for item_at, item_id in items:
            if at is None or item_at > at:
                at, latest = item_at, [item_id]
            elif item_at == at:
                latest.append(item_id)
        if at != self.at:  # moved on: the ids at the former instant can no longer be met
            return Watermark(at, tuple(dict.fromkeys(latest)))
        latest = list(dict.fromkeys([*latest, *reread]))
        kept = set(latest) | set(replaced)
        older = [item_id for item_id in self.ids if item_id not in kept]
        return Watermark(at, tuple(latest + older[:max(0, REMEMBERED - len(latest))]))
