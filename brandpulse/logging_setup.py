"""Structured logs: one line per event, as text or JSON lines, with secret values masked."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import datetime, timezone

# Environment variables whose values must never reach a log line, whatever code logs them.
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|USERNAME|CLIENT_ID", re.IGNORECASE)
MIN_SECRET_LENGTH = 4  # masking "a" everywhere would garble the logs and hide nothing
# Secrets in variables not named like credentials (a channel's URL and its tokens), registered when read.
_REGISTERED: set[str] = set()


def _forms(value: str) -> set[str]:
    """A secret as given, without surrounding whitespace, and escaped as repr() writes it: an error quoting a header
    value shows "token\\n" for a value that ends in a newline, which the value itself does not match."""
    return {form for form in (value, value.strip(), value.encode("unicode_escape").decode("ascii"))
            if len(form) >= MIN_SECRET_LENGTH}


def add_secrets(values: list[str]) -> None:
    """Mask these values too, from now on, in every log line and stored error."""
    for value in values:
        _REGISTERED.update(_forms(value))


def secret_values() -> list[str]:
    """The values of the environment variables that look like credentials, and registered secrets, longest first."""
    values = {form for k, v in os.environ.items() if SECRET_NAME.search(k) for form in _forms(v)}
    return sorted(values | _REGISTERED, key=len, reverse=True)


def mask(text: str, secrets: list[str]) -> str:
    """`text` with every secret value replaced by `***`."""
    for value in secrets:
        text = text.replace(value, "***")
    return text


# Every control character but a tab, written as its escape: "\n", "\r", "\x1b".
_CONTROLS = [*range(0x00, 0x09), *range(0x0B, 0x0D), *range(0x0E, 0x20), *range(0x7F, 0xA0)]
_ESCAPED = str.maketrans({"\r": "\\r", "\n": "\\n", **{chr(c): f"\\x{c:02x}" for c in _CONTROLS}})


class _Formatter(logging.Formatter):
    def __init__(self, as_json: bool):
        super().__init__()
        self._json = as_json

    def format(self, record: logging.LogRecord) -> str:
        secrets = secret_values()  # read per line: channels register their URLs after logging is set up
        message = mask(record.getMessage(), secrets)
        error = mask(self.formatException(record.exc_info), secrets) if record.exc_info else None
        stamp = datetime.fromtimestamp(record.created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
        if self._json:
            event = {"time": stamp, "level": record.levelname, "logger": record.name, "message": message}
            if error:
                event["error"] = error
            return json.dumps(event, ensure_ascii=False)
        # One event, one line: a traceback's line breaks are escaped, so `grep` and journald see it whole; other
        # controls too (a hostile feed's ESC sequences, quoted in an error, would act on the operator's terminal).
        line = f"{stamp} {record.levelname} {record.name}: {message}"
        return (line + " | " + error if error else line).translate(_ESCAPED)


def setup_logging(level: int, log_format: str = "text") -> None:
    """Send the log to stderr as one line per event, `text` or `json`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(log_format == "json"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # psycopg and its pool warn of each connection a restarted server dropped, and of each try to reconnect while it
    # is down (object reprs, a dozen lines a run); the store's own error says what happened and what to do.
    logging.getLogger("psycopg").setLevel(logging.ERROR if level >= logging.WARNING else logging.NOTSET)
