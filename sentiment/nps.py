"""Mapping sentiment to NPS-like categories and the net sentiment score."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from brandpulse.sentiment.base import LABELS

CATEGORIES = ("detractor", "passive", "promoter")
# A mention in a language no configured model reads: counted apart, never as a passive.
UNSCORED = "unscored"
# The complaint head's shift (sentiment.complaint_words.WordHead.shift, set by its training) makes this its decision
# threshold.
COMPLAINT_THRESHOLD = 0.5
_BY_LABEL = {"negative": "detractor", "neutral": "passive", "positive": "promoter"}


@dataclass(frozen=True)
class NpsPolicy:
    """How labels, complaints and star ratings become categories."""

    # Below this probability of its label a mention counts as passive: unsure is not an opinion.
    confidence_threshold: float = 0.5
    # A review's stars say more about the customer than our reading of the text.
    rating_takes_precedence: bool = True
    # A complaint is a detractor whatever its tone ("any update on my order? it was due on the 15th").
    complaints_are_detractors: bool = True
    # When the complaint head reads no complaint, a negative label needs this much confidence to make a detractor:
    # "@acme it was an online order problem that she totally helped me with" reads mildly negative, but nobody has
    # to answer it. Only with a complaint head and complaints_are_detractors.
    uncorroborated_negative_confidence: float = 0.7


def category_for_rating(rating: int) -> str:
    """5 stars -> promoter, 4 -> passive, 1-3 -> detractor (the NPS convention on a 5-point scale)."""
    return "promoter" if rating >= 5 else "passive" if rating == 4 else "detractor"


def categorize(label: str | None, confidence: float | None, rating: int | None, policy: NpsPolicy,
               complaint: float | None = None) -> str:
    """The category of one mention from its label (None: unscored), the label's confidence, an optional star rating
    and an optional complaint probability."""
    if rating is not None and policy.rating_takes_precedence:
        return category_for_rating(rating)
    if label is None:
        return UNSCORED
    unsure = confidence is not None and confidence < policy.confidence_threshold
    # Praise that mentions an order ("obsessed with it, ordering more!") can read as a complaint to the head; a
    # confident positive label wins. Sarcasm, which the head misses anyway, is all this gives up.
    if (policy.complaints_are_detractors and complaint is not None and complaint >= COMPLAINT_THRESHOLD
            and (label != "positive" or unsure)):
        return "detractor"
    if unsure:
        return "passive"
    if (label == "negative" and policy.complaints_are_detractors and complaint is not None
            and confidence is not None and confidence < policy.uncorroborated_negative_confidence):
        return "passive"
    return _BY_LABEL[label]


def categorize_result(classification: Any, rating: int | None, policy: NpsPolicy) -> str:
    """The category of a `Classification` (None: unscored) and an optional star rating."""
    if classification is None:
        return categorize(None, None, rating, policy)
    return categorize(classification.label, classification.confidence, rating, policy, classification.complaint)


def stored_category(label: str | None, probs: tuple[float | None, ...], complaint: float | None,
                    rating: int | None, policy: NpsPolicy) -> str:
    """The category `policy` gives a stored classification (label, its three probabilities, complaint, stars): what
    classifying the text again would give, without the model. Imported labels have no probabilities."""
    known = label is not None and None not in probs
    confidence = probs[LABELS.index(label)] if known else None
    return categorize(label, confidence, rating, policy, complaint)


def policy_fingerprint(policy: NpsPolicy) -> str:
    """The mapping's settings as one stable string: stored categories follow the mapping whose fingerprint is kept."""
    return json.dumps(asdict(policy), sort_keys=True)


def net_sentiment_score(categories: Iterable[str]) -> float | None:
    """%promoters - %detractors over the scored mentions of a set (-100..+100), None when none is scored."""
    counts = {name: 0 for name in CATEGORIES}
    for category in categories:
        if category in counts:
            counts[category] += 1
    total = sum(counts.values())
    if not total:
        return None
    return 100.0 * (counts["promoter"] - counts["detractor"]) / total
