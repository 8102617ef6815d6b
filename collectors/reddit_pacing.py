"""Reddit's rate-limit headers read as prawcore's `RateLimiter` reads them, without failing on partial ones.

Reddit answers with `x-ratelimit-remaining`, `-used` and `-reset` (requests left, made, and seconds until the window
resets). prawcore reads all three as whole numbers once the first is there, so an answer with only some of them (a
proxy or CDN passing some on) or with one that is no whole number ("598.0" for -used) failed the listing with a
KeyError or ValueError after Reddit had answered it. Such an answer is now counted as one request, as prawcore counts
an answer without the headers.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

import prawcore.rate_limit

log = logging.getLogger(__name__)

HEADERS = ("x-ratelimit-remaining", "x-ratelimit-used", "x-ratelimit-reset")


def rate_limits(headers: Mapping[str, str]) -> tuple[int, int, int] | None:
    """Requests left, requests made and seconds until the window resets, from an answer's headers; None unless all
    three are there and numbers."""
    try:
        values = [float(headers[name]) for name in HEADERS]
    except (KeyError, TypeError, ValueError):
        values = None
    if values is None or not all(math.isfinite(v) for v in values):
        if any(name in headers for name in HEADERS):
            log.debug("reddit: rate-limit headers not all there or not numbers (%s); counted as one request",
                      {name: headers.get(name) for name in HEADERS})
        return None
    remaining, used, reset = (int(v) for v in values)
    return remaining, used, reset


class RedditPacer(prawcore.rate_limit.RateLimiter):
    """prawcore's rate limiter, reading an answer with partial or odd rate-limit headers as one without them."""

    def update(self, *, response_headers: Mapping[str, str]) -> None:
        """Follow the answer's rate-limit headers when all three are numbers, else count one request."""
        limits = rate_limits(response_headers)
        headers = {} if limits is None else dict(zip(HEADERS, map(str, limits), strict=True))
        super().update(response_headers=headers)


def pace(reddit: Any, pacer: RedditPacer) -> None:
    """Make `pacer` the rate limiter of each of a praw client's prawcore sessions (prawcore has no option for it)."""
    cores = [getattr(reddit, name, None) for name in ("_read_only_core", "_authorized_core")]
    cores = [core for core in cores if isinstance(getattr(core, "_rate_limiter", None), prawcore.rate_limit.RateLimiter)]
    if not cores:  # a praw or prawcore release that moved them: its own limiter stays
        log.warning("reddit: found no prawcore session to pace in %s; prawcore's own rate limiter is used", reddit)
    for core in cores:
        core._rate_limiter = pacer
