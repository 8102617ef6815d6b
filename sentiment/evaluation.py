"""Metrics for 3-class sentiment: macro-averaged recall (TweetEval's official metric), macro-F1, accuracy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from brandpulse.sentiment.base import LABELS, SentimentError


@dataclass(frozen=True)
class Scores:
    """Quality of predictions against gold labels; percentages, and confusion[gold][predicted] counts."""

    macro_recall: float
    macro_f1: float
    accuracy: float
    confusion: tuple[tuple[int, ...], ...]


def score(gold: Sequence[int], predicted: Sequence[int], classes: int = len(LABELS)) -> Scores:
    """Scores of `predicted` class indices against `gold` ones."""
    if len(gold) != len(predicted) or not gold:
        raise SentimentError(f"cannot score {len(predicted)} predictions against {len(gold)} labels")
    confusion = [[0] * classes for _ in range(classes)]
    for g, p in zip(gold, predicted):
        confusion[g][p] += 1
    recalls, f1s = [], []
    for c in range(classes):
        tp = confusion[c][c]
        actual = sum(confusion[c])
        chosen = sum(row[c] for row in confusion)
        recalls.append(tp / actual if actual else 0.0)
        f1s.append(2 * tp / (actual + chosen) if actual + chosen else 0.0)
    correct = sum(confusion[c][c] for c in range(classes))
    return Scores(100 * sum(recalls) / classes, 100 * sum(f1s) / classes, 100 * correct / len(gold),
                  tuple(tuple(row) for row in confusion))


def read_split(text_file: Path, label_file: Path) -> tuple[list[str], list[int]]:
    """TweetEval-format files: one text per line, and one label (0 negative, 1 neutral, 2 positive) per line."""
    texts = text_file.read_text(encoding="utf-8").split("\n")
    labels_text = label_file.read_text(encoding="utf-8").split()
    if texts and texts[-1] == "":
        texts.pop()
    try:
        labels = [int(x) for x in labels_text]
    except ValueError as exc:
        raise SentimentError(f"{label_file}: labels must be 0, 1 or 2, one per line ({exc})") from exc
    if len(texts) != len(labels):
        raise SentimentError(f"{text_file} has {len(texts)} lines but {label_file} has {len(labels)} labels")
    if any(label not in (0, 1, 2) for label in labels):
        raise SentimentError(f"{label_file}: labels must be 0 (negative), 1 (neutral) or 2 (positive)")
    return texts, labels


def format_scores(scores: Scores) -> str:
    """A human-readable report: the three metrics and the confusion matrix."""
    lines = [
        f"macro-recall {scores.macro_recall:.2f}  macro-F1 {scores.macro_f1:.2f}  accuracy {scores.accuracy:.2f}",
        "confusion (rows gold, columns predicted):",
        "            " + " ".join(f"{name:>9}" for name in LABELS),
    ]
    for name, row in zip(LABELS, scores.confusion):
        lines.append(f"  {name:>9} " + " ".join(f"{n:>9}" for n in row))
    return "\n".join(lines)
