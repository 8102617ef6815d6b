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
    that are not UTF-8 read as U+FFFD, their line numbers kept for one warning at the end."""

    def __init__(self, stream: BinaryIO, name: str):
        self._stream = stream
        self._name = name
        self.undecodable: list[int] = []

    def __iter__(self) -> Iterator[str]:
        for number, raw in enumerate(self._stream, start=1):
            if number == 1:
                refuse_utf16(raw, self._name, "classify")
                raw = raw.removeprefix(codecs.BOM_UTF8)
            raw = raw.removesuffix(b"\n").removesuffix(b"\r")
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                self.undecodable.append(number)
                yield raw.decode("utf-8", errors="replace")

    def warning(self) -> str | None:
        """What to tell the user about lines that were not UTF-8, None when all were."""
        if not self.undecodable:
            return None
        shown = ", ".join(map(str, self.undecodable[:10])) + (", ..." if len(self.undecodable) > 10 else "")
        return (f"warning: {len(self.undecodable)} line(s) of {self._name} are not valid UTF-8 (line {shown}); "
                "their undecodable bytes were read as U+FFFD")
