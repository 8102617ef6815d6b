"""What a spike is about: its themes against the baseline, its complaints, its top posts to answer one per
near-duplicate group (complaints first, the largest groups first)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from brandpulse.alerts.background import bundled_background, in_background_language
from brandpulse.alerts.complaints_first import complaint_figures, complaints_first, flagged, is_complaint
from brandpulse.alerts.neardup import GROUPS_COUNTED, SIMILAR_IDS, largest_groups
from brandpulse.alerts.themes import theme_terms, themes

TOP_THEMES = 5
# Groups of posts to answer an alert lists (its email; the chat message shows its first few): support works from the
# email, and 5 left 6 of 18 posts of the demo's storm out of it. The rest is counted (`unlisted`), with its command.
TOP_GROUPS = 20
# A storm's themes changed when its three leading terms (those its email's About line names) are no longer the same set.
COMPARED_THEMES = 3


def themes_by_count(found: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Themes (JSON objects) by their count in the window, by score on a tie, as the digest lists them: listed by
    score, the counts beside them read as a miscount (`About: double charged (5 posts), twice (7 posts), billing (6
    posts)`). The themes are still the `TOP_THEMES` scoring highest; the first is the most frequent of them."""
    return sorted(found, key=lambda t: (-_figure(t, "count"), -_figure(t, "score")))


def _figure(theme: Mapping[str, Any], key: str) -> float:
    # A hand-edited or truncated alert's theme may lack a figure: it goes last rather than failing the email.
    value = theme.get(key)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else float("-inf")


def spike_evidence(
    window: Sequence[Mapping[str, Any]], baseline_texts: Sequence[str], keywords: Iterable[str],
    complaint_threshold: float, top: int = TOP_GROUPS, answered: int | None = None,
) -> dict[str, Any]:
    """`themes` (the top 5 by score as JSON objects, listed by count: `themes_by_count`), `detractors`, `complaints`
    and how many of those are not detractors (`passive_complaints`), how many detractors have no complaint
    probability (`complaint_unknown`), how many posts to answer were marked answered (`answered`), and
    `top_mentions` (one per near-duplicate group of the posts still to answer, with `similar`, the ids of up to 10
    of them, `similar_ids`, `is_complaint` and `complaints`: how many of its group are; the `top` first groups) of a
    window, and `unlisted`: the `posts` still to answer in no group listed, and how many `groups` they make (None
    past GROUPS_COUNTED in all).

    `window` is the window's posts to answer (text, score, complaint, category, lang, ...): its detractor mentions
    and its other complaints (a 4-star review the head reads as one is passive, yet it needs an answer and `stats`
    counts it); a mention without a category is a detractor. Themes are the detractors' (the rule's count);
    `baseline_texts` the same brand's detractor texts of the baseline period. Complaint groups come first, each part
    largest group first (what the storm is made of, not the one most negative post), then the most negative. A post
    with an `answered_by` is in every count but no top mention: support works from the list of what is left.
    `answered`, when given, is the store's count of them, exact where `window` is a sample of a larger storm.
    """
    detractors = [m for m in window if m.get("category", "detractor") == "detractor"]
    found = themes([m["text"] or "" for m in detractors], baseline_texts, keywords, TOP_THEMES, bundled_background(),
                   [in_background_language(m.get("lang")) for m in detractors])
    # Among complaint (or other) groups of one size, the most negative first.
    # Nobody marked them: the mark (None) is left out of what the alert stores.
    still_open = [{k: v for k, v in m.items() if k != "answered_by"} for m in window if not m.get("answered_by")]
    groups = largest_groups(complaints_first(still_open, complaint_threshold), GROUPS_COUNTED,
                            lambda group: is_complaint(group, complaint_threshold), ids=SIMILAR_IDS,
                            complaints=lambda m: is_complaint(m, complaint_threshold))
    largest, unlisted = listed_groups(still_open, groups, top)
    return {"themes": themes_by_count(t.as_dict() for t in found), **complaint_figures(window, complaint_threshold),
            "answered": len(window) - len(still_open) if answered is None else answered,
            "top_mentions": flagged(largest, complaint_threshold), "unlisted": unlisted}


def listed_groups(posts: Sequence[Mapping[str, Any]], groups: list[dict[str, Any]],
                  top: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The `top` first of `groups` (of `posts`, as `largest_groups` gives them up to GROUPS_COUNTED), and `unlisted`:
    the `posts` in no group listed and how many `groups` they make (None past GROUPS_COUNTED in all)."""
    largest = groups[:top]
    # Past GROUPS_COUNTED groups the later ones are not told apart: their number is not known (None).
    return largest, {"posts": len(posts) - sum(1 + group["similar"] for group in largest),
                     "groups": len(groups) - len(largest) if len(groups) < GROUPS_COUNTED else None}


def themes_change(previous: Sequence[str], current: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """How an update's themes compare with those last reported: `changed`, the `previous` terms, the `new` ones, each
    by count (as the About lines name them)."""
    terms = theme_terms(themes_by_count(current))
    changed = set(terms[:COMPARED_THEMES]) != set(previous[:COMPARED_THEMES])
    return {"changed": changed, "previous": list(previous), "new": [t for t in terms if t not in previous]}
