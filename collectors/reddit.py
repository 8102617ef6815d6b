"""Reddit through `praw` (read-only): submissions from a search of the configured subreddits, and new comments.

Reddit has no comment search, so comments come from the subreddits' newest-comments listing and are kept when
they mention the brand. Both listings are read newest first and kept while they are newer than a watermark
(creation time plus ids at that second). Search results are also read back `SEARCH_LAG` behind it, as Reddit's
search index can list a post some minutes after newer ones (the store keeps one copy of each). A listing that fails
part-way keeps what it read and leaves its watermark, so the next run re-reads the rest.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import praw
import prawcore
import requests

from brandpulse.collectors.base import (
    FUTURE_TOLERANCE, BrandQuery, CollectorError, CollectResult, HttpStatusError, MalformedItem, MalformedPayload,
    Mention, RetryLater,
)
from brandpulse.collectors.brands import BrandMatcher
from brandpulse.collectors.http import incomplete_read, retry_after
from brandpulse.collectors.reddit_pacing import RedditPacer, pace
from brandpulse.collectors.watermark import Watermark

log = logging.getLogger(__name__)

SOURCE = "reddit"
BASE_URL = "https://www.reddit.com"
SEARCH_LAG = timedelta(hours=1)
_UNQUOTABLE = re.compile(r'["\\]')


def searched(query: BrandQuery) -> BrandQuery:
    """The query as Reddit searches it: keywords and exclusions without @ or # ("@pinebrookcoffee" finds
    "u/pinebrookcoffee", and nobody writes the @ on Reddit), each once."""
    return replace(query, keywords=_bare(query.keywords), exclusions=_bare(query.exclusions))


def _bare(phrases: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.strip(" @#") for p in phrases if p.strip(" @#")))


def search_query(query: BrandQuery) -> str:
    """Reddit search syntax for any of the brand's keywords and none of its exclusions, each a quoted phrase."""
    reddit = searched(query)
    keywords = _phrases(reddit.keywords)
    if not keywords:
        raise CollectorError(f'reddit: no keyword of {query.brand} has a word to search for (" and \\ are left out)')
    terms = " OR ".join(f'"{k}"' for k in keywords)
    excluded = " ".join(f'NOT "{e}"' for e in _phrases(reddit.exclusions))
    return f"({terms}) {excluded}".strip()


def _phrases(phrases: Iterable[str]) -> tuple[str, ...]:
    """The phrases without `"` and `\\`: Reddit's search syntax has no escape for a quote inside a quoted phrase
    (it would end the phrase and leave the rest as loose terms), and a backslash escapes the closing quote. A phrase
    is matched by its words, so they find the same posts; the posts collected are still matched as configured."""
    cleaned = (" ".join(_UNQUOTABLE.sub(" ", p).split()) for p in phrases)
    return tuple(dict.fromkeys(p for p in cleaned if p))


def _fields(thing: Any) -> dict[str, Any]:
    if isinstance(thing, dict):
        return thing
    return {k: v for k, v in vars(thing).items() if not k.startswith("_")}


def _created(fields: dict[str, Any]) -> datetime:
    value = fields.get("created_utc")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedItem(f"item {fields.get('id')} has no numeric created_utc ({value!r})")
    return datetime.fromtimestamp(value, timezone.utc)


# What Reddit leaves as the body of a post its moderators removed or its author deleted: not the author's words
# (and as its author, in the raw JSON).
GONE = ("[removed]", "[deleted]")


def _mention(fields: dict[str, Any], text: str, brand: str, amplification: int = 0) -> Mention:
    if not fields.get("id") or not isinstance(text, str):
        raise MalformedItem(f"item without id or text: {str(fields)[:80]!r}")
    author = fields.get("author")
    # praw gives a listed post's deleted author as None; a cross-post's original comes raw, as '[deleted]'.
    author = None if author in GONE else author
    permalink = fields.get("permalink")
    return Mention(
        source=SOURCE,
        external_id=str(fields.get("name") or fields["id"]),
        text=text,
        created_at=_created(fields),
        brand=brand,
        author=str(author) if author else None,
        url=BASE_URL + permalink if isinstance(permalink, str) else None,
        raw={k: v if isinstance(v, str | int | float | bool | type(None)) else str(v) for k, v in fields.items()},
        amplification=amplification,
    )


