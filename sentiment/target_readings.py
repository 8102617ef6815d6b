"""Combining a post's clauses and comparisons into what to read for each brand, and turning a reading for it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from brandpulse.sentiment.base import Classification
from brandpulse.sentiment.target_clauses import Span, joined
from brandpulse.sentiment.target_sides import Comparisons

_OTHER_SIDE = {"negative": "positive", "positive": "negative"}


@dataclass(frozen=True)
class BrandText:
    """What to read for a brand: a text, whether the brand's reading is that text's with its negative and positive
    sides swapped (the other side of a comparison), and the side a settled switch puts the brand on, if any."""

    text: str
    opposite: bool = False
    side: str | None = None  # "negative" / "positive": the side of a switch the post keeps to (see target_sides)


def opposed(classification: Classification) -> Classification:
    """`classification` with negative and positive swapped, and no complaint: the complaint of a comparison's clause,
    if any, is to the brand it names, not to the one it is compared with."""
    label = {"negative": "positive", "positive": "negative"}.get(classification.label, classification.label)
    negative, neutral, positive = classification.probs
    complaint = None if classification.complaint is None else 0.0
    return replace(classification, label=label, probs=(positive, neutral, negative), complaint=complaint)


def turned(text: BrandText, classification: Classification) -> Classification:
    """The brand's reading from `classification`, the reading of `text.text`: opposed where `text` says so, then, for
    the side of a settled switch or a comparison saying it, the larger of its negative and positive probabilities
    given to that side, or the neutral one where it reads neutral (no complaint of a brand put on the positive side:
    the writer means to stay)."""
    reading = opposed(classification) if text.opposite else classification
    if text.side is None:
        return reading
    negative, neutral, positive = reading.probs
    high, low = max(negative, positive), min(negative, positive)
    # The words say the side, which the model often reads neutral ("could learn a thing or two from Bolt", 0.71).
    if reading.label == "neutral":
        high, neutral = neutral, high
    probs = (high, neutral, low) if text.side == "negative" else (low, neutral, high)
    if probs == reading.probs:
        return reading
    label = text.side
    complaint = 0.0 if text.side == "positive" and reading.complaint is not None else reading.complaint
    return replace(reading, label=label, probs=probs, complaint=complaint)


def combined(text: str, spans: dict[str, list[Span]], found: Comparisons) -> dict[str, BrandText]:
    """For each brand of `spans` (the clauses that speak of it), what to read for it: its clauses, or, for a brand
    named only as the other side of a comparison, the clauses of the brands it is compared with, read opposite."""
    # "..., so I moved to Dash": Dash read opposite to the complaint, unless a clause of its own follows, and on the
    # positive side, the brands complained of on the negative (the complaint is why the writer left them).
    moved = {brand for brand, kind in found.leaning.items() if kind == "moved" and len(spans[brand]) == 1}
    read = {}
    for brand in spans:
        if brand in moved or brand in found.sides and not spans[brand]:
            read[brand] = _opposite(text, brand, spans, found, moved)
        else:
            read[brand] = _own(text, brand, spans, found, moved)
    return read


def _opposite(text: str, brand: str, spans: dict[str, list[Span]], found: Comparisons, moved: set[str]) -> BrandText:
    """The clauses of the brands `brand` is compared with, read opposite, on the side the comparison puts it on."""
    compared = sorted({span for other in found.sides[brand] for span in spans[other]})
    side = "positive" if brand in moved else found.leaning.get(brand)
    return BrandText(_text(text, compared), opposite=True, side=side)


def _own(text: str, brand: str, spans: dict[str, list[Span]], found: Comparisons, moved: set[str]) -> BrandText:
    """`brand`'s own clauses (and those naming it as another's other side), on the side words or a switch put it on:
    its own, else the other side of a brand compared with it and read opposite, else negative for a brand left."""
    leaning, sides = found.leaning, found.sides
    side = leaning.get(brand) if brand not in sides else None
    side = side or next((_OTHER_SIDE[leaning[b]] for b in leaning if leaning[b] in _OTHER_SIDE
                         if brand in sides.get(b, ()) and not spans[b]), None)
    side = side or ("negative" if any(brand in sides[b] for b in moved) else None)  # the brands left
    return BrandText(_text(text, sorted(spans[brand] + found.fragments.get(brand, []))), side=side)


def _text(text: str, spans: Sequence[Span]) -> str:
    # A brand whose clauses cannot be told apart is read in the whole post.
    return joined(text, spans) or text
