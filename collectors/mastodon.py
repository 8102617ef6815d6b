"""Mastodon public hashtag timelines (`GET /api/v1/timelines/tag/:hashtag`), one `min_id` cursor per hashtag.

Full-text search of statuses needs an account and, on most servers, only finds posts that account interacted
with; hashtag timelines are public. With `min_id` the server returns the page of statuses *immediately* newer
than the cursor, so each page can advance the cursor and a run that stops part-way loses nothing.
"""

from __future__ import annotations

import html
import ipaddress
import logging
import re
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import requests

from brandpulse.collectors.base import (BrandQuery, CollectorError, CollectResult, HttpStatusError, MalformedItem,
                                        MalformedPayload, Mention, RetryLater, iso_time)
from brandpulse.collectors.brands import BrandMatcher
from brandpulse.collectors.http import fetch_json, new_session, page_title, redirected

log = logging.getLogger(__name__)

SOURCE = "mastodon"
PAGE_SIZE = 40  # the API's maximum
TOKEN_VARIABLE = "MASTODON_ACCESS_TOKEN"  # read by the composition root; named here in a 401's message
_TAG = re.compile(r"<[^<>]+>")  # not `[^>]`: a run of "<" with no ">" would take quadratic time
_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")  # what a server's status ids are made of; nothing to escape in a query
_BREAK = re.compile(r"<br\s*/?>|</p>", re.IGNORECASE)
# What Mastodon answers a hashtag timeline without a login where the server shows it to logged-in accounts only (422
# from `require_user!`; 401 where the server allows no unauthenticated API access at all).
LOGIN_WANTED = (401, 422)


def hashtags_for(query: BrandQuery) -> list[str]:
    """Hashtags to follow for a brand: its keywords without `#`/`@`, kept when they are one word."""
    tags = [k.strip().lstrip("#@").lower() for k in query.keywords]
    return sorted({t for t in tags if re.fullmatch(r"\w+", t)})


