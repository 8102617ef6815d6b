"""Twitter/X recent search through `tweepy.Client.search_recent_tweets`, resumable with a `since_id` cursor.

The endpoint pages from the newest tweet backwards. A run that stops half-way (rate limit, page budget) has the
newest tweets but not the older ones between the saved `since_id` and the last page it read, so it must not move
`since_id` yet. It saves a *sweep* instead: `until_id` (the oldest tweet read so far) and `newest_id`. The next run
resumes the sweep with `since_id` and `until_id`, which needs no pagination token (tokens expire) and loses
nothing; when the sweep reaches `since_id`, the cursor becomes `{"since_id": newest_id}`.
"""

from __future__ import annotations

import html
import logging
import re
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import requests
import tweepy

from brandpulse.collectors.base import (
    BrandQuery, CollectorError, CollectResult, HttpStatusError, MalformedItem, MalformedPayload, Mention, RetryLater,
    iso_time,
)
from brandpulse.collectors.brands import twitter_username
from brandpulse.collectors.http import page_title, redirected, retry_after

log = logging.getLogger(__name__)

SOURCE = "twitter"
MAX_QUERY_LENGTH = 512
MIN_PAGE_SIZE = 10  # the smallest max_results recent search accepts
TWITTER_EPOCH_MS = 1288834974657
EXPANSIONS = ["author_id", "referenced_tweets.id", "referenced_tweets.id.author_id"]
TWEET_FIELDS = ["created_at", "lang", "public_metrics", "author_id", "referenced_tweets", "conversation_id",
                "note_tweet"]
USER_FIELDS = ["username"]


def _term(phrase: str) -> str:
    phrase = phrase.strip()
    if re.fullmatch(r"[@#$]?\w+", phrase):
        return phrase
    return '"' + phrase.replace('"', "") + '"'