def submission_to_mention(thing: Any, brand: str, about_brand: Any = lambda text: True) -> Mention:
    """A `Mention` from a submission. A cross-post counts as its original, with the cross-post count, when the
    original is `about_brand`; one whose own title alone names the brand is its own mention."""
    fields = _fields(thing)
    parents = fields.get("crosspost_parent_list")
    if isinstance(parents, list) and parents and isinstance(parents[0], dict):
        original = _mention(parents[0], _submission_text(parents[0]), brand, int(parents[0].get("num_crossposts") or 0))
        if about_brand(original.text):
            return original
    return _mention(fields, _submission_text(fields), brand)


def _submission_text(fields: dict[str, Any]) -> str:
    title, body = fields.get("title"), fields.get("selftext") or ""
    body = "" if body in GONE else body
    if not isinstance(title, str):
        raise MalformedItem(f"submission {fields.get('id')} has no title")
    return f"{title}\n\n{body}".strip() if isinstance(body, str) else title


def comment_to_mention(thing: Any, brand: str, about_brand: Any = None) -> Mention:
    """A `Mention` from a comment."""
    fields = _fields(thing)
    return _mention(fields, fields.get("body"), brand)


class RedditCollector:
    """Searches submissions and scans new comments in the configured subreddits (or all of Reddit)."""

    source = SOURCE

    def __init__(self, name: str, reddit: praw.Reddit, subreddits: Iterable[str] = ("all",), limit: int = 100,
                 comments: bool = True, pacer: RedditPacer | None = None):
        self.name = name
        self._reddit = reddit
        self._names = list(subreddits) or ["all"]
        self._limit = limit
        self._comments = comments
        # Also the injection point of the pacer's sleep and clock, for tests.
        pace(reddit, pacer or RedditPacer(window_size=reddit.config.window_size))

    def collect(self, query: BrandQuery, cursor: dict[str, Any] | None) -> CollectResult:
        """Submissions and comments about `query` created after the cursor's watermarks; a subreddit Reddit refuses
        (private, banned) is named in the result's error, the others read without it."""
        try:
            found, kept, error = self._collect(self._names, query, cursor or {})
        except ListingRefused as exc:
            found, kept, error = [], None, exc
        if not isinstance(error, ListingRefused):
            return CollectResult.stopped_by(found, kept, error)
        refused = self._refusing(error)
        others = [name for name in self._names if name not in refused]
        if not refused or not others:
            raise self._named(refused, error, []) from error
        try:
            found, kept, error = self._collect(others, query, cursor or {})
        except CollectorError as exc:
            raise CollectorError(f"{self._named(refused, exc, [])}; then {exc}") from exc
        named = str(self._named(refused, error, others))
        # What stopped the others part-way is said too, and a wait it asks for still kept.
        return CollectResult(found, kept, named if error is None else f"{named}; then {error}",
                             error if isinstance(error, RetryLater) else None)

    def _collect(self, names: list[str], query: BrandQuery, cursor: dict[str, Any]
                 ) -> tuple[list[Mention], dict[str, Any], CollectorError | None]:
        """The mentions of the subreddits `names`, the cursor after them, and the error that stopped them part-way."""
        matcher = BrandMatcher([searched(query)])
        subreddit = self._reddit.subreddit("+".join(names))
        posts = subreddit.search(search_query(query), sort="new", time_filter="all", limit=self._limit)
        found, post_mark, error = self._read(posts, submission_to_mention, query.brand, matcher,
                                             Watermark.load(cursor.get("submissions")), SEARCH_LAG)
        new_cursor = {"submissions": post_mark.dump(), "comments": cursor.get("comments")}
        if self._comments and error is None:
            comments = subreddit.comments(limit=self._limit)
            try:
                more, comment_mark, error = self._read(comments, comment_to_mention, query.brand, matcher,
                                                       Watermark.load(cursor.get("comments")))
            except CollectorError as exc:  # the submissions read are kept with their watermark
                more, comment_mark, error = [], Watermark.load(cursor.get("comments")), exc
            found += more
            new_cursor["comments"] = comment_mark.dump()
        kept = new_cursor if self._comments else {"submissions": new_cursor["submissions"]}
        return found, kept, error

    def _refusing(self, error: ListingRefused) -> dict[str, str]:
        """The configured subreddits Reddit refuses, each with why: the refusal's own reason for a single one, else
        each one's `about` asked in turn (a listing of several names none)."""
        if len(self._names) == 1:
            return {self._names[0]: error.reason}
        refused = {}
        for name in self._names:
            if name.lower() in LISTINGS:
                continue  # no subreddit of its own to ask about
            try:
                self._reddit.request(method="GET", path=f"/r/{name}/about")
            except (prawcore.Forbidden, prawcore.NotFound, prawcore.Redirect) as exc:
                refused[name] = refusal_reason(exc)
            except (prawcore.PrawcoreException, praw.exceptions.PRAWException, requests.RequestException) as exc:
                log.warning("reddit: cannot ask Reddit about r/%s (%s)", name, exc)
        return refused

    @staticmethod
    def _named(refused: dict[str, str], error: CollectorError, others: list[str]) -> CollectorError:
        """The error naming the subreddits Reddit refuses and why (`error` itself where none could be named)."""
        if not refused:
            return error
        which = ", ".join(f"r/{name} ({why})" for name, why in refused.items())
        read = f"; the others ({', '.join(f'r/{n}' for n in others)}) were read" if others else ""
        return CollectorError(f"reddit: Reddit refuses {which}; remove it from the collector's subreddits{read}")

    def probe(self, query: BrandQuery) -> None:
        """The newest submission of the brand's search: token, host, subreddits and query all accepted."""
        listing = self._reddit.subreddit("+".join(self._names)).search(search_query(query), sort="new",
                                                                       time_filter="all", limit=1)
        try:
            next(self._guarded(listing), None)
        except ListingRefused as exc:
            raise self._named(self._refusing(exc), exc, []) from exc

    def _read(self, listing: Iterable[Any], convert: Any, brand: str, matcher: BrandMatcher, mark: Watermark,
              lag: timedelta = timedelta(0)) -> tuple[list[Mention], Watermark, CollectorError | None]:
        """The listing's new items about `brand`, the watermark after them, and the error that stopped the listing
        part-way (its items kept, its watermark left, as the older items it did not reach are behind it)."""
        found: dict[str, Mention] = {}
        seen: list[tuple[datetime, str]] = []
        known, latest = 0, datetime.now(timezone.utc) + FUTURE_TOLERANCE
        if mark.at is not None and mark.at > latest:
            # Frozen by a post dated ahead before such posts stopped moving it: read the listing afresh.
            log.warning("reddit: the saved position %s is in the future; reading the listing afresh",
                        mark.at.isoformat())
            mark = Watermark()
        about_brand = lambda text: matcher.matches(brand, text)  # noqa: E731
        try:
            for thing in self._guarded(listing):
                try:
                    # The watermark follows the listing's own items: a new cross-post of an old original is new.
                    position = (_created(_fields(thing)), str(getattr(thing, "name", "")))
                    mention = convert(thing, brand, about_brand)
                except (MalformedItem, KeyError, TypeError, ValueError) as exc:
                    log.warning("reddit: skipping malformed item %s: %s", getattr(thing, "id", "?"), exc)
                    continue
                if mark.is_new(*position):
                    if position[0] <= latest:  # one dated years ahead would hold back every real item until then
                        seen.append(position)
                else:
                    known += 1
                    if position[0] < mark.at - lag:  # within `lag`, read again in case it was missed (stored once)
                        continue  # read by an earlier run; not `break`: search results are not strictly newest first
                if about_brand(mention.text) and mention.external_id not in found:
                    found[mention.external_id] = mention
        except CollectorError as exc:
            if not seen and not known:
                raise
            return list(found.values()), mark, exc
        if mark.at is not None and not known and len(seen) >= self._limit:
            log.warning("reddit: all %d items read were new; older ones may have been missed (raise limit or "
                        "collect more often)", len(seen))
        return list(found.values()), mark.advance(seen), None

    def _guarded(self, listing: Iterable[Any]) -> Iterator[Any]:
        """Iterate a lazy praw listing, turning its network and payload errors into `CollectorError`s."""
        iterator = iter(listing)
        while True:
            try:
                yield next(iterator)
            except StopIteration:
                return
            except (prawcore.PrawcoreException, praw.exceptions.PRAWException, requests.RequestException,
                    LookupError, TypeError, ValueError, AttributeError) as exc:  # LookupError: KeyError, IndexError
                raise _collector_error(exc) from exc


