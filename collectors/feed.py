"""Any RSS or Atom feed through `feedparser`: review pages, forums, a blog's comments; star ratings kept.

Pages are fetched with `requests` (so timeouts and HTTP errors are ours to report) and parsed by feedparser.
Paged feeds (RFC 5005 `<link rel="next">`) are followed until an already collected entry shows up. Entries with no
date are dated when first seen, their ids remembered in the cursor (see `firstseen`). An id that is no URI (a forum's
`<guid isPermaLink="false">1</guid>`) names the entry within its feed only, so it is stored qualified by the feed's
address as the collector first read it, kept in its cursor (see `qualified_id`): a url changed later (http to https, a
new path) leaves the ids as they were.
"""

from __future__ import annotations

import calendar
import email.utils
import html
import itertools
import logging
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from dataclasses import replace
from urllib.parse import urljoin, urlsplit, urlunsplit
from xml.parsers import expat
from xml.sax import SAXParseException

import requests

from brandpulse.collectors.base import BrandQuery, CollectResult, MalformedItem, MalformedPayload, Mention
from brandpulse.collectors.firstseen import Undated
from brandpulse.collectors.http import fetch, new_session, redirected
from brandpulse.collectors.markup import unescape_references
from brandpulse.collectors.reviews import collect_pages, log_label
from brandpulse.collectors.zones import date_field, in_named_zone, zone_ahead

log = logging.getLogger(__name__)

# Where feeds put a star rating: feedparser names namespaced elements prefix_name.
RATING_FIELDS = ("rating", "review_rating", "trustpilot_stars", "stars", "g_rating", "gd_rating")
_RATING_IN_TEXT = re.compile(r"\b([1-5])(?:\.0)?\s*(?:/\s*5|out of 5|stars?)\b", re.IGNORECASE)
# RFC 3986's scheme: an id starting so names its entry everywhere (https:, tag:, urn:), any other only in its feed.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_TAG = re.compile(r"<[^<>]+>")  # not `[^>]`: a run of "<" with no ">" would take quadratic time
# An RSS <item> or Atom <entry> start tag, with a namespace prefix or none: how many entries a document lists.
_ENTRY_TAG = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s/>]")
# A web page, and what its head says: its title and the feeds it links to (RSS or Atom, as browsers find them).
_HTML_START = re.compile(r"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]", re.IGNORECASE | re.DOTALL)
_TITLE = re.compile(r"<title[^<>]*>([^<]{1,500})</title>", re.IGNORECASE)
_FEED_LINK = re.compile(r"<link\s(?=[^<>]*\brel=[\"']?alternate)(?=[^<>]*\btype=[\"']?application/(?:rss|atom)\+xml)"
                        r"[^<>]*\bhref=[\"']?([^\"'\s<>]+)", re.IGNORECASE)
# Where the root element's closing tag must be found in an answer expat could not read to its end.
TAIL_CHARS = 4096
# What expat says of a document that stops before its elements close: an answer cut short on the way.
_CUT_SHORT = {expat.errors.codes[message] for message in (
    expat.errors.XML_ERROR_NO_ELEMENTS, expat.errors.XML_ERROR_UNCLOSED_TOKEN, expat.errors.XML_ERROR_PARTIAL_CHAR,
    expat.errors.XML_ERROR_UNCLOSED_CDATA_SECTION)}
# Cursor keys: the address that qualifies the feed's ids (the first one read) and the address read last; ZONES_KEY
# marks a cursor whose dates were read in their zone (see `zones`).
ID_BASE_KEY = "id_base"
ADDRESS_KEY = "address"
ZONES_KEY = "zones"


def _plain(text: str) -> str:
    return html.unescape(_TAG.sub(" ", text)).strip()


def _text(entry: Any, key: str) -> str:
    """The entry's `key` as plain text: feedparser hands text/plain as written ("I <3 it > tea"), HTML as markup.
    References left in text/plain ("Tom &amp; Jerry&#39;s") are a publisher escaping its text twice (XML, then HTML
    again, as blog engines do), not the author's words: they are read too, or search and the classifier see '&amp;'."""
    detail = entry.get(f"{key}_detail") or _content_detail(entry, key)
    plain = isinstance(detail, dict) and detail.get("type") == "text/plain"
    return unescape_references(entry.get(key, "").strip()) if plain else _plain(entry.get(key, ""))


