"""HTTP for the collectors that speak plain HTTP: a session with a default timeout, errors mapped to `CollectorError`."""

from __future__ import annotations

import html
import http.client
import re
import socket
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from brandpulse.collectors.base import CollectorError, HttpStatusError, MalformedPayload, RetryLater

DEFAULT_TIMEOUT_S = 30.0
# The most of an answer read, once decompressed: a page of 500 App Store reviews is about 1 MB, while a feed's host
# (or any host its next link names) could send gigabytes, or a 1 MB gzip that unpacks to 1 GB.
MAX_BODY_BYTES = 32 * 2**20
USER_AGENT = "brandpulse (+https://github.com/brandpulse/brandpulse)"
_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_TITLE = re.compile(r"<title[^<>]*>([^<]{1,200})</title>", re.IGNORECASE)


class RateLimited(RetryLater):
    """The source answered 429; the next run after its Retry-After resumes from the saved cursor."""


def _moment(value: str) -> datetime | None:
    """An HTTP date (RFC 9110), an ISO 8601 time (Mastodon's X-RateLimit-Reset) or Unix seconds, else None."""
    if value.isdigit() and int(value) > 10**9:
        return datetime.fromtimestamp(min(int(value), 10**11), timezone.utc)  # past 5138 AD: no calendar has it
    for parse in (parsedate_to_datetime, lambda text: datetime.fromisoformat(text.replace("Z", "+00:00"))):
        try:
            moment = parse(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            continue
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return None


def retry_after(headers: Mapping[str, str]) -> dict[str, Any]:
    """How long an answer asks to wait, as `RetryLater`'s keywords: Retry-After in seconds (`delay`) or as an HTTP
    date (`until`), else an X-RateLimit-Reset time (Mastodon, GoToSocial); empty when it does not say."""
    value = (headers.get("Retry-After") or "").strip()
    if _SECONDS.fullmatch(value):  # RFC 9110 says whole seconds; some servers and proxies send "120.5"
        whole, _, fraction = value.partition(".")
        # Past 8 digits it is over the cap anyway; int() refuses a string of over 4,300 digits (CVE-2020-10735).
        seconds = 10**7 if len(whole) > 8 else int(whole) + bool(fraction.strip("0"))
        return {"delay": timedelta(seconds=min(seconds, 10**7))}
    reset = (headers.get("X-RateLimit-Reset") or "").strip()
    for text in (value, reset):
        if text and (moment := _moment(text)) is not None:
            return {"until": moment}
    return {}


class TimeoutAdapter(HTTPAdapter):
    """An adapter that applies a default timeout: `requests` waits forever unless told otherwise."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT_S, **kwargs: Any):
        self.timeout = timeout
        super().__init__(**kwargs)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Send `request`, with the default timeout when the caller gave none."""
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def with_timeout(session: requests.Session, timeout: float) -> requests.Session:
    """Make every request of `session` time out after `timeout` seconds."""
    adapter = TimeoutAdapter(timeout)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def new_session(timeout: float = DEFAULT_TIMEOUT_S) -> requests.Session:
    """A session with the brandpulse user agent and a default timeout."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return with_timeout(session, timeout)


def _check_status(source: str, url: str, response: requests.Response, credentials: str | None = None) -> None:
    wait = retry_after(response.headers)
    if response.status_code == 429:
        raise RateLimited(f"{source}: rate limited (HTTP 429{_asked(response)}) by {url}; the next run resumes", 429,
                          **wait)
    if response.status_code == 503 and wait:
        raise RetryLater(f"{source}: server unavailable (HTTP 503{_asked(response)}) from {url}; the next run after "
                         "then retries", 503, **wait)
    if response.status_code >= 500:
        raise HttpStatusError(f"{source}: server error HTTP {response.status_code} from {url}; the next run retries",
                              response.status_code)
    if response.status_code in (401, 403):
        check = f"check {credentials}" if credentials else "the source wants a login this collector does not send"
        raise HttpStatusError(f"{source}: HTTP {response.status_code} from {url}: access refused; {check}",
                              response.status_code)
    if response.status_code >= 400:
        raise HttpStatusError(
            f"{source}: HTTP {response.status_code} from {url}; check the collector's app id, country or url",
            response.status_code,
        )


def _asked(response: requests.Response) -> str:
    said = [f"{name} {response.headers[name].strip()[:40]}" for name in ("Retry-After", "X-RateLimit-Reset")
            if response.headers.get(name)]
    return ", " + ", ".join(said) if said else ""


def _read_bounded(response: requests.Response, source: str, url: str) -> requests.Response:
    """`response` with its body read, decompressed, up to MAX_BODY_BYTES; past that, the connection is dropped and a
    `MalformedPayload` raised, so that no answer can fill the memory."""
    chunks, size = [], 0
    with response:
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise MalformedPayload(f"{source}: the answer from {url} is over {MAX_BODY_BYTES / 2**20:g} MB "
                                           "once decompressed; it was not read further")
                chunks.append(chunk)
        except requests.exceptions.ChunkedEncodingError as exc:
            raise CollectorError(f"{source}: answer cut short ({_how_short(exc, response, size)}) from {url}; "
                                 "the next run retries") from exc
    response._content = b"".join(chunks)  # what .content, .text and .json() read
    return response


def _how_short(error: BaseException, response: requests.Response, size: int) -> str:
    """How much of a body that ended early arrived: 'N of M bytes' against its Content-Length, else what was read
    (sent in chunks, urllib3's 'IncompleteRead(20 bytes read, 480 more expected)' counts the chunk cut, not the
    answer)."""
    read = incomplete_read(error)
    if read is not None and response.headers.get("Content-Length") and not response.headers.get("Transfer-Encoding"):
        return f"{read[0]} of {sum(read)} bytes"
    # In chunks: the chunks handed on, and what arrived of the one cut (urllib3 hands on a chunk once whole).
    return f"the connection closed after {size + (read[0] if read else 0)} bytes, before its end"


def incomplete_read(error: BaseException) -> tuple[int, int] | None:
    """(bytes read, bytes still expected) from the IncompleteRead inside `error` (as an argument or a cause)."""
    todo, seen = [error], set()
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, http.client.IncompleteRead) and isinstance(item.expected, int):
            partial = item.partial if isinstance(item.partial, int) else len(item.partial)
            return partial, item.expected
        todo += [part for part in (*item.args, item.__cause__, item.__context__) if isinstance(part, BaseException)]
    return None


def fetch(session: requests.Session, source: str, method: str, url: str, *, credentials: str | None = None,
          **kwargs: Any) -> requests.Response:
    """Send one request; timeouts, connection errors and non-2xx answers become `CollectorError`s naming `source`.

    `credentials` names what a 401 or 403 asks the operator to check (an environment variable). The session's
    timeout bounds the whole request, body included: `requests` applies it to each read, so a server
    that drips a byte at a time would otherwise hold the collector (and those after it) for as long as it likes.
    """
    limit = getattr(session.get_adapter(url), "timeout", DEFAULT_TIMEOUT_S)
    outcome: dict[str, Any] = {}

    def request() -> None:
        try:
            outcome["response"] = _read_bounded(session.request(method, url, stream=True, **kwargs), source, url)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    # A daemon thread: one still reading a dripping answer must not keep the process alive when it wants to exit.
    worker = threading.Thread(target=request, name=f"fetch-{source}", daemon=True)
    worker.start()
    worker.join(limit)
    if worker.is_alive():
        # The request goes on in its thread until the server stops or a read times out; nothing waits for it.
        raise CollectorError(f"{source}: {url} timed out: no full answer within {limit:g} s; "
                             "the next run retries") from TimeoutError(f"no full answer within {limit:g} s")
    error = outcome.get("error")
    if isinstance(error, requests.Timeout):
        raise CollectorError(f"{source}: {url} timed out ({error.__class__.__name__}); the next run retries") from error
    if isinstance(error, requests.exceptions.SSLError):
        raise CollectorError(f"{source}: request to {url} failed: {_tls_failure(error)}; "
                             "the next run retries") from error
    if isinstance(error, requests.TooManyRedirects):
        raise CollectorError(f"{source}: {url} redirects in a loop (over {session.max_redirects} redirects"
                             f"{_last_hop(error)}); check the url; the next run retries") from error
    if isinstance(error, requests.ConnectionError) and (why := _unreachable(error, url)):
        raise CollectorError(f"{source}: {url} cannot be reached: {why}; the next run retries") from error
    if isinstance(error, requests.RequestException):
        raise CollectorError(f"{source}: request to {url} failed: {error}; the next run retries") from error
    if error is not None:
        raise error
    response = outcome["response"]
    _check_status(source, url, response, credentials)
    return response


def _unreachable(error: BaseException, url: str) -> str | None:
    """Why no connection to `url` could be made, in words, when its host is unknown (DNS) or refused it; else None.
    urllib3's own text wraps it in its pool and retry ('HTTPConnectionPool(host=...): Max retries exceeded ...')."""
    parts, chain, todo = urlsplit(url), [], [error]
    while todo:
        item = todo.pop()
        if item not in chain:
            chain.append(item)
            todo += [part for part in (*item.args, item.__cause__, item.__context__, getattr(item, "reason", None))
                     if isinstance(part, BaseException)]
    if any(isinstance(e, socket.gaierror) or type(e).__name__ == "NameResolutionError" for e in chain):
        return f"its host {parts.hostname} is not known (DNS); check the url"
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return f"{parts.hostname} refused the connection on port {port} (no server listening there); check the url"
    return None


def _last_hop(error: requests.TooManyRedirects) -> str:
    """', the last to ADDRESS' for a redirect loop, its query left out (it may carry a session or return token)."""
    answer = error.response
    target = answer.headers.get("Location") if answer is not None else None
    if not target:
        return ""
    parts = urlsplit(urljoin(answer.url or "", target))
    return f", the last to {urlunsplit((parts.scheme, parts.netloc, parts.path, '', ''))}"


def _tls_failure(error: requests.exceptions.SSLError) -> str:
    """What went wrong in a TLS handshake, in words (urllib3's text repeats the address and its retry wrapper)."""
    text = str(error)
    if "WRONG_VERSION_NUMBER" in text or "wrong version number" in text:
        return "the server does not speak TLS (https) there; is the address http://, or the port another one?"
    if "CERTIFICATE_VERIFY_FAILED" in text:
        reason = text.partition("certificate verify failed:")[2].partition("(_ssl")[0].strip(" ')")
        return f"its TLS certificate is not trusted ({reason or 'verify failed'})"
    said = text.rpartition("[SSL")[2].partition("]")[2].partition("(_ssl")[0].strip()  # OpenSSL's own words
    return f"TLS handshake failed ({said or text})"


def redirected(response: requests.Response, url: str) -> str:
    """' (redirected to ADDRESS)' when `response` came from another address than `url` (a login page a source sends
    callers it does not know to), its query left out: it may carry a session or return token; else ''."""
    final = urlsplit(response.url or url)
    if not response.history or response.url == url:
        return ""
    return f" (redirected to {urlunsplit((final.scheme, final.netloc, final.path, '', ''))})"


def page_title(answer: requests.Response) -> str | None:
    """'titled ...' (or 'untitled') for an answer that is a web page (HTML): a login page, a proxy's or captive
    portal's; None for anything else."""
    text = answer.text.lstrip()[:4096]
    if not text.startswith("<"):
        return None
    found = _TITLE.search(text)
    title = " ".join(html.unescape(found.group(1)).split())[:120] if found else ""
    return f"titled {title!r}" if title else "untitled"


def fetch_json(session: requests.Session, source: str, url: str, *, credentials: str | None = None,
               **kwargs: Any) -> Any:
    """GET `url` and decode its JSON body, or raise `CollectorError` saying which source sent what."""
    response = fetch(session, source, "GET", url, credentials=credentials, **kwargs)
    try:
        return response.json()
    except (ValueError, RecursionError) as exc:  # RecursionError: arrays nested deeper than Python's stack
        raise MalformedPayload(f"{source}: {url}{redirected(response, url)} did not return JSON "
                               f"({response.text[:80]!r}); the payload is malformed") from exc
