"""Reddit through `praw` (read-only): submissions from a search of the configured subreddits, and new comments.

Reddit has no comment search, so comments come from the subreddits' newest-comments listing and are kept when
they mention the brand. Both listings are read newest first and kept while they are newer than a watermark
(creation time plus ids at that second); a failure raises before anything moves, so the next run re-reads.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from typing import Any

import praw
import prawcore
import requests

from brandpulse.collectors.base import BrandQuery, CollectorError, CollectResult, MalformedItem, MalformedPayload, Mention
from brandpulse.collectors.brands import BrandMatcher
from brandpulse.collectors.watermark import Watermark

log = logging.getLogger(__name__)

SOURCE = "reddit"
BASE_URL = "https://www.reddit.com"


def search_query(query: BrandQuery) -> str:
    """Reddit search syntax for any of the brand's keywords and none of its exclusions."""
    terms = " OR ".join(f'"{k.strip(" @#")}"' for k in query.keywords if k.strip(" @#"))
    excluded = " ".join(f'NOT "{e.strip()}"' for e in query.exclusions if e.strip())
    return f"({terms}) {excluded}".strip()


def _fields(thing: Any) -> dict[str, Any]:
    if isinstance(thing, dict):
        return thing
    return {k: v for k, v in vars(thing).items() if not k.startswith("_")}


def _created(fields: dict[str, Any]) -> datetime:
    value = fields.get("created_utc")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedItem(f"item {fields.get('id')} has no numeric created_utc ({value!r})")
    return datetime.fromtimestamp(value, timezone.utc)


def _mention(fields: dict[str, Any], text: str, brand: str, amplification: int = 0) -> Mention:
    if not fields.get("id") or not isinstance(text, str):
        raise MalformedItem(f"item without id or text: {str(fields)[:80]!r}")
    author = fields.get("author")
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


def submission_to_mention(thing: Any, brand: str) -> Mention:
    """A `Mention` from a submission; a cross-post counts as its original, with the cross-post count."""
    fields = _fields(thing)
    parents = fields.get("crosspost_parent_list")
    if isinstance(parents, list) and parents and isinstance(parents[0], dict):
        fields = parents[0]
    return _mention(fields, _submission_text(fields), brand, int(fields.get("num_crossposts") or 0))


def _submission_text(fields: dict[str, Any]) -> str:
    title, body = fields.get("title"), fields.get("selftext") or ""
    if not isinstance(title, str):
        raise MalformedItem(f"submission {fields.get('id')} has no title")
    return f"{title}\n\n{body}".strip() if isinstance(body, str) else title


def comment_to_mention(thing: Any, brand: str) -> Mention:
    """A `Mention` from a comment."""
    fields = _fields(thing)
    return _mention(fields, fields.get("body"), brand)


class RedditCollector:
    """Searches submissions and scans new comments in the configured subreddits (or all of Reddit)."""

    source = SOURCE

    def __init__(self, name: str, reddit: praw.Reddit, subreddits: Iterable[str] = ("all",), limit: int = 100,
                 comments: bool = True):
        self.name = name
        self._reddit = reddit
        self._subreddits = "+".join(subreddits) or "all"
        self._limit = limit
        self._comments = comments

    def collect(self, query: BrandQuery, cursor: dict[str, Any] | None) -> CollectResult:
        """Submissions and comments about `query` created after the cursor's watermarks."""
        cursor = cursor or {}
        matcher = BrandMatcher([query])
        subreddit = self._reddit.subreddit(self._subreddits)
        posts = subreddit.search(search_query(query), sort="new", time_filter="all", limit=self._limit)
        found, post_mark = self._read(posts, submission_to_mention, query.brand, matcher,
                                      Watermark.load(cursor.get("submissions")))
        new_cursor = {"submissions": post_mark.dump()}
        if self._comments:
            comments = subreddit.comments(limit=self._limit)
            more, comment_mark = self._read(comments, comment_to_mention, query.brand, matcher,
                                            Watermark.load(cursor.get("comments")))
            found += more
            new_cursor["comments"] = comment_mark.dump()
        return CollectResult(found, new_cursor)

    def probe(self, query: BrandQuery) -> None:
        """The newest submission of the brand's search: token, host, subreddits and query all accepted."""
        listing = self._reddit.subreddit(self._subreddits).search(search_query(query), sort="new", time_filter="all", limit=1)
        next(self._guarded(listing), None)

    def _read(self, listing: Iterable[Any], convert: Any, brand: str, matcher: BrandMatcher,
              mark: Watermark) -> tuple[list[Mention], Watermark]:
        found: dict[str, Mention] = {}
        seen: list[tuple[datetime, str]] = []
        known = 0
        for thing in self._guarded(listing):
            try:
                # The watermark follows the listing's own items: a new cross-post of an old original is new.
                position = (_created(_fields(thing)), str(getattr(thing, "name", "")))
                mention = convert(thing, brand)
            except (MalformedItem, KeyError, TypeError, ValueError) as exc:
                log.warning("reddit: skipping malformed item %s: %s", getattr(thing, "id", "?"), exc)
                continue
            if not mark.is_new(*position):
                known += 1
                continue  # read by an earlier run; not `break`: search results are not strictly newest first
            seen.append(position)
            if matcher.matches(brand, mention.text) and mention.external_id not in found:
                found[mention.external_id] = mention
        if mark.at is not None and not known and len(seen) >= self._limit:
            log.warning("reddit: all %d items read were new; older ones may have been missed (raise limit or "
                        "collect more often)", len(seen))
        return list(found.values()), mark.advance(seen)

    def _guarded(self, listing: Iterable[Any]) -> Iterator[Any]:
        """Iterate a lazy praw listing, turning its network and payload errors into `CollectorError`s."""
        iterator = iter(listing)
        while True:
            try:
                yield next(iterator)
            except StopIteration:
                return
            except prawcore.TooManyRequests as exc:
                raise CollectorError(f"reddit: rate limited ({exc}); the next run resumes from the saved cursor") from exc
            except prawcore.ServerError as exc:
                raise CollectorError(f"reddit: server error ({exc}); the next run retries") from exc
            except prawcore.BadJSON as exc:
                raise MalformedPayload(f"reddit: malformed payload (not JSON) from {exc.response.url}") from exc
            except prawcore.OAuthException as exc:
                raise CollectorError(f"reddit: authentication failed ({exc}); check REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET") from exc
            except prawcore.ResponseException as exc:
                if exc.response.status_code == 401:  # the token request refused the app's id or secret
                    raise CollectorError(f"reddit: authentication failed ({exc}); check REDDIT_CLIENT_ID and "
                                         "REDDIT_CLIENT_SECRET") from exc
                raise CollectorError(f"reddit: HTTP error ({exc}); check the configured subreddits") from exc
            except prawcore.RequestException as exc:
                raise CollectorError(f"reddit: request failed ({exc.original_exception.__class__.__name__}: {exc}); the next run retries") from exc
            except (prawcore.PrawcoreException, praw.exceptions.PRAWException, requests.RequestException) as exc:
                raise CollectorError(f"reddit: {exc.__class__.__name__}: {exc}") from exc
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise MalformedPayload(f"reddit: malformed payload ({exc.__class__.__name__}: {exc})") from exc
