"""A post's text as people read it in a terminal, an email or a chat: one line, nothing a terminal or a text
renderer acts on, and a bounded length (a 75 KB post would otherwise fill an email)."""

from __future__ import annotations

import unicodedata

# Characters a terminal acts on rather than shows: C0/C1 controls (escape sequences, NUL) and the bidirectional
# overrides and isolates that would reorder the rest of the line (a post can hold any of them).
UNSHOWABLE = str.maketrans({c: "\ufffd" for c in [*range(0x00, 0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F),
                                                    *range(0x2066, 0x206A)]})
POST_CHARS = 500
ELLIPSIS = "…"
_ZWJ = "\u200d"


def _regional(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"


def _extends(char: str) -> bool:
    """Whether `char` belongs to the character before it: a combining mark (an accent, a keycap), a variation
    selector, an emoji skin tone or a tag (a subdivision flag's letters)."""
    return (unicodedata.category(char) in ("Mn", "Me", "Mc") or "\ufe00" <= char <= "\ufe0f"
            or "\U0001f3fb" <= char <= "\U0001f3ff" or "\U000e0020" <= char <= "\U000e007f")


def _joined(text: str, cut: int) -> bool:
    """Whether `text` cut before index `cut` splits one character as people see it (a grapheme cluster)."""
    after, before = text[cut], text[cut - 1]
    if _extends(after) or after == _ZWJ or before == _ZWJ:
        return True
    if _regional(after) and _regional(before):
        # A flag is a pair of regional indicators: an odd run before the cut leaves half a flag.
        run = 1
        while run < cut and _regional(text[cut - run - 1]):
            run += 1
        return run % 2 == 1
    return False


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters with an ellipsis when longer, never splitting a character as people
    see it: an emoji family (👨‍👩‍👧‍👦, joined by ZWJs), a flag (🇫🇷, two letters), an accented letter or a skin tone."""
    if len(text) <= limit:
        return text
    end = max(limit - 1, 0)
    while 0 < end < len(text) and _joined(text, end):
        end -= 1
    return text[:end] + ELLIPSIS if limit > 0 else ""


def excerpt(text: str | None, limit: int = POST_CHARS) -> str:
    """`text` on one line (runs of white space, line breaks included, made one space), its unshowable characters
    as U+FFFD, cut to `limit` characters with an ellipsis (`cut`: never inside an emoji or a flag)."""
    line = " ".join((text or "").split()).translate(UNSHOWABLE)
    return cut(line, limit)