def build_query(query: BrandQuery, lang: str | None = "en", include_retweets: bool = False) -> str:
    """The search query for a brand: any keyword, none of the exclusions nor own accounts, no retweets, one
    language; own accounts that would take it past MAX_QUERY_LENGTH are left out (dropped once collected)."""
    terms = [_term(k) for k in query.keywords if k.strip()]
    parts = [terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"]
    parts += ["-" + _term(e) for e in query.exclusions if e.strip()]
    tail = [part for part, wanted in (("-is:retweet", not include_retweets), (f"lang:{lang}", bool(lang))) if wanted]
    # Not fetched, so no quota spent; an account that is no Twitter username is only dropped once collected.
    accounts = [name for name in dict.fromkeys(map(twitter_username, query.own_accounts)) if name]
    room = MAX_QUERY_LENGTH - len(" ".join(parts + tail))
    kept = _fitting(["-from:" + name for name in accounts], room)
    if len(kept) < len(accounts):
        log.info("twitter: the query for %s leaves out %d of its %d own accounts to stay within %d characters; "
                 "their tweets are dropped once collected", query.brand, len(accounts) - len(kept), len(accounts),
                 MAX_QUERY_LENGTH)
    return " ".join(parts + kept + tail)


def _fitting(terms: list[str], room: int) -> list[str]:
    """The first of `terms` that fit in `room` characters, each with the space before it."""
    kept: list[str] = []
    for term in terms:
        if len(term) + 1 > room:
            break
        kept.append(term)
        room -= len(term) + 1
    return kept


class _StaleCursor(Exception):
    pass


class _RefusedQuery(CollectorError):
    """The API refused the search's query (HTTP 400), in its own words; `collect` and `probe` say what to fix."""

    def __init__(self, text: str, said: str):
        super().__init__(f"twitter: the API refused query {text!r}: {said}; fix the collector's query")
        self.text, self.said = text, " ".join(said.split())


class TwitterCollector:
    """Collects recent tweets for each brand; rate limits are waited out (bounded) or resumed next run."""

    source = SOURCE

    def __init__(
        self,
        name: str,
        client: tweepy.Client,
        *,
        lang: str | None = "en",
        include_retweets: bool = False,
        queries: dict[str, str] | None = None,
        page_size: int = 100,
        max_pages: int = 10,
        max_wait: float = 900.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ):
        self.name = name
        self._client = client
        # The last answer tweepy read, for an error to say what came instead of the API's JSON (tweepy's JSON error
        # alone read "Expecting value: line 1 column 1 (char 0)" for a captive portal's page).
        self._answers: list[requests.Response] = []
        session = getattr(client, "session", None)
        if isinstance(session, requests.Session):
            session.hooks["response"].append(self._noted)
        self._lang = lang
        self._include_retweets = include_retweets
        self._queries = queries or {}
        self._page_size = page_size
        self._max_pages = max_pages
        self._max_wait = max_wait
        self._sleep = sleep
        self._clock = clock

    def _noted(self, answer: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._answers[:] = [answer]

    def search_query(self, query: BrandQuery) -> str:
        """The configured boolean query for the brand, else one built from its keywords and exclusions."""
        text = self._queries.get(query.brand) or build_query(query, self._lang, self._include_retweets)
        if len(text) > MAX_QUERY_LENGTH:
            raise CollectorError(
                f"twitter: the query for {query.brand} is {len(text)} characters, over the API's {MAX_QUERY_LENGTH}; "
                f"set a shorter one under the collector's `queries: {{{query.brand!r}: ...}}`"
            )
        return text

    def collect(self, query: BrandQuery, cursor: dict[str, Any] | None) -> CollectResult:
        """Tweets for `query` newer than the cursor's `since_id` (or the rest of an unfinished sweep)."""
        text = self.search_query(query)
        try:
            try:
                return self._sweep(query.brand, text, cursor or {})
            except _StaleCursor:
                # Recent search only reaches 7 days back; a cursor older than that is refused, so start afresh.
                log.warning("twitter: cursor of %s for %s is older than the 7-day search window; starting afresh",
                            self.name, query.brand)
                return self._sweep(query.brand, text, {})
        except _RefusedQuery as exc:
            raise self._refused(query.brand, exc) from exc

    def _refused(self, brand: str, exc: _RefusedQuery) -> CollectorError:
        """What to fix for a query the API refused: the collector's `queries` entry, or the brand's keywords it was
        built from (there is no query of the collector's to fix)."""
        if brand in self._queries:
            fix = f"fix it under the collector's `queries: {{{brand!r}: ...}}`"
        else:
            fix = (f"it is built from the keywords and exclusions of brand {brand}: fix them, or set a query under the "
                   f"collector's `queries: {{{brand!r}: ...}}`")
        who = SOURCE if self.name == SOURCE else f"{SOURCE} ({self.name})"
        return CollectorError(f"{who}: the API refused the query for {brand}, {exc.text!r} "
                              f"({exc.said}); {fix}")

    def probe(self, query: BrandQuery) -> None:
        """One page of the brand's search, of the fewest tweets the API serves: token, host and query all accepted."""
        try:
            self._request(self.search_query(query), None, None, None, page_size=MIN_PAGE_SIZE)
        except _RefusedQuery as exc:
            raise self._refused(query.brand, exc) from exc
        except tweepy.TooManyRequests as exc:
            if (cap := _usage_cap(exc)) is not None:
                raise cap from exc
            raise HttpStatusError(f"twitter: rate limited (reset at {_reset_time(exc)}); the token works, try again "
                                  "later", 429) from exc

    def _sweep(self, brand: str, text: str, cursor: dict[str, Any]) -> CollectResult:
        since_id = cursor.get("since_id")
        sweep = cursor.get("sweep") or {}
        # until_id stays fixed for the whole run: a next_token is only valid with the parameters that made it.
        until_id, newest = sweep.get("until_id"), sweep.get("newest_id")
        oldest = until_id
        found: dict[str, Mention] = {}
        token, error = None, None
        for number in range(self._max_pages):
            try:
                page = self._page(text, since_id, until_id, token)
            except CollectorError as exc:
                if number == 0:
                    raise  # nothing read: the collector failed, its cursor stays
                error = exc  # the pages read are kept, and the sweep resumes below them
                break
            data = page.get("data") or []
            for tweet in data:
                self._keep(found, tweet, page.get("includes") or {}, brand)
            ids = [str(t.get("id")) for t in data if isinstance(t, dict) and str(t.get("id", "")).isdigit()]
            if ids:
                newest = max([*ids, *([newest] if newest else [])], key=int)
                oldest = min([*ids, *([oldest] if oldest else [])], key=int)
            token = (page.get("meta") or {}).get("next_token")
            if not token:
                return CollectResult(list(found.values()), {"since_id": newest or since_id})
        if newest is None:
            return CollectResult.stopped_by([], {"since_id": since_id} if since_id else None, error)
        log.info("twitter: %s for %s stopped part-way; the next run resumes below id %s", self.name, brand, oldest)
        sweep = {"newest_id": newest, "until_id": oldest}
        return CollectResult.stopped_by(list(found.values()), {"since_id": since_id, "sweep": sweep}, error)

    def _page(self, text: str, since_id: str | None, until_id: str | None, token: str | None) -> dict[str, Any]:
        """One page of results; a rate limit is waited out up to `max_wait`, else raised as `RetryLater`."""
        for attempt in range(3):
            try:
                return self._request(text, since_id, until_id, token)
            except tweepy.TooManyRequests as exc:
                if (cap := _usage_cap(exc)) is not None:
                    raise cap from exc
                wait = self._wait_for(exc)
                if wait is None or attempt == 2:
                    # Recorded as the collector's failure: a token over its monthly cap must not look healthy. The
                    # service skips the collector until the reset: a run before it would only be refused again.
                    raise RetryLater(f"twitter: rate limited (reset at {_reset_time(exc)}), longer than max_wait; "
                                     "the next run after the reset resumes from the saved cursor", 429,
                                     until=_reset_moment(exc)) from exc
                log.warning("twitter: %s rate limited; waiting %.0f s for the window to reset", self.name, wait)
                self._sleep(wait)
        raise AssertionError("unreachable")

    def _wait_for(self, exc: tweepy.TooManyRequests) -> float | None:
        reset = exc.response.headers.get("x-rate-limit-reset")
        if reset is None or not str(reset).isdigit():
            return None
        wait = max(int(reset) - self._clock(), 0) + 1
        return wait if wait <= self._max_wait else None

    def _request(self, text: str, since_id: str | None, until_id: str | None, token: str | None,
                 page_size: int | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {
            "max_results": page_size or self._page_size, "expansions": EXPANSIONS,
            "tweet_fields": TWEET_FIELDS, "user_fields": USER_FIELDS,
        }
        for key, value in (("since_id", since_id), ("until_id", until_id), ("next_token", token)):
            if value:
                params[key] = value
        try:
            page = self._client.search_recent_tweets(text, **params)
        except tweepy.TooManyRequests:
            raise
        except tweepy.BadRequest as exc:
            if any(key in str(m) for m in exc.api_messages for key in ("since_id", "until_id") if params.get(key)):
                raise _StaleCursor() from exc
            raise _RefusedQuery(text, str(exc)) from exc
        except (tweepy.Unauthorized, tweepy.Forbidden) as exc:
            raise CollectorError(f"twitter: access denied ({_status(exc)}); check TWITTER_BEARER_TOKEN and the app's "
                                 "access level") from exc
        except tweepy.TwitterServerError as exc:
            if exc.response.status_code == 503 and (wait := retry_after(exc.response.headers)):
                raise RetryLater(f"twitter: server unavailable ({_status(exc)}, Retry-After "
                                 f"{exc.response.headers.get('Retry-After')}); the next run after then retries", 503,
                                 **wait) from exc
            raise CollectorError(f"twitter: server error ({_status(exc)}); the next run retries from the saved "
                                 "cursor") from exc
        except (requests.JSONDecodeError, RecursionError) as exc:  # RecursionError: JSON nested past the stack
            raise self._not_json(exc) from exc
        except tweepy.TweepyException as exc:
            raise CollectorError(f"twitter: request failed: {exc}") from exc
        except requests.Timeout as exc:
            raise CollectorError(f"twitter: the search request timed out ({exc.__class__.__name__}); the next run retries") from exc
        except requests.RequestException as exc:
            raise CollectorError(f"twitter: the search request failed: {exc}; the next run retries") from exc
        except ValueError as exc:  # a body that is JSON but not what tweepy expects
            raise MalformedPayload(f"twitter: the API returned a malformed payload ({exc})") from exc
        if not isinstance(page, dict):
            raise MalformedPayload(f"twitter: the API returned a malformed payload (a {type(page).__name__}, not an object)")
        return _checked(page)

    def _not_json(self, exc: Exception) -> MalformedPayload:
        """The error for an answer that is not JSON: a web page (a proxy's, a captive portal's) is named as one, with
        its title and the address it came from."""
        answer = self._answers[-1] if self._answers else None
        title = page_title(answer) if answer is not None else None
        if title is None:
            return MalformedPayload(f"twitter: the API returned a malformed payload ({exc})")
        asked = (answer.history[0].url if answer.history else answer.url) or ""
        url = asked.partition("?")[0]  # the query is the brand's search, long and not the point here
        return MalformedPayload(f"twitter: {url}{redirected(answer, asked)} answered HTTP {answer.status_code} with a "
                                f"web page ({title}), not the API's JSON: a proxy or captive portal on the way? Check "
                                "that this machine reaches api.twitter.com directly (or through the proxy "
                                "HTTPS_PROXY names); the next run retries from the saved cursor")

    def _keep(self, found: dict[str, Mention], tweet: Any, includes: dict[str, Any], brand: str) -> None:
        try:
            mention = self._mention(tweet, includes, brand)
        # AttributeError / OverflowError: odd shapes (a null in referenced_tweets, a 70-bit id) skip one tweet.
        except (MalformedItem, KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            tweet_id = tweet.get("id") if isinstance(tweet, dict) else None
            log.warning("twitter: skipping malformed tweet %s: %s", tweet_id, exc)
            return
        if mention is None:
            return
        known = found.get(mention.external_id)
        if known is None or mention.amplification > known.amplification:
            found[mention.external_id] = mention

    def _mention(self, tweet: dict[str, Any], includes: dict[str, Any], brand: str) -> Mention | None:
        original_id = next((r["id"] for r in tweet.get("referenced_tweets") or () if r.get("type") == "retweeted"), None)
        if original_id is not None:
            # A retweet counts once: as its original, which carries the amplification count.
            original = next((t for t in includes.get("tweets") or () if t.get("id") == original_id), None)
            if original is None:
                log.debug("twitter: retweet %s of unavailable tweet %s skipped", tweet.get("id"), original_id)
                return None
            return self._mention(original, includes, brand)
        return tweet_to_mention(tweet, includes, brand)


# The shape of a search page's parts; each may be absent (a page of no tweets has no data nor includes).
PAGE_SHAPE = {"data": list, "includes": dict, "meta": dict, "next_token": str}
JSON_KINDS = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}


def _checked(page: dict[str, Any]) -> dict[str, Any]:
    """`page`, or `MalformedPayload` naming its part of the wrong shape (read anyway, a `meta` that is a list failed
    as a bare AttributeError, naming no source, and lost the pages read before it)."""
    meta = page.get("meta")
    parts = {**page, "next_token": meta.get("next_token") if isinstance(meta, dict) else None}
    for part, kind in PAGE_SHAPE.items():
        value = parts.get(part)
        if value is not None and not isinstance(value, kind):
            name = "meta.next_token" if part == "next_token" else part
            raise MalformedPayload(f"twitter: the API returned a malformed payload ({name} is "
                                   f"{JSON_KINDS.get(type(value), type(value).__name__)}, not {JSON_KINDS[kind]})")
    return page


def _status(exc: tweepy.HTTPException) -> str:
    """'HTTP 503 Service Unavailable', with the API's own words after it where they say more than the status's
    reason (tweepy's text repeats it: '503 Service Unavailable\nService Unavailable')."""
    answer = exc.response
    reason = " ".join(str(answer.reason or "").split())
    said = dict.fromkeys(" ".join(str(m).split()) for m in exc.api_messages)
    said = [m for m in said if m and m.casefold() != reason.casefold()]
    head = f"HTTP {answer.status_code}" + (f" {reason}" if reason else "")
    return head + (f": {'; '.join(said)[:200]}" if said else "")


def _usage_cap(exc: tweepy.TooManyRequests) -> RetryLater | None:
    """The error for a 429 that is X's monthly usage cap, not its 15-minute rate limit (None for that): its window's
    reset ends nothing, so it is not waited for; X does not say when the cap resets (the app's billing month)."""
    try:
        problem = exc.response.json()
    except (ValueError, RecursionError):
        return None
    if not isinstance(problem, dict) or not (problem.get("title") == "UsageCapExceeded"
                                             or str(problem.get("type", "")).endswith("/usage-capped")):
        return None
    detail = " ".join(str(problem.get("detail") or "Usage cap exceeded").split())[:120]
    return RetryLater(f"twitter: the app's monthly usage cap is used up (HTTP 429: {detail}); X serves no more posts "
                      "until the cap resets with the app's billing month or its plan is raised in the developer "
                      "portal; each run asks once, resuming from the saved cursor", 429)


def _reset_moment(exc: tweepy.TooManyRequests) -> datetime | None:
    """When the rate limit window resets, from the response's header (epoch seconds); None if it gives none."""
    reset = exc.response.headers.get("x-rate-limit-reset")
    try:
        return datetime.fromtimestamp(int(reset), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):  # missing, not a number, or past year 9999
        return None


def _reset_time(exc: tweepy.TooManyRequests) -> str:
    """When the rate limit window resets, as ISO 8601, or 'an unknown time'."""
    moment = _reset_moment(exc)
    return moment.isoformat() if moment else "an unknown time"


def snowflake_time(tweet_id: str) -> datetime:
    """When a tweet was posted, read from its id (a snowflake: milliseconds since Twitter's epoch, shifted 22 bits)."""
    if not tweet_id.isdigit():
        raise MalformedItem(f"tweet id {tweet_id!r} is not numeric")
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + TWITTER_EPOCH_MS) / 1000, timezone.utc)


def first_version(tweet: dict[str, Any]) -> str:
    """The id of the tweet's first version: X gives each edit a new id, newer than since_id, so an edit would be
    collected again as another mention; `edit_history_tweet_ids` lists the chain, the first version's id first."""
    history = tweet.get("edit_history_tweet_ids")
    first = history[0] if isinstance(history, list) and history else None
    return first if isinstance(first, str) and first.isdigit() else str(tweet["id"])


def tweet_to_mention(tweet: dict[str, Any], includes: dict[str, Any], brand: str) -> Mention:
    """A `Mention` from one tweet object of the v2 API, or `MalformedItem` saying what is missing."""
    if not isinstance(tweet, dict) or not tweet.get("id") or not isinstance(tweet.get("text"), str):
        raise MalformedItem(f"tweet without id or text: {str(tweet)[:80]!r}")
    created = tweet.get("created_at")
    if created is None:
        created_at = snowflake_time(str(tweet["id"]))
    elif isinstance(created, str):
        created_at = iso_time(created)  # no zone means UTC: refused, since_id would move past the tweet
    else:
        raise MalformedItem(f"tweet {tweet['id']} has created_at {created!r}, not a timestamp")
    note = tweet.get("note_tweet")
    # A post over 280 characters comes cut short in `text`, whole in `note_tweet`; the API escapes &, < and >.
    text = note["text"] if isinstance(note, dict) and isinstance(note.get("text"), str) else tweet["text"]
    users = {u.get("id"): u.get("username") for u in includes.get("users") or () if isinstance(u, dict)}
    author = users.get(tweet.get("author_id"))
    metrics = tweet.get("public_metrics") or {}
    return Mention(
        source=SOURCE,
        external_id=first_version(tweet),
        text=html.unescape(text),
        created_at=created_at,
        brand=brand,
        author=author,
        url=f"https://twitter.com/{author or 'i/web'}/status/{tweet['id']}",
        lang=tweet.get("lang"),
        raw=tweet,
        amplification=int(metrics.get("retweet_count", 0)) + int(metrics.get("quote_count", 0)),
    )
