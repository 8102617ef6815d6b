"""What the review and feed collectors share: which brand a review belongs to, and newest-first reading."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from brandpulse.collectors.base import (
    FUTURE_TOLERANCE, BrandQuery, CollectorError, CollectResult, MalformedItem, Mention, dated_by_now,
)
from brandpulse.collectors.brands import BrandMatcher
from brandpulse.collectors.firstseen import UNKNOWN_READ, FirstSeen, Undated
from brandpulse.collectors.retry import Retries
from brandpulse.collectors.watermark import Watermark

log = logging.getLogger(__name__)

# An item dated before this is a placeholder (the Unix epoch, 1900, a two-digit year read as 19xx), not when it was
# written: found before the watermark, it is no sign that the pages after it were read already.
PLAUSIBLE_SINCE = datetime(2000, 1, 1, tzinfo=timezone.utc)
# Undated items found this long after the previous read are logged as estimates: the spike rule's usual bucket.
ESTIMATE_NOTE = timedelta(hours=1)


def log_label(source: str, name: str) -> str:
    """How a collector's warnings name it: its source, and its name too where that differs (several feeds may
    share the source `forum`: 'forum (support-feed)')."""
    return source if name == source else f"{source} ({name})"


def collect_pages(
    source: str,
    pages: Iterable[list[Any]],
    convert: Callable[[Any], Mention | Undated],
    query: BrandQuery,
    brand: str | None,
    cursor: dict[str, Any] | None,
    now: datetime,
    undated: bool = False,
    former_id: Callable[[str], str | None] | None = None,
) -> CollectResult:
    """Read newest-first `pages` of raw items until one shows the rest was read (see `_PageRead`); keep the brand's
    new mentions.

    `source` names the collector in the warnings (see `log_label`).

    With `brand` set every item belongs to it (an app's reviews); without, an item must mention the brand. An item
    dated in the future (an entry dated 2031) is stored as collected now and never moves the resume point: taken
    at its word, it would hold back every real item until then. `now` is the time of the run.

    An item its source gives no date (`convert` returns it `Undated`, dated `now`) is new when the cursor does not
    remember its id; on the first read the cursor remembers none, and each one read is remembered, not kept (see
    `firstseen`). `undated`: the source may give such items, so even a first read finding none starts the memory.

    A page after the first that fails (a 503, a 429, a timeout) keeps the items read before it, with the cursor left
    where it was (the older items the failure hid lie behind it) and the failure as the result's `error`.

    `former_id(id)`: the id the item had in an older release (None when the same), which a cursor saved by it holds;
    an item known by it is known, so an upgrade stores nothing twice.

    A dated item skipped as malformed (`MalformedItem` naming its id and date) is remembered in the cursor and taken
    as new at later runs, whatever the watermark, until it is read whole or given up (see `retry`).
    """
    if brand is not None and brand != query.brand:
        return CollectResult([], cursor)
    mark, memory, retries = Watermark.load(cursor), FirstSeen.load(cursor), Retries.load(cursor)
    ids = _with_former(former_id)
    matcher = BrandMatcher([query])
    found: dict[str, Mention] = {}
    seen: list[tuple[Any, str]] = []
    reread: list[str] = []  # known items read again at the watermark's instant: kept among its ids
    undated_read: list[str] = []
    stopped: list[CollectorError] = []
    for page in _until_failure(pages, stopped):
        page_read = _PageRead()
        for item in page:
            mention = _convert(source, convert, item, _skipped(mark, retries, now))
            if isinstance(mention, Undated):
                mention = mention.mention
                undated_read.append(mention.external_id)
                if any(memory.knows(item_id) for item_id in ids(mention.external_id)):
                    page_read.seen_id = True
                    continue
                if not memory.started:
                    continue  # the source's history, not news: remembered only
                # Published since the previous read: its date, when it was found, is only as precise as that gap.
                mention = replace(mention, dated_after=memory.found_after)
            elif mention is None:
                continue
            elif mention.created_at > now + FUTURE_TOLERANCE:
                # Stored again at each run, so only the store can tell whether an older release stored it already.
                mention = replace(dated_by_now(mention, now), former_ids=ids(mention.external_id)[1:])
            elif retries.pending(ids(mention.external_id)):
                retries.read(mention.external_id)  # skipped as malformed before, readable now: behind the watermark
                seen.append((mention.created_at, mention.external_id))
            elif not all(mark.is_new(mention.created_at, item_id) for item_id in ids(mention.external_id)):
                page_read.known(mention.created_at, mark)
                if mention.created_at == mark.at:
                    reread.append(mention.external_id)
                continue  # not sorted strictly: finish the page, then stop
            else:
                retries.read(mention.external_id)  # a copy under its id later in the feed, malformed, is no loss
                seen.append((mention.created_at, mention.external_id))
                page_read.older_known = False
            if brand is not None or matcher.matches(query.brand, mention.text):
                _keep(source, found, replace(mention, brand=query.brand))
        if page_read.rest_read and (retries.oldest is None or page_read.reached(retries.oldest)):
            break
    else:
        if stopped:
            return CollectResult.stopped_by(list(found.values()), cursor, stopped[0])
        _warn_all_new(source, mark, seen, memory, undated_read)
    resume = mark.advance(seen, reread, [former for item_id in reread for former in ids(item_id)[1:]]).dump()
    if undated or memory.started or undated_read:
        replaced = [former for item_id in undated_read for former in ids(item_id)[1:]]
        resume = memory.after(undated_read, now, replaced).dump(resume)
        _note_estimated(source, found.values(), now)
    return CollectResult(list(found.values()), retries.dump(resume, source, now))


class _PageRead:
    """What one page says of the pages after it: read already when it holds an item whose id was collected, or ends
    with items dated plausibly before the watermark (an item dated 1970 among new ones says nothing of the rest)."""

    def __init__(self) -> None:
        self.seen_id = False  # an id collected before: at the watermark's instant, or an undated one remembered
        self.older_known = False  # the page's dated items since its last new one are all plausibly before the mark
        self.oldest: datetime | None = None  # the oldest plausible date of the items known

    def known(self, at: datetime, mark: Watermark) -> None:
        """Note an item dated `at`, not new by `mark`."""
        if at >= PLAUSIBLE_SINCE:
            self.oldest = at if self.oldest is None else min(self.oldest, at)
        if mark.at is not None and at == mark.at:
            self.seen_id = True
        elif at >= PLAUSIBLE_SINCE:
            self.older_known = True

    def reached(self, at: datetime) -> bool:
        """Whether the page reached back to `at`: an item skipped as malformed then, retried, lies on it or before."""
        return self.oldest is not None and self.oldest <= at

    @property
    def rest_read(self) -> bool:
        """Whether the paging may stop after this page."""
        return self.seen_id or self.older_known


def _with_former(former_id: Callable[[str], str | None] | None) -> Callable[[str], tuple[str, ...]]:
    """A function giving an item's id and, when it had another in an older release, that one too."""
    def ids(item_id: str) -> tuple[str, ...]:
        former = former_id(item_id) if former_id else None
        return (item_id, former) if former else (item_id,)
    return ids


def _until_failure(pages: Iterable[list[Any]], stopped: list[CollectorError]) -> Iterator[list[Any]]:
    """`pages` until one fails after the first, its error then put in `stopped`; the first one failing raises."""
    read = 0
    iterator = iter(pages)
    while True:
        try:
            page = next(iterator)
        except StopIteration:
            return
        except CollectorError as exc:
            if not read:
                raise  # nothing read: the collector failed, its cursor stays
            stopped.append(exc)
            return
        read += 1
        yield page


def _convert(source: str, convert: Callable[[Any], Mention | Undated], item: Any,
             skipped: Callable[[MalformedItem], str]) -> Mention | Undated | None:
    """`convert(item)`, or None (with a warning) for an item it cannot read; `skipped` notes a malformed one."""
    try:
        return convert(item)
    except MalformedItem as exc:
        log.warning("%s: skipping malformed item: %s%s", source, exc, skipped(exc))
        return None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        log.warning("%s: skipping malformed item: %s", source, exc)
        return None


def _skipped(mark: Watermark, retries: Retries, now: datetime) -> Callable[[MalformedItem], str]:
    """What notes an item skipped as malformed: a dated one new by `mark` (or skipped before) is to be retried at
    later runs, which the warning says; one behind the watermark was collected or given up before."""
    def note(exc: MalformedItem) -> str:
        if exc.item_id is None or exc.at is None or exc.at > now + FUTURE_TOLERANCE or exc.at < PLAUSIBLE_SINCE:
            return ""
        if not retries.pending([exc.item_id]) and not mark.is_new(exc.at, exc.item_id):
            return ""
        retries.skip(exc.item_id, exc.at, now)
        return "; retried at the next runs, should its publisher fix it"
    return note


def _keep(source: str, found: dict[str, Mention], mention: Mention) -> None:
    known = found.get(mention.external_id)
    if known is not None and (known.created_at, known.text) == (mention.created_at, mention.text):
        return  # the same item read again: pushed onto the next page by one published while the pages were read
    if known is not None:  # the store keeps one item per id: the first read, the newest
        log.warning("%s: two items share the id %s; kept the first, dated %s", source,
                    mention.external_id, found[mention.external_id].created_at.isoformat())
        return
    found[mention.external_id] = mention


def _note_estimated(source: str, kept: Iterable[Mention], now: datetime) -> None:
    """Say how many undated items were found after a gap longer than ESTIMATE_NOTE: dated now, they are estimates."""
    late = [m for m in kept if m.dated_after is not None and now - m.dated_after > ESTIMATE_NOTE]
    if late:
        since = min(m.dated_after for m in late if m.dated_after is not None)
        log.warning("%s: %d undated entries appeared since the read at %s; dated %s, when found, and marked as "
                    "estimated (dated_after): the spike rule does not count them", source, len(late),
                    "an unknown time" if since == UNKNOWN_READ else since.isoformat(), now.isoformat())


def _warn_all_new(source: str, mark: Watermark, seen: list[tuple[Any, str]], memory: FirstSeen,
                  undated_read: list[str]) -> None:
    """Every page was read and none reached a known item: what lies past the last page may have been missed."""
    if mark.at is not None and seen:
        log.warning("%s: every page read was new; reviews older than %s may have been missed (raise max_pages "
                    "or collect more often)", source, min(at for at, _ in seen).isoformat())
    elif memory.started and undated_read:
        log.warning("%s: every undated entry read was new; older ones past the last page may have been missed "
                    "(raise max_pages or collect more often)", source)
