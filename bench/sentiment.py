"""Benchmark: brandpulse's sentiment model vs VADER on TweetEval val: quality, tweets/s, load time, peak RSS.

Run by hand from the repository root: `python bench/sentiment.py [--data ../shared/data/tweeteval] [--repeat 3]
[--previous OLD/minilm-tweeteval.safetensors]` (the previous model's weights, run the same way in the same run).
Each system runs in its own child process so that its load time and peak RSS are its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from inputs import require  # bench/, first on the path of a script run by hand

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from brandpulse.sentiment.base import LABELS  # noqa: E402
from brandpulse.sentiment.evaluation import read_split, score  # noqa: E402


def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()

    def classify(texts):
        # VADER's documented thresholds: compound >= 0.05 positive, <= -0.05 negative.
        out = []
        for text in texts:
            compound = analyzer.polarity_scores(text)["compound"]
            out.append(2 if compound >= 0.05 else 0 if compound <= -0.05 else 1)
        return out

    return classify


def _brandpulse(weights: Path | None = None):
    from brandpulse.sentiment import load_classifier

    model = load_classifier(weights=weights)
    return lambda texts: [LABELS.index(r.label) for r in model.classify(texts)]


def _naive():
    from brandpulse.sentiment import load_classifier

    model = load_classifier(backend="torch")
    # The reference point for speed: fp32 torch, one text per forward pass, no batching.
    return lambda texts: [LABELS.index(model.classify([t])[0].label) for t in texts]


NAIVE_TEXTS = 300  # the naive loop is slow; its speed is measured on the first tweets only


def measure(system: str, data: Path, repeat: int, previous: Path | None) -> dict:
    """Load `system`, classify val `repeat` times; quality, best tweets/s, load s, peak RSS MB."""
    texts, gold = read_split(data / "val_text.txt", data / "val_labels.txt")
    started = time.perf_counter()
    loaders = {"brandpulse": _brandpulse, "previous": lambda: _brandpulse(previous), "vader": _vader, "naive": _naive}
    classify = loaders[system]()
    if system == "naive":
        texts, gold = texts[:NAIVE_TEXTS], gold[:NAIVE_TEXTS]
    load = time.perf_counter() - started
    best = 0.0
    for _ in range(repeat):
        started = time.perf_counter()
        predicted = classify(texts)
        best = max(best, len(texts) / (time.perf_counter() - started))
    s = score(gold, predicted)
    return {"system": system, "macro_recall": s.macro_recall, "macro_f1": s.macro_f1, "accuracy": s.accuracy,
            "tweets_per_s": best, "load_s": load, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared/data/tweeteval")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--previous", type=Path, help="the previous model's weights file, measured the same way")
    parser.add_argument("--only", choices=["brandpulse", "previous", "vader", "naive"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    require(parser, args.previous, args.data)  # the path given first
    if args.only:
        print(json.dumps(measure(args.only, args.data, args.repeat, args.previous)))
        return
    rows = []
    systems = ("brandpulse", "vader", "naive") + (("previous",) if args.previous else ())
    for system in systems:
        extra = ["--previous", str(args.previous)] if args.previous else []
        child = subprocess.run([sys.executable, __file__, "--only", system, "--data", str(args.data),
                                "--repeat", str(args.repeat), *extra], check=True, capture_output=True, text=True)
        rows.append(json.loads(child.stdout.strip().splitlines()[-1]))
    print(f"TweetEval sentiment val ({args.data}), best of {args.repeat} passes")
    print(f"{'system':<11} {'macro-recall':>12} {'macro-F1':>9} {'accuracy':>9} {'tweets/s':>9} {'load s':>7} {'RSS MB':>7}")
    for r in rows:
        print(f"{r['system']:<11} {r['macro_recall']:>12.2f} {r['macro_f1']:>9.2f} {r['accuracy']:>9.2f} "
              f"{r['tweets_per_s']:>9.0f} {r['load_s']:>7.2f} {r['rss_mb']:>7.0f}")
    ours, vader, naive = rows[:3]
    print(f"(naive: fp32 torch one tweet at a time, on the first {NAIVE_TEXTS} tweets, as a yardstick for the load on"
          " the machine during this run)")
    print(f"brandpulse vs VADER: macro-recall {ours['macro_recall'] - vader['macro_recall']:+.2f} points, "
          f"speed x{ours['tweets_per_s'] / vader['tweets_per_s']:.2f}; vs the naive loop: "
          f"speed x{ours['tweets_per_s'] / naive['tweets_per_s']:.1f}")
    if args.previous:
        old = rows[3]
        gain = ours["macro_recall"] - old["macro_recall"]
        print(f"brandpulse vs the previous model ({args.previous}): macro-recall {gain:+.2f} points, "
              f"speed x{ours['tweets_per_s'] / old['tweets_per_s']:.2f}")


if __name__ == "__main__":
    main()
