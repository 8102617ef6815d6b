"""Reading one text per line from a file or a pipe, as `classify` does: UTF-8, lines end at a line feed only."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import BinaryIO

import click

_UTF16_MARKS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def refuse_utf16(head: bytes, name: str, command: str) -> None:
    """A usage error when `head`, a file's first bytes, is a UTF-16 byte-order mark: every line would be garbage."""
    if head.startswith(_UTF16_MARKS):
        raise click.BadParameter(f"{name} is UTF-16 (it starts with a UTF-16 byte-order mark); {command} reads UTF-8 "
                                 "(iconv -f UTF-16 -t UTF-8 converts it)", param_hint="FILE")


class TextLines:
    """The lines of a binary stream, decoded. A carriage return inside a line stays in its text (only "\\n" and
    "\\r\\n" end a line), so output keeps one result per input line; a UTF-8 byte-order mark is dropped, and bytes
    that are not UTF-8 read as U+FFFD, their line numbers kept for one warning at the end. A line longer than
    `max_chars` characters is cut to them."""

    def __init__(self, stream: BinaryIO, name: str, max_chars: int | None = None):
        self._stream = stream
        self._name = name
        # A longer line is cut to its first `max_chars` characters as it is read: one line of gigabytes (a binary
        # file piped in by mistake) would otherwise be held whole, twice, before it could be cut.
        self._max_chars = max_chars
        self._max_bytes = 4 * max_chars + 2 if max_chars else -1  # a character is at most 4 bytes in UTF-8
        self.undecodable: list[int] = []

    def __iter__(self) -> Iterator[str]:
        for number, (raw, cut) in enumerate(self._lines(), start=1):
            if number == 1:
                refuse_utf16(raw, self._name, "classify")
                raw = raw.removeprefix(codecs.BOM_UTF8)
            raw = raw.removesuffix(b"\n").removesuffix(b"\r")
            try:
                # Where the line was cut, a character cut in two at its end is left out.
                text = codecs.getincrementaldecoder("utf-8")().decode(raw, final=not cut)
            except UnicodeDecodeError:
                self.undecodable.append(number)
                text = raw.decode("utf-8", errors="replace")
            yield text[: self._max_chars] if cut else text

    def _lines(self) -> Iterator[tuple[bytes, bool]]:
        """Each line's bytes, at most `_max_bytes` of them, and whether the line was longer (the rest is skipped)."""
        while raw := self._stream.readline(self._max_bytes):
            cut = not raw.endswith(b"\n") and bool(rest := self._stream.readline(self._max_bytes))
            while cut and rest and not rest.endswith(b"\n"):
                rest = self._stream.readline(self._max_bytes)
            yield raw, cut

    def warning(self) -> str | None:
        """What to tell the user about lines that were not UTF-8, None when all were."""
        if not self.undecodable:
            return None
        shown = ", ".join(map(str, self.undecodable[:10])) + (", ..." if len(self.undecodable) > 10 else "")
        return (f"warning: {len(self.undecodable)} line(s) of {self._name} are not valid UTF-8 (line {shown}); "
                "their undecodable bytes were read as U+FFFD")
