"""Items a source gives no date (RSS 0.91, RSS 2.0 without pubDate, Atom without updated or published).

Such an item is dated when brandpulse first sees it, and its id is remembered in the collector's cursor so that it
is stored once. What a source shows on the first read is its history, not news: dated all at that instant, a
forum's last fifty posts would make one hour of fifty mentions, which the brand's spike rule reads as a storm. The
first read therefore only remembers them; what appears after it is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from brandpulse.collectors.base import Mention

# Ids remembered beyond those of the latest read: an entry that drops out of a feed (hidden, pushed off its last
# page) and comes back within this many later entries is not taken for a new one.
REMEMBERED = 1000
CURSOR_KEY = "undated"


@dataclass(frozen=True)
class Undated:
    """An item its source gives no date; `mention` is dated at the run that read it."""

    mention: Mention


@dataclass(frozen=True)
class FirstSeen:
    """The ids of the undated items already seen, newest read first; None before the source was first read."""

    ids: tuple[str, ...] | None = None

    @classmethod
    def load(cls, cursor: dict[str, Any] | None) -> FirstSeen:
        """The ids saved under `undated` in `cursor`; none saved (a first run, or a cursor from before) is no read."""
        if not cursor or not isinstance(cursor.get(CURSOR_KEY), list):
            return cls()
        return cls(tuple(str(item_id) for item_id in cursor[CURSOR_KEY]))

    @property
    def started(self) -> bool:
        """Whether the source was read before: its undated items are then news, not history."""
        return self.ids is not None

    def knows(self, item_id: str) -> bool:
        """True when the undated item `item_id` was seen on an earlier read."""
        return item_id in self._known

    @cached_property
    def _known(self) -> frozenset[str]:
        return frozenset(self.ids or ())

    def after(self, read: Iterable[str]) -> FirstSeen:
        """The memory after a read of the undated ids `read`: all of them, then those remembered before, up to
        REMEMBERED in all (a read of more keeps them all)."""
        latest = list(dict.fromkeys(read))
        kept = set(latest)
        older = [item_id for item_id in self.ids or () if item_id not in kept]
        return FirstSeen(tuple(latest + older[:max(0, REMEMBERED - len(latest))]))

    def dump(self, cursor: dict[str, Any] | None) -> dict[str, Any]:
        """`cursor` with these ids saved in it."""
        return {**(cursor or {}), CURSOR_KEY: list(self.ids or ())}
