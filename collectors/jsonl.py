"""Parsing mentions from JSON Lines, the interchange format of `brandpulse ingest` and the replay collector."""

from __future__ import annotations

import dataclasses
import json
import math
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from brandpulse.collectors.base import FUTURE_TOLERANCE, MalformedItem, Mention, iso_time
from brandpulse.collectors.markup import unescape_references

# What shows nothing: spaces, line breaks, controls (NUL), format characters (U+200B, U+FEFF), as classify reads it.
_INVISIBLE = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})

REQUIRED = ("source", "id", "text", "created_at")
OPTIONAL = ("brand", "author", "url", "lang", "rating", "label")
LABELS = ("negative", "neutral", "positive")
_KNOWN = frozenset(REQUIRED + OPTIONAL)
# A line of brandpulse's own export (`export`, `query --format jsonl`) names the post's id `external_id`, its `id`
# being the row's number in that store, and carries what the store derived, which the importing store derives again.
EXPORT_KEY = "external_id"
CARRIED = ("amplification", "dated_after")
DERIVED = ("raw", "collected_at", "p_negative", "p_neutral", "p_positive", "score", "category", "model",
           "model_version", "provenance", "classified_at", "complaint", "answered_by", "answered_at")
_EXPORTED = _KNOWN | {EXPORT_KEY, *CARRIED, *DERIVED}


@dataclass(frozen=True)
class LineError:
    """A line that could not be imported, with the reason."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


def parse_timestamp(value: Any, field: str = "created_at") -> datetime:
    """Parse an ISO 8601 timestamp; a naive one is taken as UTC."""
    if not isinstance(value, str):
        raise MalformedItem(f"{field} must be an ISO 8601 string, got {value!r}")
    try:
        return iso_time(value)
    except ValueError:
        raise MalformedItem(f"{field} {value!r} is not an ISO 8601 timestamp") from None


def _optional_str(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is None or isinstance(value, str):
        return value
    raise MalformedItem(f"{key} must be a string, got {value!r}")


def _rating(value: Any) -> int | None:
    if value is None:
        return None
    if (isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
            or value != int(value)):
        raise MalformedItem(f"rating must be an integer from 1 to 5, got {value!r}")
    if not 1 <= value <= 5:
        raise MalformedItem(f"rating must be from 1 to 5, got {value!r}")
    return int(value)


def mention_from_record(record: Any, unescape_html: bool = False) -> Mention:
    """Build a `Mention` from one decoded JSON object, or raise `MalformedItem` saying why not; with `unescape_html`,
    its text is HTML-escaped (an export of Twitter's API v2 `text`) and its character references are read."""
    if not isinstance(record, dict):
        raise MalformedItem(f"expected a JSON object, got {type(record).__name__}")
    if EXPORT_KEY in record:
        return _from_export(record, unescape_html)
    missing = [key for key in REQUIRED if record.get(key) in (None, "")]
    if missing:
        raise MalformedItem(f"missing required field(s): {', '.join(missing)}")
    if not record.keys() <= _KNOWN:
        raise MalformedItem(f"unknown field(s): {', '.join(sorted(record.keys() - _KNOWN))}")
    for key in ("source", "text"):
        if not isinstance(record[key], str):
            raise MalformedItem(f"{key} must be a string, got {record[key]!r}")
    text = unescape_references(record["text"]) if unescape_html else record["text"]
    if all(unicodedata.category(char) in _INVISIBLE for char in text):
        raise MalformedItem("text is blank (nothing visible in it): a mention needs something to read")
    if not isinstance(record["id"], str | int) or isinstance(record["id"], bool):
        raise MalformedItem(f"id must be a string or an integer, got {record['id']!r}")
    label = _optional_str(record, "label")
    if label is not None and label not in LABELS:
        raise MalformedItem(f"label must be one of {', '.join(LABELS)}, got {label!r}")
    return Mention(
        source=record["source"],
        external_id=str(record["id"]),
        text=text,
        created_at=parse_timestamp(record["created_at"]),
        brand=_optional_str(record, "brand"),
        author=_optional_str(record, "author"),
        url=_optional_str(record, "url"),
        lang=_optional_str(record, "lang"),
        rating=_rating(record.get("rating")),
        label=label,
        # No raw copy: every field a valid line may carry has its own column (unknown fields are refused),
        # so a copy would only double the store's size and the import's cost.
        raw=None,
    )


def _from_export(record: dict[str, Any], unescape_html: bool) -> Mention:
    """The `Mention` of a line of brandpulse's export: its `external_id` as the id, the amplification and estimated
    date kept, a label kept unless the model gave it (the importing store's model reads the text again)."""
    if not record.keys() <= _EXPORTED:
        raise MalformedItem(f"unknown field(s): {', '.join(sorted(record.keys() - _EXPORTED))}")
    line = {key: record[key] for key in _KNOWN & record.keys()} | {"id": record[EXPORT_KEY]}
    if record.get("provenance") == "model":
        line.pop("label", None)
    mention = mention_from_record(line, unescape_html)
    dated_after = record.get("dated_after")
    return dataclasses.replace(mention, amplification=_amplification(record.get("amplification")),
                               dated_after=None if dated_after is None else parse_timestamp(dated_after, "dated_after"))


def _amplification(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedItem(f"amplification must be a whole number from 0, got {value!r}")
    return value


def parse_lines(lines: Iterable[str | bytes], now: datetime | None = None,
                unescape_html: bool = False) -> Iterator[Mention | LineError]:
    """Yield a `Mention` for every valid line and a `LineError` for every invalid one, in order; with `now`, a line
    dated more than a day after it is invalid (it would top every recent query, and the storm charts, for years).
    Texts are taken as written unless `unescape_html` says they are HTML-escaped: a line's `&amp;` may be the
    author's, and brandpulse's own exports are not escaped, so reading them again must not change them."""
    for number, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield LineError(number, f"not valid UTF-8 ({exc.reason} at byte {exc.start})")
                continue
        if number == 1:
            line = line.removeprefix("\ufeff")  # the byte-order mark of a file saved on Windows
        if not line.strip():
            continue
        try:
            mention = mention_from_record(json.loads(line), unescape_html)
            if now is not None and mention.created_at > now + FUTURE_TOLERANCE:
                raise MalformedItem(f"created_at {mention.created_at.isoformat()} is in the future")
            yield mention
        except json.JSONDecodeError as exc:
            yield LineError(number, f"not valid JSON ({exc.msg} at column {exc.colno})")
        except RecursionError:
            # A few thousand nested brackets exhaust the parser's stack; no mention is shaped like that.
            yield LineError(number, "JSON nested too deeply; a mention is one flat object")
        except (MalformedItem, ValueError) as exc:
            yield LineError(number, str(exc))
