"""Benchmark: each brand of a post naming two or more, read in the whole post, in its own clauses (`sentiment.targets`
without comparisons), as `sentiment/targets.py` (and its `target_*.py` modules) of a git revision read them
(--baseline), or as now: per-brand accuracy of the label and of the NPS category, on bench/data/brand_targets.tsv,
brand_comparatives.tsv, brand_clauses.tsv, brand_idioms.tsv, brand_groups.tsv, brand_sided.tsv and brand_unlike.tsv,
each set apart.

Run by hand from the repository root: `python bench/brand_targets.py [--data FILE ...] [--baseline REV]`.
The sets (72 posts, then 24 comparative ones, then 42 more, then 32, then 24, then 20, then 10) were written and
labelled by hand before any model read them; see bench/data/BRAND_TARGETS.md.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tempfile
import types
from collections import Counter
from pathlib import Path

from inputs import require  # bench/, first on the path of a script run by hand

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from brandpulse.sentiment import NpsPolicy, load_classifier  # noqa: E402
from brandpulse.sentiment.nps import categorize_result  # noqa: E402
from brandpulse.sentiment import targets as current  # noqa: E402

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


def targets_at(revision: str, into: Path) -> types.ModuleType:
    """`sentiment/targets.py` as it was at `revision` of this repository, with the `sentiment/target_*.py` modules it
    imports at that revision, written under `into` as a package of their own and loaded from there."""
    package = f"targets_at_{len(sys.modules)}"
    folder = into / package
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("", encoding="utf-8")
    listed = subprocess.run(["git", "-C", str(REPO), "ls-tree", "--name-only", revision, "sentiment/"], check=True,
                            capture_output=True, text=True).stdout.split()
    for path in [p for p in listed if Path(p).name == "targets.py" or Path(p).name.startswith("target_")]:
        source = subprocess.run(["git", "-C", str(REPO), "show", f"{revision}:{path}"], check=True,
                                capture_output=True, text=True).stdout
        # Its own modules as they were at `revision`, not as they are now.
        source = source.replace("brandpulse.sentiment.target_", f"{package}.target_")
        (folder / Path(path).name).write_text(source, encoding="utf-8")
    sys.path.insert(0, str(into))
    return importlib.import_module(f"{package}.targets")


def read_per_brand(model, copies: list, module: types.ModuleType, targets, whole: list) -> list:
    """The readings of `copies` by `module`'s `targets`: `whole`, with each copy's own text read instead where it has
    one, and turned the opposite way where its text says so (as the pipeline does: the current one turns the whole
    post's reading where that is the text, the one before read it again in another batch)."""
    own = module.brand_texts([module.BrandPost(c.text, c.brand) for c in copies], targets)
    turned = [i for i, text in enumerate(own) if text is not None and text != module.BrandText(copies[i].text)]
    extra = [i for i in turned if module is not current or own[i].text != copies[i].text]
    readings = list(whole)
    for i, reading in zip(extra, model.classify([own[i].text for i in extra])):
        readings[i] = reading
    for i in turned:
        readings[i] = module.turned(own[i], readings[i]) if hasattr(module, "turned") else (
            module.opposed(readings[i]) if own[i].opposite else readings[i])
    return readings


def report(path: Path, model, policy: NpsPolicy, old: types.ModuleType | None, baseline: str | None) -> None:
    """Print the ways of reading the set at `path`, and what the current rules changed from the one before."""
    posts = read_set(path)
    brands = sorted({brand for _, labels in posts for brand in labels})
    terms = [current.BrandTerms(b, (b, "@" + b.lower())) for b in brands]
    copies = [current.BrandPost(text, brand) for text, labels in posts for brand in labels]
    gold = [labels[brand] for text, labels in posts for brand in labels]
    whole = model.classify([c.text for c in copies])
    ways = {"whole post": whole,
            "own clauses": read_per_brand(model, copies, current, current.BrandTargets(terms, comparisons=False),
                                          whole)}
    if old is not None:
        ways[f"at {baseline}"] = read_per_brand(model, copies, old, old.BrandTargets(
            [old.BrandTerms(t.brand, t.keywords) for t in terms]), whole)
    ways["now"] = read_per_brand(model, copies, current, current.BrandTargets(terms), whole)
    print(f"{path.name}: {len(posts)} posts ({sum(len(labels) > 2 for _, labels in posts)} naming three or more), "
          f"{len(copies)} brand readings")
    many = [len(labels) > 2 for _, labels in posts for _ in labels]  # the readings of posts naming three or more
    for name, readings in ways.items():
        print(f"  {name}: {score(readings, gold, policy)}, posts whose brands get different labels: "
              f"{split(readings, [len(labels) for _, labels in posts])}" + (
                  f"; of posts naming three or more, {sum(r.label == g for r, g, m in zip(readings, gold, many) if m)}"
                  f"/{sum(many)}" if any(many) else ""))
    before = list(ways.values())[-2]
    changes = Counter((a.label == g, b.label == g) for a, b, g in zip(before, ways["now"], gold))
    print(f"  {list(ways)[-2]} -> now: right both {changes[True, True]}, fixed {changes[False, True]}, "
          f"broken {changes[True, False]}, wrong both {changes[False, False]}")


def score(readings: list, gold: list[str], policy: NpsPolicy) -> str:
    """The accuracy of the labels and NPS categories of `readings`."""
    labels = sum(r.label == g for r, g in zip(readings, gold))
    cats = sum(categorize_result(r, None, policy) == CATEGORY[g] for r, g in zip(readings, gold))
    return (f"label accuracy {labels}/{len(gold)} = {labels / len(gold):.1%}, "
            f"category {cats}/{len(gold)} = {cats / len(gold):.1%}")


def split(readings: list, sizes: list[int]) -> int:
    """How many posts (of `sizes` brands each, in order) give their brands more than one label."""
    count, start = 0, 0
    for size in sizes:
        count += len({r.label for r in readings[start:start + size]}) > 1
        start += size
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data = REPO / "bench" / "data"
    parser.add_argument("--data", type=Path, nargs="+", default=[
        data / "brand_targets.tsv", data / "brand_comparatives.tsv", data / "brand_clauses.tsv",
        data / "brand_idioms.tsv", data / "brand_groups.tsv", data / "brand_sided.tsv",
        data / "brand_unlike.tsv"])
    parser.add_argument("--baseline", help="a git revision whose sentiment/targets.py (and target_*.py) to read the sets "
                                           "with "
                        "too")
    args = parser.parse_args()
    require(parser, *args.data)
    model, policy = load_classifier(), NpsPolicy()
    with tempfile.TemporaryDirectory() as into:
        old = targets_at(args.baseline, Path(into)) if args.baseline else None
        for path in args.data:
            report(path, model, policy, old, args.baseline)


if __name__ == "__main__":
    main()
