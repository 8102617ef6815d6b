"""Benchmark: what reading text in NFKC costs themes and brand matching (added in d16d7cc), against the code at the
commit before it, in one run.

Run by hand, never in CI:
    python bench/nfkc_cost.py [--before REV] [--window 5000] [--baseline 100000] [--posts 100000] [--rounds 3]
REV defaults to 86c64c5, the parent of d16d7cc; `--now REV2` measures that commit instead of this checkout (d16d7cc
alone: NFKC without the later brand-boundary change, 7c1f9a1, which also changed what Japanese posts match). The
corpora are generated once, with one seed (bench/themes_cjk.py's English and Japanese, Japanese with 20 % of its
posts naming the brand in full width, ＰＩＮＥＢＲＯＯＫ): themes of a window against a baseline in each language, and
`BrandMatcher.brands_for` over every post of the baseline. Each round runs the earlier code and this code in child
processes, alternately (A B A B ...), each timing every workload in CPU seconds; the medians over rounds are
compared, so a loaded machine slows both alike.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from revision import child_env, package_at, remove  # bench/, first on the path of a script run by hand

BRANDS = {"Pinebrook": ("pinebrook", "@pinebrookcoffee", "パインブルック"), "Kumo Pay": ("kumo pay", "クモペイ"),
          "Northwind": ("northwind air", "@northwindair")}


def corpora(window: int, baseline: int, posts: int) -> dict[str, list[str]]:
    """The texts of each workload, generated with one seed."""
    from themes_cjk import english_texts, japanese_texts

    rng = random.Random(11)
    ja_baseline = [("ＰＩＮＥＢＲＯＯＫの" + text) if rng.random() < 0.2 else text
                   for text in japanese_texts(rng, max(baseline, posts))]
    return {"en_window": english_texts(rng, window, 0.1), "en_baseline": english_texts(rng, max(baseline, posts)),
            "ja_window": japanese_texts(rng, window, 0.1), "ja_baseline": ja_baseline}


def _cpu(work) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


def child(texts_file: Path, baseline: int, posts: int) -> None:
    """Time each workload once on `texts_file`'s corpora; print the CPU seconds as JSON."""
    from brandpulse.alerts.themes import themes
    from brandpulse.collectors.base import BrandQuery
    from brandpulse.collectors.brands import BrandMatcher

    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    matcher = BrandMatcher([BrandQuery(brand, keywords) for brand, keywords in BRANDS.items()])
    times = {
        "themes en": _cpu(lambda: themes(texts["en_window"], texts["en_baseline"][:baseline], ["Pinebrook"])),
        "themes ja": _cpu(lambda: themes(texts["ja_window"], texts["ja_baseline"][:baseline], ["クモペイ"])),
        "brands en": _cpu(lambda: [matcher.brands_for(text) for text in texts["en_baseline"][:posts]]),
        "brands ja": _cpu(lambda: [matcher.brands_for(text) for text in texts["ja_baseline"][:posts]]),
    }
    matched = sum(bool(matcher.brands_for(text)) for text in texts["ja_baseline"][:posts])
    print(json.dumps({"times": times, "ja matched": matched}))


def run_child(package: Path | None, texts_file: Path, args: argparse.Namespace) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", str(texts_file), "--baseline", str(args.baseline),
                           "--posts", str(args.posts)], check=True, capture_output=True, text=True,
                          env=child_env(package))
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="86c64c5")
    parser.add_argument("--now", help="a commit to measure instead of this checkout")
    parser.add_argument("--window", type=int, default=5000)
    parser.add_argument("--baseline", type=int, default=100000)
    parser.add_argument("--posts", type=int, default=100000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.baseline, args.posts)
        return
    with tempfile.TemporaryDirectory() as scratch:
        where = Path(scratch)
        texts_file = where / "texts.json"
        texts_file.write_text(json.dumps(corpora(args.window, args.baseline, args.posts), ensure_ascii=False),
                              encoding="utf-8")
        before = package_at(args.before, where / "before")
        now = package_at(args.now, where / "now") if args.now else None
        try:
            runs: dict[str, list[dict]] = {"before": [], "now": []}
            for _ in range(args.rounds):
                runs["before"].append(run_child(before, texts_file, args))
                runs["now"].append(run_child(now, texts_file, args))
        finally:
            remove(where / "before")
            if args.now:
                remove(where / "now")
    for work in runs["now"][0]["times"]:
        medians = {label: statistics.median(run["times"][work] for run in found) for label, found in runs.items()}
        print(f"{work}: median CPU s of {args.rounds}: before ({args.before}) {medians['before']:.3f}, "
              f"now ({args.now or 'this checkout'}) {medians['now']:.3f}: {medians['now'] / medians['before']:.2f}x")
    print(f"Japanese posts matching a brand (of {args.posts:,}, 20 % naming ＰＩＮＥＢＲＯＯＫ): before "
          f"{runs['before'][0]['ja matched']:,}, now {runs['now'][0]['ja matched']:,}")


if __name__ == "__main__":
    main()
