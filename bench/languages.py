"""Benchmark: is each mention's language right? Language detection (`sentiment.language`) on tweets in seven languages
and on English tweets, with the detector's rules as shipped and as they were before `max_default` (0: a text is
called another language only when py3langid is sure of it), in one run.

Run by hand from the repository root:
    python bench/languages.py --xlmt DIR [--english FILE ...] [--complaints FILE]
DIR is `data/sentiment` of the XLM-T repository (cardiffnlp/xlm-t: tweets in Arabic, English, French, German, Hindi,
Italian, Portuguese and Spanish, one folder per language; its test files are read). Its Hindi tweets are mostly
written in the Latin script (Hinglish), which no detector reads as Hindi; the share is printed all the same. The
English files default to TweetEval's validation tweets and the complaints file in ../shared. For each set it prints
the share of tweets given the set's language; for English ones, also how many were called another language.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inputs import require  # bench/, first on the path of a script run by hand

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
XLMT = {"arabic": "ar", "french": "fr", "german": "de", "hindi": "hi", "italian": "it", "portuguese": "pt",
        "spanish": "es", "english": "en"}


def lines(path: Path) -> list[str]:
    return [line.rstrip("\n") for line in path.open(encoding="utf-8")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xlmt", type=Path, required=True, help="XLM-T's data/sentiment folder")
    parser.add_argument("--english", type=Path, action="append", help="One English text per line (repeatable).")
    parser.add_argument("--complaints", type=Path, default=SHARED / "complaints" / "train.tsv")
    args = parser.parse_args()
    english = args.english or [SHARED / "tweeteval" / "val_text.txt"]
    require(parser, args.xlmt, args.complaints, *english)

    from brandpulse.sentiment.complaints import read_examples
    from brandpulse.sentiment.language import LanguageDetector

    sets = [(f"XLM-T {folder}", code, lines(args.xlmt / folder / "test_text.txt")) for folder, code in XLMT.items()]
    sets += [(path.name, "en", lines(path)) for path in english]
    sets.append((args.complaints.name, "en", [example.text for example in read_examples(args.complaints)]))
    detectors = {"before (max_default 0)": LanguageDetector(max_default=0.0), "now": LanguageDetector()}
    print(f"{'set':24} {'tweets':>7}  " + "  ".join(f"{name:>24}" for name in detectors))
    for name, code, texts in sets:
        cells = []
        for detector in detectors.values():
            found = [detector.detect(text) for text in texts]
            share = f"{100 * sum(lang == code for lang in found) / len(found):.1f}%"
            cells.append(share if code != "en" else f"{share} ({sum(lang != 'en' for lang in found)} other)")
        print(f"{name:24} {len(texts):>7}  " + "  ".join(f"{cell:>24}" for cell in cells))


if __name__ == "__main__":
    main()
