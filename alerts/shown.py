"""A post's text as people read it in a terminal, an email or a chat: one line, nothing a terminal or a text
renderer acts on, and a bounded length (a 75 KB post would otherwise fill an email)."""

from __future__ import annotations

# Characters a terminal acts on rather than shows: C0/C1 controls (escape sequences, NUL) and the bidirectional
# overrides and isolates that would reorder the rest of the line (a post can hold any of them).
UNSHOWABLE = str.maketrans({c: "\ufffd" for c in [*range(0x00, 0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F),
                                                    *range(0x2066, 0x206A)]})
POST_CHARS = 500


def excerpt(text: str | None, limit: int = POST_CHARS) -> str:
    """`text` on one line (runs of white space, line breaks included, made one space), its unshowable characters
    as U+FFFD, cut to `limit` characters with an ellipsis."""
    line = " ".join((text or "").split()).translate(UNSHOWABLE)
    return line if len(line) <= limit else line[: limit - 1] + "…"
