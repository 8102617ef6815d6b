"""Benchmark: is Japanese written in kanji alone told from Chinese where a deployment reads Japanese, not Chinese?
Language detection (`sentiment.language`, likely languages {ja}) on Japanese and Chinese sentences and on their runs of
Han characters (two or more, as short kanji-only posts: "二重請求"), with the kanji rule and without it (as before),
in one run, with the time each took.

Run by hand from the repository root:
    python bench/kanji_japanese.py --japanese FILE --chinese FILE
FILE: one text a line. Measured on megagonlabs/quasi_japanese_reviews (data/text/*/*.txt, 7,414 sentences of
crowd-written hotel and sightseeing reviews) and ChnSentiCorp_htl_all (7,765 Chinese hotel reviews, the `review`
column); read here, not shipped.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

from inputs import require  # bench/, first on the path of a script run by hand

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")


def texts(path: Path) -> list[str]:
    return [line.strip() for line in path.open(encoding="utf-8") if line.strip()]


def detectors() -> dict[str, object]:
    from brandpulse.sentiment.language import LanguageDetector

    class Before(LanguageDetector):
        def _kanji_japanese(self, words: str) -> bool:
            return False

    return {"before": Before("en", likely={"ja"}), "now": LanguageDetector("en", likely={"ja"})}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--japanese", type=Path, required=True)
    parser.add_argument("--chinese", type=Path, required=True)
    args = parser.parse_args()
    require(parser, args.japanese, args.chinese)
    japanese, chinese = texts(args.japanese), texts(args.chinese)
    sets = [("Japanese sentences", japanese), ("Chinese sentences", chinese),
            ("Japanese kanji runs", sorted({run for text in japanese for run in HAN_RUN.findall(text)})),
            ("Chinese Han runs", sorted({run for text in chinese for run in HAN_RUN.findall(text)}))]
    found = detectors()
    for detector in found.values():
        detector.detect("warm up")
    for name, items in sets:
        line = []
        for label, detector in found.items():
            start = time.perf_counter()
            counts = Counter(detector.detect(text) for text in items)
            took = time.perf_counter() - start
            line.append(f"{label}: ja {100 * counts['ja'] / len(items):.1f}% zh {100 * counts['zh'] / len(items):.1f}%"
                        f" ({took:.2f} s)")
        print(f"{name} ({len(items)}): " + "; ".join(line))


if __name__ == "__main__":
    main()
