"""HTML character references (`&amp;`, `&#39;`, `&#x27;`) in text that a source escaped once more than it says."""

from __future__ import annotations

import html
import re

# Whole references only, each ended by its `;`: HTML also reads some names without one ("&copy", "&not"), which would
# turn "Cut&copy" in plain text into "Cut©"; an escaping tool always writes the `;`.
REFERENCE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def has_references(text: str) -> bool:
    """Whether `text` holds an HTML character reference (`&amp;`, `&#39;`)."""
    return REFERENCE.search(text) is not None


def unescape_references(text: str) -> str:
    """`text` with each whole HTML character reference replaced by its character; an unknown name stays."""
    return REFERENCE.sub(lambda match: html.unescape(match.group()), text)