def status_to_mention(status: Any, instance: str, domain: str | None = None) -> Mention:
    """A `Mention` from one status read on `instance`, whose accounts are @name@`domain` (by default its host), or
    `MalformedItem` saying what is missing."""
    if status_id(status) is None:
        raise MalformedItem(f"status without an id: {str(status)[:80]!r}")
    content, created = status.get("content"), status.get("created_at")
    if not isinstance(content, str) or not isinstance(created, str):
        raise MalformedItem(f"status {status['id']} lacks content or created_at")
    account = status.get("account") or {}
    # A field beside the text and date that is not what the API says (a relay's count as text, an acct as a number)
    # is left out, not a reason to skip the status: the cursor moves past it with its page, never to read it again.
    return Mention(
        source=SOURCE,
        # Ids are per server; the canonical uri is the same wherever the post is seen.
        external_id=_str(status.get("uri")) or f"{instance}/statuses/{status['id']}",
        text=_text(content, status.get("spoiler_text")),
        # A server or relay writing no zone means UTC (Mastodon's own API always writes it); refused, the status
        # would be lost for good, the cursor moving past it with the others of its page.
        created_at=iso_time(created),
        author=_author(account, domain or _host(instance)),
        url=_str(status.get("url")),
        lang=_str(status.get("language")),
        raw=status,
        amplification=_count(status.get("reblogs_count")),
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _count(value: Any) -> int:
    """A count the API gives as a number (some servers as text); 0 for anything else."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def status_id(status: Any) -> str | None:
    """The status's id, None when it has none: Mastodon's are numbers written as text, GoToSocial's ULIDs, Akkoma's
    and Pleroma's flake ids; all opaque, ordered by `id_order`."""
    value = status.get("id") if isinstance(status, dict) else None
    value = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    return value if isinstance(value, str) and _ID.fullmatch(value) else None


def id_order(status_id: str) -> tuple[int, str]:
    """The order of ids on the timeline, as Mastodon's documentation gives it: shorter first, then as text."""
    return len(status_id), status_id


def _text(content: str, warning: Any) -> str:
    """The status's plain text after its content warning: the warning is what readers see first, and may be the
    only place it names the brand ("Pinebrook billing rant" over the details)."""
    text = html.unescape(_TAG.sub("", _BREAK.sub("\n", content))).strip()
    warning = warning.strip() if isinstance(warning, str) else ""  # plain text in the API, not HTML
    if not warning:
        return text
    return f"CW: {warning}\n\n{text}" if text else f"CW: {warning}"


def _host(address: str) -> str:
    return urlsplit(address if "//" in address else "//" + address).netloc.lower()


def _private_way(instance: str) -> bool:
    """Whether a token sent to `instance` is read by it alone: over HTTPS, or to this machine."""
    parts = urlsplit(instance)
    if parts.scheme == "https":
        return True
    host = parts.hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _local_acct(status: Any) -> str | None:
    """The bare `acct` of a status by an account of the server read, else None."""
    account = status.get("account") if isinstance(status, dict) else None
    acct = account.get("acct") if isinstance(account, dict) else None
    return acct if isinstance(acct, str) and acct and "@" not in acct else None


def _author(account: Any, domain: str) -> str | None:
    """The account as name@domain wherever it is read: its `acct` is a bare name on its own server."""
    acct = account.get("acct") if isinstance(account, dict) else None
    if not isinstance(acct, str) or not acct:
        return None
    return acct if "@" in acct else f"{acct}@{domain}"


def _said(answer: requests.Response) -> str | None:
    """The server's own words in an error answer (Mastodon's `{"error": ...}`), one line, quoted; None without."""
    try:
        error = answer.json().get("error")
    except (ValueError, AttributeError, RecursionError):
        return None
    return repr(" ".join(error.split())[:160]) if isinstance(error, str) and error.strip() else None


class MastodonCollector:
    """Statuses with the brand's hashtags on one Mastodon server."""

    source = SOURCE

    def __init__(self, name: str, instance: str, hashtags: list[str] | None = None, max_pages: int = 5,
                 token: str | None = None, session: requests.Session | None = None):
        self.name = name
        self._instance = instance.rstrip("/")
        self._hashtags = hashtags
        self._max_pages = max_pages
        self._session = session or new_session()
        self._domain: str | None = None  # the server's account domain, asked once (a collector lasts one run)
        self._refused: str | None = None
        self._token_sent = False
        if token and not _private_way(self._instance):
            self._refused = (f"mastodon: {self._instance} is plain HTTP, so {TOKEN_VARIABLE} is not sent there (anyone "
                             f"on the way could read it); write the instance with https://, or unset {TOKEN_VARIABLE} "
                             "to read its public timelines without it")
        elif token:
            self._session.headers["Authorization"] = f"Bearer {token}"
            self._token_sent = True

    def collect(self, query: BrandQuery, cursor: dict[str, Any] | None) -> CollectResult:
        """Statuses newer than each hashtag's `min_id` that mention the brand and none of its exclusions."""
        tags = self._tags(query)
        # A status in the timeline of a hashtag made from a keyword names the brand by it ("#PinebrookCoffee" for
        # @pinebrookcoffee), which the keyword as written does not match.
        matcher = BrandMatcher([replace(query, keywords=(*query.keywords, *(f"#{t}" for t in hashtags_for(query))))])
        positions = dict((cursor or {}).get("min_id") or {})
        start = dict(positions)
        found: dict[str, Mention] = {}
        error = None
        for tag in tags:
            read: list[Mention] = []
            try:
                self._read_tag(tag, positions, read)
            except CollectorError as exc:
                error = exc
            for mention in read:
                if matcher.matches(query.brand, mention.text):
                    found[mention.external_id] = replace(mention, brand=query.brand)
            if error is not None:
                break
        if error is not None and positions == start:
            raise error  # nothing read: a plain failure
        # A later page failing keeps the pages before it: the cursor moved page by page with them.
        return CollectResult.stopped_by(list(found.values()), {"min_id": positions}, error)

    def probe(self, query: BrandQuery) -> None:
        """The newest status of the brand's first hashtag: server reachable, timeline readable."""
        tag = self._tags(query)[0]
        if not isinstance(self._timeline(tag, {"limit": 1}), list):
            raise MalformedPayload(f"mastodon: {self._instance}/api/v1/timelines/tag/{tag} did not return a list of "
                                   "statuses")

    def _tags(self, query: BrandQuery) -> list[str]:
        if self._refused is not None:
            raise CollectorError(self._refused)
        tags = [t.lstrip("#").lower() for t in self._hashtags] if self._hashtags else hashtags_for(query)
        if not tags:
            raise CollectorError(f"mastodon: no one-word keyword of {query.brand} makes a hashtag; set `hashtags`")
        return tags

    def _read_tag(self, tag: str, positions: dict[str, str], mentions: list[Mention]) -> None:
        """Append the tag's statuses after its position to `mentions`, page by page, moving the position along."""
        url = f"{self._instance}/api/v1/timelines/tag/{tag}"
        first_run = tag not in positions  # then only the newest page: history is not back-filled
        for _ in range(self._max_pages):
            params = {"limit": PAGE_SIZE, **({"min_id": positions[tag]} if tag in positions else {})}
            page = self._timeline(tag, params)
            if not isinstance(page, list):
                raise MalformedPayload(f"mastodon: {url} returned a {type(page).__name__}, not a list of statuses")
            page = self._after_position(page, positions.get(tag), url)
            if not page:
                break
            domain = self._account_domain() if any(_local_acct(s) for s in page) else None
            for status in page:
                try:
                    mentions.append(status_to_mention(status, self._instance, domain))
                except (MalformedItem, TypeError, ValueError) as exc:
                    log.warning("mastodon: skipping malformed status on #%s: %s", tag, exc)
            ids = [found for found in map(status_id, page) if found is not None]
            if not ids:
                break
            positions[tag] = max(ids, key=id_order)
            if first_run or len(page) < PAGE_SIZE:
                break

    def _timeline(self, tag: str, params: dict[str, Any]) -> Any:
        """The decoded answer of the tag's timeline, or a `CollectorError` saying what a refusal or a web page means."""
        url = f"{self._instance}/api/v1/timelines/tag/{tag}"
        answers: list[requests.Response] = []  # the answer itself, whose body the error of a refusal quotes
        try:
            return fetch_json(self._session, SOURCE, url, credentials=TOKEN_VARIABLE, params=params,
                              hooks={"response": lambda answer, *args, **kwargs: answers.append(answer)})
        except RetryLater:
            raise
        except HttpStatusError as exc:
            if exc.status >= 500 or not answers:
                raise
            raise HttpStatusError(self._refusal(tag, exc.status, answers[-1]), exc.status) from exc
        except MalformedPayload as exc:
            title = page_title(answers[-1]) if answers else None
            if title is None:
                raise
            # A login page the server redirects strangers to is named, as the feeds name it (collectors.http).
            where = f"{url}{redirected(answers[-1], url)}" if answers[-1].history else self._instance
            raise MalformedPayload(f"mastodon: {where} answered #{tag} with a web page ({title}), not "
                                   "Mastodon's API; check the collector's instance: the address of a Mastodon "
                                   "server, such as https://mastodon.social; the next run retries") from exc

    def _refusal(self, tag: str, status: int, answer: requests.Response) -> str:
        """What an HTTP 4xx answer to the tag's timeline means and what to do about it."""
        said = f"HTTP {status}" + (f": {quoted}" if (quoted := _said(answer)) else "")
        if status in (401, 403) and self._token_sent:
            return (f"mastodon: {self._instance} refused {TOKEN_VARIABLE} for #{tag} ({said}); check it: an access "
                    "token of an account on that server, with the read scope")
        if status in LOGIN_WANTED:
            return (f"mastodon: {self._instance} shows #{tag} to logged-in accounts only ({said}); set "
                    f"{TOKEN_VARIABLE} to an access token of an account on that server (read scope)")
        if status in (404, 410):
            return (f"mastodon: {self._instance} has no hashtag timeline API ({said} from /api/v1/timelines/tag/"
                    f"{tag}); check the collector's instance: the address of a Mastodon server, such as "
                    "https://mastodon.social")
        return f"mastodon: {self._instance} refused #{tag} ({said}); check the collector's instance and hashtags"

    @staticmethod
    def _after_position(page: list[Any], position: str | None, url: str) -> list[Any]:
        """The statuses of `page` newer than `position`: a server that ignores min_id (a cache, a relay, a server
        not Mastodon's own) answers the same newest page again, or older statuses, which would move the cursor
        back or read the page `max_pages` times."""
        if position is None:
            return page
        newer = [s for s in page if (found := status_id(s)) is None or id_order(found) > id_order(position)]
        if len(newer) < len(page):
            log.warning("mastodon: %s answered %d status(es) at or before min_id %s, already read; left out (does the "
                        "server ignore min_id?)", url, len(page) - len(newer), position)
        return newer

    def _account_domain(self) -> str:
        """The domain in the server's account addresses (its LOCAL_DOMAIN), which may differ from the web host it is
        read on (WEB_DOMAIN: @name@example.com served from social.example.com); the web host if it will not say."""
        if self._domain is None:
            try:
                self._domain = self._instance_domain()
            except CollectorError as exc:
                self._domain = _host(self._instance)
                log.warning("mastodon: cannot read the account domain of %s (%s); its accounts are named @%s this run",
                            self._instance, exc, self._domain)
        return self._domain

    def _instance_domain(self) -> str:
        try:
            info = fetch_json(self._session, SOURCE, f"{self._instance}/api/v2/instance", credentials=TOKEN_VARIABLE)
            key = "domain"
        except HttpStatusError as exc:
            if exc.status != 404:
                raise
            # Mastodon before 4.0 has the v1 instance only, whose `uri` is the account domain.
            info = fetch_json(self._session, SOURCE, f"{self._instance}/api/v1/instance", credentials=TOKEN_VARIABLE)
            key = "uri"
        domain = _host(info.get(key) or "") if isinstance(info, dict) and isinstance(info.get(key), str) else ""
        if not re.fullmatch(r"[a-z0-9.-]+(:\d+)?", domain):
            raise MalformedPayload(f"mastodon: the instance of {self._instance} gives no domain ({key})")
        return domain
