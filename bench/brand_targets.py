"""Benchmark: each brand of a post naming two, read in the whole post (as before) or in its own clauses
(`sentiment.targets`): per-brand accuracy of the label and of the NPS category, on bench/data/brand_targets.tsv.

Run by hand from the repository root: `python bench/brand_targets.py [--data bench/data/brand_targets.tsv]`.
The set (72 posts, 144 brand readings) was written and labelled by hand before any model read it; see
bench/data/BRAND_TARGETS.md.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from inputs import require  # bench/, first on the path of a script run by hand

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from brandpulse.sentiment import NpsPolicy, load_classifier  # noqa: E402
from brandpulse.sentiment.nps import categorize_result  # noqa: E402
from brandpulse.sentiment.targets import BrandPost, BrandTargets, BrandTerms, brand_texts  # noqa: E402

# The NPS category a hand label stands for (a negative post is a detractor's, a neutral one a passive's).
CATEGORY = {"negative": "detractor", "neutral": "passive", "positive": "promoter"}


def read_set(path: Path) -> list[tuple[str, dict[str, str]]]:
    """The posts and their labels per brand."""
    posts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text, labels = line.split("\t")
            posts.append((text, dict(pair.split("=") for pair in labels.split(";"))))
    return posts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "bench" / "data" / "brand_targets.tsv")
    args = parser.parse_args()
    require(parser, args.data)
    posts = read_set(args.data)
    brands = sorted({brand for _, labels in posts for brand in labels})
    targets = BrandTargets([BrandTerms(b, (b, "@" + b.lower())) for b in brands])
    copies = [BrandPost(text, brand) for text, labels in posts for brand in labels]
    gold = [labels[brand] for text, labels in posts for brand in labels]
    model, policy = load_classifier(), NpsPolicy()
    whole = model.classify([c.text for c in copies])
    own = brand_texts(copies, targets)
    extra = [i for i, text in enumerate(own) if text is not None and text != copies[i].text]
    targeted = list(whole)
    for i, reading in zip(extra, model.classify([own[i] for i in extra])):
        targeted[i] = reading
    print(f"{len(posts)} posts, {len(copies)} brand readings; {len(extra)} read in their own clauses")
    for name, readings in (("whole post (before)", whole), ("own clauses (after)", targeted)):
        labels = sum(r.label == g for r, g in zip(readings, gold))
        cats = sum(categorize_result(r, None, policy) == CATEGORY[g] for r, g in zip(readings, gold))
        split = sum(a.label != b.label for a, b in zip(readings[::2], readings[1::2]))
        print(f"{name}: label accuracy {labels}/{len(gold)} = {labels / len(gold):.1%}, category "
              f"{cats}/{len(gold)} = {cats / len(gold):.1%}, posts whose two brands get different labels: {split}")
    changes = Counter((a.label == g, b.label == g) for a, b, g in zip(whole, targeted, gold))
    print(f"right before and after {changes[True, True]}, fixed {changes[False, True]}, "
          f"broken {changes[True, False]}, wrong both {changes[False, False]}")


if __name__ == "__main__":
    main()
