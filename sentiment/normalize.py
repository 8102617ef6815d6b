"""Text normalisation matching the TweetEval training data, with emoji spelt out as words."""

from __future__ import annotations

import html
import re

import emoji

_USER = re.compile(r"(?<!\w)@\w+")
_LINK = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
# A character that can open an emoji (or the keycap mark of "1️⃣"): texts without one skip the library's slower scan.
_EMOJI_STARTS = frozenset({e[0] for e in emoji.EMOJI_DATA if not e[0].isascii()} | {"\u20e3"})


def _emoji_name(chars: str, data: dict) -> str:
    return " " + data["en"].strip(":").replace("_", " ") + " "


def spell_emoji(text: str) -> str:
    """Each emoji replaced by its English CLDR name: "😡" -> "enraged face", "👍" -> "thumbs up".

    MiniLM's vocabulary has no emoji, so its tokenizer reads every one as [UNK] and 😍 looks like 😡; their names
    are words the model knows (and TweetEval's tweets carry none, so training is unchanged).
    """
    if text.isascii() or _EMOJI_STARTS.isdisjoint(text):
        return text
    return emoji.replace_emoji(text, replace=_emoji_name)


def normalize(text: str) -> str:
    """User mentions -> @user, links -> http, HTML entities unescaped, emoji spelt out, whitespace collapsed."""
    text = spell_emoji(html.unescape(text))
    text = _USER.sub("@user", text)
    text = _LINK.sub("http", text)
    return _SPACE.sub(" ", text).strip()
