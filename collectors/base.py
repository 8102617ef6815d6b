"""The collector contract: the `Mention` record, the `Collector` protocol and the collector errors.

A collector is given a brand's query and the cursor it returned last time, and returns the
normalised mentions published since then together with the new cursor. The store saves both in
one transaction, so a crash between fetch and save re-fetches but never loses or duplicates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

log = logging.getLogger(__name__)

# Past this, a date ahead of now is a publisher's (or an export's) mistake, not clock skew or a zone written wrong.
FUTURE_TOLERANCE = timedelta(days=1)
# Longer than any post a source allows (Reddit 40,000 characters, X 25,000): a text past it is cut, as
# PostgreSQL's search index refuses a text of much more (1 MB of words) and would fail its whole batch.
MAX_TEXT = 100_000
# The longest a source's Retry-After is obeyed: a host saying "next year" (or a typo in its date) must not silence a
# collector for good; a limit that lasts longer is asked again, once a day.
MAX_RETRY_WAIT = timedelta(days=1)


class CollectorError(Exception):
    """Base of every error raised by a collector. Its message is one line, as `check`, `status` and the run summary
    show it: an API's own message may hold several (tweepy's "401 Unauthorized\nUnauthorized")."""

    def __init__(self, message: str = "") -> None:
        super().__init__(" ".join(str(message).split()))


class MalformedItem(CollectorError):
    """One item of a payload could not be turned into a mention; the others are still usable. `item_id` and `at` are
    its id and date when it has them: a dated item skipped is retried at later runs (see `retry`)."""

    def __init__(self, message: str = "", *, item_id: str | None = None, at: datetime | None = None) -> None:
        super().__init__(message)
        self.item_id = item_id
        self.at = at


class MalformedPayload(CollectorError):
    """A whole answer could not be read (not JSON, not a feed, not the expected shape); nothing of it is used."""


class HttpStatusError(CollectorError):
    """The source answered with an HTTP error `status`."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class RetryLater(HttpStatusError):
    """The source asked not to be called again for a while (HTTP 429, or a 503 with Retry-After): for `delay` after
    its answer or until `until`; neither when it did not say. The service skips the collector until then."""

    def __init__(self, message: str, status: int, *, delay: timedelta | None = None, until: datetime | None = None):
        super().__init__(message, status)
        self.delay = delay
        self.until = until

    def not_before(self, answered: datetime) -> datetime | None:
        """When the source may be called again, for an answer received at `answered` (at most MAX_RETRY_WAIT later);
        None when it did not say."""
        if self.until is None and self.delay is None:
            return None
        asked = self.until if self.until is not None else answered + (self.delay or timedelta(0))
        return min(max(asked, answered), answered + MAX_RETRY_WAIT)


@dataclass(frozen=True)
class Mention:
    """One post, comment or review about a brand, normalised across sources."""

    source: str
    external_id: str
    text: str
    created_at: datetime
    brand: str | None = None
    author: str | None = None
    url: str | None = None
    lang: str | None = None
    rating: int | None = None
    raw: dict[str, Any] | None = field(default=None, compare=False)
    # Set when the mention arrives already classified by another tool (JSONL import).
    label: str | None = None
    # Retweets, quotes and cross-posts of this original seen at the source; they are not stored as mentions.
    amplification: int = 0
    # Set when the source gave no date and `created_at` is when brandpulse found the item: it appeared after this
    # (the source's previous read), so its date is an estimate no finer than the gap between the two reads.
    dated_after: datetime | None = None
    # Ids an older release may have stored this same item under (a feed entry's bare guid): the store keeps it once,
    # storing it only when none of them is stored with its text. Set where no cursor can tell (an item dated ahead,
    # stored again at each run).
    former_ids: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        # A source's field of the wrong type (an author given as an object) fails here, as one malformed item,
        # rather than in the store's insert, where it would fail the whole batch.
        for name in ("source", "external_id", "text", "brand", "author", "url", "lang", "label"):
            value = getattr(self, name)
            if not isinstance(value, str) and (value is not None or name in ("source", "external_id", "text")):
                raise TypeError(f"{name} must be text, got {type(value).__name__}")
        if len(self.text) > MAX_TEXT:
            log.warning("%s: item %s has %d characters; kept the first %d", self.source, self.external_id,
                        len(self.text), MAX_TEXT)
            object.__setattr__(self, "text", self.text[:MAX_TEXT])
        if self.rating is not None and (isinstance(self.rating, bool) or not isinstance(self.rating, int)):
            raise TypeError(f"rating must be a whole number, got {self.rating!r}")
        if not isinstance(self.created_at, datetime):
            raise TypeError(f"created_at must be a datetime, got {type(self.created_at).__name__}")
        if self.created_at.tzinfo is None:
            raise ValueError(f"created_at {self.created_at.isoformat()} has no time zone; use UTC")
        object.__setattr__(self, "created_at", _in_utc(self.created_at))
        if self.dated_after is not None:
            if not isinstance(self.dated_after, datetime) or self.dated_after.tzinfo is None:
                raise TypeError(f"dated_after must be a datetime with a time zone, got {self.dated_after!r}")
            object.__setattr__(self, "dated_after", min(self.dated_after.astimezone(timezone.utc), self.created_at))


