"""Chat and webhook channels through apprise: check a channel URL, send one message, never reveal the URL."""

from __future__ import annotations

import functools
import logging
import re
import socket
from urllib.parse import urlsplit

from brandpulse.alerts.base import DeliveryError, RefusedForGood
from brandpulse.alerts.chat import fit

# apprise logs each URL it loads, tokens included, at DEBUG: nothing of it may reach the service's own log.
# Failures are still read, per call, from the result apprise returns (its capture handler sits on this logger).
_APPRISE_LOG = logging.getLogger("apprise")
_APPRISE_LOG.propagate = False
_APPRISE_LOG.setLevel(logging.WARNING)

_PIECES = re.compile(r"[/:@?&=#,+]+")
_DIGIT = re.compile(r"\d")
# Masking every word of a URL (`hooks`, `support`, a port) would garble the logs and hide nothing: tokens are
# pieces with a digit or long ones.
MIN_SECRET_PIECE, MIN_SECRET_WORD = 6, 12
CALL_TIMEOUT_S = 30.0  # whole call, on top of apprise's per-request timeouts (`cto` / `rto` URL parameters)


def _plugin(url: str):
    import apprise

    return apprise.Apprise.instantiate(url, suppress_exceptions=True)


def is_valid_url(url: str) -> bool:
    """Whether apprise can parse `url` into one of its services (nothing is sent)."""
    return _plugin(url) is not None


def secret_pieces(url: str) -> list[str]:
    """The parts of `url` that may be credentials (the whole URL, login, tokens in the path), to mask in any text."""
    pieces = {url}
    parts = urlsplit(url)
    pieces.update(p for p in (parts.username, parts.password) if p)
    # A dotted piece is a host name or an address, which identifies the service but grants nothing.
    for piece in _PIECES.split(url.split("://", 1)[-1]):
        if "." not in piece and (len(piece) >= MIN_SECRET_WORD or len(piece) >= MIN_SECRET_PIECE and _DIGIT.search(piece)):
            pieces.add(piece)
    return sorted(pieces, key=len, reverse=True)


def _masked(text: str, secrets: list[str]) -> str:
    # The root's log masking covers this too once a channel is resolved; a stage cannot import it, and a probe
    # may print this error before anything else has masked it.
    for value in secrets:
        text = text.replace(value, "***")
    return text


@functools.lru_cache(maxsize=64)
def _target(url: str):
    # Parsing the URL and loading its plugin costs more than the send itself: once per URL per process.
    import apprise

    target = apprise.Apprise()
    return target if target.add(url) else None


def send(name: str, url: str, title: str, body: str) -> str:
    """Send one plain-text message to the channel `name` at `url`; raise `DeliveryError` without the URL in it."""
    import apprise

    target = _target(url)
    if target is None:
        raise DeliveryError(f"channel {name}: its URL is not one apprise can use; check the variable that holds it")
    # The service's own limit, title included where it sends both as one text: a longer message is refused (400).
    body = fit(body, min(plugin.body_maxlen for plugin in target) - len(title) - 2)
    try:
        result = target.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT, timeout=CALL_TIMEOUT_S)
    except Exception as exc:  # apprise reports failures in its result; anything raised is as retryable
        raise DeliveryError(f"channel {name}: {type(exc).__name__}: {_masked(str(exc), secret_pieces(url))}") from None
    if result:
        return f"channel {name}"
    reasons = "; ".join(dict.fromkeys(entry.message for entry in result.logs())) or "no reason given"
    error = RefusedForGood if _refused_for_good(reasons) else DeliveryError
    raise error(f"channel {name}: {result.status.name.lower()}: {_masked(reasons, secret_pieces(url))}")


# apprise's plugins end a refusal's reason with the HTTP status: "Failed to send ... notification: ..., error=404."
_HTTP_STATUS = re.compile(r"\berror=(\d{3})\b")


def _refused_for_good(reasons: str) -> bool:
    """A 4xx answer other than 408 (timeout) and 429 (rate limit): a deleted webhook (404), a refused token (401,
    403) or message (400, 413) is refused again on every retry, so the message is given up at once."""
    codes = [int(code) for code in _HTTP_STATUS.findall(reasons)]
    return bool(codes) and all(400 <= code < 500 and code not in (408, 429) for code in codes)


# Services whose URL names the host that receives the message; other schemes carry tokens where a host would be.
_HOSTED = ("json", "jsons", "form", "forms", "xml", "xmls")


def probe(name: str, url: str, timeout: float = CALL_TIMEOUT_S) -> str | None:
    """Check the channel without sending anything: apprise accepts the URL and, for webhook URLs that name their host,
    that host accepts a connection. Returns what was not checked, or None; raises `DeliveryError`."""
    plugin = _plugin(url)
    if plugin is None:
        raise DeliveryError(f"channel {name}: its URL is not one apprise can use; check the variable that holds it")
    scheme = url.split("://", 1)[0].lower()
    if scheme not in _HOSTED:
        return "URL accepted; the service is not contacted, as that would send a message"
    port = plugin.port or (443 if plugin.secure else 80)
    try:
        # An IPv6 address comes in its URL's brackets ([::1]), which the socket does not take.
        socket.create_connection((plugin.host.strip("[]"), port), timeout=timeout).close()
    except OSError as exc:
        raise DeliveryError(f"channel {name}: cannot connect to {plugin.host}:{port}: {exc}") from exc
    return None
