"""Near-duplicate grouping: retweets, templated complaints and bot floods become one group with a count.

Two mentions are near-duplicates when the Jaccard similarity of their word-bigram shingles is at least
`THRESHOLD` (0.6) after normalising: openers ("RT @x:"), @handles, #tags, links, numbers, punctuation and case are
removed. One changed word in a 20-word complaint leaves a similarity of about 0.8; two different complaints built on
the same template ("my order never arrived" / "my order arrived broken") stay below 0.5.

Lists show the first `limit` groups only, so each mention is compared with the (at most `limit`) listed ones, exactly.
Clustering a whole window with MinHash LSH (datasketch) answers a bigger question at a higher cost and with misses:
bench/insight.py measures it against this at 5x-10x the time for the same listed groups.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from brandpulse.alerts.cjk import character_words

THRESHOLD = 0.6
# Groups counted to find the largest: each mention is compared with at most this many group leaders.
GROUPS_COUNTED = 100
# Ids of a listed group's other posts kept for an alert to name (support answers and marks each of them).
SIMILAR_IDS = 10
_OPENER = re.compile(r"^\s*(?:rt\s+)?(?:@\w+[\s:,]*)+", re.IGNORECASE)
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+|\d+|[!-/:-@\[-`{-~]|_+")


class _NotWords(dict):
    """A `str.translate` table, filled as characters come: what is neither a letter, a digit, a space nor a
    combining mark (punctuation, symbols, emoji) becomes a space. Thai and Devanagari vowel and tone marks are not
    word characters to `re` (`\\w`), and removing them cut "ร้าน" into "ร" and "าน"."""

    def __missing__(self, code: int) -> str | int:
        character = chr(code)
        kept = character.isalnum() or character.isspace() or unicodedata.category(character)[0] == "M"
        self[code] = value = code if kept else " "
        return value


_NOT_WORDS = _NotWords()


def normalise(text: str) -> str:
    """The text without opener, handles, tags, links, numbers, punctuation and case, in NFKC (full-width letters as
    ASCII), words single-spaced."""
    text = text or ""
    plain = _NOISE.sub(" ", _OPENER.sub(" ", text if text.isascii() else unicodedata.normalize("NFKC", text)))
    return " ".join((plain if plain.isascii() else plain.translate(_NOT_WORDS)).lower().split())


def shingles(normalised: str) -> frozenset[str]:
    """Word bigrams of a normalised text (its single word, or the empty text, when shorter); Chinese, Japanese and Thai,
    written without spaces, have each character as a word (a post would otherwise be one word, and a copy with one
    character changed another text)."""
    tokens = (normalised if normalised.isascii() else character_words(normalised)).split()
    if len(tokens) < 2:
        return frozenset([normalised])
    return frozenset(f"{a} {b}" for a, b in zip(tokens, tokens[1:]))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a & b| / |a | b| (1.0 for two empty sets)."""
    common = len(a & b)
    union = len(a) + len(b) - common
    return common / union if union else 1.0


def near_duplicates(a: str, b: str) -> bool:
    """Whether two texts are near-duplicates under the grouping's definition."""
    return jaccard(shingles(normalise(a)), shingles(normalise(b))) >= THRESHOLD


def representatives(
    mentions: Sequence[Mapping[str, Any]], limit: int, text: Callable[[Mapping[str, Any]], str] = lambda m: m["text"],
    answered: Callable[[Mapping[str, Any]], bool] | None = None,
    complaints: Callable[[Mapping[str, Any]], bool] | None = None, ids: int = 0,
) -> list[dict[str, Any]]:
    """The first mention of each of the first `limit` groups, in order, with `similar`: how many others its group holds
    (and, given `answered`, with `answered`: how many of the group, itself included, it holds true for; given
    `complaints`, with `complaints` likewise: a group led by a complaint may hold posts that are none; given `ids`,
    with `similar_ids`: the `id` of up to that many of the others, in order).

    A mention joins the earliest listed mention it is a near-duplicate of. Only the listed groups need counting, so
    each mention is compared with at most `limit` listed ones on the exact shingle sets (mentions with the same
    normalised text only once): exact, and O(mentions x limit).
    """
    listed: list[dict[str, Any]] = []
    leaders: list[frozenset[str]] = []
    group_of: dict[str, int | None] = {}  # normalised text -> index in `listed`, None for an unlisted group
    tallied = {name: holds for name, holds in (("answered", answered), ("complaints", complaints)) if holds}
    for mention in mentions:
        key = normalise(text(mention))
        if key not in group_of:
            own = shingles(key)
            found = next((i for i, leader in enumerate(leaders) if jaccard(leader, own) >= THRESHOLD), None)
            if found is None and len(listed) < limit:
                listed.append({**mention, "similar": -1, **dict.fromkeys(tallied, 0),
                               **({"similar_ids": []} if ids else {})})  # its own count: 0
                leaders.append(own)
                found = len(listed) - 1
            group_of[key] = found
        if group_of[key] is not None:
            group = listed[group_of[key]]
            if ids and group["similar"] >= 0 and len(group["similar_ids"]) < ids and mention.get("id") is not None:
                group["similar_ids"].append(mention["id"])
            group["similar"] += 1
            for name, holds in tallied.items():
                group[name] += holds(mention)
    return listed


def largest_groups(mentions: Sequence[Mapping[str, Any]], limit: int,
                   first: Callable[[Mapping[str, Any]], bool] = lambda group: False,
                   answered: Callable[[Mapping[str, Any]], bool] | None = None,
                   complaints: Callable[[Mapping[str, Any]], bool] | None = None,
                   ids: int = 0) -> list[dict[str, Any]]:
    """The `limit` largest of the first GROUPS_COUNTED groups, as `representatives` lists them (with `answered`,
    `complaints` and `ids`), the groups `first` picks (complaints, say) before the others; groups of one size keep the
    order of `mentions` (the most negative first, say)."""
    groups = representatives(mentions, GROUPS_COUNTED, answered=answered, complaints=complaints, ids=ids)
    return sorted(groups, key=lambda group: (not first(group), -group["similar"]))[:limit]
