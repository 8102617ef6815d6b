"""Benchmark of issue 12: complaints (leave-one-domain-out) and TweetEval val, for the shipped model and a previous one.

Run by hand from the repository root:
    python bench/complaints.py [--shared ../shared] [--previous OLD/minilm-tweeteval.safetensors]
        [--weights NEW/minilm-tweeteval.safetensors] [--grid]
`--previous` names another training's weights, with its complaint head beside them (for example the files of an
earlier commit: `git show COMMIT:sentiment/weights/FILE > OLD/FILE` for the four files). Each model is read as
`brandpulse classify` reads it: its encoder, its head fitted here with the recipe recorded in its metadata, the NPS
mapping with complaints_are_detractors on. The "no head" column is the shipped encoder with no complaint head (a
detractor is a confident negative label). All figures are fitted and measured in this run.
`--weights` measures another training as "now" instead of the shipped one.
`--grid` also prints the leave-one-domain-out mean of the "now" encoder for each recipe of a grid of the two
halves' strengths (c x word_c): how the shipped recipe was chosen. Reviews are measured by bench/reviews.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from inputs import require  # bench/, first on the path of a script run by hand

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from brandpulse.sentiment.base import LABELS  # noqa: E402
from brandpulse.sentiment.evaluation import read_split, score  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
GRID_C = (0.01, 0.03, 0.1)
GRID_WORD_C = (0.25, 0.5, 1.0, 2.0)


def recipe_of(weights: Path):
    """The complaint-head recipe recorded beside `weights` (the defaults where the file is missing)."""
    from brandpulse.sentiment.complaints import HeadRecipe
    from brandpulse.sentiment.files import complaint_head_path

    meta = complaint_head_path(weights).with_suffix(".json")
    if not meta.exists():
        print(f"warning: no {meta.name} beside {weights}: its head is fitted with today's recipe", file=sys.stderr)
        return HeadRecipe()
    return replace(HeadRecipe(), **json.loads(meta.read_text(encoding="utf-8")).get("recipe", {}))


def encoded(weights: Path, examples):
    """Pooled vectors, normalised texts and sentiment (label, confidence) of the examples under `weights`."""
    from transformers import AutoTokenizer

    from brandpulse.sentiment import network
    from brandpulse.sentiment.complaint_training import encode, labels_of
    from brandpulse.sentiment.normalize import normalize

    features, probs = encode(network.load(weights), AutoTokenizer.from_pretrained(network.base_path()),
                             [e.text for e in examples])
    return features, [normalize(e.text) or "." for e in examples], labels_of(probs)


def _triple(values) -> str:
    return " ".join(f"{v:>5.1f}" for v in values)


def _mean(rows) -> list[float]:
    return [sum(col) / len(rows) for col in zip(*rows)]


def complaints(models: dict[str, Path], examples) -> None:
    """Leave-one-domain-out per model (its head refitted with its own recipe), and the shipped encoder with no head."""
    from brandpulse.sentiment.complaints import is_detractor, leave_one_domain_out, macro_f1, share_of

    columns: dict[str, dict[str, tuple]] = {}
    for name, weights in models.items():
        features, texts, sentiment = encoded(weights, examples)
        recipe = recipe_of(weights)
        reports = leave_one_domain_out(features, texts, examples, sentiment, recipe)
        columns[name] = {r.domain: (r.macro_f1, r.complaints_detractors, r.others_detractors) for r in reports}
        print(f"{name}: {weights} (head c {recipe.c}, word_c {recipe.word_c})")
        if name == "now":
            no_head = {}
            for r in reports:
                held = [i for i, e in enumerate(examples) if e.domain == r.domain]
                gold = [examples[i].complaint for i in held]
                flags = [is_detractor(*sentiment[i]) for i in held]
                no_head[r.domain] = (macro_f1(gold, flags), share_of(flags, gold, True), share_of(flags, gold, False))
    columns = {"no head": no_head, **columns}
    print("\nComplaints, tweets to companies, each domain held out in turn: F1 / complaints as detractors % / "
          "others as detractors %")
    print(f"{'domain':<9} | " + " | ".join(f"{name:>17}" for name in columns))
    for domain in columns["now"]:
        print(f"{domain:<9} | " + " | ".join(_triple(column[domain]) for column in columns.values()))
    print(f"{'mean':<9} | " + " | ".join(_triple(_mean(list(column.values()))) for column in columns.values()))
    print("(no head: a detractor is a negative label with confidence >= 0.5, its F1 is that flag's; the heads: both "
          "halves at the threshold cross-validated to keep the others under 13%)")


def grid(weights: Path, examples) -> None:
    """The leave-one-domain-out mean of each recipe of the grid, on the encoder of `weights`."""
    from brandpulse.sentiment.complaints import leave_one_domain_out

    features, texts, sentiment = encoded(weights, examples)
    base = recipe_of(weights)
    print(f"\nRecipe grid on {weights}: leave-one-domain-out mean F1 / complaints % / others %")
    for c in GRID_C:
        for word_c in GRID_WORD_C:
            reports = leave_one_domain_out(features, texts, examples, sentiment, replace(base, c=c, word_c=word_c))
            mean = _mean([(r.macro_f1, r.complaints_detractors, r.others_detractors) for r in reports])
            print(f"  c {c:<5} word_c {word_c:<5} {_triple(mean)}", flush=True)


def tweeteval(models: dict[str, Path], data: Path) -> None:
    """Macro-recall on TweetEval val of each model, as `brandpulse classify` runs it."""
    from brandpulse.sentiment import load_classifier

    texts, gold = read_split(data / "val_text.txt", data / "val_labels.txt")
    print()
    for name, weights in models.items():
        s = score(gold, [LABELS.index(r.label) for r in load_classifier(weights=weights).classify(texts)])
        print(f"TweetEval val, {name}: macro-recall {s.macro_recall:.2f}, macro-F1 {s.macro_f1:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--previous", type=Path, help="weights of the previous model (its complaint head beside them)")
    parser.add_argument("--weights", type=Path, help="weights measured as now (default: the shipped ones)")
    parser.add_argument("--grid", action="store_true", help="also the recipe grid on the encoder measured as now")
    args = parser.parse_args()
    require(parser, args.shared / 'data/complaints/train.tsv', args.previous, args.weights)

    from brandpulse.sentiment.classifier import bundled_weights
    from brandpulse.sentiment.complaints import read_examples

    models = {"now": args.weights or bundled_weights(), **({"previous": args.previous} if args.previous else {})}
    examples = read_examples(args.shared / "data/complaints/train.tsv")
    complaints(models, examples)
    tweeteval(models, args.shared / "data/tweeteval")
    if args.grid:
        grid(models["now"], examples)


if __name__ == "__main__":
    main()