def _content_detail(entry: Any, key: str) -> Any:
    """The type of an Atom entry's `<content>`, which feedparser copies into `summary` (without `summary_detail`)
    when the entry has no `<summary>`: read as HTML, a plain "I <3 it > tea" lost "<3 it >" as a tag."""
    content = entry.get("content") if key == "summary" else None
    return content[0] if isinstance(content, list) and content and isinstance(content[0], dict) else None


def _rating(value: Any) -> int | None:
    if isinstance(value, dict):
        value = value.get("value") or value.get("rating")
    match = re.match(r"\s*([1-5])(?:\.0+)?\s*(?:/\s*5)?\s*$", str(value)) if value is not None else None
    return int(match.group(1)) if match else None


def entry_rating(entry: Any, field: str | None = None) -> int | None:
    """The entry's 1-5 star rating: from `field`, a known rating element, or "4 out of 5" in its title."""
    for name in ((field,) if field else ()) + RATING_FIELDS:
        if name in entry and (rating := _rating(entry[name])) is not None:
            return rating
    match = _RATING_IN_TEXT.search(entry.get("title", ""))
    return int(match.group(1)) if match else None


def entry_language(entry: Any, feed_language: str | None = None) -> str | None:
    """The entry's language tag: Atom's xml:lang on the entry or its text (feedparser puts it in the text's
    details), else the feed's own (RSS's channel <language>, Atom's xml:lang on the feed)."""
    tags = [(entry.get(detail) or {}).get("language") for detail in ("summary_detail", "title_detail")]
    return next((tag for tag in [*tags, entry.get("language"), feed_language] if isinstance(tag, str) and tag), None)


