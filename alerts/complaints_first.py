"""Complaints first: the posts support has to answer come before those that are only negative.

A polite complaint ("any update on my order? it was due on the 15th") reads mildly negative, so a list ordered by
score alone puts it below every rant. The threshold is the complaint head's decision threshold, passed in by the
caller (the sentiment stage owns it). A promoter is never a complaint here: the NPS mapping made it one because a
confident positive label or five stars overruled the head ("never disappoints ... perfect" reads 0.5-0.6 to the head,
which takes "never" for a cue).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

M = TypeVar("M", bound=Mapping[str, Any])


def is_complaint(mention: Mapping[str, Any], threshold: float) -> bool:
    """Whether the mention's complaint probability reaches `threshold` and it is no promoter; no probability (no head,
    unscored) is not."""
    probability = mention.get("complaint")
    return probability is not None and probability >= threshold and mention.get("category") != "promoter"


def flagged(mentions: Iterable[M], threshold: float) -> list[dict[str, Any]]:
    """The mentions as dicts with `is_complaint`, as alerts and digests list them."""
    return [{**m, "is_complaint": is_complaint(m, threshold)} for m in mentions]


def complaint_count(mentions: Iterable[Mapping[str, Any]], threshold: float) -> int:
    """How many of `mentions` are complaints."""
    return sum(is_complaint(m, threshold) for m in mentions)


def complaint_figures(mentions: Sequence[Mapping[str, Any]], threshold: float) -> dict[str, int]:
    """How alerts and digests count the posts to answer: `detractors` (a mention without a category is one),
    `complaints`, how many of those are no detractor (`passive_complaints`: a 4-star review the head reads as one) and
    how many detractors have no complaint probability (`complaint_unknown`)."""
    detractors = [m for m in mentions if m.get("category", "detractor") == "detractor"]
    complaints = complaint_count(mentions, threshold)
    # Labels imported without one, or a model without a complaint head: no complaint is not "not a complaint".
    return {"detractors": len(detractors), "complaints": complaints,
            "passive_complaints": complaints - complaint_count(detractors, threshold),
            "complaint_unknown": sum(1 for m in detractors if m.get("complaint") is None)}


def complaints_first(mentions: Sequence[M], threshold: float) -> list[M]:
    """The complaints, then the others, each part most negative first (a missing score as 0; ties keep their order)."""
    def key(m: M) -> tuple[bool, float]:
        score = m.get("score")
        return not is_complaint(m, threshold), 0.0 if score is None else score

    return sorted(mentions, key=key)
