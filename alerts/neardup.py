"""Near-duplicate grouping: retweets, templated complaints and bot floods become one group with a count.

Two mentions are near-duplicates when the Jaccard similarity of their word-bigram shingles is at least
`THRESHOLD` (0.6) after normalising: openers ("RT @x:"), @handles, #tags, links, numbers, punctuation and case are
removed. One changed word in a 20-word complaint leaves a similarity of about 0.8; two different complaints built on
the same template ("my order never arrived" / "my order arrived broken") stay below 0.5. Candidates come from
datasketch's MinHash LSH; every match is confirmed on the exact shingle sets, so false candidates join no group.
Mentions are grouped in the order given (best first): the first of a group represents it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

THRESHOLD = 0.6
NUM_PERM = 64  # enough for a 0.6 threshold on short texts; 128 doubles the hashing time for little gain
_OPENER = re.compile(r"^\s*(?:rt\s+)?(?:@\w+[\s:,]*)+", re.IGNORECASE)
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+|\d+|[^\w\s]|_+")


def normalise(text: str) -> str:
    """The text without opener, handles, tags, links, numbers, punctuation and case, words single-spaced."""
    return " ".join(_NOISE.sub(" ", _OPENER.sub(" ", text or "")).lower().split())


def shingles(normalised: str) -> frozenset[str]:
    """Word bigrams of a normalised text (its single word, or the empty text, when shorter)."""
    tokens = normalised.split()
    if len(tokens) < 2:
        return frozenset([normalised])
    return frozenset(f"{a} {b}" for a, b in zip(tokens, tokens[1:]))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a & b| / |a | b| (1.0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 1.0


def near_duplicates(a: str, b: str) -> bool:
    """Whether two texts are near-duplicates under the grouping's definition."""
    return jaccard(shingles(normalise(a)), shingles(normalise(b))) >= THRESHOLD


def group(texts: Sequence[str]) -> list[list[int]]:
    """Indices of `texts` in groups of near-duplicates, groups in order of their first member."""
    from datasketch import MinHash, MinHashLSH

    exact: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        exact.setdefault(normalise(text), []).append(i)
    keys = list(exact)
    sets = [shingles(k) for k in keys]
    hashes = MinHash.bulk([[s.encode("utf-8") for s in shingle_set] for shingle_set in sets], num_perm=NUM_PERM)
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    leader_of: list[int] = []
    for k, (shingle_set, minhash) in enumerate(zip(sets, hashes)):
        matches = [c for c in lsh.query(minhash) if jaccard(sets[c], shingle_set) >= THRESHOLD]
        if matches:
            leader_of.append(min(matches))
        else:
            leader_of.append(k)
            lsh.insert(k, minhash)
    groups: dict[int, list[int]] = {}
    for k, members in enumerate(exact.values()):
        groups.setdefault(leader_of[k], []).extend(members)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])


def representatives(
    mentions: Sequence[Mapping[str, Any]], limit: int, text: Callable[[Mapping[str, Any]], str] = lambda m: m["text"],
) -> list[dict[str, Any]]:
    """The first mention of each of the first `limit` groups, with `similar`: how many others its group holds.

    The listed mentions are checked pairwise on their exact shingles, so no two of them are near-duplicates even
    where LSH missed a pair: a late one joins the earlier group's count instead of being listed.
    """
    listed: list[dict[str, Any]] = []
    listed_sets: list[frozenset[str]] = []
    for members in group([text(m) for m in mentions]):
        shingle_set = shingles(normalise(text(mentions[members[0]])))
        twin = next((i for i, s in enumerate(listed_sets) if jaccard(s, shingle_set) >= THRESHOLD), None)
        if twin is not None:
            listed[twin]["similar"] += len(members)
        elif len(listed) < limit:
            listed.append({**mentions[members[0]], "similar": len(members) - 1})
            listed_sets.append(shingle_set)
    return listed
