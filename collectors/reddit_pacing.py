"""Reddit's rate-limit headers read as prawcore's `RateLimiter` reads them, without failing on partial ones, and
without sleeping minutes inside a run.

Reddit answers with `x-ratelimit-remaining`, `-used` and `-reset` (requests left, made, and seconds until the window
resets). prawcore reads all three as whole numbers once the first is there, so an answer with only some of them (a
proxy or CDN passing some on) or with one that is no whole number ("598.0" for -used) failed the listing with a
KeyError or ValueError after Reddit had answered it. Such an answer is now counted as one request, as prawcore counts
an answer without the headers.

prawcore paces requests by sleeping before each: at most 10 s while requests remain, but until the window resets (up
to 600 s, whatever a header says) once none remain, blocking the run and every collector after it. A pause longer
than `max_pause` is now a `RetryLater` for the time left, as a 429 is: the service skips Reddit until then.

prawcore also retries a request twice after a 5xx, a timeout or a connection dropped, sleeping 0-2 s then 2-4 s on
`time.sleep`; those pauses now go through the pacer's injected `sleep` too, so tests do not wait and a run's pauses
are all the pacer's.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import prawcore.rate_limit
import prawcore.sessions

from brandpulse.collectors.base import RetryLater

log = logging.getLogger(__name__)

HEADERS = ("x-ratelimit-remaining", "x-ratelimit-used", "x-ratelimit-reset")
# prawcore's longest pause while requests remain: pacing, not a limit used up.
MAX_PAUSE = 10.0
NANOSECONDS = 1_000_000_000


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
    """prawcore's rate limiter, reading an answer with partial or odd rate-limit headers as one without them, and
    raising `RetryLater` instead of pausing longer than `max_pause`; `sleep` and `clock` (monotonic) are injected."""

    def __init__(self, *, window_size: int, max_pause: float = MAX_PAUSE,
                 sleep: Callable[[float], None] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(window_size=window_size)
        self._max_pause = max_pause
        # time.sleep looked up when it pauses, not bound here: a test that stubs it (as praw's own tests do) stubs it
        # for every pacer made with no sleep of its own.
        self._sleep = sleep or (lambda seconds: time.sleep(seconds))
        self._clock = clock

    def delay(self) -> None:
        """Pause before a request as the last answer's headers ask, or raise `RetryLater` for a longer pause."""
        if self.next_request_timestamp_ns is None:
            return
        wait = (self.next_request_timestamp_ns - self._clock() * NANOSECONDS) / NANOSECONDS
        if wait <= 0:
            return
        if wait > self._max_pause:
            raise RetryLater(f"reddit: rate limit used up (x-ratelimit-remaining {self.remaining}, Reddit's window "
                             f"resets in {math.ceil(wait)} s); the next run after then resumes from the saved cursor",
                             429, delay=timedelta(seconds=math.ceil(wait)))
        log.debug("reddit: pausing %.2f s before the next request, as Reddit's rate-limit headers ask", wait)
        self._sleep(wait)

    def retries(self) -> type[prawcore.sessions.FiniteRetryStrategy]:
        """prawcore's retry strategy (how many retries, how long apart), its pauses taken through this pacer's
        `sleep`: prawcore sleeps on `time.sleep` before each retry."""
        pause = self._sleep

        class PacedRetries(prawcore.sessions.FiniteRetryStrategy):
            def sleep(self) -> None:
                if (seconds := self._sleep_seconds()) is not None:
                    log.debug("reddit: pausing %.2f s before prawcore's retry", seconds)
                    pause(seconds)

        return PacedRetries

    def update(self, *, response_headers: Mapping[str, str]) -> None:
        """Follow the answer's rate-limit headers when all three are numbers, else count one request."""
        limits = rate_limits(response_headers)
        if limits is None:
            super().update(response_headers={})
            return
        self.remaining, self.used, reset = limits
        pause = self._pause(reset)
        self.next_request_timestamp_ns = int((self._clock() + pause) * NANOSECONDS)

    def _pause(self, reset: int) -> float:
        """prawcore's pause: until the reset once no request remains, else spread over the window, at most 10 s."""
        if self.remaining <= 0:
            return max(1, reset)
        used = max(self.used, 0)
        spread = reset - (self.window_size - self.window_size / (self.remaining + used) * used)
        return min(reset, max(spread, 0), MAX_PAUSE)


def pace(reddit: Any, pacer: RedditPacer) -> None:
    """Make `pacer` the rate limiter of each of a praw client's prawcore sessions, and the sleep of their retries
    (prawcore has no option for either)."""
    cores = [getattr(reddit, name, None) for name in ("_read_only_core", "_authorized_core")]
    cores = [core for core in cores
             if isinstance(getattr(core, "_rate_limiter", None), prawcore.rate_limit.RateLimiter)]
    if not cores:  # a praw or prawcore release that moved them: its own limiter stays
        log.warning("reddit: found no prawcore session to pace in %s; prawcore's own rate limiter is used", reddit)
    for core in cores:
        core._rate_limiter = pacer
        if issubclass(getattr(core, "_retry_strategy_class", object), prawcore.sessions.FiniteRetryStrategy):
            core._retry_strategy_class = pacer.retries()
