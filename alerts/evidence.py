"""What a spike is about: its themes against the baseline, its complaints, its top mentions one per near-duplicate
group (complaints first)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from brandpulse.alerts.complaints_first import complaint_count, complaints_first, flagged
from brandpulse.alerts.neardup import representatives
from brandpulse.alerts.themes import theme_terms, themes

TOP_THEMES = 5
# A storm's themes changed when its three leading terms are no longer the same set.
COMPARED_THEMES = 3


def spike_evidence(
    window: Sequence[Mapping[str, Any]], baseline_texts: Sequence[str], keywords: Iterable[str],
    complaint_threshold: float, top: int = 5,
) -> dict[str, Any]:
    """`themes` (top 5 JSON objects), `detractors` and how many of them are `complaints`, and `top_mentions` (one
    per near-duplicate group, with `similar` and `is_complaint`; complaints first, then the most negative) of a
    window.

    `window` is the window's detractor mentions (text, score, complaint, ...); `baseline_texts` the same brand's
    detractor texts of the baseline period.
    """
    found = themes([m["text"] or "" for m in window], baseline_texts, keywords, TOP_THEMES)
    return {"themes": [t.as_dict() for t in found], "detractors": len(window),
            "complaints": complaint_count(window, complaint_threshold),
            "top_mentions": flagged(representatives(complaints_first(window, complaint_threshold), top),
                                    complaint_threshold)}


def themes_change(previous: Sequence[str], current: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """How an update's themes compare with those last reported: `changed`, the `previous` terms, the `new` ones."""
    terms = theme_terms(current)
    changed = set(terms[:COMPARED_THEMES]) != set(previous[:COMPARED_THEMES])
    return {"changed": changed, "previous": list(previous), "new": [t for t in terms if t not in previous]}
