"""The classification record, the sentiment errors and the offline switch for Hugging Face libraries."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

LABELS = ("negative", "neutral", "positive")
# Held while transformers builds a model: it resolves its names lazily, and two threads doing so at once can fail one
# with "cannot import name 'AutoModelForSequenceClassification'" (`check` loads every configured model at once).
HF_LOADING = threading.Lock()


class SentimentError(Exception):
    """Base of every error raised by the sentiment stage."""


@dataclass(frozen=True)
class Classification:
    """A text's sentiment: the label, the three probabilities (negative, neutral, positive) and the model.

    `complaint` is the probability that the text is a complaint (0.5 is the decision threshold), None when the
    model has no complaint head.
    """

    label: str
    probs: tuple[float, float, float]
    model: str
    model_version: str
    complaint: float | None = None

    @property
    def score(self) -> float:
        """Polarity in [-1, 1]: p(positive) - p(negative)."""
        return self.probs[2] - self.probs[0]

    @property
    def confidence(self) -> float:
        """Probability of the chosen label."""
        return self.probs[LABELS.index(self.label)]


def offline() -> None:
    """Forbid Hugging Face hub downloads and silence its progress bars, before transformers loads anything."""
    # Run-time downloads fail on air-gapped servers; make that a clear local error instead of a hang.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    # Weight-loading progress bars are noise in a service's logs.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def quiet_transformers() -> None:
    """Silence transformers' own progress bars and warnings (imports transformers: call where it is used anyway)."""
    offline()
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