# Listings of many subreddits, or none: they have no `about` to ask whether Reddit refuses them.
LISTINGS = frozenset({"all", "popular", "friends", "mod"})


class ListingRefused(CollectorError):
    """Reddit refused a subreddit's listing (403, 404, or a redirect to its search of subreddits); `reason` says why
    in Reddit's words where it gives them ('HTTP 403: private')."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def refusal_reason(exc: prawcore.ResponseException) -> str:
    """Why Reddit refused a subreddit, in its words: 'HTTP 403: private', 'HTTP 404: banned', 'no such subreddit'."""
    if isinstance(exc, prawcore.Redirect):  # Reddit sends a name it does not know to its search of subreddits
        return "no such subreddit"
    return _reason(exc.response, f"HTTP {exc.response.status_code}")


def _reason(answer: requests.Response, status: str) -> str:
    try:
        said = answer.json()
    except (ValueError, RecursionError):
        return status
    reason = said.get("reason") if isinstance(said, dict) else None
    return f"{status}: {' '.join(reason.split())[:60]}" if isinstance(reason, str) and reason.strip() else status


AUTH_CHECK = "check REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET"
ACCESS_TOKEN_PATH = "/api/v1/access_token"


def _collector_error(exc: Exception) -> CollectorError:
    """The `CollectorError` saying what a praw listing's exception means."""
    if isinstance(exc, prawcore.ResponseException):
        return _answered(exc)
    if isinstance(exc, prawcore.OAuthException):
        return CollectorError(f"reddit: authentication failed ({exc}); {AUTH_CHECK}")
    if isinstance(exc, prawcore.RequestException) and (read := incomplete_read(exc.original_exception)):
        return CollectorError(f"reddit: answer cut short ({read[0]} of {sum(read)} bytes) from {_address(exc)}, "
                              "each time prawcore asked; the next run retries")
    if isinstance(exc, prawcore.RequestException):
        return CollectorError(f"reddit: request failed ({exc.original_exception.__class__.__name__}: {exc}); "
                              "the next run retries")
    answer = _answer(exc)
    if isinstance(exc, requests.JSONDecodeError) and answer is not None:  # prawcore reads the token's unguarded
        return MalformedPayload(f"reddit: malformed payload (not JSON) from {answer.url}")
    if isinstance(exc, prawcore.PrawcoreException | praw.exceptions.PRAWException | requests.RequestException):
        return CollectorError(f"reddit: {exc.__class__.__name__}: {exc}")
    if answer is not None and answer.status_code >= 400:
        return _refused(answer)
    return MalformedPayload(f"reddit: malformed payload ({exc.__class__.__name__}: {exc})")


