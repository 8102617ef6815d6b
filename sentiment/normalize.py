"""Text normalisation matching the TweetEval training data."""

from __future__ import annotations

import html
import re

_USER = re.compile(r"(?<!\w)@\w+")
_LINK = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """User mentions -> @user, links -> http, HTML entities unescaped, whitespace collapsed."""
    text = html.unescape(text)
    text = _USER.sub("@user", text)
    text = _LINK.sub("http", text)
    return _SPACE.sub(" ", text).strip()
