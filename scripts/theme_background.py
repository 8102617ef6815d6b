"""Build the themes' general background (alerts/data/theme_background.json.gz) from TweetEval's training split:

    python scripts/theme_background.py [--data ../shared/data/tweeteval] [--out alerts/data/theme_background.json.gz]

The background is the negative tweets' term counts (1-3 grams by stem, those in at least two tweets), the nearest a
general corpus comes to a brand's own detractor baseline. The same data gives the same bytes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from brandpulse.alerts.background import BACKGROUND_FILE, save_background
from brandpulse.alerts.themes import background_counts
from brandpulse.sentiment.evaluation import read_split

NEGATIVE = 0  # TweetEval's label for a negative tweet (mapping.txt)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/tweeteval")
    parser.add_argument("--out", type=Path, default=BACKGROUND_FILE)
    args = parser.parse_args()
    texts, labels = read_split(args.data / "train_text.txt", args.data / "train_labels.txt")
    negative = [text for text, label in zip(texts, labels) if label == NEGATIVE]
    background = background_counts(negative)
    save_background(background, args.out)
    grams = ", ".join(f"{len(c):,}" for c in background.counts)
    print(f"{args.out}: {background.texts:,} tweets; {grams} grams of order 1, 2, 3; {args.out.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
