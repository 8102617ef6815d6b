"""Benchmark: each brand of a post naming two, read in the whole post, in its own clauses (`sentiment.targets`
without comparisons, as before), or with comparisons read opposite (as now): per-brand accuracy of the label and of
the NPS category, on bench/data/brand_targets.tsv and bench/data/brand_comparatives.tsv, each set apart.

Run by hand from the repository root: `python bench/brand_targets.py [--data FILE ...]`.
The sets (72 posts, then 24 comparative ones added later) were written and labelled by hand before any model read
them; see bench/data/BRAND_TARGETS.md.
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
from brandpulse.sentiment.targets import (  # noqa: E402
    BrandPost, BrandTargets, BrandTerms, BrandText, brand_texts, opposed)

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


def read_per_brand(model, copies: list[BrandPost], targets: BrandTargets, whole: list) -> list:
    """The readings of `copies`: `whole`, with each copy's own text read instead where it has one."""
    own = brand_texts(copies, targets)
    extra = [i for i, text in enumerate(own) if text is not None and text != BrandText(copies[i].text)]
    readings = list(whole)
    for i, reading in zip(extra, model.classify([own[i].text for i in extra])):
        readings[i] = opposed(reading) if own[i].opposite else reading
    return readings


def report(path: Path, model, policy: NpsPolicy) -> None:
    """Print the three ways of reading the set at `path`, and what comparisons changed."""
    posts = read_set(path)
    brands = sorted({brand for _, labels in posts for brand in labels})
    terms = [BrandTerms(b, (b, "@" + b.lower())) for b in brands]
    copies = [BrandPost(text, brand) for text, labels in posts for brand in labels]
    gold = [labels[brand] for text, labels in posts for brand in labels]
    whole = model.classify([c.text for c in copies])
    before = read_per_brand(model, copies, BrandTargets(terms, comparisons=False), whole)
    after = read_per_brand(model, copies, BrandTargets(terms), whole)
    print(f"{path.name}: {len(posts)} posts, {len(copies)} brand readings")
    for name, readings in (("whole post", whole), ("own clauses (before)", before),
                           ("with comparisons (after)", after)):
        labels = sum(r.label == g for r, g in zip(readings, gold))
        cats = sum(categorize_result(r, None, policy) == CATEGORY[g] for r, g in zip(readings, gold))
        split = sum(a.label != b.label for a, b in zip(readings[::2], readings[1::2]))
        print(f"  {name}: label accuracy {labels}/{len(gold)} = {labels / len(gold):.1%}, category "
              f"{cats}/{len(gold)} = {cats / len(gold):.1%}, posts whose two brands get different labels: {split}")
    changes = Counter((a.label == g, b.label == g) for a, b, g in zip(before, after, gold))
    print(f"  before -> after: right both {changes[True, True]}, fixed {changes[False, True]}, "
          f"broken {changes[True, False]}, wrong both {changes[False, False]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, nargs="+", default=[REPO / "bench" / "data" / "brand_targets.tsv",
                                                                  REPO / "bench" / "data" / "brand_comparatives.tsv"])
    args = parser.parse_args()
    require(parser, *args.data)
    model, policy = load_classifier(), NpsPolicy()
    for path in args.data:
        report(path, model, policy)


if __name__ == "__main__":
    main()
