"""Google Play reviews, newest first, through `google-play-scraper`'s request format and field map.

The scraper's own `reviews()` swallows every error (a 503 and "no reviews" look the same) and cannot be pointed
at another host, so this module sends the same request with `requests` (timeouts, status codes, a configurable
base URL) and reuses the scraper's body builder and review field map to read the answer.
"""

from __future__ import annotations

import json
import logging
import ssl
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import requests

from brandpulse.collectors.base import BrandQuery, CollectorError, CollectResult, MalformedItem, MalformedPayload, Mention
from brandpulse.collectors.http import fetch, new_session, redirected
from brandpulse.collectors.reviews import collect_pages, log_label

log = logging.getLogger(__name__)

SOURCE = "googleplay"
BASE_URL = "https://play.google.com"
NEWEST = 2  # google_play_scraper.Sort.NEWEST
# Where Google sends callers it wants a cookie consent from (in the EU): its page posts the choice there.
CONSENT_HOST = "consent.google."


def _scraper() -> Any:
    # Importing google_play_scraper turns off TLS certificate checks for all of urllib; undo that.
    context_factory = ssl._create_default_https_context
    try:
        from google_play_scraper.constants.element import ElementSpecs
        from google_play_scraper.constants.regex import Regex
        from google_play_scraper.constants.request import Formats
    finally:
        ssl._create_default_https_context = context_factory
    return Formats.Reviews, Regex.REVIEWS, ElementSpecs.Review


def parse_page(body: str, app_id: str = "the app") -> tuple[list[Any], str | None]:
    """The raw review items and the next page's token from one batchexecute answer for `app_id`."""
    _, pattern, _ = _scraper()
    found = pattern.findall(body)
    if not found:  # an empty answer or an HTML page (a consent or error page), not the reviews' envelope
        raise MalformedPayload(f"googleplay: malformed reviews payload (the answer holds no reviews envelope; it "
                               f"begins {body[:60]!r})")
    try:
        envelope = json.loads(found[0])
        _refuse_error(envelope, app_id)
        results = json.loads(envelope[0][2])
    except (IndexError, TypeError, ValueError) as exc:
        raise MalformedPayload(f"googleplay: malformed reviews payload ({exc.__class__.__name__}: {body[:60]!r})") from exc
    if not results or not results[0]:
        return [], None
    # The scraper reads the token at [-2][-1]; other clients at [1][1]: take the first [..., "token"] after the items.
    token = next((part[-1] for part in results[1:] if isinstance(part, list) and part and isinstance(part[-1], str)), None)
    return results[0], token


def _refuse_error(envelope: Any, app_id: str) -> None:
    """Raise a `CollectorError` naming the app when the envelope holds Google's error code where the reviews go
    (["wrb.fr", "UsvDTd", null, null, null, [5], "generic"]: an app id Google Play does not know)."""
    head = envelope[0] if isinstance(envelope, list) and envelope and isinstance(envelope[0], list) else []
    if len(head) < 6 or head[2] is not None or not isinstance(head[5], list) or not head[5]:
        return
    code = head[5][0]
    meaning = {3: ": invalid argument", 5: ": not found"}.get(code, "") if isinstance(code, int) else ""
    raise CollectorError(f"googleplay: Google Play answered the reviews of {app_id} with an error (code {code}"
                         f"{meaning}) instead of them; check app_id (the id= of the app's Play Store address) and its "
                         "lang and country; the next run retries")