def _in_utc(moment: datetime) -> datetime:
    """`moment` in UTC; one that UTC cannot hold (9999-12-31T23:30-05:00, 0001-01-01T00:30+01:00) as UTC's last or
    first instant, so that it is read as the future or the distant past it says, not a crash of the whole run."""
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        edge = datetime.max if moment.year == datetime.max.year else datetime.min
        return edge.replace(tzinfo=timezone.utc)


def iso_time(text: str) -> datetime:
    """An ISO 8601 time ('Z' for UTC); one written without a zone is read as UTC, as `brandpulse ingest` reads it.
    Raises ValueError for text that is no such time."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def dated_by_now(mention: Mention, now: datetime) -> Mention:
    """`mention`, or, when it is dated more than FUTURE_TOLERANCE ahead of `now`, the same stored as collected `now`:
    a post dated 2031 would otherwise sit out of every bucket, alert and digest until then."""
    if mention.created_at <= now + FUTURE_TOLERANCE:
        return mention
    log.warning("%s: item %s is dated %s, in the future; stored as collected at %s", mention.source,
                mention.external_id, mention.created_at.isoformat(), now.isoformat())
    return replace(mention, created_at=now)


@dataclass(frozen=True)
class BrandQuery:
    """What a collector searches for on behalf of one brand."""

    brand: str
    keywords: tuple[str, ...]
    exclusions: tuple[str, ...] = ()
    own_accounts: tuple[str, ...] = ()  # the brand's own handles: what they post is not a mention of it


@dataclass(frozen=True)
class CollectResult:
    """The mentions a collector returned and the cursor to resume from next time; `error` says what stopped a run
    part-way, the pages read before it being kept (and the cursor covering them)."""

    mentions: list[Mention]
    cursor: dict[str, Any] | None
    error: str | None = None
    retry: RetryLater | None = None  # when what stopped it part-way was the source asking to wait

    @classmethod
    def stopped_by(cls, mentions: list[Mention], cursor: dict[str, Any] | None,
                   error: CollectorError | None) -> CollectResult:
        """The result of a run that `error` stopped part-way (None: it read everything): its message as `error`, and
        the error itself as `retry` when it is the source asking to wait."""
        return cls(mentions, cursor, None if error is None else str(error),
                   error if isinstance(error, RetryLater) else None)


class Collector(Protocol):
    """A source of mentions. `name` identifies its state (cursor, last run) in the store."""

    name: str

    def collect(self, query: BrandQuery, cursor: dict[str, Any] | None) -> CollectResult:
        """Return the mentions for `query` published after `cursor`, and the new cursor."""
        ...

    def probe(self, query: BrandQuery) -> None:
        """Fetch one page for `query` with the real client, keep nothing; raise `CollectorError` saying what failed."""
        ...
