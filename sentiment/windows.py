"""How a long text's windows become one reading: which windows are read, and how their probabilities combine."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

# A window that is all neutral still counts a little, so a text whose windows are all neutral has a mean.
_MIN_POLARITY = 1e-6


def read_windows(owners: Sequence[int], limit: int) -> list[bool]:
    """For each window (in text order, `owners[i]` its text), whether it is read: each text's last `limit` windows.

    A long review's verdict tends to come at its end, after the story or the product details, so a text longer than
    `limit` windows loses its beginning rather than its end.
    """
    counts = Counter(owners)
    seen: Counter[int] = Counter()
    read = []
    for owner in owners:
        seen[owner] += 1
        read.append(seen[owner] > counts[owner] - limit)
    return read


def combine_windows(probs: Any, tokens: Any, owners: Any, count: int) -> Any:
    """Per text, the mean of its windows' rows (negative, neutral, positive, then any further columns).

    A window weighs its token count times its polarity, p(negative) + p(positive): windows that only tell the plot
    or describe the product dilute a review's verdict less. A text of one window gets that window's row unchanged.
    """
    import numpy as np

    polarity = np.maximum(probs[:, 0] + probs[:, 2], _MIN_POLARITY)
    weights = np.asarray(tokens, dtype=np.float64) * polarity
    totals = np.zeros((count, probs.shape[1]))
    np.add.at(totals, owners, probs * weights[:, None])
    return totals / np.bincount(owners, weights=weights, minlength=count)[:, None]