def review_to_mention(item: Any, app_id: str, lang: str) -> Mention:
    """A `Mention` from one raw review item, or `MalformedItem` saying what is wrong."""
    _, _, spec = _scraper()
    fields = {key: element.extract_content(item) for key, element in spec.items()}
    review_id, content, score = fields["reviewId"], fields["content"], fields["score"]
    try:
        created = datetime.fromtimestamp(item[5][0], timezone.utc)
    except (IndexError, TypeError, ValueError, OverflowError):
        raise MalformedItem(f"review {review_id!r} has no timestamp") from None
    if not review_id or not isinstance(content, str) or score not in (1, 2, 3, 4, 5):
        # Its id and date read: retried at later runs, should Google answer it whole (see `retry`).
        dated = {"item_id": review_id, "at": created} if isinstance(review_id, str) and review_id else {}
        raise MalformedItem(f"review {review_id!r} lacks id, text or a 1-5 score", **dated)
    fields.pop("at", None), fields.pop("repliedAt", None)
    return Mention(
        source=SOURCE,
        external_id=str(review_id),
        text=content,
        created_at=created,
        author=fields["userName"],
        url=f"https://play.google.com/store/apps/details?id={app_id}&reviewId={review_id}",
        lang=lang,
        rating=score,
        raw=fields,
    )


class GooglePlayCollector:
    """Reviews of one Android app in one language and country."""

    source = SOURCE

    def __init__(self, name: str, app_id: str, lang: str = "en", country: str = "us", brand: str | None = None,
                 base_url: str = BASE_URL, page_size: int = 100, max_pages: int = 5,
                 session: requests.Session | None = None, now: datetime | None = None):
        self.name = name
        self._app_id = app_id
        self._lang = lang
        self._country = country
        self._brand = brand
        self._base_url = base_url.rstrip("/")
        self._page_size = page_size
        self._max_pages = max_pages
        self._session = session or new_session()
        self._now = now  # the run's time; None: the clock's at each collect

    def collect(self, query: BrandQuery, cursor: dict[str, Any] | None) -> CollectResult:
        """The app's reviews published after the cursor."""
        convert = lambda item: review_to_mention(item, self._app_id, self._lang)  # noqa: E731
        return collect_pages(log_label(SOURCE, self.name), self._pages(), convert, query, self._brand, cursor,
                             self._now or datetime.now(timezone.utc))

    def probe(self, query: BrandQuery) -> None:
        """Fetch and parse the first page; what it holds does not depend on the brand."""
        next(self._pages(), None)

    def _refuse_consent_page(self, response: requests.Response, url: str) -> None:
        """Raise a `CollectorError` saying so when `response` is Google's cookie consent page, not the reviews."""
        host = urlsplit(response.url or url).hostname or ""
        envelope = response.text.lstrip().startswith(")]}'")
        if envelope or not (host.startswith(CONSENT_HOST) or CONSENT_HOST in response.text):
            return
        raise CollectorError(f"googleplay: Google answered for {self._app_id} with its cookie consent page"
                             f"{redirected(response, url)} instead of the reviews, as it does for callers in some "
                             "countries (the EU); nothing was read, the next run retries")

    def _pages(self) -> Iterator[list[Any]]:
        formats, _, _ = _scraper()
        url = f"{self._base_url}/_/PlayStoreUi/data/batchexecute"
        token, seen = None, set()
        for _ in range(self._max_pages):
            body = formats.build_body(self._app_id, NEWEST, self._page_size, "null", "null", token)
            response = fetch(self._session, SOURCE, "POST", url, data=body,
                             params={"hl": self._lang, "gl": self._country},
                             headers={"content-type": "application/x-www-form-urlencoded"})
            self._refuse_consent_page(response, url)
            if "PlayGatewayError" in response.text:
                raise CollectorError(f"googleplay: rate limited (PlayGatewayError) for {self._app_id}; the next run resumes")
            items, token = parse_page(response.text, self._app_id)
            if not items:
                return
            ids = {item[0] for item in items if isinstance(item, list) and item and isinstance(item[0], str)}
            if ids and ids <= seen:  # a token leading back (to itself): its reviews again, read up to max_pages times
                log.warning("googleplay: the next page of %s repeats reviews already read this run (its continuation "
                            "token leads back); stopped there", self._app_id)
                return
            seen |= ids
            yield items
            if token is None:
                return
