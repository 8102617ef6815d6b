"""CJK themes benchmark: a Japanese storm's themes against a Japanese baseline, as a ratio of English's.

Run by hand, never in CI:
    python bench/themes_cjk.py [--window 5000 --baseline 100000 --rounds 5] [--profile]

Both corpora are generated with one seed: English as bench/insight.py writes it (bench/store.py's generator), Japanese
from kanji compounds, katakana loanwords and hiragana particles, written without spaces, with a storm phrase
(二重請求) in 10 % of the window. Rounds alternate English and Japanese (A B A B ...) and the medians of CPU seconds are
compared, so a loaded machine slows both alike.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from brandpulse.alerts.themes import themes  # noqa: E402

KANJI = "料金請求返金注文配送商品会社電話対応確認問題障害接続画面表示登録変更解約契約支払残高明細利用停止再開遅延到着"
KATAKANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモラリルレロワンガギグゲゴパピプペポー"
PARTICLES = ["が", "を", "に", "で", "は", "の", "も", "と", "から", "まで", "です", "ます", "ました", "された", "ない", "けど",
             "んだけど", "ください", "してる", "ません"]
PUNCTUATION = ["、", "。", "！", "？", "…", " "]
STORM = "今月の料金が二重請求されています"


def _japanese_vocabulary(rng: random.Random) -> list[str]:
    compounds = {"".join(rng.choice(KANJI) for _ in range(rng.randint(2, 4))) for _ in range(8000)}
    loanwords = {"".join(rng.choice(KATAKANA) for _ in range(rng.randint(3, 6))) for _ in range(6000)}
    return sorted(compounds | loanwords)


def japanese_texts(rng: random.Random, count: int, storm_share: float = 0.0) -> list[str]:
    """`count` generated Japanese posts (about 20-140 characters), `storm_share` of them holding STORM."""
    vocab = _japanese_vocabulary(rng)
    texts = []
    for _ in range(count):
        length = int(min(140, max(20, rng.lognormvariate(3.7, 0.5))))
        parts = ["クモペイ"]
        while sum(map(len, parts)) < length:
            parts += [rng.choice(vocab), rng.choice(PARTICLES)]
            if rng.random() < 0.25:
                parts.append(rng.choice(PUNCTUATION))
        if rng.random() < storm_share:
            parts.insert(rng.randrange(len(parts)), STORM + "。")
        texts.append("".join(parts))
    return texts


def english_texts(rng: random.Random, count: int, topic_share: float = 0.0) -> list[str]:
    """`count` English posts as bench/insight.py generates them."""
    spec = importlib.util.spec_from_file_location("insight_bench", REPO / "bench" / "insight.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._texts(rng, count, topic_share)


def _cpu(fn) -> tuple[float, object]:
    start = time.process_time()
    result = fn()
    return time.process_time() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=int, default=5000)
    parser.add_argument("--baseline", type=int, default=100000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions of one Japanese run")
    args = parser.parse_args()
    rng = random.Random(5)
    corpora = {
        "en": (english_texts(rng, args.window, 0.1), english_texts(rng, args.baseline),
               ["Pinebrook Coffee", "pinebrook", "@pinebrookcoffee"]),
        "ja": (japanese_texts(rng, args.window, 0.1), japanese_texts(rng, args.baseline), ["クモペイ"]),
    }
    if args.profile:
        window, baseline, keywords = corpora["ja"]
        profile = cProfile.Profile()
        profile.runcall(themes, window, baseline, keywords)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
        return
    times: dict[str, list[float]] = {"en": [], "ja": []}
    found = {}
    for _ in range(args.rounds):
        for name, (window, baseline, keywords) in corpora.items():
            seconds, found[name] = _cpu(lambda: themes(window, baseline, keywords))
            times[name].append(seconds)
    for name in corpora:
        print(f"{name}: themes of {args.window:,} vs {args.baseline:,}: median {statistics.median(times[name]):.3f} s "
              f"CPU of {args.rounds} ({', '.join(f'{t:.2f}' for t in times[name])}); "
              f"{[t.term for t in found[name]]}")
    print(f"ratio ja/en: {statistics.median(times['ja']) / statistics.median(times['en']):.2f}x")


if __name__ == "__main__":
    main()
