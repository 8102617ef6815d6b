"""What the review and feed collectors share: which brand a review belongs to, and newest-first reading."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from brandpulse.collectors.base import (
    FUTURE_TOLERANCE, BrandQuery, CollectResult, MalformedItem, Mention, dated_by_now,
)
from brandpulse.collectors.brands import BrandMatcher
from brandpulse.collectors.watermark import Watermark

log = logging.getLogger(__name__)


def collect_pages(
    source: str,
    pages: Iterable[list[Any]],
    convert: Callable[[Any], Mention],
    query: BrandQuery,
    brand: str | None,
    cursor: dict[str, Any] | None,
    now: datetime,
) -> CollectResult:
    """Read newest-first `pages` of raw items until one is already known; keep the brand's new mentions.

    With `brand` set every item belongs to it (an app's reviews); without, an item must mention the brand. An item
    dated in the future (an entry dated 2031) is stored as collected now and never moves the resume point: taken
    at its word, it would hold back every real item until then. `now` is the time of the run.
    """
    if brand is not None and brand != query.brand:
        return CollectResult([], cursor)
    mark = Watermark.load(cursor)
    matcher = BrandMatcher([query])
    found: dict[str, Mention] = {}
    seen: list[tuple[Any, str]] = []
    for page in pages:
        reached_known = False
        for item in page:
            try:
                mention = convert(item)
            except (MalformedItem, KeyError, TypeError, ValueError, AttributeError) as exc:
                log.warning("%s: skipping malformed item: %s", source, exc)
                continue
            if mention.created_at > now + FUTURE_TOLERANCE:
                mention = dated_by_now(mention, now)
            elif not mark.is_new(mention.created_at, mention.external_id):
                reached_known = True
                continue  # not sorted strictly: finish the page, then stop
            else:
                seen.append((mention.created_at, mention.external_id))
            if brand is not None or matcher.matches(query.brand, mention.text):
                if mention.external_id in found:  # the store keeps one item per id: the first read, the newest
                    log.warning("%s: two items share the id %s; kept the first, dated %s", source,
                                mention.external_id, found[mention.external_id].created_at.isoformat())
                    continue
                found[mention.external_id] = replace(mention, brand=query.brand)
        if reached_known:
            break
    else:
        if mark.at is not None and seen:
            log.warning("%s: every page read was new; reviews older than %s may have been missed (raise max_pages "
                        "or collect more often)", source, min(at for at, _ in seen).isoformat())
    return CollectResult(list(found.values()), mark.advance(seen).dump())