def _address(exc: prawcore.RequestException) -> str:
    """The address a failed request went to (prawcore passes the method and the address, its query apart)."""
    url = exc.request_kwargs.get("url") or next((arg for arg in exc.request_args[1:2] if isinstance(arg, str)), None)
    return url or "Reddit"


def _answered(exc: prawcore.ResponseException) -> CollectorError:
    """The `CollectorError` for an answer prawcore raised on: its status, or a body that is not JSON."""
    response = exc.response
    if isinstance(exc, prawcore.TooManyRequests):
        return _rate_limited(response, str(exc))
    if isinstance(exc, prawcore.ServerError):
        if response.status_code == 503 and (wait := retry_after(response.headers)):
            return RetryLater(f"reddit: server unavailable ({exc}, Retry-After {response.headers.get('Retry-After')})"
                              "; the next run after then retries", 503, **wait)
        return CollectorError(f"reddit: server error ({exc}); the next run retries")
    if isinstance(exc, prawcore.BadJSON):
        return MalformedPayload(f"reddit: malformed payload (not JSON) from {response.url}")
    if response.status_code == 401:  # the token request refused the app's id or secret
        return CollectorError(f"reddit: authentication failed ({exc}); {AUTH_CHECK}")
    if urlsplit(response.url or "").path == ACCESS_TOKEN_PATH:  # Reddit refused the app, not a subreddit
        return CollectorError(f"reddit: authentication failed ({exc}); {AUTH_CHECK}, and that REDDIT_USER_AGENT "
                              "names the app")
    if isinstance(exc, prawcore.Forbidden | prawcore.NotFound | prawcore.Redirect):
        return ListingRefused(f"reddit: HTTP error ({exc}); check the configured subreddits", refusal_reason(exc))
    return CollectorError(f"reddit: HTTP error ({exc}); check the configured subreddits")


