"""Apple App Store customer reviews from the public per-app, per-country JSON feed (newest first, 10 pages)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import requests

from brandpulse.collectors.base import (
    BrandQuery, CollectorError, CollectResult, MalformedItem, MalformedPayload, Mention, iso_time,
)
from brandpulse.collectors.http import fetch_json, new_session
from brandpulse.collectors.reviews import collect_pages, log_label

log = logging.getLogger(__name__)

SOURCE = "appstore"
BASE_URL = "https://itunes.apple.com"
MAX_PAGES = 10  # the feed serves at most 10 pages of 50 reviews


def _label(entry: dict[str, Any], key: str) -> Any:
    value = entry.get(key)
    return value.get("label") if isinstance(value, dict) else None


def _malformed(message: str, review_id: Any, updated: Any) -> MalformedItem:
    """`MalformedItem` saying `message`, naming the review's id and date when it has both: retried at later runs,
    should the store answer it whole (see `retry`)."""
    if not isinstance(review_id, str | int) or isinstance(review_id, bool) or not str(review_id) or \
            not isinstance(updated, str):
        return MalformedItem(message)
    try:
        at = iso_time(updated).astimezone(timezone.utc)
    except (ValueError, OverflowError):  # no date to retry it by: skipped for good, as before
        return MalformedItem(message)
    return MalformedItem(message, item_id=str(review_id), at=at)  # as the mention's external_id


def entry_to_mention(entry: Any, app_id: str, country: str) -> Mention:
    """A `Mention` from one entry of the reviews feed, or `MalformedItem` saying what is wrong."""
    if not isinstance(entry, dict):
        raise MalformedItem(f"entry is a {type(entry).__name__}, not an object")
    review_id, rating, updated = _label(entry, "id"), _label(entry, "im:rating"), _label(entry, "updated")
    title, content = _label(entry, "title") or "", _label(entry, "content")
    if not review_id or not isinstance(content, str) or not isinstance(updated, str):
        raise _malformed(f"review {review_id!r} lacks id, content or updated", review_id, updated)
    if not str(rating).isdigit() or not 1 <= int(rating) <= 5:
        raise _malformed(f"review {review_id} has rating {rating!r}, not 1-5", review_id, updated)
    author = entry.get("author") or {}
    return Mention(
        source=SOURCE,
        external_id=str(review_id),
        text=f"{title}\n\n{content}".strip(),
        created_at=iso_time(updated),  # no zone means UTC: refused, the review would be lost behind the newer ones
        author=_label(author, "name") if isinstance(author, dict) else None,
        url=f"https://apps.apple.com/{country}/app/id{app_id}?see-all=reviews",
        lang=None,
        rating=int(rating),
        raw=entry,
    )


class AppStoreCollector:
    """Reviews of one app in one country's App Store."""

    source = SOURCE

    def __init__(self, name: str, app_id: str, country: str = "us", brand: str | None = None,
                 base_url: str = BASE_URL, max_pages: int = MAX_PAGES, session: requests.Session | None = None,
                 now: datetime | None = None):
        self.name = name
        self._app_id = app_id
        self._country = country
        self._brand = brand
        self._base_url = base_url.rstrip("/")
        self._max_pages = max_pages
        self._session = session or new_session()
        self._now = now  # the run's time; None: the clock's at each collect

    def collect(self, query: BrandQuery, cursor: dict[str, Any] | None) -> CollectResult:
        """The app's reviews published after the cursor."""
        convert = lambda entry: entry_to_mention(entry, self._app_id, self._country)  # noqa: E731
        return collect_pages(log_label(SOURCE, self.name), self._pages(), convert, query, self._brand, cursor,
                             self._now or datetime.now(timezone.utc))

    def probe(self, query: BrandQuery) -> None:
        """Fetch and parse the first page; what it holds does not depend on the brand. A first page without reviews
        (what the feed answers for an app id it does not know, too) is checked against Apple's lookup of the app."""
        if next(self._pages(), None) is None and self._unknown_app():
            raise CollectorError(f"appstore: no app {self._app_id} in the {self._country} App Store (Apple's lookup "
                                 "finds none, and its reviews feed is empty); check app_id (the digits after id in the "
                                 "app's apps.apple.com address) and country")

    def _unknown_app(self) -> bool:
        """Whether Apple's lookup says it has no app by this id in this country; False when it cannot say."""
        url = f"{self._base_url}/lookup?id={self._app_id}&country={self._country}"
        try:
            found = fetch_json(self._session, SOURCE, url)
        except CollectorError:  # the lookup is only a hint: its failure is not the reviews feed's
            return False
        return isinstance(found, dict) and found.get("resultCount") == 0

    def page_url(self, page: int) -> str:
        """The feed URL of one page of the app's most recent reviews."""
        return (f"{self._base_url}/{self._country}/rss/customerreviews/page={page}"
                f"/id={self._app_id}/sortby=mostrecent/json")

    def _pages(self) -> Iterator[list[Any]]:
        for page in range(1, self._max_pages + 1):
            url = self.page_url(page)
            payload = fetch_json(self._session, SOURCE, url)
            feed = payload.get("feed") if isinstance(payload, dict) else None
            if not isinstance(feed, dict):
                raise MalformedPayload(f"appstore: {url} returned no `feed` object; the payload is malformed")
            entries = feed.get("entry") or []
            # A page holding a single review is an object, not a list.
            entries = [entries] if isinstance(entries, dict) else entries
            if not isinstance(entries, list):  # a number or text: a broken answer, not an app without reviews
                raise MalformedPayload(f"appstore: {url} returned a `feed.entry` that is a {type(entries).__name__}, "
                                       "not a list of reviews; the payload is malformed")
            if not entries:
                return
            yield entries
            if not any(isinstance(link, dict) and (link.get("attributes") or {}).get("rel") == "next"
                       for link in feed.get("link") or ()):
                return
