"""Benchmark of issue 12: complaints (leave-one-domain-out) and TweetEval val; previous vs now.

Run by hand from the repository root:
    python bench/complaints.py [--shared ../shared]
Reviews (score vs stars) are measured by bench/reviews.py.
"Previous" is the model before the complaint head: the same encoder and sentiment head (they did not change), so
a detractor is a confident negative label only. "Now" adds the complaint head with complaints_are_detractors on.
Both are measured in this run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from brandpulse.sentiment.base import LABELS  # noqa: E402
from brandpulse.sentiment.evaluation import read_split, score  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def complaints(model, data: Path) -> None:
    """Leave-one-domain-out: the head's figures, against the sentiment-only detractors of the previous model."""
    from transformers import AutoTokenizer

    from brandpulse.sentiment import network
    from brandpulse.sentiment.classifier import bundled_weights
    from brandpulse.sentiment.complaint_training import encode, labels_of
    from brandpulse.sentiment.complaints import is_detractor, leave_one_domain_out, macro_f1, read_examples

    examples = read_examples(data)
    features, probs = encode(network.load(bundled_weights()), AutoTokenizer.from_pretrained(network.base_path()),
                             [e.text for e in examples])
    sentiment = labels_of(probs)
    previous = [is_detractor(label, confidence) for label, confidence in sentiment]
    print(f"Complaints ({data}), tweets to companies, each domain held out in turn")
    print(f"{'domain':<9} {'tweets':>6} | {'previous: F1':>12} {'compl.det%':>10} {'others det%':>11} | "
          f"{'now: F1':>8} {'compl.det%':>10} {'others det%':>11} {'thr':>5}")
    rows = []
    for r in leave_one_domain_out(features, examples, sentiment):
        held = [i for i, e in enumerate(examples) if e.domain == r.domain]
        gold = [examples[i].complaint for i in held]
        flags = [previous[i] for i in held]
        before = (macro_f1(gold, flags), _share(flags, gold, True), _share(flags, gold, False))
        rows.append((*before, r.macro_f1, r.complaints_detractors, r.others_detractors))
        print(f"{r.domain:<9} {r.tweets:>6} | {before[0]:>12.1f} {before[1]:>10.1f} {before[2]:>11.1f} | "
              f"{r.macro_f1:>8.1f} {r.complaints_detractors:>10.1f} {r.others_detractors:>11.1f} {r.threshold:>5.2f}")
    mean = [sum(col) / len(rows) for col in zip(*rows)]
    print(f"{'mean':<9} {'':>6} | {mean[0]:>12.1f} {mean[1]:>10.1f} {mean[2]:>11.1f} | "
          f"{mean[3]:>8.1f} {mean[4]:>10.1f} {mean[5]:>11.1f}")
    print("(previous: a detractor is a negative label with confidence >= 0.5, its F1 is that flag's; now: the head's F1 "
          "at its CV threshold, a detractor is a complaint not confidently positive, or a confident negative)")


def _share(flags, gold, cls) -> float:
    chosen = [f for f, g in zip(flags, gold) if g == cls]
    return 100 * sum(chosen) / len(chosen)


def tweeteval(model, data: Path) -> None:
    """Macro-recall on TweetEval val (the sentiment head is the previous one: same figure for both)."""
    texts, gold = read_split(data / "val_text.txt", data / "val_labels.txt")
    s = score(gold, [LABELS.index(r.label) for r in model.classify(texts)])
    print(f"\nTweetEval val: macro-recall {s.macro_recall:.2f}, macro-F1 {s.macro_f1:.2f} (previous = now: the encoder "
          "and sentiment head are unchanged)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = parser.parse_args()
    from brandpulse.sentiment import load_classifier

    model = load_classifier()
    complaints(model, args.shared / "data/complaints/train.tsv")
    tweeteval(model, args.shared / "data/tweeteval")


if __name__ == "__main__":
    main()
