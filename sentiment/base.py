"""The classification record and the sentiment errors."""

from __future__ import annotations

from dataclasses import dataclass

LABELS = ("negative", "neutral", "positive")


class SentimentError(Exception):
    """Base of every error raised by the sentiment stage."""


@dataclass(frozen=True)
class Classification:
    """A text's sentiment: the label, the three probabilities (negative, neutral, positive) and the model."""

    label: str
    probs: tuple[float, float, float]
    model: str
    model_version: str

    @property
    def score(self) -> float:
        """Polarity in [-1, 1]: p(positive) - p(negative)."""
        return self.probs[2] - self.probs[0]

    @property
    def confidence(self) -> float:
        """Probability of the chosen label."""
        return self.probs[LABELS.index(self.label)]