def _rate_limited(answer: requests.Response, said: str) -> RetryLater:
    """A 429: prawcore waits out Reddit's x-ratelimit headers on the answers that allow a request, but raises a 429 at
    once; the service then skips the collector, for every brand, for the Retry-After it gives, else until Reddit's
    window resets (x-ratelimit-reset, in seconds from now)."""
    wait = retry_after(answer.headers)
    reset = (answer.headers.get("x-ratelimit-reset") or "").strip()
    if not wait and reset.isdigit():
        wait = {"delay": timedelta(seconds=min(int(reset), 10**7))}
        said += f", x-ratelimit-reset {reset} s"
    then = "after then " if wait else ""
    return RetryLater(f"reddit: rate limited ({said}); the next run {then}resumes from the saved cursor", 429, **wait)


def _answer(exc: Exception) -> requests.Response | None:
    """The HTTP answer prawcore was reading when `exc` arose, else None. prawcore fails with a KeyError of its own on
    a 401 or 403 whose www-authenticate header is missing or unknown to it, with a ValueError on a 429 whose
    Retry-After is an HTTP date (it reads seconds only), and with a JSONDecodeError on a token answer not JSON."""
    answer, frame = None, exc.__traceback__
    while frame is not None:
        local = frame.tb_frame.f_locals.get("response")
        if isinstance(local, requests.Response) and frame.tb_frame.f_globals.get("__name__", "").startswith("prawcore"):
            answer = local
        frame = frame.tb_next
    return answer


def _refused(answer: requests.Response) -> CollectorError:
    """The error for an HTTP error answer prawcore could not map to one of its exceptions."""
    status = answer.status_code
    if status == 429:
        return _rate_limited(answer, "received 429 HTTP response")
    if status == 401:  # an access token Reddit no longer accepts, and a new one refused as well
        return CollectorError(f"reddit: authentication failed (received 401 HTTP response); {AUTH_CHECK}")
    if status == 403:
        return ListingRefused("reddit: HTTP error (received 403 HTTP response); check the configured subreddits",
                              _reason(answer, "HTTP 403"))
    return HttpStatusError(f"reddit: HTTP {status} from {answer.url}; the next run retries", status)
