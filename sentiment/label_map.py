"""Which outputs of a Hugging Face classifier make our negative / neutral / positive: its id2label read by name."""

from __future__ import annotations

import re
from collections.abc import Mapping

from brandpulse.sentiment.base import LABELS, SentimentError
from brandpulse.sentiment.labelled_texts import stars_label

_STARS = re.compile(r"^([1-5])\s*stars?$")  # nlptown/bert-base-multilingual-uncased-sentiment: "1 star".."5 stars"
_WORD = re.compile(r"[^a-z]+")
Groups = tuple[tuple[int, ...], ...]


def _named(name: str) -> int | None:
    """The LABELS index a label name stands for ("NEG", "Neutral", "very_positive"), None when it names none."""
    hits = {i for word in _WORD.split(name) if word for i, label in enumerate(LABELS) if word.startswith(label[:3])}
    return hits.pop() if len(hits) == 1 else None


def label_groups(id2label: Mapping[int | str, str]) -> Groups:
    """For each of LABELS, the model's outputs whose probabilities add up to it.

    Read by name: negative / neutral / positive however spelt or cased (NEG, Neutral), with "very negative" or
    "very positive" joining theirs (five-level models); star ratings "1 star".."5 stars" as a review's stars are (1-2
    negative, 3 neutral, 4-5 positive); two classes negative / positive (SST-2 models) leave neutral empty, so it has
    probability 0; cardiffnlp's LABEL_0..LABEL_2 are negative, neutral, positive.
    """
    names = {int(i): str(name).strip().lower() for i, name in id2label.items()}
    groups: list[list[int]] = [[] for _ in LABELS]
    stars = {i: _STARS.match(name) for i, name in names.items()}
    if all(stars.values()):
        for i, match in stars.items():
            groups[stars_label(int(match.group(1)))].append(i)
    elif len(names) == 3 and all(re.fullmatch(r"label_\d", name) for name in names.values()):
        groups = [[i] for i in sorted(names)]
    else:
        for i, name in names.items():
            label = _named(name)
            if label is None:
                groups = []
                break
            groups[label].append(i)
    binary = len(names) == 2
    if not groups or not groups[0] or not groups[2] or (not groups[1] and not binary):
        raise SentimentError(f"cannot map the model's labels {sorted(names.values())} to negative/neutral/positive; "
                             "use a sentiment model whose id2label names them (negative/neutral/positive, "
                             "negative/positive, or 1-5 stars)")
    return tuple(tuple(sorted(g)) for g in groups)
