"""Items a source gives no date (RSS 0.91, RSS 2.0 without pubDate, Atom without updated or published).

Such an item is dated when brandpulse first sees it, and its id is remembered in the collector's cursor so that it
is stored once. What a source shows on the first read is its history, not news: dated all at that instant, a
forum's last fifty posts would make one hour of fifty mentions, which the brand's spike rule reads as a storm. The
first read therefore only remembers them; what appears after it is stored.

What appears between two reads was published at some time between them: the cursor also keeps when the last read
was (`undated_read_at`), and each item stored is marked `dated_after` that read. After an outage (the service
stopped, the feed down) the gap is long, and the items found at once, dated in one hour, are marked as estimated
over the whole gap; the spike rule does not count an item whose date is less precise than its bucket.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

from brandpulse.collectors.base import Mention

# Ids remembered beyond those of the latest read: an entry that drops out of a feed (hidden, pushed off its last
# page) and comes back within this many later entries is not taken for a new one.
REMEMBERED = 1000
CURSOR_KEY = "undated"
READ_AT_KEY = "undated_read_at"
# `dated_after` of an item found after a read whose time is unknown (a cursor saved by a version that did not keep
# it): it may have been published at any time before.
UNKNOWN_READ = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Undated:
    """An item its source gives no date; `mention` is dated at the run that read it."""

    mention: Mention


@dataclass(frozen=True)
class FirstSeen:
    """The ids of the undated items already seen, newest read first (None before the source was first read), and
    when the read that saw them was (None when not known)."""

    ids: tuple[str, ...] | None = None
    read_at: datetime | None = None

    @classmethod
    def load(cls, cursor: dict[str, Any] | None) -> FirstSeen:
        """The ids saved under `undated` in `cursor`; none saved (a first run, or a cursor from before) is no read."""
        if not cursor or not isinstance(cursor.get(CURSOR_KEY), list):
            return cls()
        return cls(tuple(str(item_id) for item_id in cursor[CURSOR_KEY]), _moment(cursor.get(READ_AT_KEY)))

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

    @property
    def found_after(self) -> datetime:
        """What an item new in this read is `dated_after`: the previous read, or UNKNOWN_READ."""
        return self.read_at or UNKNOWN_READ

    def after(self, read: Iterable[str], at: datetime, replaced: Iterable[str] = ()) -> FirstSeen:
        """The memory after a read at `at` of the undated ids `read`: all of them, then those remembered before, up
        to REMEMBERED in all (a read of more keeps them all); `replaced` are former ids of those read, forgotten."""
        latest = list(dict.fromkeys(read))
        kept = set(latest) | set(replaced)
        older = [item_id for item_id in self.ids or () if item_id not in kept]
        return FirstSeen(tuple(latest + older[:max(0, REMEMBERED - len(latest))]), at)

    def dump(self, cursor: dict[str, Any] | None) -> dict[str, Any]:
        """`cursor` with these ids, and the time of their read, saved in it."""
        when = {READ_AT_KEY: self.read_at.isoformat()} if self.read_at else {}
        return {**(cursor or {}), CURSOR_KEY: list(self.ids or ()), **when}


def _moment(value: Any) -> datetime | None:
    """A saved read time, or None for one missing or unreadable (a hand-edited cursor): the gap is then unknown."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=timezone.utc)
