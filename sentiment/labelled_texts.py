"""Labelled texts beyond TweetEval for `sentiment train --extra`: the reviews a store holds with their stars, say.

A file is JSON Lines, CSV or TSV (by its suffix) with a `text` field and either a `label` (negative, neutral,
positive) or a `rating` of 1-5 stars (1-2 negative, 3 neutral, 4-5 positive: the sentiment of the stars, where the
NPS mapping, stricter, makes only 5 a promoter).
`brandpulse query --columns text,rating --format jsonl` writes such a file from the store.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from brandpulse.sentiment.base import LABELS, SentimentError


def stars_label(rating: float) -> int:
    """The label index of a 1-5 star rating."""
    if not 1 <= rating <= 5:
        raise ValueError(f"a rating is 1-5 stars, not {rating:g}")
    return 0 if rating < 3 else (1 if rating < 4 else 2)


def row_label(row: dict) -> int | None:
    """The row's label index from `label` or else `rating`; None when it has neither (a review without stars)."""
    label = row.get("label")
    if label not in (None, ""):
        name = str(label).strip().lower()
        if name not in LABELS:
            raise ValueError(f"label {label!r} is not one of {', '.join(LABELS)}")
        return LABELS.index(name)
    rating = row.get("rating")
    if rating in (None, ""):
        return None
    try:
        stars = float(rating)
    except (TypeError, ValueError):
        raise ValueError(f"rating {rating!r} is not a number") from None
    return stars_label(stars)


def read_rows(path: Path) -> list[tuple[int, dict]]:
    """The rows of a .jsonl, .csv or .tsv file (a byte-order mark is skipped) as (line number, row) pairs; line
    numbers count the file's lines (a CSV header is line 1). Malformed JSON or another suffix is a SentimentError."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        if path.suffix.lower() == ".jsonl":
            rows = []
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError as exc:
                    raise SentimentError(f"{path}:{number}: not a JSON object ({exc})") from None
                if not isinstance(row, dict):
                    raise SentimentError(f"{path}:{number}: not a JSON object")
                rows.append((number, row))
            return rows
        if path.suffix.lower() not in (".csv", ".tsv"):
            raise SentimentError(f"{path}: expected a .jsonl, .csv or .tsv file")
        reader = csv.DictReader(f, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
        return [(reader.line_num, row) for row in reader]


def read_labelled(path: Path) -> list[tuple[str, int]]:
    """The file's (text, label index) pairs; rows without a text or without a label or rating are skipped, a bad
    label or rating is a SentimentError naming the line, and so is a file with no labelled text at all."""
    try:
        rows = read_rows(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise SentimentError(f"labelled texts {path}: cannot read it as UTF-8 text ({exc})") from None
    labelled = []
    for number, row in rows:
        text = str(row.get("text") or "").strip()
        try:
            label = row_label(row)
        except ValueError as exc:
            raise SentimentError(f"{path}:{number}: {exc}") from None
        if text and label is not None:
            labelled.append((text, label))
    if not labelled:
        raise SentimentError(f"labelled texts {path}: no row has a text and a label (negative, neutral, positive) "
                             "or a rating (1-5 stars)")
    return labelled