def _rfc822(text: Any) -> datetime | None:
    try:
        written = email.utils.parsedate_to_datetime(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return written and written.replace(tzinfo=written.tzinfo or timezone.utc)


def cut_short(body: bytes, encoding: str | None = None) -> bool:
    """True when the XML document `body` ends before its elements close: a connection dropped mid-answer, which
    feedparser reads without complaint as the entries before the cut. `encoding` is the one feedparser read it in:
    expat reads no multi-byte encoding but UTF-8 and UTF-16 (Shift_JIS, GB2312, Big5...), so such a body is read
    decoded."""
    try:
        return _ends_early(body)
    except ValueError:  # "multi-byte encodings are not supported"
        return encoding is not None and _ends_early(body.decode(encoding, "replace"))


def _ends_early(document: bytes | str) -> bool:
    parser, depth = expat.ParserCreate(), {"open": 0, "ended": False, "root": ""}
    parser.UseForeignDTD(True)  # an entity it cannot know (HTML's &nbsp;) is no reason to stop reading

    def start(name: str, *_: Any) -> None:
        depth["root"] = depth["root"] or name
        depth["open"] += 1

    def end(_: str) -> None:
        depth["open"] -= 1
        depth["ended"] = depth["open"] == 0

    parser.StartElementHandler, parser.EndElementHandler = start, end
    try:
        parser.Parse(document, True)  # a str is read as UTF-8, whatever its declaration says
    except expat.ExpatError as exc:
        # Once the root element has closed the feed is whole: a trailer left unfinished (a server's comment) cuts
        # off no entry.
        if depth["ended"]:
            return False
        if exc.code in _CUT_SHORT:
            return True
        # Another fault (a bare "&" in a sloppy feed) stopped expat before the end: a whole answer still closes
        # its root element near its end.
        return not depth["root"] or not _closes(document[-TAIL_CHARS:], f"</{depth['root']}>")
    return False


def _closes(tail: bytes | str, closing: str) -> bool:
    """Whether `tail` holds the tag `closing`, in the answer's own bytes (ASCII-based encodings or UTF-16)."""
    if isinstance(tail, str):
        return closing in tail
    return any(closing.encode(encoding) in tail for encoding in ("utf-8", "utf-16-le", "utf-16-be"))


def what_page(response: requests.Response, parsed: Any) -> str:
    """What an answer that is no feed is, in words: a web page by its title, with the feed it links to when it names
    one (a site's home page: `<link rel="alternate" type="application/rss+xml" href="/feed.rss">`); else the
    parser's complaint."""
    text = response.text[:200_000]
    if "html" not in response.headers.get("content-type", "") and not _HTML_START.match(text):
        return str(parsed.get("bozo_exception") or "no feed element")
    title = _TITLE.search(text)
    named = f"a web page, {_plain(title.group(1))[:80]!r}" if title and _plain(title.group(1)) else "a web page"
    links = [urljoin(response.url, html.unescape(found)) for found in _FEED_LINK.findall(text)]
    return f"{named}, which names its feed at {links[0]}" if links else named


def unread_entries(parsed: Any, body: bytes) -> str | None:
    """What a fault in the XML cost when feedparser's lenient reading of it holds fewer entries than `body` lists
    (a tag left open swallows the entries after it: 'line 1, column 185: mismatched tag; 1 of its 2 entries read'),
    else None: a bare '&' or an HTML entity, read past, costs none."""
    fault = parsed.get("bozo_exception")
    if not isinstance(fault, SAXParseException):
        return None
    try:
        text = body.decode(parsed.get("encoding") or "utf-8", "replace")
    except LookupError:  # an encoding Python does not know by that name
        text = body.decode("utf-8", "replace")
    listed, read = len(_ENTRY_TAG.findall(text)), len(parsed.entries)
    if listed <= read:
        return None
    return (f"line {fault.getLineNumber()}, column {fault.getColumnNumber()}: {fault.getMessage()}; {read} of its "
            f"{listed} entries read")


def entry_time(entry: Any) -> datetime | None:
    """When the entry was published (else updated), in UTC; None when it has no readable date. feedparser cannot
    read an RFC 822 date that names its weekday but no zone ("Sun, 01 Mar 2026 10:00:00"), which is read as UTC, nor
    one in a zone of `zones.NAMED_ZONES`, read here."""
    for key in ("published", "updated"):
        if zoned := in_named_zone(date_field(entry, key)):
            return zoned
        if (stamp := date_field(entry, f"{key}_parsed")) and (parsed := _from_struct(stamp)):
            return parsed
        if written := _rfc822(date_field(entry, key)):
            return written
    return None


def _from_struct(stamp: Any) -> datetime | None:
    """feedparser's UTC struct_time as a datetime; None for one no datetime holds ('0001-01-01T00:00:00+01:00' is
    year 0 in UTC): the entry is then read as undated, not skipped while the resume point moves past it."""
    try:
        return datetime.fromtimestamp(calendar.timegm(stamp), timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None


# An author given with an address: RSS's "help@acme.example (Acme Support)", "Acme Support <help@acme.example>", and
# feedparser's own "Acme Support (help@acme.example)" for Atom's <name> and <email>. Read here, not from feedparser's
# author_detail, whose address pattern cuts top-level domains at four letters: "help@pinebrook.coffee (Pinebrook
# Support)" gave the name "ee (Pinebrook Support".
_ADDRESS = r"[^\s()<>]+@[^\s()<>]+"
_WITH_ADDRESS = (re.compile(rf"(?P<address>{_ADDRESS})\s*\((?P<name>[^()]*)\)"),
                 re.compile(rf"(?P<name>.*?)\s*(?:\((?P<address>{_ADDRESS})\)|<(?P<bracketed>{_ADDRESS})>)"))


def entry_author(entry: Any) -> str | None:
    """The entry's author by name (by address when the feed gives no name): feedparser's `author` also holds the
    address when the feed gives one ("Acme Support (help@acme.example)"), which no configured own account would
    match."""
    author = entry.get("author")
    if not isinstance(author, str):
        detail = entry.get("author_detail")
        name = detail.get("name") if isinstance(detail, dict) else None
        return name.strip() if isinstance(name, str) and name.strip() else None
    author = author.strip()
    for form in _WITH_ADDRESS:
        if found := form.fullmatch(author):
            return found["name"].strip() or found["address"] or found.groupdict().get("bracketed")
    return author or None


def entry_to_mention(entry: Any, source: str, rating_field: str | None = None,
                     feed_language: str | None = None, base_url: str = "", seen_at: datetime | None = None) -> Mention:
    """A `Mention` from one feedparser entry, or `MalformedItem` saying what is missing; a relative link is read
    against `base_url`, the feed's address (its id stays as written: it names the entry, not a place). An entry with
    no readable date is dated `seen_at` when given (its raw then says `undated`)."""
    entry_id = entry.get("id") or entry.get("link")
    created_at = entry_time(entry)
    if not entry_id:
        raise MalformedItem(f"entry {entry.get('title', '')[:40]!r} has neither id nor link")
    if created_at is None and seen_at is None:
        raise MalformedItem(f"entry {entry_id} has no readable published or updated date")
    title, summary = _text(entry, "title"), _text(entry, "summary")
    text = "\n\n".join(part for part in (title, summary) if part)
    if not text:
        raise MalformedItem(f"entry {entry_id} has no text", item_id=str(entry_id), at=created_at)
    return Mention(
        source=source,
        external_id=str(entry_id),
        text=text,
        created_at=created_at or seen_at,
        author=entry_author(entry),
        url=urljoin(base_url, entry["link"]) if isinstance(entry.get("link"), str) else None,
        lang=entry_language(entry, feed_language),
        rating=entry_rating(entry, rating_field),
        raw={k: v for k, v in entry.items() if isinstance(v, str | int | float)} | (
            {} if created_at else {"undated": True}),
    )


def feed_address(url: str) -> str:
    """The feed's address as ids are qualified by it: without user, password, query or fragment, which may hold a
    key or a session, and must not reach the store."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def qualified_id(entry_id: str, address: str) -> str:
    """`entry_id` as stored: as written when it is a URI, else `address#entry_id`. Two forums both numbering their
    posts from 1 would otherwise share ids under one source, the second one's posts taken for the first's."""
    return entry_id if _URI.match(entry_id) else f"{address}#{entry_id}"


def _former_id(stored_id: str, base: str) -> str | None:
    """The id an entry had before ids were qualified (its cursor may hold it), or None when it had this one."""
    prefix = f"{base}#"
    return stored_id[len(prefix):] if stored_id.startswith(prefix) else None


class FeedCollector:
    """Entries of one RSS/Atom feed; `source` names them in the store (e.g. `trustpilot`)."""

    def __init__(self, name: str, url: str, source: str = "feed", brand: str | None = None,
                 rating_field: str | None = None, max_pages: int = 5, session: requests.Session | None = None,
                 now: datetime | None = None):
        self.name = name
        self.source = source
        self._url = url
        self._brand = brand
        self._rating_field = rating_field
        self._max_pages = max_pages
        self._session = session or new_session()
        self._now = now  # the run's time; None: the clock's at each collect
        self._address = feed_address(url)

    def collect(self, query: BrandQuery, cursor: dict[str, Any] | None) -> CollectResult:
        """The feed's entries published after the cursor, and its undated entries not seen before (dated now)."""
        now = self._now or datetime.now(timezone.utc)
        base = self._id_base(cursor)
        convert = lambda item: self._mention(item, now, base)  # noqa: E731
        former = lambda stored_id: _former_id(stored_id, base)  # noqa: E731
        pages, cursor = self._zones_read(self._pages(), cursor)
        result = collect_pages(log_label(self.source, self.name), pages, convert, query, self._brand, cursor,
                               now, undated=True, former_id=former)
        if result.cursor is None:  # nothing read yet: the first read sets the id base
            return result
        return replace(result, cursor={**result.cursor, ID_BASE_KEY: base, ADDRESS_KEY: self._address, ZONES_KEY: 1})

    def _zones_read(self, pages: Iterator[list[Any]], cursor: dict[str, Any] | None
                    ) -> tuple[Iterator[list[Any]], dict[str, Any] | None]:
        """`pages`, and `cursor` moved back by the zone ahead of UTC its first page's dates are written in when a
        release that read them as UTC saved it: read in their zone now, the entries published since that run may lie
        before its resume point. Those read again are stored once, by their ids."""
        if not cursor or ZONES_KEY in cursor or not cursor.get("at"):
            return pages, cursor
        first = next(pages, None)
        pages = itertools.chain([first] if first is not None else [], pages)
        ahead = max((zone_ahead(entry) for entry, _, _ in first or ()), default=timedelta(0))
        if not ahead:
            return pages, cursor
        log.info("%s: the feed's dates name a time zone read as UTC before this release; reading again the entries "
                 "of the %s before its resume point", log_label(self.source, self.name), ahead)
        return pages, {**cursor, "at": (datetime.fromisoformat(cursor["at"]) - ahead).isoformat(), "ids": []}

    def _id_base(self, cursor: dict[str, Any] | None) -> str:
        """What qualifies the ids that are no URI: the address saved in `cursor` (the first one this collector read),
        else this url's (a first read, or a cursor saved before the base was kept, whose ids this url qualified)."""
        base = (cursor or {}).get(ID_BASE_KEY)
        if not isinstance(base, str) or not base:
            return self._address
        last = (cursor or {}).get(ADDRESS_KEY)
        if isinstance(last, str) and last != self._address:
            log.warning("%s: the url of collector %s changed from %s to %s; its entries keep their ids (qualified by "
                        "%s) and it resumes where it was: if the new url is another feed, not the same one moved, "
                        "give the collector a new name", self.source, self.name, last, self._address, base)
        return base

    def _mention(self, item: tuple[Any, str | None, str], now: datetime, base: str) -> Mention | Undated:
        # Each page's entries come with the feed's language, the fallback of the entries' own, and its address.
        entry, language, base_url = item
        try:
            mention = entry_to_mention(entry, self.source, self._rating_field, language, base_url, seen_at=now)
        except MalformedItem as exc:
            exc.item_id = exc.item_id and qualified_id(exc.item_id, base)  # as the cursor will know it
            raise
        mention = replace(mention, external_id=qualified_id(mention.external_id, base))
        return mention if entry_time(entry) else Undated(mention)

    def probe(self, query: BrandQuery) -> None:
        """Fetch and parse the first page; what it holds does not depend on the brand."""
        _, _, fault = self._read_page(self._url)
        if fault:
            raise fault

    def _pages(self) -> Iterator[list[tuple[Any, str | None, str]]]:
        url: str | None = self._url
        fetched: set[str] = set()
        for _ in range(self._max_pages):
            if url is None:
                return
            if url in fetched:  # a next link back to a page read (itself, or page 1): the same entries again
                log.warning("%s: the feed's next link leads back to %s, already read this run; stopped there",
                            self.source, url)
                return
            fetched.add(url)
            entries, url, fault = self._read_page(url)
            yield entries
            # Reached only when the page held no entry collected before: the entries a fault swallowed may be new.
            if fault:
                raise fault

    def _read_page(self, url: str) -> tuple[list[tuple[Any, str | None, str]], str | None, MalformedPayload | None]:
        """One page's entries (with the feed's language and the answer's address), the next page's address, and the
        error to raise once its entries are used when an XML fault swallowed some of them."""
        import feedparser

        response = fetch(self._session, self.source, "GET", url)
        headers = {"content-type": response.headers.get("content-type", "")}
        parsed = feedparser.parse(response.content, response_headers=headers)
        # An HTML page (a site's home instead of its feed) parses without error but as no known format.
        if not parsed.entries and (not parsed.get("version") or (parsed.get("bozo") and not parsed.feed)):
            raise MalformedPayload(f"{self.source}: {url}{redirected(response, url)} is not an RSS or Atom feed "
                                   f"({what_page(response, parsed)}); check the url")
        # Its entries past the cut would be lost for good: the resume point moves to the newest one read.
        if parsed.get("bozo") and cut_short(response.content, parsed.get("encoding")):
            raise MalformedPayload(f"{self.source}: the answer from {url} ends before the feed does (cut short on "
                                   "the way); nothing of it is used, the next run retries")
        unread = unread_entries(parsed, response.content)
        fault = None if not unread else MalformedPayload(
            f"{self.source}: {url} is not well-formed XML ({unread}); the entries read are kept, the resume point "
            "stays until the feed is fixed, the next run retries")
        links = parsed.feed.get("links", ())
        following = next((link.get("href") for link in links if link.get("rel") == "next"), None)
        # Relative links are read against the answer's own address, after redirects, as a browser reads them.
        entries = [(entry, parsed.feed.get("language"), response.url) for entry in parsed.entries]
        return entries, urljoin(response.url, following) if following else None, fault
